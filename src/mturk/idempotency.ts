import { createHash } from "node:crypto";

/** MTurk keeps a UniqueRequestToken for 24 hours: so does the gateway's record of what a key was used for. */
export const KEY_LIFETIME_MS = 24 * 3_600_000;

/** The UniqueRequestToken MTurk dedupes on (1..64 chars), derived from the operation and the client's key. */
export const requestToken = (operation: string, idempotencyKey: string) =>
  createHash("sha256").update(`${operation}\u0000${idempotencyKey}`).digest("hex");

/** A stable digest of a write's content, to refuse a key reused for another write. */
export const fingerprint = (content: unknown) => createHash("sha256").update(JSON.stringify(content)).digest("hex");

/** What the gateway remembers of an idempotency key. */
export interface KeyRecord {
  fingerprint: string;
  /** When the key was first tried: a read-back looks for the write's effect from then on. */
  firstAttemptAt: number;
  /** Facts learned before the first attempt, for the read-back (a HIT's MaxAssignments before an extension). */
  before?: Record<string, number>;
  /** A batch key's items (digests of each item's key and content): a retry may name them again, or some of them. */
  items?: string[];
}

/**
 * Idempotency keys the gateway has seen, per operation. MTurk dedupes the token, but it cannot say whether a key
 * was reused for other content; this record can, for as long as it lives (in process; shared with REDIS_URL). A
 * store's record, once made, is never replaced by another within its lifetime: the first claim of a key wins.
 */
export interface IdempotencyStore {
  /** The record of the key, created from `record` if the key is new (`fresh`). */
  claim(operation: string, key: string, record: KeyRecord): Promise<{ record: KeyRecord; fresh: boolean }>;
}

export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly records = new Map<string, KeyRecord>();

  constructor(private readonly maxKeys = 100_000) {}

  async claim(operation: string, key: string, record: KeyRecord) {
    const id = `${operation}\u0000${key}`;
    const known = this.records.get(id);
    if (known && Date.now() - known.firstAttemptAt < KEY_LIFETIME_MS) return { record: known, fresh: false };
    this.records.delete(id);
    this.records.set(id, record);
    // Map order is insertion order: the oldest keys go first.
    for (const oldest of this.records.keys()) {
      if (this.records.size <= this.maxKeys) break;
      this.records.delete(oldest);
    }
    return { record, fresh: true };
  }
}
