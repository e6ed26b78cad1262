import type { MirrorCursor, MirrorPage } from "../mirror/listings.js";
import type { Answer, Mirror, Source } from "../mirror/mirror.js";
import type { CursorCodec } from "./cursors.js";
import { badInput, codeOf } from "./errors.js";
import { type ListingOperation, listingIds, type Scope } from "./listings.js";
import {
  type Connection,
  type ConnectionArgs,
  type FetchPage,
  forwardPageSize,
  resolveTokenConnection,
} from "./pagination.js";
import type { Waiter } from "./sharedWork.js";
import { streamTokenConnection } from "./streaming.js";

type OrderDirection = "ASC" | "DESC";

/** One connection over an MTurk listing, with the legacy features the client asked for. */
export interface ListingQuery<T> {
  /** The upstream operation and its arguments: names the mirror's listing and binds cursors. */
  scope: Scope;
  fetchPage: FetchPage<T>;
  /** How a walk reads a page directly, when its first page came from a strategy's shared scan. */
  scanPage?: FetchPage<T>;
  orderBy?: { field: string; direction?: OrderDirection | null } | null;
  page?: { number: number; size?: number | null } | null;
  /** A filter MTurk cannot apply upstream (the mirror applies it: see ListingFilters in src/mirror/listings.ts). */
  filter?: object | null;
}

/** `totalCount` is read only when selected: a plain walk pays for the mirror's count only then. */
export type ListingConnection<T> = Connection<T> & {
  readonly totalCount: number | Promise<number>;
  pageNumber: number | null;
  /** When MTurk was read for this page (now for a live walk; the mirror's last read of the listing otherwise). */
  readonly asOf: Date | Promise<Date>;
  /** Whether the page came from the mirror or from MTurk for this request. */
  readonly source: Source | Promise<Source>;
};

export interface ListingEnv {
  codec: CursorCodec;
  maxPageSize: number;
  mirror: Mirror;
  /** The operation streams edges (`edges @stream`): plain walks yield each window's edges as it arrives. */
  streamEdges?: boolean;
  /** Who waits for a refresh of the mirror a read needs: the request's door (see SharedWork). */
  waiter?: Waiter;
}

/** The legacy API's default page size (GetHITsForQualificationType: 1 to 100, default 10). */
const DEFAULT_PAGE_SIZE = 10;

/** Whether a connection's arguments need the whole list: ordering, a page number or a filter. */
export const needsMirror = (q: { orderBy?: unknown; page?: unknown; filter?: unknown }) =>
  !!q.orderBy || !!q.page || !!q.filter;

const idOfScope = <T>(scope: Scope) => listingIds[scope[0] as ListingOperation] as (item: T) => string;

/** A mirror cursor names its item (sort value and ids), so a page resumes right after it whatever left the list. */
const mirrorCursorScope = <T>(q: ListingQuery<T>) =>
  JSON.stringify([...q.scope, "mirror", q.orderBy ?? null, q.filter ?? null]);

/**
 * A connection over an MTurk listing. A plain first/after walk pages over NextToken directly (always current);
 * ordering, page numbers, filters and totals read the mirror. A walk that MTurk cannot serve (an outage) goes on
 * from the mirror, and so does a walk whose cursor came from the mirror.
 */
export async function resolveListing<T>(
  env: ListingEnv,
  q: ListingQuery<T>,
  args: ConnectionArgs,
): Promise<ListingConnection<T>> {
  if (needsMirror(q)) return mirrorConnection(env, q, args);
  if (args.after && env.codec.accepts(mirrorCursorScope(q), args.after)) return mirrorConnection(env, q, args);
  try {
    return await tokenConnection(env, q, args);
  } catch (error) {
    if (!isOutage(error)) throw error;
    // MTurk is down: the mirror answers what it holds, from its first item when the cursor was MTurk's (nothing
    // is skipped); a mirror that never read the listing has nothing to say.
    return mirrorConnection(env, q, { ...args, after: undefined }, true).catch(() => {
      throw error;
    });
  }
}

