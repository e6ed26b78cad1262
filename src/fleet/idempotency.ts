import { createHash } from "node:crypto";
import {
  type IdempotencyStore,
  KEY_LIFETIME_MS,
  type KeyRecord,
  MemoryIdempotencyStore,
} from "../mturk/idempotency.js";
import type { RedisLink } from "./link.js";

/**
 * Idempotency records shared by the fleet: the first claim of a key anywhere wins (SET NX, 24 hours like MTurk's
 * tokens), so a key reused with other content is refused by every instance before any call. Every record is also
 * kept in this instance's own store (`local`: memory, or a durable store), and **the local record always wins**:
 * Redis may have restarted empty, and a fresh claim there must not replace what this instance knows the key was
 * used for (it is written back to Redis instead). While Redis is away claims are made locally alone and written to
 * Redis (NX: an earlier claim elsewhere wins) when it is back. Nothing is paid twice meanwhile: MTurk still dedupes
 * the token and the read-back in exactlyOnce.ts still refuses a reused key.
 */
export class FleetIdempotencyStore implements IdempotencyStore {
  private unshared: { id: string; record: KeyRecord }[] = [];

  constructor(
    private readonly link: RedisLink,
    private readonly local: IdempotencyStore = new MemoryIdempotencyStore(),
  ) {
    link.onUp(() => void this.share());
  }

  private redisKey(operation: string, key: string) {
    const digest = createHash("sha256").update(`${operation}\u0000${key}`).digest("hex");
    return this.link.key("idempotency", digest);
  }

  async claim(operation: string, key: string, record: KeyRecord): Promise<{ record: KeyRecord; fresh: boolean }> {
    const id = this.redisKey(operation, key);
    let shared: { record: KeyRecord; fresh: boolean } | undefined;
    if (this.link.up) shared = await this.claimInRedis(id, record).catch(() => undefined);
    // Redis's record (the fleet's first claim) becomes the local one, unless this instance already holds one.
    const local = await this.local.claim(operation, key, shared?.record ?? record);
    if (!local.fresh) {
      if (shared?.fresh) await this.restore(id, local.record);
      return local;
    }
    if (shared) return shared;
    this.unshared.push({ id, record });
    return local;
  }

  /** The fleet's record of the key; undefined only if it expired between the two commands (then claim again). */
  private async claimInRedis(id: string, record: KeyRecord) {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      if ((await this.link.redis.set(id, JSON.stringify(record), "PX", KEY_LIFETIME_MS, "NX")) === "OK")
        return { record, fresh: true };
      const known = await this.link.redis.get(id);
      if (known) return { record: JSON.parse(known) as KeyRecord, fresh: false };
    }
    return undefined;
  }

  /** Redis lost a record this instance holds (it claimed the key afresh just now): it gets the record back. */
  private restore(id: string, record: KeyRecord) {
    return this.write(id, record, false).catch(() => {});
  }

  /** Claims made during an outage, written to Redis now that it answers (NX: an earlier claim elsewhere wins). */
  private async share() {
    const pending = this.unshared;
    this.unshared = [];
    for (const { id, record } of pending)
      await this.write(id, record, true).catch(() => this.unshared.push({ id, record }));
  }

  /** The record in Redis for the rest of its 24 hours. */
  private async write(id: string, record: KeyRecord, onlyIfNew: boolean) {
    const left = KEY_LIFETIME_MS - (Date.now() - record.firstAttemptAt);
    if (left <= 0) return;
    const value = JSON.stringify(record);
    await (onlyIfNew ? this.link.redis.set(id, value, "PX", left, "NX") : this.link.redis.set(id, value, "PX", left));
  }
}
