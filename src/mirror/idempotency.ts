import { createHash, randomUUID } from "node:crypto";
import { type IdempotencyStore, KEY_LIFETIME_MS, type KeyRecord, requestToken } from "../mturk/idempotency.js";
import type { MirrorDb } from "./database.js";

/**
 * Idempotency records in the mirror's database: written (with the UniqueRequestToken they derive) before the call to
 * MTurk, so that a key keeps its content across restarts of the gateway and of Redis, and, on PostgreSQL, across
 * every instance of a fleet (the first claim of a key wins: one insert, conflicts keep the first).
 */
export class MirrorIdempotencyStore implements IdempotencyStore {
  constructor(private readonly db: MirrorDb) {}

  async claim(operation: string, key: string, record: KeyRecord): Promise<{ record: KeyRecord; fresh: boolean }> {
    const id = createHash("sha256").update(`${operation}\u0000${key}`).digest("hex");
    const claim = randomUUID();
    const row = {
      id,
      operation,
      fingerprint: record.fingerprint,
      first_attempt_at: record.firstAttemptAt,
      details: record.before || record.items ? JSON.stringify({ before: record.before, items: record.items }) : null,
      request_token: requestToken(operation, key),
      claim,
    };
    const db = this.db;
    // A record older than MTurk's 24 hours is replaced: the token is MTurk's to forget too.
    await db
      .insertInto("idempotency_keys")
      .values(row)
      .onConflict((c) =>
        c
          .column("id")
          .doUpdateSet(row)
          .where("idempotency_keys.first_attempt_at", "<", Date.now() - KEY_LIFETIME_MS),
      )
      .execute();
    const stored = await db.selectFrom("idempotency_keys").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    const details = stored.details ? (JSON.parse(stored.details) as Pick<KeyRecord, "before" | "items">) : {};
    return {
      record: {
        fingerprint: stored.fingerprint,
        firstAttemptAt: Number(stored.first_attempt_at),
        ...(details.before ? { before: details.before } : {}),
        ...(details.items ? { items: details.items } : {}),
      },
      fresh: stored.claim === claim,
    };
  }
}
