import { randomBytes } from "node:crypto";
import { CursorCodec } from "../mturk/cursors.js";
import type { RedisLink } from "./link.js";

const newSecret = () => randomBytes(32).toString("base64url");

/**
 * The fleet's cursor secret: the first instance to offer one sets it (SET NX) and every instance, restarted or not,
 * reads the same one, so a cursor from one instance continues on any other. Undefined when Redis does not answer.
 */
async function fleetCursorSecret(link: RedisLink, offer = newSecret()): Promise<string | undefined> {
  if (!link.up) return undefined;
  const key = link.key("cursor-secret");
  try {
    await link.redis.set(key, offer, "NX");
    return (await link.redis.get(key)) ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * A CursorCodec whose secret can change under it: an instance that starts while Redis is away signs with a secret
 * of its own and uses the fleet's once Redis answers. Cursors signed with an earlier secret stay valid.
 */
export class FleetCursorCodec extends CursorCodec {
  private signing: string;
  private current: CursorCodec;
  private readonly earlier: CursorCodec[] = [];
  /** Whether cursors are signed with the fleet's secret (else with this instance's own, until Redis answers). */
  shared: boolean;

  constructor(fleetSecret: string | undefined) {
    const secret = fleetSecret ?? newSecret();
    super(secret);
    this.signing = secret;
    this.current = new CursorCodec(secret);
    this.shared = fleetSecret !== undefined;
  }

  get signingSecret(): string {
    return this.signing;
  }

  /** Signs with the fleet's `secret` from now on. */
  use(secret: string): void {
    this.shared = true;
    if (secret === this.signing) return;
    this.earlier.push(this.current);
    this.signing = secret;
    this.current = new CursorCodec(secret);
  }

  override encode(scope: string, position: unknown): string {
    return this.current.encode(scope, position);
  }

  override decode<P>(scope: string, cursor: string): P {
    try {
      return this.current.decode<P>(scope, cursor);
    } catch (error) {
      for (const codec of this.earlier)
        try {
          return codec.decode<P>(scope, cursor);
        } catch {}
      throw error;
    }
  }
}

/**
 * The codec of a fleet instance. Each time Redis answers (again), the instance offers the secret it signs with, so
 * that a Redis restarted empty gets the running fleet's secret back rather than a new one, and uses whatever Redis
 * then holds.
 */
export async function fleetCursorCodec(link: RedisLink): Promise<FleetCursorCodec> {
  const codec = new FleetCursorCodec(await fleetCursorSecret(link));
  link.onUp(() => {
    void fleetCursorSecret(link, codec.signingSecret).then((secret) => secret && codec.use(secret));
  });
  return codec;
}
