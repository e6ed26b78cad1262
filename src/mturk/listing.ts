import type { CursorCodec } from "./cursors.js";
import { badInput } from "./errors.js";
import { type ListingItems, type ListingOperation, listingIds, type Scope } from "./listings.js";
import {
  type Connection,
  type ConnectionArgs,
  type FetchPage,
  forwardPageSize,
  MTURK_MAX_RESULTS,
  resolveTokenConnection,
  scanAll,
} from "./pagination.js";
import type { Waiter } from "./sharedWork.js";
import type { SnapshotCache } from "./snapshots.js";
import { streamTokenConnection } from "./streaming.js";

export type OrderDirection = "ASC" | "DESC";
type SortValue = string | number | undefined;
export type SortKey<T> = (item: T) => SortValue;

/** One connection over an MTurk listing, with the legacy features the client asked for. */
export interface ListingQuery<T> {
  /** The upstream operation and its arguments: names the snapshot and binds cursors. */
  scope: Scope;
  fetchPage: FetchPage<T>;
  /** How a full scan reads a page, when it must bypass strategies that answer first pages without a NextToken. */
  scanPage?: FetchPage<T>;
  sortKeys: Record<string, SortKey<T>>;
  orderBy?: { field: string; direction?: OrderDirection | null } | null;
  page?: { number: number; size?: number | null } | null;
  /** A filter MTurk cannot apply upstream; `key` describes it for cursors. */
  filter?: { key: unknown; keep: (item: T) => boolean };
  /** Whole items for a listing whose pages carry less (ListReviewableHITs gives HIT ids only). */
  complete?: (items: T[]) => Promise<T[]>;
  /** A full scan faster than page after page (several parts in parallel); by default the listing's own pages. */
  scan?: () => Promise<T[]>;
}

/** `totalCount` is read only when selected: a plain walk pays for the full scan only then. */
export type ListingConnection<T> = Connection<T> & {
  readonly totalCount: number | Promise<number>;
  pageNumber: number | null;
  /** When MTurk was read for this page (a snapshot's scan time, for sorted, filtered, paged or counted lists). */
  readonly asOf: Date | Promise<Date>;
};

export interface ListingEnv {
  codec: CursorCodec;
  maxPageSize: number;
  snapshots: SnapshotCache;
  /** The operation streams edges (`edges @stream`): plain walks yield each window's edges as it arrives. */
  streamEdges?: boolean;
  /** Who waits for a snapshot's scan: the request's door (see SharedWork). */
  waiter?: Waiter;
}

const views = new WeakMap<readonly unknown[], Map<string, unknown[]>>();
/** A view (filtered, sorted) of a snapshot's array, computed once per array and view. */
function derived<T>(items: T[], view: string, make: () => T[]): T[] {
  let byView = views.get(items);
  if (!byView) {
    byView = new Map();
    views.set(items, byView);
  }
  let list = byView.get(view) as T[] | undefined;
  if (!list) {
    list = make();
    byView.set(view, list);
  }
  return list;
}

/** The legacy API's default page size (GetHITsForQualificationType: 1 to 100, default 10). */
export const DEFAULT_PAGE_SIZE = 10;

/** Whether a connection's arguments need the whole list: ordering, a page number or a filter. */
export const needsSnapshot = (q: { orderBy?: unknown; page?: unknown; filter?: unknown }) =>
  !!q.orderBy || !!q.page || !!q.filter;

const idOfScope = <T>(scope: Scope) => listingIds[scope[0] as ListingOperation] as (item: T) => string;

/** Stable order: the chosen key (missing values last in either direction), then the item's id. */
function compare(va: SortValue, ia: string, vb: SortValue, ib: string, sign: number): number {
  if (va !== vb) {
    if (va === undefined) return 1;
    if (vb === undefined) return -1;
    return (va < vb ? -1 : 1) * sign;
  }
  return ia === ib ? 0 : ia < ib ? -1 : 1;
}

/**
 * A cursor into a sorted or filtered listing names the edge's item, not its offset: the list changes between
 * requests (decided requests leave it). Sorted, it resumes at the first item after (key `k`, id `i`); in MTurk's
 * order, after item `i`, else at the first of the following items `a` still listed.
 */
interface SnapshotCursor {
  k?: SortValue | null;
  i: string;
  a?: string[];
}

/** The listing's full scan (shared and cached), with whole items where its pages carry less, and its time. */
export function readSnapshot<T>(
  env: ListingEnv,
  q: Pick<ListingQuery<T>, "scope" | "fetchPage" | "scanPage" | "complete" | "scan">,
) {
  // The closures read the context's loaders, which are the scan's own while it runs as shared work.
  const scan = async () => {
    const items = q.scan
      ? await q.scan()
      : (await scanAll((token) => (q.scanPage ?? q.fetchPage)(token, MTURK_MAX_RESULTS))).items;
    return q.complete ? q.complete(items) : items;
  };
  return env.snapshots.read<T>(q.scope, scan, { waiter: env.waiter });
}

/**
 * A connection over an MTurk listing. A plain first/after walk pages over NextToken directly; ordering, page
 * numbers and filters read the listing's snapshot. The mode depends on the arguments only, so a cursor stays valid
 * whatever the client selects.
 */
export function resolveListing<T>(
  env: ListingEnv,
  q: ListingQuery<T>,
  args: ConnectionArgs,
): Promise<ListingConnection<T>> {
  return needsSnapshot(q) ? snapshotConnection(env, q, args) : tokenConnection(env, q, args);
}

