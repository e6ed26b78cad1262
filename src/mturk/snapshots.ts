import type { Metrics } from "../observability/metrics.js";

/**
 * Full listings of MTurk list operations, shared across requests for a short time. Sorting, totals, page numbers
 * and filters need the whole list, and MTurk gives no totals: one scan per (operation, arguments) serves every
 * request that asks within the window, and concurrent requests for the same scan wait for the one in flight.
 */
export interface SnapshotOptions {
  /** How long a finished scan is served (the consistency window). */
  ttlMs: number;
  /** Items kept over all snapshots; the least recently used snapshots go first. */
  maxItems: number;
  metrics?: Metrics;
}

interface Entry {
  items: unknown[];
  at: number;
}

export class SnapshotCache {
  private readonly done = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<unknown[]>>();
  private items = 0;

  constructor(private readonly options: SnapshotOptions) {}

  /** The listing's items, from a fresh snapshot, the scan in flight, or a new scan. */
  async get<T>(key: string, scan: () => Promise<T[]>): Promise<T[]> {
    const entry = this.done.get(key);
    if (entry && Date.now() - entry.at < this.options.ttlMs) {
      // Re-insert: Map order is the LRU order.
      this.done.delete(key);
      this.done.set(key, entry);
      this.options.metrics?.snapshotRequests.inc({ result: "hit" });
      return entry.items as T[];
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
    if (items.length > this.options.maxItems) return;
    this.done.set(key, { items, at: Date.now() });
    this.items += items.length;
    for (const oldest of this.done.keys()) {
      if (this.items <= this.options.maxItems) break;
      this.forget(oldest);
    }
  }

  private forget(key: string) {
    const entry = this.done.get(key);
    if (!entry) return;
    this.items -= entry.items.length;
    this.done.delete(key);
  }

  /** Drops every snapshot whose key matches: the gateway's own writes call this for what they changed. */
  invalidate(matches: (key: string) => boolean): void {
    for (const key of [...this.done.keys()]) if (matches(key)) this.forget(key);
  }

  /** Whether a fresh snapshot exists: a scan of it would cost no upstream call. */
  has(key: string): boolean {
    const entry = this.done.get(key);
    return !!entry && Date.now() - entry.at < this.options.ttlMs;
  }
}
