import type { Assignment, HIT } from "@aws-sdk/client-mturk";
import { messageOf } from "../mturk/errors.js";
import type { IdempotencyStore, KeyRecord } from "../mturk/idempotency.js";
import type { Waiter } from "../mturk/sharedWork.js";
import { applyChange, type MirrorChange } from "./changes.js";
import { type MirrorDatabase, type MirrorDb, openScratchDatabase } from "./database.js";
import { isDatabaseError, MirrorUnavailable, NotMirrored } from "./failures.js";
import {
  countWorkerAssignments,
  countWorkerBonuses,
  type WorkerAssignmentFilter,
  workerAssignments,
  workerBonuses,
  workerStats,
} from "./history.js";
import { MirrorIdempotencyStore } from "./idempotency.js";
import { mirrorCount, mirrorPage, type PageRequest, unitsOf, withOwnWrites } from "./listings.js";
import { markDisposed, storeAssignmentsIn, storeHits } from "./refresh.js";
import { ASSIGNMENTS, HITS } from "./rows.js";
import { type Freshness, MirrorStore, type StoreOptions } from "./store.js";
import { percent, type SyncProgress } from "./sync.js";
import { rowsByKey } from "./upsert.js";

/** Where an answer came from: the durable mirror, or MTurk for this request (a scratch mirror in memory). */
export type Source = "mirror" | "mturk";

export interface Answer<T> {
  value: T;
  /** When MTurk was last read for it (the gateway's own writes since are applied). */
  at: number;
  source: Source;
}

/** The mirror's settings: its database, its age limit, and what each of its stores runs with (WRITE_JOURNAL_MS…). */
export interface MirrorOptions extends Omit<StoreOptions, "name" | "db"> {
  /** The database, or its opening (a gateway built synchronously around a database opened asynchronously). */
  database: MirrorDatabase | Promise<MirrorDatabase>;
  /** How old the mirror may be before a read waits for a refresh of what it reads (MIRROR_MAX_AGE_MS). */
  maxAgeMs: number;
}

/** Listings MTurk answers for everyone (public type searches) are read per request into small scratch mirrors. */
const MAX_SEARCHES = 20;
/** While the database fails, it is tried again this often. */
const PROBE_MS = 5_000;

/**
 * The gateway's durable copy of the MTurk account. Reads name the sync units they need; stale ones are refreshed
 * first (shared, detached work), and a refresh that fails answers what the mirror holds with its age. While the
 * database fails, reads are answered from MTurk through an in-memory mirror (source "mturk") and writes that need a
 * durable idempotency record are refused.
 */
export class Mirror {
  private readonly opened: Promise<{ database: MirrorDatabase; store: MirrorStore }>;
  private scratchStore?: Promise<MirrorStore>;
  private readonly searches = new Map<string, { store: Promise<MirrorStore>; at: number }>();
  private searchCount = 0;
  private down?: { since: number; error: string; probe?: NodeJS.Timeout };
  readonly idempotency: IdempotencyStore;

  constructor(readonly options: MirrorOptions) {
    this.opened = Promise.resolve(options.database).then((database) => ({
      database,
      store: this.storeOn(database.db, "mirror"),
    }));
    this.idempotency = {
      claim: async (operation: string, key: string, record: KeyRecord) => {
        if (this.down) throw new MirrorUnavailable(this.down.error);
        const { database } = await this.opened;
        return new MirrorIdempotencyStore(database.db).claim(operation, key, record).catch((error) => {
          if (isDatabaseError(error)) this.markDown(error);
          throw new MirrorUnavailable(messageOf(error));
        });
      },
    };
  }

  /** The durable store (once its database is open). */
  primary(): Promise<MirrorStore> {
    return this.opened.then((o) => o.store);
  }

  /** Why the database is not used now, if it is not. */
  get unavailable(): string | undefined {
    return this.down?.error;
  }

  private storeOn(db: MirrorDatabase["db"], name: string) {
    const { database: _database, maxAgeMs: _maxAgeMs, ...storeOptions } = this.options;
    return new MirrorStore({ ...storeOptions, name, db });
  }

