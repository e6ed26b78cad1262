import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "kysely";
import type { MirrorDb } from "./database.js";

/**
 * A sync unit is what one refresh reads from MTurk and commits to the mirror: "hits" (ListHITs), "work" (every HIT's
 * assignments and bonuses whose counters changed), "requests" (every pending request), "requests:<type>", "types",
 * "blocks", "assignments:<hit>", "bonuses:<hit>", "bonusesOf:<assignment>", "qualifications:<type>:<status>".
 * Its row in sync_units says when it was last read whole (`synced_at`) and who is reading it now (a lease, so that
 * one instance of a fleet reads a unit while the others wait for its result).
 */

/** A lease outlives its holder's last sign of life by this much: a crashed instance blocks nobody for longer. */
const LEASE_MS = 15_000;
/** How often an instance waiting for another's refresh looks at the unit again. */
const WAIT_POLL_MS = 50;

export class UnitLedger {
  /** This instance, as a lease holder. */
  readonly holder = randomUUID();

  constructor(private readonly db: MirrorDb) {}

  /** When the unit was last read whole, or null. */
  async syncedAt(unit: string): Promise<number | null> {
    const row = await this.db.selectFrom("sync_units").select("synced_at").where("unit", "=", unit).executeTakeFirst();
    return row?.synced_at ?? null;
  }

  /** Several units' times at once (a listing's freshness may depend on two). */
  async syncedTimes(units: string[]): Promise<Map<string, number | null>> {
    const rows = units.length
      ? await this.db.selectFrom("sync_units").select(["unit", "synced_at"]).where("unit", "in", units).execute()
      : [];
    return new Map(units.map((u) => [u, rows.find((r) => r.unit === u)?.synced_at ?? null]));
  }

  async markSynced(unit: string, at: number, progress?: unknown): Promise<void> {
    await this.db
      .insertInto("sync_units")
      .values({ unit, synced_at: at, lease_holder: null, lease_until: null, progress: progressText(progress) })
      .onConflict((c) => c.column("unit").doUpdateSet({ synced_at: at, progress: progressText(progress) }))
      .execute();
  }

  /** Forgets that a unit is fresh (a notification says it changed): the next read refreshes it. */
  async markStale(units: string[]): Promise<void> {
    if (units.length)
      await this.db.updateTable("sync_units").set({ synced_at: null }).where("unit", "in", units).execute();
  }

  async setProgress(unit: string, progress: unknown): Promise<void> {
    await this.db
      .updateTable("sync_units")
      .set({ progress: progressText(progress) })
      .where("unit", "=", unit)
      .execute();
  }

  async progressOf(unit: string): Promise<unknown> {
    const row = await this.db.selectFrom("sync_units").select("progress").where("unit", "=", unit).executeTakeFirst();
    return row?.progress ? JSON.parse(row.progress) : undefined;
  }

  /** Takes the unit's lease if nobody (else) holds it. */
  private async take(unit: string): Promise<boolean> {
    const now = Date.now();
    await this.db
      .insertInto("sync_units")
      .values({ unit, synced_at: null, lease_holder: null, lease_until: null, progress: null })
      .onConflict((c) => c.column("unit").doNothing())
      .execute();
    const taken = await this.db
      .updateTable("sync_units")
      .set({ lease_holder: this.holder, lease_until: now + LEASE_MS })
      .where("unit", "=", unit)
      .where((eb) =>
        eb.or([eb("lease_until", "is", null), eb("lease_until", "<", now), eb("lease_holder", "=", this.holder)]),
      )
      .executeTakeFirst();
    return Number(taken.numUpdatedRows) === 1;
  }

  private async release(unit: string): Promise<void> {
    await this.db
      .updateTable("sync_units")
      .set({ lease_holder: null, lease_until: null })
      .where("unit", "=", unit)
      .where("lease_holder", "=", this.holder)
      .execute();
  }

  /**
   * Runs `read` under the unit's lease, extended while it runs; if another instance holds the lease, waits until
   * that one's refresh commits (synced_at moves on) or its lease lapses, and then returns without reading. `seen` is
   * the unit's time when the caller found it stale: a refresh committed since then is the one it wanted.
   */
  async underLease(unit: string, read: () => Promise<void>, seen?: number | null): Promise<"read" | "waited"> {
    const before = seen === undefined ? await this.syncedAt(unit) : seen;
    for (;;) {
      if (await this.take(unit)) {
        if ((await this.syncedAt(unit)) !== before) {
          await this.release(unit).catch(() => {});
          return "waited";
        }
        const extend = setInterval(() => void this.take(unit).catch(() => {}), LEASE_MS / 3);
        try {
          await read();
          return "read";
        } finally {
          clearInterval(extend);
          await this.release(unit).catch(() => {});
        }
      }
      await sleep(WAIT_POLL_MS);
      const after = await this.syncedAt(unit);
      if (after !== null && after !== before) return "waited";
    }
  }

  /** Every unit's row: the mirror's state for /ready and the status field. */
  async all(): Promise<{ unit: string; synced_at: number | null; progress: string | null }[]> {
    return this.db.selectFrom("sync_units").select(["unit", "synced_at", "progress"]).execute();
  }

  /** How many per-HIT units exist (they are many): left out of `all` callers that only want the account's. */
  async accountUnits() {
    return this.db
      .selectFrom("sync_units")
      .select(["unit", "synced_at", "progress"])
      .where(sql<boolean>`unit in ('hits', 'work', 'recheck', 'requests', 'types', 'blocks')`)
      .execute();
  }
}

const progressText = (progress: unknown) => (progress === undefined ? null : JSON.stringify(progress));
