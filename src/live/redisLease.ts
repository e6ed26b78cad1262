import { decode, encode } from "../fleet/json.js";
import type { RedisLink } from "../fleet/link.js";
import type { Coordination } from "./coordination.js";

/** Takes the lease when free, renews it when held by this instance; 1 when this instance holds it now. */
const LEAD = `
local holder = redis.call("GET", KEYS[1])
if not holder then redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2]) return 1 end
if holder == ARGV[1] then redis.call("PEXPIRE", KEYS[1], ARGV[2]) return 1 end
return 0`;
const RELEASE = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`;

/**
 * One poller per topic for the whole fleet: a lease per topic in Redis (`live:lease:<topic>`, this instance's id,
 * PX three poll intervals), taken by whichever watching instance asks first, renewed at every poll, released when
 * its last local subscriber leaves; a killed leader's lease expires and the next watching instance takes it. The
 * poll state (`live:state:<topic>`) is saved after every poll, so the new leader compares with what the old one
 * saw: what happened in between is published, nothing twice (the log drops what the old leader already did).
 * While Redis is away every instance polls what it watches itself.
 */
export class RedisCoordination implements Coordination {
  constructor(private readonly link: RedisLink) {}

  private lease = (topic: string) => this.link.key("live", "lease", topic);
  private state = (topic: string) => this.link.key("live", "poll-state", topic);

  async lead(topic: string, ttlMs: number): Promise<boolean> {
    if (!this.link.up) return true;
    const held = await this.link.redis
      .eval(LEAD, 1, this.lease(topic), this.link.instanceId, ttlMs)
      .catch(() => undefined);
    return held === undefined ? true : held === 1;
  }

  async release(topic: string): Promise<void> {
    if (this.link.up) await this.link.redis.eval(RELEASE, 1, this.lease(topic), this.link.instanceId).catch(() => {});
  }

  async load(topic: string): Promise<unknown | undefined> {
    if (!this.link.up) return undefined;
    const text = await this.link.redis.get(this.state(topic)).catch(() => null);
    return text ? decode(text) : undefined;
  }

  async save(topic: string, state: unknown, ttlMs: number): Promise<void> {
    if (this.link.up) await this.link.redis.set(this.state(topic), encode(state), "PX", ttlMs).catch(() => {});
  }

  async watched(topic: string): Promise<boolean> {
    if (!this.link.up) return false;
    return (await this.link.redis.exists(this.lease(topic)).catch(() => 0)) === 1;
  }
}