  private scratch(): Promise<MirrorStore> {
    this.scratchStore ??= openScratchDatabase().then((s) => this.storeOn(s.db, "scratch"));
    return this.scratchStore;
  }

  private markDown(error: unknown) {
    if (this.down) return;
    const message = `the mirror's database failed (${messageOf(error).slice(0, 200)})`;
    this.options.logger?.error(
      { error: message },
      "mirror database unavailable: reads go to MTurk, money writes are refused",
    );
    this.down = { since: Date.now(), error: message };
    this.down.probe = setInterval(async () => {
      (await this.opened).database.db
        .selectFrom("mirror_meta")
        .select("key")
        .limit(1)
        .execute()
        .then(() => {
          clearInterval(this.down?.probe);
          this.down = undefined;
          this.options.logger?.info("mirror database answers again");
        })
        .catch(() => {});
    }, PROBE_MS);
    this.down.probe.unref();
  }

  /** The store for a read of these units: the durable one, or (database down, or not the account's) a scratch one. */
  private async storeFor(scope: readonly unknown[] | undefined, units: string[] | undefined) {
    if (units === undefined && scope) return this.search(scope);
    return this.down ? this.scratch() : this.primary();
  }

  /** A search of MTurk's public listings: a scratch mirror per search, read again when older than the max age. */
  private search(scope: readonly unknown[]): Promise<MirrorStore> {
    const key = JSON.stringify(scope);
    const known = this.searches.get(key);
    if (known && Date.now() - known.at < this.options.maxAgeMs) return known.store;
    const store = openScratchDatabase().then((s) => this.storeOn(s.db, `search ${++this.searchCount}`));
    this.searches.set(key, { store, at: Date.now() });
    for (const [old, entry] of this.searches) {
      if (this.searches.size <= MAX_SEARCHES) break;
      this.searches.delete(old);
      void entry.store.then((s) => s.db.destroy()).catch(() => {});
    }
    return store;
  }

  /** Runs a read against the right store once its units are fresh enough; a failing database degrades to MTurk. */
  async read<T>(
    units: string[] | undefined,
    query: (store: MirrorStore) => Promise<T>,
    scope?: readonly unknown[],
    /** MTurk is known to be down: answer what the mirror holds, without trying to refresh it. */
    offline = false,
    /** Who waits for a refresh the read needs (a request's door): interactive, and told if it outlasts them. */
    waiter?: Waiter,
  ): Promise<Answer<T>> {
    const store = await this.storeFor(scope, units);
    const needed = units ?? [`search ${JSON.stringify(scope)}`];
    try {
      if (offline) this.options.metrics?.mirrorReads.inc({ result: "offline" });
      const fresh: Freshness = offline
        ? await store.freshness(needed)
        : await store.ensure(needed, this.options.maxAgeMs, waiter);
      if (fresh.at === null) throw new NotMirrored(needed);
      const value = await query(store);
      const durable = store === (await this.primary());
      return { value, at: fresh.at ?? Date.now(), source: durable ? "mirror" : "mturk" };
    } catch (error) {
      if (store !== (await this.primary()) || !isDatabaseError(error)) throw error;
      this.markDown(error);
      return this.read(units, query, scope, offline, waiter);
    }
  }

  /** One page of an MTurk listing, from the mirror (`offline`: as it is, MTurk being down). */
  listingPage<T>(scope: readonly unknown[], request: PageRequest, offline = false, waiter?: Waiter) {
    return this.read(unitsOf(scope), (s) => mirrorPage<T>(s.db, scope, request), scope, offline, waiter);
  }

  listingCount(scope: readonly unknown[], filter?: object | null, waiter?: Waiter) {
    return this.read(unitsOf(scope), (s) => mirrorCount(s.db, scope, filter), scope, false, waiter);
  }

  /** A page MTurk listed, with the gateway's recent writes applied (as it was when the database fails). */
  async withOwnWrites<T>(scope: readonly unknown[], items: T[]): Promise<T[]> {
    if (this.down) return items;
    try {
      return await withOwnWrites((await this.primary()).db, scope, items, this.options.protectMs);
    } catch (error) {
      if (!isDatabaseError(error)) throw error;
      this.markDown(error);
      return items;
    }
  }

