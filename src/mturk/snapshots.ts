import type { Metrics } from "../observability/metrics.js";
import { type JournalEntry, WriteJournal } from "./journal.js";
import { type ListingOperation, operationOfKey, scopeKey } from "./listings.js";

/**
 * Full listings of MTurk list operations, shared across requests for a short time. Sorting, totals, page numbers
 * and filters need the whole list, and MTurk gives no totals: one scan per (operation, arguments) serves every
 * request that asks within the window, and concurrent requests for the same scan wait for the one in flight.
 * The gateway's own writes are applied to every listing read (see WriteJournal), so they show at once.
 */
export interface SnapshotOptions {
  /** How long a finished scan is served (the consistency window). */
  ttlMs: number;
  /** Items kept over all snapshots (an empty one counts as one); the least recently used snapshots go first. */
  maxItems: number;
  /** How long the gateway applies its own writes to MTurk's listings (MTurk's listing lag is unknown). */
  journalMs?: number;
  metrics?: Metrics;
}

interface Entry {
  items: unknown[];
  at: number;
}

const weight = (entry: Entry) => Math.max(1, entry.items.length);

export class SnapshotCache {
  private readonly done = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<unknown[]>>();
  private items = 0;
  readonly journal: WriteJournal;

  constructor(private readonly options: SnapshotOptions) {
    this.journal = new WriteJournal(options.journalMs ?? 600_000);
  }

  /** The listing's items, from a fresh snapshot, the scan in flight, or a new scan; the journal applied. */
  async get<T>(scope: readonly unknown[], scan: () => Promise<T[]>): Promise<T[]> {
    const items = await this.raw(scopeKey(scope), scan);
    return this.journal.apply(scope, items);
  }

  private raw<T>(key: string, scan: () => Promise<T[]>): Promise<T[]> {
    const entry = this.done.get(key);
    if (entry && Date.now() - entry.at < this.options.ttlMs) {
      // Re-insert: Map order is the LRU order.
      this.done.delete(key);
      this.done.set(key, entry);
      this.options.metrics?.snapshotRequests.inc({ result: "hit" });
      return Promise.resolve(entry.items as T[]);
    }
    const running = this.inFlight.get(key);
    if (running) {
      this.options.metrics?.snapshotRequests.inc({ result: "shared" });
      return running as Promise<T[]>;
    }
    this.options.metrics?.snapshotRequests.inc({ result: "miss" });
    const started = scan().then(
      (items) => {
        this.inFlight.delete(key);
        this.store(key, items);
        return items;
      },
      (error) => {
        this.inFlight.delete(key);
        throw error;
      },
    );
    this.inFlight.set(key, started);
    return started;
  }

  private store(key: string, items: unknown[]) {
    this.forget(key);
    this.sweep();
    const entry = { items, at: Date.now() };
    if (weight(entry) > this.options.maxItems) return;
    this.done.set(key, entry);
    this.items += weight(entry);
    for (const oldest of this.done.keys()) {
      if (this.items <= this.options.maxItems) break;
      this.forget(oldest);
    }
  }

  /** Drops expired snapshots: they would only be scanned again. */
  private sweep() {
    const cutoff = Date.now() - this.options.ttlMs;
    for (const [key, entry] of this.done) if (entry.at < cutoff) this.forget(key);
  }

  private forget(key: string) {
    const entry = this.done.get(key);
    if (!entry) return;
    this.items -= weight(entry);
    this.done.delete(key);
  }

  /** A write of the gateway: applied to every listing from now on; listings it may change unknowably are dropped. */
  record(entries: JournalEntry[]): void {
    for (const entry of entries) {
      this.journal.record(entry);
      for (const key of [...this.done.keys()])
        if (
          operationOfKey(key) === entry.operation &&
          this.journal.unknownEffect(entry.operation, JSON.parse(key), entry)
        )
          this.forget(key);
    }
  }

  /** Drops every snapshot of these operations: for writes whose effect on listings the gateway cannot compute. */
  invalidate(operations: ListingOperation[]): void {
    for (const key of [...this.done.keys()]) if (operations.includes(operationOfKey(key))) this.forget(key);
  }

  /** Whether a fresh snapshot exists: a scan of it would cost no upstream call. */
  has(scope: readonly unknown[]): boolean {
    const entry = this.done.get(scopeKey(scope));
    return !!entry && Date.now() - entry.at < this.options.ttlMs;
  }
}
