import { createHash, randomUUID } from "node:crypto";
import type { RedisLink } from "../fleet/link.js";

/**
 * How many subscriptions each principal has open. Alone, counted in memory; in a fleet, in Redis, so that
 * MAX_SUBSCRIPTIONS_PER_PRINCIPAL holds across instances: a sorted set per principal of subscription ids scored by
 * when they expire, renewed by their instance while open (an instance that dies stops renewing: its entries expire).
 */
export interface SubscriptionLimit {
  /** An id for the new subscription if `who` may open one more, else undefined. */
  admit(who: string): Promise<string | undefined>;
  leave(who: string, id: string): void;
  close(): void;
}

export class LocalSubscriptionLimit implements SubscriptionLimit {
  private readonly open = new Map<string, Set<string>>();

  constructor(private readonly max: number) {}

  async admit(who: string): Promise<string | undefined> {
    const ids = this.open.get(who) ?? new Set<string>();
    if (ids.size >= this.max) return undefined;
    const id = randomUUID();
    ids.add(id);
    this.open.set(who, ids);
    return id;
  }

  leave(who: string, id: string): void {
    const ids = this.open.get(who);
    ids?.delete(id);
    if (ids?.size === 0) this.open.delete(who);
  }

  /** This instance's open subscriptions, by principal. */
  entries(): [string, Set<string>][] {
    return [...this.open.entries()];
  }

  close(): void {}
}

const ADMIT = `
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", ARGV[1])
if redis.call("ZCARD", KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call("ZADD", KEYS[1], ARGV[3], ARGV[4])
redis.call("PEXPIRE", KEYS[1], ARGV[5])
return 1`;

/** An open subscription's entry lives this long without renewal; instances renew theirs three times as often. */
const ENTRY_MS = 30_000;

export class FleetSubscriptionLimit implements SubscriptionLimit {
  private readonly local: LocalSubscriptionLimit;
  private readonly renewal: NodeJS.Timeout;

  constructor(
    private readonly link: RedisLink,
    private readonly max: number,
  ) {
    this.local = new LocalSubscriptionLimit(max);
    this.renewal = setInterval(() => this.renew(), ENTRY_MS / 3);
    this.renewal.unref();
  }

  /** Principal names are the caller's (a JWT's sub): hashed into the key. */
  private key = (who: string) =>
    this.link.key("live", "subscriptions", createHash("sha256").update(who).digest("hex").slice(0, 32));

  async admit(who: string): Promise<string | undefined> {
    const id = await this.local.admit(who);
    if (!id || !this.link.up) return id;
    const now = Date.now();
    const admitted = await this.link.redis
      .eval(ADMIT, 1, this.key(who), now, this.max, now + ENTRY_MS, id, ENTRY_MS)
      .catch(() => 1);
    if (admitted === 1) return id;
    this.local.leave(who, id);
    return undefined;
  }

  leave(who: string, id: string): void {
    this.local.leave(who, id);
    if (this.link.up) this.link.redis.zrem(this.key(who), id).catch(() => {});
  }

  private renew(): void {
    if (!this.link.up) return;
    const expiry = Date.now() + ENTRY_MS;
    for (const [who, ids] of this.local.entries()) {
      const key = this.key(who);
      const multi = this.link.redis.multi();
      for (const id of ids) multi.zadd(key, expiry, id);
      multi.pexpire(key, ENTRY_MS);
      multi.exec().catch(() => {});
    }
  }

  close(): void {
    clearInterval(this.renewal);
  }
}
