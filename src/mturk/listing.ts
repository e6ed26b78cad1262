import { badInput } from "./errors.js";
import {
  type Connection,
  type ConnectionArgs,
  type CursorCodec,
  type FetchPage,
  forwardPageSize,
  MTURK_MAX_RESULTS,
  resolveTokenConnection,
  scanAll,
  type UpstreamPage,
} from "./pagination.js";
import type { SnapshotCache } from "./snapshots.js";

export type OrderDirection = "ASC" | "DESC";
export type SortKey<T> = (item: T) => string | number | undefined;

/** One connection over an MTurk listing, with the legacy features the client asked for. */
export interface ListingQuery<T> {
  /** The upstream operation and its arguments: names the snapshot and binds cursors. */
  scope: unknown[];
  fetchPage: FetchPage<T>;
  /** How a full scan reads a page, when it must bypass strategies that answer first pages without a NextToken. */
  scanPage?: (token: string | undefined) => Promise<UpstreamPage<T>>;
  /** The item's own id: the tie-breaker that keeps sorted pages from overlapping. */
  idOf: (item: T) => string;
  sortKeys: Record<string, SortKey<T>>;
  orderBy?: { field: string; direction?: OrderDirection | null } | null;
  page?: { number: number; size?: number | null } | null;
  /** A filter MTurk cannot apply upstream; `key` describes it for cursors. */
  filter?: { key: unknown; keep: (item: T) => boolean };
  /** Whether `totalCount` is selected. */
  wantsTotal: boolean;
}

export type ListingConnection<T> = Connection<T> & { totalCount?: number; pageNumber?: number | null };

export interface ListingEnv {
  codec: CursorCodec;
  maxPageSize: number;
  snapshots: SnapshotCache;
}

/** The legacy API's default page size (GetHITsForQualificationType: 1 to 100, default 10). */
export const DEFAULT_PAGE_SIZE = 10;

/** Whether a query needs the whole list: ordering, a page number, a filter or a total. */
export const needsSnapshot = <T>(q: Pick<ListingQuery<T>, "orderBy" | "page" | "filter" | "wantsTotal">) =>
  !!q.orderBy || !!q.page || !!q.filter || q.wantsTotal;

export const snapshotKey = (scope: unknown[]) => JSON.stringify(scope);

/** Stable order: the chosen key (missing values last in either direction), then the item's id. */
function comparator<T>(key: SortKey<T>, direction: OrderDirection, idOf: (item: T) => string) {
  const sign = direction === "DESC" ? -1 : 1;
  return (a: T, b: T) => {
    const va = key(a);
    const vb = key(b);
    if (va !== vb) {
      if (va === undefined) return 1;
      if (vb === undefined) return -1;
      return (va < vb ? -1 : 1) * sign;
    }
    const ia = idOf(a);
    const ib = idOf(b);
    return ia === ib ? 0 : ia < ib ? -1 : 1;
  };
}

/**
 * A connection over an MTurk listing. A plain first/after walk pages over NextToken directly; ordering, page
 * numbers, filters and totals read the listing's snapshot, and their cursors are offsets into it.
 */
export async function resolveListing<T>(
  env: ListingEnv,
  q: ListingQuery<T>,
  args: ConnectionArgs,
): Promise<ListingConnection<T>> {
  if (!needsSnapshot(q))
    return resolveTokenConnection({
      codec: env.codec,
      scope: JSON.stringify(q.scope),
      args,
      maxPageSize: env.maxPageSize,
      fetchPage: q.fetchPage,
    });

  const all = await env.snapshots.get(snapshotKey(q.scope), () =>
    scanAll(q.scanPage ?? ((token) => q.fetchPage(token, MTURK_MAX_RESULTS))).then((scan) => scan.items),
  );
  let items = q.filter ? all.filter(q.filter.keep) : all;
  if (q.orderBy) {
    const key = q.sortKeys[q.orderBy.field];
    if (!key) throw badInput(`Cannot order by ${q.orderBy.field}.`, { argument: "orderBy" });
    items = [...items].sort(comparator(key, q.orderBy.direction ?? "ASC", q.idOf));
  }
  const cursorScope = JSON.stringify([...q.scope, "snapshot", q.orderBy ?? null, q.filter?.key ?? null]);

  let offset: number;
  let count: number;
  if (q.page) {
    if (args.after != null || args.first != null || args.last != null || args.before != null)
      throw badInput("Give either page or first/after, not both.", { argument: "page" });
    const size = q.page.size ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(q.page.number) || q.page.number < 1)
      throw badInput("page.number starts at 1.", { argument: "page" });
    if (!Number.isInteger(size) || size < 1 || size > env.maxPageSize)
      throw badInput(`page.size must be between 1 and ${env.maxPageSize}.`, { argument: "page" });
    offset = (q.page.number - 1) * size;
    count = size;
  } else {
    count = forwardPageSize(args, env.maxPageSize);
    offset = args.after ? env.codec.decode<{ o: number }>(cursorScope, args.after).o + 1 : 0;
  }
  const edges = items.slice(offset, offset + count).map((node, i) => ({
    cursor: env.codec.encode(cursorScope, { o: offset + i }),
    node,
  }));
  return {
    edges,
    pageInfo: {
      hasNextPage: offset + edges.length < items.length,
      hasPreviousPage: offset > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: items.length,
    pageNumber: q.page ? q.page.number : null,
  };
}
