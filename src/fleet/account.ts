import { createHash } from "node:crypto";

/**
 * The key namespace of one MTurk account: instances share only with instances that call the same endpoint with the
 * same access key. A hash, so that keys name neither; the secret key never enters it. Apart from link.ts so that a
 * gateway without Redis names its mirror's account without loading ioredis.
 */
export function accountNamespace(endpoint: string, accessKeyId: string): string {
  const account = createHash("sha256").update(`${endpoint}\n${accessKeyId}`).digest("hex").slice(0, 16);
  return `mturk-gateway:${account}`;
}
