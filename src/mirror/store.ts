import { sql } from "kysely";
import type { Logger } from "pino";
import { messageOf } from "../mturk/errors.js";
import type { MTurkLoaders } from "../mturk/loaders.js";
import type { UpstreamClass } from "../mturk/scheduler.js";
import type { Waiter } from "../mturk/sharedWork.js";
import type { Metrics } from "../observability/metrics.js";
import type { MirrorDb } from "./database.js";
import {
  type RefreshContext,
  recheckWork,
  refreshAssignmentsOf,
  refreshBonuses,
  refreshHits,
  refreshWork,
} from "./refresh.js";
import {
  refreshBlocks,
  refreshQualifications,
  refreshRequests,
  refreshSearch,
  refreshTypes,
} from "./refreshAccount.js";
import { UnitLedger } from "./units.js";

/** How the gateway runs a refresh as shared work (src/mturk/sharedWork.ts), with loaders on the work's own door. */
type ShareRefresh = (
  unit: string,
  refresh: (loaders: MTurkLoaders) => Promise<void>,
  options: { class: UpstreamClass; waiter?: Waiter },
) => Promise<void>;

/** How fresh a read's units are: the oldest unit's time (asOf), or null when one was never read. */
export interface Freshness {
  at: number | null;
}

export interface StoreOptions {
  /** Which store (the durable one, the scratch one, a search): its refreshes are shared work of their own. */
  name: string;
  db: MirrorDb;
  protectMs: number;
  /** Runs a refresh as shared work: no request's, on a door of its own, joined by whoever waits for the unit. */
  share: ShareRefresh;
  logger?: Logger;
  /** How far the work of every HIT has come, while it is read (the first sync's progress). */
  onProgress?: (done: number, total: number) => void;
  /** HITs whose work each pass reads again although their counters did not change (MIRROR_RECHECKS_PER_PASS). */
  rechecks?: number;
  metrics?: Metrics;
}

/**
 * One database of mirrored units (the durable mirror, or a scratch one in memory) and the refreshes that fill it.
 * A refresh is shared: whoever needs the unit waits for the one in flight (in this process; in a fleet, for the
 * instance holding the unit's lease), and it runs to its end whoever stops waiting.
 */
/** After a unit's refresh failed, reads answer what the mirror holds this long before one tries MTurk again. */
const RETRY_AFTER_FAILURE_MS = 5_000;

export class MirrorStore {
  readonly ledger: UnitLedger;
  /** When a unit's refresh last failed (MTurk down or throttling): no read waits for another attempt soon after. */
  private readonly failedAt = new Map<string, number>();

  constructor(readonly options: StoreOptions) {
    this.ledger = new UnitLedger(options.db);
  }

  get db(): MirrorDb {
    return this.options.db;
  }

  /**
   * When the unit's data was last read whole from MTurk. A HIT's assignments and bonuses were also read whole when
   * the sync last read that HIT's work (work_synced_at).
   */
  async unitTime(unit: string): Promise<number | null> {
    const [kind, id] = splitUnit(unit);
    if (kind === "requests" && id) return latest(await this.ledger.syncedTimes([unit, "requests"]));
    if (kind === "hits") return latest(await this.ledger.syncedTimes(["hits", "work"]));
    if ((kind === "assignments" || kind === "bonuses") && id) {
      const own = await this.ledger.syncedAt(unit);
      const row = await this.db.selectFrom("hits").select("work_synced_at").where("hit_id", "=", id).executeTakeFirst();
      return latest(
        new Map([
          ["own", own],
          ["work", row?.work_synced_at ?? null],
        ]),
      );
    }
    return this.ledger.syncedAt(unit);
  }

  /** The units' freshness: the oldest unit's time. */
  async freshness(units: readonly string[]): Promise<Freshness> {
    let at: number | null = Number.POSITIVE_INFINITY;
    for (const unit of units) {
      const t = await this.unitTime(unit);
      at = t === null || at === null ? null : Math.min(at, t);
    }
    return { at: at === Number.POSITIVE_INFINITY ? Date.now() : at };
  }