async function tokenConnection<T>(env: ListingEnv, q: ListingQuery<T>, args: ConnectionArgs) {
  const walk = {
    codec: env.codec,
    scope: JSON.stringify(q.scope),
    args,
    maxPageSize: env.maxPageSize,
    source: {
      fetchPage: q.fetchPage,
      directPage: q.scanPage,
      idOf: idOfScope<T>(q.scope),
      view: env.snapshots.journal.view<T>(q.scope),
    },
  };
  const connection = env.streamEdges ? streamTokenConnection(walk) : await resolveTokenConnection(walk);
  const readAt = new Date();
  let counted: Promise<{ items: T[]; at: number }> | undefined;
  // Getters, not values: the full scan runs only when totalCount is selected.
  return Object.defineProperties(connection as ListingConnection<T>, {
    pageNumber: { value: null, enumerable: true },
    totalCount: {
      get: () => {
        counted ??= readSnapshot(env, q);
        return counted.then((s) => s.items.length);
      },
      enumerable: true,
    },
    // The page was read now; a count comes from the snapshot. Sibling fields all start before a microtask runs,
    // so whether totalCount was selected is known then, whatever the order of the fields.
    asOf: {
      get: () => Promise.resolve().then(() => counted?.then((s) => new Date(s.at)) ?? readAt),
      enumerable: true,
    },
  });
}

/** The page's window: a page number, or first/after (a cursor of this ordering names an item). */
function pageWindow<T>(
  env: ListingEnv,
  q: ListingQuery<T>,
  args: ConnectionArgs,
  resume: (cursor: string) => number,
): { offset: number; count: number } {
  if (!q.page) return { offset: args.after ? resume(args.after) : 0, count: forwardPageSize(args, env.maxPageSize) };
  if (args.after != null || args.first != null || args.last != null || args.before != null)
    throw badInput("Give either page or first/after, not both.", { argument: "page" });
  const size = q.page.size ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(q.page.number) || q.page.number < 1)
    throw badInput("page.number starts at 1.", { argument: "page" });
  if (!Number.isInteger(size) || size < 1 || size > env.maxPageSize)
    throw badInput(`page.size must be between 1 and ${env.maxPageSize}.`, { argument: "page" });
  return { offset: (q.page.number - 1) * size, count: size };
}

async function snapshotConnection<T>(
  env: ListingEnv,
  q: ListingQuery<T>,
  args: ConnectionArgs,
): Promise<ListingConnection<T>> {
  const idOf = idOfScope<T>(q.scope);
  const snapshot = await readSnapshot(env, q);
  const key = q.orderBy ? q.sortKeys[q.orderBy.field] : undefined;
  if (q.orderBy && !key) throw badInput(`Cannot order by ${q.orderBy.field}.`, { argument: "orderBy" });
  const sign = q.orderBy?.direction === "DESC" ? -1 : 1;
  const cursorScope = JSON.stringify([...q.scope, "snapshot", q.orderBy ?? null, q.filter?.key ?? null]);
  // The filtered, sorted list is kept with the snapshot's array: concurrent pages of one ordering sort once.
  const items = derived(snapshot.items, cursorScope, () => {
    let list = q.filter ? snapshot.items.filter(q.filter.keep) : snapshot.items;
    if (key) list = [...list].sort((a, b) => compare(key(a), idOf(a), key(b), idOf(b), sign));
    return list;
  });
  const { offset, count } = pageWindow(env, q, args, (after) =>
    resumeAt(items, env.codec.decode<SnapshotCursor>(cursorScope, after), idOf, key, sign),
  );
  const cursorAt = (index: number) => {
    const item = items[index] as T;
    const cursor: SnapshotCursor = key
      ? { k: key(item) ?? null, i: idOf(item) }
      : { i: idOf(item), a: items.slice(index + 1, index + 3).map(idOf) };
    return env.codec.encode(cursorScope, cursor);
  };
  const edges = items.slice(offset, offset + count).map((node, i) => ({
    node,
    get cursor() {
      return cursorAt(offset + i);
    },
  }));
  return {
    edges,
    pageInfo: {
      hasNextPage: offset + edges.length < items.length,
      hasPreviousPage: offset > 0,
      get startCursor() {
        return edges.length ? cursorAt(offset) : null;
      },
      get endCursor() {
        return edges.length ? cursorAt(offset + edges.length - 1) : null;
      },
    },
    totalCount: items.length,
    pageNumber: q.page ? q.page.number : null,
    asOf: new Date(snapshot.at),
  };
}

/** The index of the first item after the cursor's item in the current list, whatever left the list since. */
function resumeAt<T>(
  items: T[],
  c: SnapshotCursor,
  idOf: (item: T) => string,
  key: SortKey<T> | undefined,
  sign: number,
) {
  if (key) {
    const k = c.k ?? undefined;
    let low = 0;
    let high = items.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      const item = items[mid] as T;
      if (compare(key(item), idOf(item), k, c.i, sign) <= 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }
  const at = items.findIndex((item) => idOf(item) === c.i);
  if (at >= 0) return at + 1;
  for (const anchor of c.a ?? []) {
    const found = items.findIndex((item) => idOf(item) === anchor);
    if (found >= 0) return found;
  }
  // The item and those after it left the list: start again, so that nothing is skipped.
  return 0;
}

export type { ListingItems };
