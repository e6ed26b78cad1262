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
 * kept in this instance's memory; while Redis is away claims are made there alone and written to Redis (NX: an
 * earlier claim elsewhere wins) when it is back. Nothing is paid twice meanwhile: MTurk still dedupes the token and
 * the read-back in exactlyOnce.ts still refuses a reused key.
 */
export class FleetIdempotencyStore implements IdempotencyStore {
  private readonly local = new MemoryIdempotencyStore();
  private unshared: { id: string; record: KeyRecord }[] = [];

  constructor(private readonly link: RedisLink) {
    link.onUp(() => void this.share());
  }

  private redisKey(operation: string, key: string) {
    const digest = createHash("sha256").update(`${operation}\u0000${key}`).digest("hex");
    return this.link.key("idempotency", digest);
  }

  async claim(operation: string, key: string, record: KeyRecord): Promise<{ record: KeyRecord; fresh: boolean }> {
    const id = this.redisKey(operation, key);
    if (this.link.up) {
      try {
        const claimed = await this.claimInRedis(id, record);
        if (claimed) {
          await this.local.claim(operation, key, claimed.record);
          return claimed;
        }
      } catch {
        // Redis failed this command: the local record decides, as during an outage.
      }
    }
    const claimed = await this.local.claim(operation, key, record);
    if (claimed.fresh) this.unshared.push({ id, record });
    return claimed;
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

  /** Claims made during an outage, written to Redis now that it answers. */
  private async share() {
    const pending = this.unshared;
    this.unshared = [];
    for (const { id, record } of pending) {
      const left = KEY_LIFETIME_MS - (Date.now() - record.firstAttemptAt);
      if (left <= 0) continue;
      await this.link.redis
        .set(id, JSON.stringify(record), "PX", left, "NX")
        .catch(() => this.unshared.push({ id, record }));
    }
  }
}