  /**
   * Brings the units to at most `maxAgeMs` old: the stale ones are refreshed (shared, detached). A refresh that
   * fails leaves the mirror as it was: its data is answered with its age, unless it never held the unit.
   */
  async ensure(units: readonly string[], maxAgeMs: number, waiter?: Waiter): Promise<Freshness> {
    const stale: { unit: string; seen: number | null }[] = [];
    for (const unit of units) {
      const t = await this.ledger.syncedAt(unit);
      const at = await this.unitTime(unit);
      const failed = Date.now() - (this.failedAt.get(unit) ?? 0) < RETRY_AFTER_FAILURE_MS;
      if (at === null || (Date.now() - at >= maxAgeMs && !failed)) stale.push({ unit, seen: t });
    }
    const failures = await Promise.all(
      stale.map(({ unit, seen }) =>
        this.refresh(unit, seen, waiter).then(
          () => undefined,
          (e: unknown) => e,
        ),
      ),
    );
    const fresh = await this.freshness(units);
    const failed = failures.find((e) => e !== undefined);
    const result = !stale.length ? "fresh" : failed === undefined ? "refreshed" : "stale";
    this.options.metrics?.mirrorReads.inc({ result });
    if (failed !== undefined) {
      if (fresh.at === null) throw failed;
      this.options.logger?.warn(
        { units: stale.map((s) => s.unit), error: messageOf(failed) },
        "mirror refresh failed: answering from the mirror",
      );
    }
    return fresh;
  }

  /**
   * The unit read again from MTurk: shared work (src/mturk/sharedWork.ts), one run per unit joined by every reader
   * meanwhile, on a door of its own (interactive while a request waits for it, background for the sync), and under
   * the unit's lease so that a fleet reads it once.
   */
  refresh(unit: string, seen?: number | null, waiter?: Waiter): Promise<void> {
    const read = (loaders: MTurkLoaders) =>
      this.ledger
        .underLease(
          unit,
          async () => {
            const started = Date.now();
            const first = !unit.includes(":") && (await this.ledger.syncedAt(unit)) === null;
            await this.read(unit, loaders);
            await this.ledger.markSynced(unit, started);
            if (unit === "work") await this.ledger.markSynced("hits", started);
            // The planner's statistics once a whole listing landed: without them SQLite sorted every HIT for one
            // sorted page (37 ms at 20,000 HITs, 1 ms after). Later changes are small beside it (and PostgreSQL's
            // autovacuum analyzes on its own).
            if (first) await sql`analyze`.execute(this.db);
          },
          seen,
        )
        .then(
          () => {
            this.failedAt.delete(unit);
            this.options.metrics?.mirrorRefreshes.inc({ unit: kindOf(unit), outcome: "ok" });
          },
          (error: unknown) => {
            this.failedAt.set(unit, Date.now());
            this.options.metrics?.mirrorRefreshes.inc({ unit: kindOf(unit), outcome: "failed" });
            throw error;
          },
        );
    return this.options.share(`${this.options.name} ${unit}`, read, {
      class: waiter ? "interactive" : "background",
      waiter,
    });
  }

  private read(unit: string, loaders: MTurkLoaders): Promise<void> {
    const ctx: RefreshContext = {
      db: this.db,
      loaders,
      protectMs: this.options.protectMs,
      progress: unit === "work" ? this.options.onProgress : undefined,
      rechecks: this.options.rechecks,
    };
    if (unit.startsWith("search ")) return refreshSearch(ctx, JSON.parse(unit.slice("search ".length)));
    const [kind, id, status] = splitUnit(unit);
    switch (kind) {
      case "hits":
        return refreshHits(ctx);
      case "work":
        return refreshHits(ctx).then(() => refreshWork(ctx));
      case "recheck":
        return recheckWork(ctx);
      case "requests":
        return refreshRequests(ctx, id);
      case "types":
        return refreshTypes(ctx);
      case "blocks":
        return refreshBlocks(ctx);
      case "assignments":
        return refreshAssignmentsOf(ctx, id as string);
      case "bonuses":
        return refreshBonuses(ctx, { hitId: id });
      case "bonusesOf":
        return refreshBonuses(ctx, { assignmentId: id });
      case "qualifications":
        return refreshQualifications(ctx, id as string, status as "Granted" | "Revoked");
      default:
        return Promise.reject(new Error(`No such mirror unit: ${unit}`));
    }
  }
}

/** A unit's kind, for bounded metric labels ("assignments:<hit>" → "assignments"; a search → "search"). */
const kindOf = (unit: string) => (unit.startsWith("search ") ? "search" : splitUnit(unit)[0]);

/** "requests:<type>" → ["requests", "<type>"]; "qualifications:<type>:<status>" → three parts. */
const splitUnit = (unit: string) => {
  const [kind = "", ...rest] = unit.split(":");
  return [kind, rest[0], rest[1]] as const;
};

const latest = (times: Map<string, number | null>) => {
  const known = [...times.values()].filter((t): t is number => t !== null);
  return known.length ? Math.max(...known) : null;
};
