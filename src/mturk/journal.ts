import { type ListingItems, type ListingOperation, listingIds, listingIncludes, listingSameItem } from "./listings.js";

/** What one of the gateway's writes did to one item of a kind of listing. */
export type Change<T> =
  /** The item left every listing of the operation (a decided request, a deleted HIT, an unblocked worker). */
  | { kind: "remove" }
  /** A new item: listings that include it show it until MTurk lists it itself. */
  | { kind: "insert"; item: T }
  /** Fields the write changed (an assignment's status): applied to the listed item, which may leave a listing. */
  | { kind: "patch"; fields: Partial<T> };

export type JournalEntry<O extends ListingOperation = ListingOperation> = {
  operation: O;
  id: string;
  change: Change<ListingItems[O]>;
  at: number;
};

/**
 * The gateway's own recent writes, applied to what MTurk lists: MTurk's listings can lag a write (a new HIT shows
 * up later; a decided request stays listed for a while), but a write made through the gateway is visible in its
 * lists at once. Entries are plain data (they can be shared between instances) and kept for `retentionMs`.
 */
export class WriteJournal {
  private readonly byOperation = new Map<ListingOperation, Map<string, JournalEntry>>();
  private size = 0;
  /** Changes with every entry recorded or swept: a listing with the journal applied can be kept until then. */
  version = 0;

  constructor(
    private readonly retentionMs: number,
    private readonly maxEntries = 50_000,
  ) {}

  record(entry: JournalEntry): void {
    let entries = this.byOperation.get(entry.operation);
    if (!entries) {
      entries = new Map();
      this.byOperation.set(entry.operation, entries);
    }
    if (!entries.delete(entry.id)) this.size += 1;
    entries.set(entry.id, entry);
    this.version += 1;
    if (this.size > this.maxEntries) this.sweep(true);
  }

  /** Drops expired entries (and, when over the bound, the oldest ones). */
  sweep(overBound = false): void {
    const cutoff = Date.now() - this.retentionMs;
    for (const entries of this.byOperation.values())
      for (const [id, entry] of entries) {
        // Maps keep insertion order: the first entry not expired ends the sweep of this operation.
        if (entry.at >= cutoff && !(overBound && this.size > this.maxEntries)) break;
        entries.delete(id);
        this.size -= 1;
        this.version += 1;
      }
  }

  private live(operation: ListingOperation): Map<string, JournalEntry> | undefined {
    const entries = this.byOperation.get(operation);
    if (!entries?.size) return undefined;
    this.sweep();
    return entries.size ? entries : undefined;
  }

  /** Whether applying the journal to `scope` needs a rescan (a change whose effect on it is unknown). */
  unknownEffect(operation: ListingOperation, scope: readonly unknown[], entry: JournalEntry): boolean {
    if (entry.change.kind === "remove") return false;
    const item = entry.change.kind === "insert" ? entry.change.item : entry.change.fields;
    return includes(operation, scope, item) === undefined;
  }

  /** A full listing with the journal applied: removed items dropped, changed ones patched, new ones appended. */
  apply<T>(scope: readonly unknown[], items: T[], insert = true): T[] {
    const operation = scope[0] as ListingOperation;
    const entries = this.live(operation);
    if (!entries) return items;
    const idOf = listingIds[operation] as (item: T) => string;
    const seen = new Set<string>();
    const out: T[] = [];
    for (const item of items) {
      const id = idOf(item);
      const entry = entries.get(id);
      if (!entry) {
        out.push(item);
        continue;
      }
      seen.add(id);
      const now = applied(operation, scope, entry, item);
      if (now !== undefined) out.push(now);
    }
    if (insert) {
      const same = listingSameItem[operation] as ((listed: T, written: T) => boolean) | undefined;
      for (const entry of entries.values())
        if (entry.change.kind === "insert" && !seen.has(entry.id)) {
          const item = entry.change.item as T;
          if (includes(operation, scope, item) && !(same && items.some((listed) => same(listed, item)))) out.push(item);
        }
    }
    return out;
  }

  /** A page of a walk with the journal applied: nothing is inserted (a new item has no place in MTurk's order). */
  view<T>(scope: readonly unknown[]): ((items: T[]) => T[]) | undefined {
    const operation = scope[0] as ListingOperation;
    return this.byOperation.get(operation)?.size ? (items) => this.apply(scope, items, false) : undefined;
  }
}

const includes = (operation: ListingOperation, scope: readonly unknown[], item: unknown) =>
  (listingIncludes[operation] as (s: readonly unknown[], i: unknown) => boolean | undefined)(scope, item);

/** The item as the write left it, or undefined when it left this listing. */
function applied<T>(operation: ListingOperation, scope: readonly unknown[], entry: JournalEntry, item: T) {
  const change = entry.change;
  if (change.kind === "remove") return undefined;
  // MTurk lists the new item itself now: its copy is at least as fresh as the one the write returned.
  if (change.kind === "insert") return item;
  const merged = { ...item, ...(change.fields as Partial<T>) };
  return includes(operation, scope, merged) === false ? undefined : merged;
}