  /** A worker's history across the account's HITs (its work read whole first, if the mirror's is too old). */
  workerAssignments(workerId: string, request: PageRequest, waiter?: Waiter) {
    return this.read(["work"], (s) => workerAssignments(s.db, workerId, request), undefined, false, waiter);
  }

  countWorkerAssignments(workerId: string, filter?: WorkerAssignmentFilter | null, waiter?: Waiter) {
    return this.read(["work"], (s) => countWorkerAssignments(s.db, workerId, filter), undefined, false, waiter);
  }

  workerBonuses(workerId: string, request: PageRequest, waiter?: Waiter) {
    return this.read(["work"], (s) => workerBonuses(s.db, workerId, request), undefined, false, waiter);
  }

  countWorkerBonuses(workerId: string, waiter?: Waiter) {
    return this.read(["work"], (s) => countWorkerBonuses(s.db, workerId), undefined, false, waiter);
  }

  workerStats(workerId: string, waiter?: Waiter) {
    return this.read(["work"], (s) => workerStats(s.db, workerId), undefined, false, waiter);
  }

  /** The ids of the mirror's HITs of these HIT types, disposed ones too. */
  hitsOfTypes(hitTypeIds: string[], waiter?: Waiter) {
    return this.read(
      ["hits"],
      async (s) =>
        (await s.db.selectFrom("hits").select("hit_id").where("hit_type_id", "in", hitTypeIds).execute()).map(
          (r) => r.hit_id,
        ),
      undefined,
      false,
      waiter,
    );
  }

  /** Workers with listed work (submitted, approved, rejected) on these HITs, as the mirror holds it. */
  async workersOf(hitIds: string[]): Promise<string[]> {
    if (!hitIds.length || this.down) return [];
    const rows = await (await this.primary()).db
      .selectFrom("assignments")
      .select("worker_id")
      .distinct()
      .where("hit_id", "in", hitIds)
      .where("status", "in", ["Submitted", "Approved", "Rejected"])
      .execute();
    return rows.map((r) => r.worker_id);
  }

  /** Whether these units are younger than MIRROR_MAX_AGE_MS in the durable mirror (no refresh is started). */
  async isFresh(units: string[]): Promise<boolean> {
    if (this.down) return false;
    const { at } = await (await this.primary()).freshness(units).catch(() => ({ at: null }));
    return at !== null && Date.now() - at < this.options.maxAgeMs;
  }

  /**
   * Work read from MTurk by someone else (an export streaming a HIT's pages): the mirror keeps it as it passes, and
   * `complete` (the whole listing was read, from that time) makes the HIT's assignments fresh as of then.
   */
  async observeWork(hit: HIT, assignments: Assignment[], complete?: number): Promise<void> {
    if (this.down) return;
    try {
      const store = await this.primary();
      const ctx = { db: store.db, loaders: undefined as never, protectMs: this.options.protectMs };
      await storeHits(ctx, [hit]);
      await storeAssignmentsIn(store.db, this.options.protectMs, assignments);
      if (complete !== undefined) await store.ledger.markSynced(`assignments:${hit.HITId}`, complete);
    } catch (error) {
      if (!isDatabaseError(error)) throw error;
      this.markDown(error);
    }
  }

  /**
   * MTurk's notification says a HIT changed (a submission, a return, an expiry): its work is read again now, in the
   * background (one refresh per HIT at a time), and every read until then refreshes it first.
   */
  changedOnMTurk(hitId: string): void {
    if (this.down || !/^[A-Z0-9]{1,64}$/.test(hitId)) return;
    const units = [`assignments:${hitId}`, `bonuses:${hitId}`];
    void (async () => {
      const store = await this.primary();
      await store.db.updateTable("hits").set({ work_synced: null }).where("hit_id", "=", hitId).execute();
      await store.ledger.markStale(units);
      await Promise.all(units.map((unit) => store.refresh(unit)));
    })().catch((error: Error) =>
      this.options.logger?.warn({ hitId, error: error.message }, "mirror: a notified HIT could not be read again"),
    );
  }

