import type { Metrics } from "../observability/metrics.js";
import type { Upstream } from "./client.js";
import { type JournalEntry, WriteJournal } from "./journal.js";
import { type ListingOperation, operationOfKey, scopeKey } from "./listings.js";
import type { UpstreamClass } from "./scheduler.js";
import { SharedWork, type Waiter } from "./sharedWork.js";

/** A change of listings as instances share it (plain data): the gateway's writes, or listings to scan again. */
export type ListingChange = { entries: JournalEntry[] } | { invalidate: ListingOperation[] };

export interface SharedSnapshot<T> {
  items: T[];
  /** When the scan ended: the consistency window counts from then on every instance. */
  at: number;
  /** fleet: another instance's scan; scan: this instance's. */
  source: "fleet" | "scan";
  /** False when a change made during the scan makes it stale: served to this request, not kept. */
  keep: boolean;
}

/**
 * Snapshots and write journal shared by several instances (src/fleet, on Redis). SnapshotCache keeps its own copies
 * and its API; this strategy makes one scan serve the whole fleet and every write show on every instance.
 */
export interface SharedSnapshotStore {
  /** Registers how this instance applies the changes other instances make. */
  listen(apply: (change: ListingChange) => void): void;
  /** Resolves once every change made in the fleet before the call is applied here (never rejects). */
  catchUp(): Promise<void>;
  /** Shares a change made by this instance. */
  publish(change: ListingChange): void;
  /**
   * The fleet's snapshot of the listing `key`: a fresh scan of another instance, or this instance's scan under the
   * fleet's lock, then shared. `outdated` says whether changes made since a scan began make it stale.
   */
  fetch<T>(
    key: string,
    scan: () => Promise<T[]>,
    outdated: (changes: ListingChange[]) => boolean,
  ): Promise<SharedSnapshot<T>>;
}

/**
 * Full listings of MTurk list operations, shared across requests for a short time. Sorting, totals, page numbers
 * and filters need the whole list, and MTurk gives no totals: one scan per (operation, arguments) serves every
 * request that asks within the window, and concurrent requests for the same scan wait for the one in flight.
 * The gateway's own writes are applied to every listing read (see WriteJournal), so they show at once.
 */
export interface SnapshotOptions {
  /** How long a finished scan is served as fresh (the consistency window). */
  ttlMs: number;
  /**
   * How old a snapshot may be and still be served at once while one background scan refreshes it (stale while
   * revalidate): no request waits for a rescan. 0 (or not above ttlMs): an expired snapshot is scanned first.
   */
  maxStaleMs?: number;
  /** Items kept over all snapshots (an empty one counts as one); the least recently used snapshots go first. */
  maxItems: number;
  /** Snapshots kept at most, whatever their size (each holds its key: a listing's arguments). */
  maxEntries?: number;
  /** How long the gateway applies its own writes to MTurk's listings (MTurk's listing lag is unknown). */
  journalMs?: number;
  metrics?: Metrics;
  /** Shares scans and the journal with other instances; without it both stay in this process. */
  shared?: SharedSnapshotStore;
  /** Runs scans detached from the request that asks first (src/mturk/sharedWork.ts); inline without it. */
  work?: SharedWork;
}

/** How a read waits for a scan: its window, who waits (the request's door), and the scan's class. */
export interface ReadOptions {
  ttlMs?: number;
  waiter?: Waiter;
  class?: UpstreamClass;
}

/** A listing's scan; on shared work it gets the work's own door (code using a request's loaders gets theirs). */
export type Scan<T> = (door?: Upstream) => Promise<T[]>;

interface Entry<T = unknown> {
  items: T[];
  at: number;
  /** The entry's own window: the options' TTL, or a longer one for a costlier scan (the worker index). */
  ttlMs: number;
  applied?: { version: number; items: unknown[] };
}

const weight = (entry: Entry) => Math.max(1, entry.items.length);

export class SnapshotCache {
  private readonly done = new Map<string, Entry>();
  private items = 0;
  readonly journal: WriteJournal;
  /** The scans in flight: one per listing, shared by every request that asks meanwhile. */
  private readonly work: SharedWork;

  constructor(private readonly options: SnapshotOptions) {
    this.journal = new WriteJournal(options.journalMs ?? 600_000);
    this.work = options.work ?? new SharedWork();
    options.shared?.listen((change) => {
      if ("invalidate" in change) this.invalidateHere(change.invalidate);
      else this.recordHere(change.entries);
    });
  }

  /** The listing's items, from a fresh snapshot, the scan in flight, or a new scan; the journal applied. */
  async get<T>(scope: readonly unknown[], scan: Scan<T>, options: ReadOptions = {}): Promise<T[]> {
    return (await this.read(scope, scan, options)).items;
  }

  /** The same, with when MTurk was read (the snapshot's scan; the journal adds the gateway's writes since). */
  async read<T>(
    scope: readonly unknown[],
    scan: Scan<T>,
    options: ReadOptions = {},
  ): Promise<{ items: T[]; at: number }> {
    // Writes made through other instances before this request reach the journal (and drop snapshots) first.
    if (this.options.shared) await this.options.shared.catchUp();
    const snapshot = await this.raw(scopeKey(scope), scan, { ttlMs: this.options.ttlMs, ...options });
    return { items: this.applied(scope, snapshot), at: snapshot.at };
  }