const isOutage = (error: unknown) => codeOf(error) === "UPSTREAM_UNAVAILABLE";

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
      // MTurk's listings lag the gateway's own writes: the mirror remembers them.
      view: (items: T[]) => env.mirror.withOwnWrites(q.scope, items),
    },
  };
  const connection = env.streamEdges ? streamTokenConnection(walk) : await resolveTokenConnection(walk);
  const readAt = new Date();
  let counted: Promise<{ value: number; at: number; source: Source }> | undefined;
  // Getters, not values: the count runs only when totalCount is selected.
  return Object.defineProperties(connection as ListingConnection<T>, {
    pageNumber: { value: null, enumerable: true },
    totalCount: {
      get: () => {
        counted ??= env.mirror.listingCount(q.scope, q.filter, env.waiter);
        return counted.then((c) => c.value);
      },
      enumerable: true,
    },
    // The page was read now; a count comes from the mirror. Sibling fields all start before a microtask runs,
    // so whether totalCount was selected is known then, whatever the order of the fields.
    asOf: {
      get: () => Promise.resolve().then(() => counted?.then((c) => new Date(c.at)) ?? readAt),
      enumerable: true,
    },
    source: { value: "mturk", enumerable: true },
  });
}

/** The page's window: a page number, or first/after (a cursor of this ordering names an item). */
function pageWindow(
  env: ListingEnv,
  q: { page?: ListingQuery<unknown>["page"] },
  args: ConnectionArgs,
): { offset: number; count: number } {
  if (!q.page) return { offset: 0, count: forwardPageSize(args, env.maxPageSize) };
  if (args.after != null || args.first != null || args.last != null || args.before != null)
    throw badInput("Give either page or first/after, not both.", { argument: "page" });
  const size = q.page.size ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(q.page.number) || q.page.number < 1)
    throw badInput("page.number starts at 1.", { argument: "page" });
  if (!Number.isInteger(size) || size < 1 || size > env.maxPageSize)
    throw badInput(`page.size must be between 1 and ${env.maxPageSize}.`, { argument: "page" });
  return { offset: (q.page.number - 1) * size, count: size };
}

async function mirrorConnection<T>(
  env: ListingEnv,
  q: ListingQuery<T>,
  args: ConnectionArgs,
  offline = false,
): Promise<ListingConnection<T>> {
  const cursorScope = mirrorCursorScope(q);
  const { offset, count } = pageWindow(env, q, args);
  const after = args.after ? env.codec.decode<MirrorCursor>(cursorScope, args.after) : undefined;
  const answer = await env.mirror.listingPage<T>(
    q.scope,
    { orderBy: q.orderBy, filter: q.filter, after, offset, count },
    offline,
    env.waiter,
  );
  return pageConnection(env.codec, cursorScope, answer, {
    previous: offset > 0 || after !== undefined,
    pageNumber: q.page ? q.page.number : null,
    count: () => env.mirror.listingCount(q.scope, q.filter, env.waiter).then((c) => c.value),
  });
}

/** A connection over a page the mirror answered; its cursors name their items, its count runs when selected. */
export function pageConnection<T>(
  codec: CursorCodec,
  cursorScope: string,
  answer: Answer<MirrorPage<T>>,
  options: { previous: boolean; pageNumber: number | null; count: () => Promise<number> },
): ListingConnection<T> {
  const { items, cursors, more } = answer.value;
  const cursorAt = (index: number) => codec.encode(cursorScope, cursors[index]);
  const edges = items.map((node, i) => ({
    node,
    get cursor() {
      return cursorAt(i);
    },
  }));
  let total: Promise<number> | undefined;
  return {
    edges,
    pageInfo: {
      hasNextPage: more,
      hasPreviousPage: options.previous,
      get startCursor() {
        return edges.length ? cursorAt(0) : null;
      },
      get endCursor() {
        return edges.length ? cursorAt(edges.length - 1) : null;
      },
    },
    get totalCount() {
      total ??= options.count();
      return total;
    },
    pageNumber: options.pageNumber,
    asOf: new Date(answer.at),
    source: answer.source,
  };
}