  /**
   * A HIT MTurk cannot answer for: gone (`forgotten`: MTurk answered HITDoesNotExist, so the mirror learns that it was
   * disposed of) or unreachable (an outage). The mirror's copy, if it has one.
   */
  async recallHit(hitId: string, forgotten: boolean): Promise<HIT | undefined> {
    if (forgotten && !this.down) {
      const store = await this.primary();
      const known = await store.db.selectFrom("hits").select("hit_id").where("hit_id", "=", hitId).executeTakeFirst();
      if (known) await markDisposed(store.db, hitId, true);
    }
    return this.hit(hitId);
  }

  /** A HIT as the mirror last had it (MTurk may have disposed of it and forgotten it since). */
  async hit(hitId: string): Promise<HIT | undefined> {
    if (this.down) return undefined;
    const row = (await rowsByKey((await this.primary()).db, HITS, [[hitId]])).get(hitId);
    return row ? HITS.item(row) : undefined;
  }

  /** Whole HITs by id from the mirror (its HITs refreshed first if they are too old): one query for many Gets. */
  async wholeHits(hitIds: string[], waiter?: Waiter): Promise<HIT[]> {
    const answer = await this.read(
      ["hits"],
      (s) =>
        rowsByKey(
          s.db,
          HITS,
          hitIds.map((id) => [id]),
        ),
      undefined,
      false,
      waiter,
    );
    return [...answer.value.values()].map((row) => HITS.item(row));
  }

  /** An assignment as the mirror last had it: its latest holder's (MTurk gives a returned id to the next worker). */
  async assignment(assignmentId: string): Promise<Assignment | undefined> {
    const row = await this.lookup((db) =>
      db.selectFrom("assignments").selectAll().where("assignment_id", "=", assignmentId).orderBy("accept_time", "desc"),
    );
    return row ? ASSIGNMENTS.item(row) : undefined;
  }

  /** One row of the durable mirror, or undefined (also while its database is down). */
  private async lookup<R>(query: (db: MirrorDb) => { executeTakeFirst(): Promise<R | undefined> }) {
    if (this.down) return undefined;
    return query((await this.primary()).db).executeTakeFirst();
  }

  /** The gateway's own writes, applied at once; what the gateway cannot compute is refreshed on the next read. */
  async apply(changes: MirrorChange[]): Promise<void> {
    if (this.down) return;
    try {
      for (const change of changes) {
        const primary = await this.primary();
        const stale = await applyChange(primary.db, change, this.options.protectMs);
        await primary.ledger.markStale(stale);
      }
    } catch (error) {
      if (!isDatabaseError(error)) throw error;
      // The write happened on MTurk; the mirror learns it at its next refresh.
      this.markDown(error);
    }
  }

  /** What the background sync reports (set by MirrorSync). */
  syncProgress?: SyncProgress;

  /** The mirror's state: its database, the sync's progress, the account's units. */
  async status() {
    const progress = this.syncProgress ?? { phase: "off", done: 0, total: 0 };
    const { database, store } = await this.opened;
    const units = this.down ? [] : await store.ledger.accountUnits().catch(() => []);
    return {
      database: database.kind,
      available: !this.down,
      unavailableReason: this.down?.error ?? null,
      phase: progress.phase,
      done: progress.done,
      total: progress.total,
      percent: percent(progress.done, progress.total),
      lastPassAt: progress.lastPassAt ? new Date(progress.lastPassAt) : null,
      lastError: progress.lastError ?? null,
      maxAgeMs: this.options.maxAgeMs,
      units: units.map((u) => ({ unit: u.unit, syncedAt: u.synced_at === null ? null : new Date(u.synced_at) })),
    };
  }

  async close(): Promise<void> {
    if (this.down?.probe) clearInterval(this.down.probe);
    for (const entry of this.searches.values()) await entry.store.then((s) => s.db.destroy()).catch(() => {});
    if (this.scratchStore) await (await this.scratchStore).db.destroy().catch(() => {});
    await (await this.opened).database.close();
  }
}

export { MirrorUnavailable };