  /**
   * The snapshot with the journal applied, kept until the journal changes: concurrent readers of a large listing
   * share one array (and what listing.ts derives from it: sorted orders), instead of one copy each.
   */
  private applied<T>(scope: readonly unknown[], snapshot: Entry<T>): T[] {
    this.journal.sweep();
    const cached = snapshot.applied;
    if (cached && cached.version === this.journal.version) return cached.items as T[];
    const items = this.journal.apply(scope, snapshot.items);
    snapshot.applied = { version: this.journal.version, items };
    return items;
  }

  private raw<T>(key: string, scan: Scan<T>, options: ReadOptions & { ttlMs: number }): Promise<Entry<T>> {
    const entry = this.done.get(key) as Entry<T> | undefined;
    const age = entry ? Date.now() - entry.at : Number.POSITIVE_INFINITY;
    if (entry && age < this.servable(entry)) {
      // Re-insert: Map order is the LRU order.
      this.done.delete(key);
      this.done.set(key, entry);
      const stale = age >= entry.ttlMs;
      this.options.metrics?.snapshotRequests.inc({ result: stale ? "stale" : "hit" });
      // Served now; one scan nobody waits for refreshes it (its failure keeps the stale one until maxStaleMs).
      if (stale && !this.work.has(key))
        this.scan(key, scan, { ttlMs: options.ttlMs, class: "background" }).catch(() => undefined);
      return Promise.resolve(entry);
    }
    if (this.work.has(key)) this.options.metrics?.snapshotRequests.inc({ result: "shared" });
    return this.scan(key, scan, options);
  }

  /** How long an entry may be served: its window, or longer while stale-while-revalidate allows. */
  private servable(entry: Entry): number {
    return Math.max(entry.ttlMs, this.options.maxStaleMs ?? 0);
  }

  /**
   * One scan of the listing (through the fleet when shared), stored when done: shared work, joined by every read
   * meanwhile, that runs on past the timeout of the request that started it.
   */
  private scan<T>(key: string, scan: Scan<T>, options: ReadOptions & { ttlMs: number }): Promise<Entry<T>> {
    const { ttlMs } = options;
    const shared = this.options.shared;
    const run = async (door?: Upstream): Promise<Entry<T>> => {
      if (!shared) this.options.metrics?.snapshotRequests.inc({ result: "miss" });
      const snapshot = shared
        ? await shared.fetch(
            key,
            () => scan(door),
            (changes) => this.outdates(key, changes),
          )
        : { items: await scan(door), at: Date.now(), source: "scan" as const, keep: true };
      if (shared)
        this.options.metrics?.snapshotRequests.inc({ result: snapshot.source === "fleet" ? "fleet" : "miss" });
      if (snapshot.keep) this.store(key, snapshot.items, snapshot.at, ttlMs);
      return { items: snapshot.items, at: snapshot.at, ttlMs };
    };
    return this.work.run(key, run, { waiter: options.waiter, class: options.class });
  }

  /** Whether these changes make a snapshot of `key` stale: an effect on it the journal cannot apply. */
  private outdates(key: string, changes: ListingChange[]): boolean {
    const operation = operationOfKey(key);
    const scope = JSON.parse(key) as unknown[];
    return changes.some((change) =>
      "invalidate" in change
        ? change.invalidate.includes(operation)
        : change.entries.some(
            (entry) => entry.operation === operation && this.journal.unknownEffect(operation, scope, entry),
          ),
    );
  }

  private store(key: string, items: unknown[], at: number, ttlMs: number) {
    this.forget(key);
    this.sweep();
    const entry = { items, at, ttlMs };
    if (weight(entry) > this.options.maxItems) return;
    this.done.set(key, entry);
    this.items += weight(entry);
    const maxEntries = this.options.maxEntries ?? 1_000;
    for (const oldest of this.done.keys()) {
      if (this.items <= this.options.maxItems && this.done.size <= maxEntries) break;
      this.forget(oldest);
    }
  }

  /** How many snapshots and items are kept (for /metrics and tests). */
  get size(): { entries: number; items: number } {
    return { entries: this.done.size, items: this.items };
  }

  /** Drops snapshots too old to serve even stale: they would only be scanned again. */
  private sweep() {
    const now = Date.now();
    for (const [key, entry] of this.done) if (now - entry.at >= this.servable(entry)) this.forget(key);
  }

  private forget(key: string) {
    const entry = this.done.get(key);
    if (!entry) return;
    this.items -= weight(entry);
    this.done.delete(key);
  }

  /** A write of the gateway: applied to every listing from now on; listings it may change unknowably are dropped. */
  record(entries: JournalEntry[]): void {
    this.recordHere(entries);
    this.options.shared?.publish({ entries });
  }

  private recordHere(entries: JournalEntry[]): void {
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
    this.invalidateHere(operations);
    this.options.shared?.publish({ invalidate: operations });
  }

  private invalidateHere(operations: ListingOperation[]): void {
    for (const key of [...this.done.keys()]) if (operations.includes(operationOfKey(key))) this.forget(key);
  }

  /** Whether a fresh snapshot exists: a scan of it would cost no upstream call. */
  has(scope: readonly unknown[]): boolean {
    const entry = this.done.get(scopeKey(scope));
    return !!entry && Date.now() - entry.at < entry.ttlMs;
  }
}
