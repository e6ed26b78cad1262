import { MTurkClient } from "@aws-sdk/client-mturk";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import pLimit from "p-limit";
import { toGraphQLError } from "./errors.js";

export interface UpstreamOptions {
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts: number;
  timeoutMs: number;
}

/** The SDK client: always region us-east-1 (MTurk's only signing region), standard retries, per-call timeouts. */
export function createMTurkClient(options: UpstreamOptions): MTurkClient {
  return new MTurkClient({
    region: "us-east-1",
    endpoint: options.endpoint,
    credentials: options.credentials,
    maxAttempts: options.maxAttempts,
    retryMode: "standard",
    requestHandler: new NodeHttpHandler({ requestTimeout: options.timeoutMs, connectionTimeout: options.timeoutMs }),
  });
}

/**
 * The one door to MTurk for one GraphQL request: every SDK call passes through `call`, which bounds how many run
 * at once, counts them per operation and turns SDK errors into coded GraphQL errors.
 */
export class Upstream {
  readonly calls = new Map<string, number>();
  private readonly limit: ReturnType<typeof pLimit>;

  constructor(
    readonly client: MTurkClient,
    concurrency: number,
  ) {
    this.limit = pLimit(concurrency);
  }

  call<T>(operation: string, send: (client: MTurkClient) => Promise<T>): Promise<T> {
    this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
    return this.limit(async () => {
      try {
        return await send(this.client);
      } catch (error) {
        throw toGraphQLError(error, operation);
      }
    });
  }
}
