import type { Logger } from "pino";
import { messageOf } from "../mturk/errors.js";
import type { Mirror } from "./mirror.js";

/** The account's units the background sync keeps fresh, in this order each pass. */
const ACCOUNT_UNITS = ["work", "recheck", "requests", "types", "blocks"] as const;

export interface SyncProgress {
  /** first sync: the mirror has never held the account's work; refreshing: a later pass; idle between passes. */
  phase: "starting" | "first sync" | "refreshing" | "idle" | "off";
  /** HITs whose work (assignments, bonuses) this pass reads, and how many it has read. */
  done: number;
  total: number;
  passStartedAt?: number;
  lastPassAt?: number;
  lastError?: string;
}

/** A log line at most this often, and at every tenth of a first sync. */
const LOG_EVERY_MS = 10_000;

/**
 * The background sync: a first full sync of the account, then incremental passes. A pass reads ListHITs (every
 * HIT's counters), then the work of each HIT whose counters changed, then the pending requests, the account's
 * qualification types and its blocks. Its calls queue behind interactive ones (the mirror's door to MTurk is of the
 * background class); in a fleet on one PostgreSQL, the instance holding a unit's lease reads it and the others wait
 * for its result, so the fleet reads each unit once.
 */
export class MirrorSync {
  readonly progress: SyncProgress = { phase: "starting", done: 0, total: 0 };
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private lastLog = 0;
  private lastTenth = -1;

  constructor(
    private readonly mirror: Mirror,
    private readonly options: { intervalMs: number; logger?: Logger },
  ) {
    if (options.intervalMs <= 0) this.progress.phase = "off";
    mirror.syncProgress = this.progress;
  }

  start(): void {
    if (this.options.intervalMs > 0) this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number) {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.pass(), ms);
    this.timer.unref();
  }

  /** Progress of the work being read (the mirror reports it from whichever refresh reads the work). */
  report(done: number, total: number): void {
    this.progress.done = done;
    this.progress.total = total;
    const first = this.progress.phase === "first sync" || this.progress.phase === "starting";
    const tenth = total ? Math.floor((done / total) * 10) : 10;
    const now = Date.now();
    if (first && (tenth !== this.lastTenth || now - this.lastLog >= LOG_EVERY_MS)) {
      this.lastTenth = tenth;
      this.lastLog = now;
      this.options.logger?.info(
        { done, total, percent: percent(done, total) },
        `mirror: first sync ${percent(done, total)}% (${done} of ${total} HITs' work read)`,
      );
    }
  }

  private async pass(): Promise<void> {
    const primary = await this.mirror.primary();
    const first = (await primary.ledger.syncedAt("work").catch(() => null)) === null;
    this.progress.phase = first ? "first sync" : "refreshing";
    this.progress.passStartedAt = Date.now();
    this.progress.lastError = undefined;
    for (const unit of ACCOUNT_UNITS) {
      if (this.stopped) return;
      try {
        await primary.refresh(unit);
      } catch (error) {
        this.progress.lastError = `${unit}: ${messageOf(error)}`;
        this.options.logger?.warn({ unit, error: messageOf(error) }, "mirror sync: a unit could not be read");
      }
    }
    if (first && !this.progress.lastError)
      this.options.logger?.info(
        { ms: Date.now() - (this.progress.passStartedAt ?? Date.now()) },
        "mirror: first sync complete (100%)",
      );
    this.progress.phase = "idle";
    this.progress.lastPassAt = Date.now();
    this.schedule(this.options.intervalMs);
  }
}

export const percent = (done: number, total: number) => (total ? Math.floor((done / total) * 100) : 100);
