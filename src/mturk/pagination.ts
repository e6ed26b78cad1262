import type { MTurkClient } from "@aws-sdk/client-mturk";
import type { Upstream } from "./client.js";
import { type CursorCodec, idTag } from "./cursors.js";
import { badInput } from "./errors.js";
import { distinctIds } from "./listings.js";

/** MTurk's largest page (MaxResults 1..100). */
export const MTURK_MAX_RESULTS = 100;
/** Relay's `first` when a client gives none: the legacy API's default page size. */
const DEFAULT_FIRST = 10;
/**
 * Every NextToken read asks for the same MaxResults. Whether MTurk's tokens are positions, offsets or page numbers
 * is unknown; a page-number token names another window when read with another MaxResults, so a token is only ever
 * followed with the size that produced it. The largest size also makes a walk's later pages cost no extra call.
 */
const WINDOW = MTURK_MAX_RESULTS;
/** Items after an edge that its cursor remembers, so that a resume can find where to go on. */
export const ANCHORS = 3;

/** One upstream page. `more` says items follow although no NextToken is at hand (a page served from a scan). */
export interface UpstreamPage<T> {
  items: T[];
  nextToken?: string;
  more?: boolean;
}
export type FetchPage<T> = (token: string | undefined, maxResults: number) => Promise<UpstreamPage<T>>;

export interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** Cursors and hasNextPage may need one more upstream page: they are promises then, resolved only when selected. */
export interface Edge<T> {
  readonly cursor: string | Promise<string>;
  readonly node: T;
}
export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: {
    readonly hasNextPage: boolean | Promise<boolean>;
    hasPreviousPage: boolean;
    readonly startCursor: string | Promise<string> | null;
    readonly endCursor: string | Promise<string> | null;
  };
}

/** How a token connection reads its listing. */
export interface WindowSource<T> {
  /** One page; a first page may be served by a shared scan (then it has `more` and no NextToken). */
  fetchPage: FetchPage<T>;
  /** One page from MTurk itself, to continue after a page that a shared scan served. */
  directPage?: FetchPage<T>;
  idOf: (item: T) => string;
  /** The gateway's own recent writes applied to a page (MTurk may list a decided item for a while longer). */
  view?: (items: T[]) => T[] | Promise<T[]>;
}

/**
 * A token cursor names where to go on, not where the edge was: review queues lose items while they are walked,
 * and MTurk's tokens may be offsets that such removals shift. `a` are tags of the items that followed the edge
 * (the first sits in the window that token `t` reads, which starts `p` items into the walk); a resume goes on at
 * the first of them still listed. At the end of the list nothing followed: `r` tags the window's items up to the
 * edge, and a resume goes on after the last of them still listed.
 */
export interface TokenCursor {
  t: string | null;
  p: number;
  a?: string[];
  r?: string[];
}

export interface Window<T> {
  token: string | null;
  position: number;
  items: T[];
  /** The token of the following window; undefined at the end (no token, or an empty page). */
  next?: string;
  /** Items follow, but this page came from a shared scan and has no token. */
  more: boolean;
  tags?: string[];
}

export interface Taken<T> {
  item: T;
  window: Window<T>;
  index: number;
}

/** Reads the windows of one listing. */
export class Walk<T> {
  constructor(private readonly source: WindowSource<T>) {}

  async read(token: string | null, position: number, fetch = this.source.fetchPage): Promise<Window<T>> {
    const page = await fetch(token ?? undefined, WINDOW);
    const view = this.source.view;
    return {
      token,
      position,
      items: view ? await view(page.items) : page.items,
      // An empty page ends a listing even with a token (MTurk may send one on the last page).
      next: page.items.length > 0 ? page.nextToken : undefined,
      more: page.more === true && page.nextToken === undefined,
    };
  }

  /** The window after `w`, if the listing goes on. */
  async after(w: Window<T>): Promise<Window<T> | undefined> {
    const position = w.position + w.items.length;
    if (w.next !== undefined) return this.read(w.next, position);
    if (!w.more) return undefined;
    // A shared scan served `w` without a token: read it from MTurk to learn the token that follows.
    const direct = await this.read(w.token, w.position, this.source.directPage ?? this.source.fetchPage);
    return direct.next === undefined ? undefined : this.read(direct.next, position);
  }

  tags(w: Window<T>): string[] {
    w.tags ??= distinctIds(w.items, this.source.idOf).map(idTag);
    return w.tags;
  }

  /** The first anchor (in anchor order) listed in `w`: its rank among the anchors and its index in `w`. */
  find(w: Window<T>, anchors: string[]): Found<T> | undefined {
    const tags = this.tags(w);
    for (const [rank, anchor] of anchors.entries()) {
      const index = tags.indexOf(anchor);
      if (index >= 0) return { rank, w, i: index };
    }
    return undefined;
  }
}

interface Found<T> {
  rank: number;
  w: Window<T>;
  i: number;
}
const better = <T>(a: Found<T> | undefined, b: Found<T> | undefined) => (!a || (b && b.rank < a.rank) ? b : a);

const continues = <T>(w: Window<T>) => w.next !== undefined || w.more;

/** Where a cursor goes on: the window and index of the first item not yet returned. */
export async function locate<T>(walk: Walk<T>, c: TokenCursor): Promise<{ w: Window<T>; i: number }> {
  const w = await walk.read(c.t, c.p);
  if (c.r) {
    const returned = new Set(c.r);
    const tags = walk.tags(w);
    let last = -1;
    for (const [k, tag] of tags.entries()) if (returned.has(tag)) last = k;
    return { w, i: last + 1 };
  }
  const anchors = c.a ?? [];
  let found = walk.find(w, anchors);
  if (found?.rank === 0) return found;
  const following = await walk.after(w);
  if (following) found = better(found, walk.find(following, anchors));
  if (found?.rank === 0) return found;
  // The first anchor is not where it was. Offset tokens: items removed before the token moved it to an earlier
  // position; look for it from the start (removals only move items earlier). A later anchor found where the first
  // was expected is no proof: the first may sit just before the window.
  if (c.t !== null)
    for (let s: Window<T> | undefined = await walk.read(null, 0); s; s = await walk.after(s)) {
      found = better(found, walk.find(s, anchors));
      if (found?.rank === 0 || s.position > c.p + 2 * WINDOW) break;
    }
  // Every anchor left the list (another tool decided them): start again, so that no item is skipped.
  return found ?? { w: await walk.read(null, 0), i: 0 };
}

/** Checks Relay arguments: forward paging only, `first` within 0..max. */
export function forwardPageSize(args: ConnectionArgs, maxPageSize: number): number {
  if (args.last != null || args.before != null)
    throw badInput(
      "Backward paging (last/before) is not supported: MTurk's NextToken only moves forward. Use first/after.",
      { argument: args.last != null ? "last" : "before" },
    );
  const first = args.first ?? DEFAULT_FIRST;
  if (!Number.isInteger(first) || first < 0 || first > maxPageSize)
    throw badInput(`first must be between 0 and ${maxPageSize}.`, { argument: "first" });
  return first;
}

/** A value that may still need an upstream page, mapped without awaiting when it is at hand. */
const then = <A, B>(value: A | Promise<A>, map: (a: A) => B): B | Promise<B> =>
  value instanceof Promise ? value.then(map) : map(value);

/**
 * A Relay connection over a NextToken listing. Reads windows of WINDOW items; an edge's cursor remembers the items
 * that follow it; hasNextPage is true only when an item follows (MTurk may send a NextToken on its last page).
 */
export async function resolveTokenConnection<T>(options: {
  codec: CursorCodec;
  scope: string;
  args: ConnectionArgs;
  maxPageSize: number;
  source: WindowSource<T>;
}): Promise<Connection<T>> {
  const { codec, scope, args } = options;
  const wanted = forwardPageSize(args, options.maxPageSize);
  const walk = new Walk(options.source);
  const start = args.after
    ? await locate(walk, codec.decode<TokenCursor>(scope, args.after))
    : { w: await walk.read(null, 0), i: 0 };
  let w: Window<T> | undefined = start.w;
  let i = start.i;
  const from = (x: Window<T> | undefined, k: number, n: number): Taken<T>[] =>
    x ? x.items.slice(k, k + n).map((item, d) => ({ item, window: x, index: k + d })) : [];
  const taken: Taken<T>[] = [];
  while (w && taken.length < wanted) {
    if (i < w.items.length) {
      const some = from(w, i, wanted - taken.length);
      taken.push(...some);
      i += some.length;
    } else {
      w = await walk.after(w);
      i = 0;
    }
  }
  const last = w;
  const lastIndex = i;
  let more: Promise<Taken<T>[]> | undefined;
  /** Up to ANCHORS items after the page: the rest of its window, then one more window only when needed. */
  const rest = (): Taken<T>[] | Promise<Taken<T>[]> => {
    const known = from(last, lastIndex, ANCHORS);
    if (known.length >= ANCHORS || !last || !continues(last)) return known;
    more ??= walk.after(last).then((next) => [...known, ...from(next, 0, ANCHORS - known.length)]);
    return more;
  };
  const cursorOf = (edge: Taken<T>, j: number): string | Promise<string> => {
    const inPage = taken.slice(j + 1, j + 1 + ANCHORS);
    const encode = (followers: Taken<T>[]) => codec.encode(scope, tokenCursor(walk, edge, followers));
    return inPage.length >= ANCHORS ? encode(inPage) : then(rest(), (r) => encode([...inPage, ...r]));
  };
  const edges: Edge<T>[] = taken.map((t, j) => ({
    node: t.item,
    get cursor() {
      return cursorOf(t, j);
    },
  }));
  const first = taken[0];
  const lastTaken = taken.at(-1);
  const lastItemFollows = () =>
    last && lastIndex < last.items.length ? true : then(rest(), (r: Taken<T>[]) => r.length > 0);
  return {
    edges,
    pageInfo: {
      get hasNextPage() {
        return lastItemFollows();
      },
      hasPreviousPage: args.after != null,
      get startCursor() {
        return first ? cursorOf(first, 0) : null;
      },
      get endCursor() {
        return lastTaken ? cursorOf(lastTaken, taken.length - 1) : null;
      },
    },
  };
}

export function tokenCursor<T>(walk: Walk<T>, edge: Taken<T>, followers: Taken<T>[]): TokenCursor {
  const anchors = followers.slice(0, ANCHORS);
  const first = anchors[0];
  if (first)
    return {
      t: first.window.token,
      p: first.window.position,
      a: anchors.map((f) => walk.tags(f.window)[f.index] ?? ""),
    };
  return { t: edge.window.token, p: edge.window.position, r: walk.tags(edge.window).slice(0, edge.index + 1) };
}

/**
 * A filter that keeps each item the first time it is seen. With offset or page tokens an item added before a
 * walk's position pushes the rest of the listing on, and the last items of a page come again on the next: ListHITs
 * lists newest first, so every HIT created during a scan does that.
 */
export function firstSight<T>(idOf: (item: T) => string): (item: T) => boolean {
  const seen = new Set<string>();
  return (item) => {
    const id = idOf(item);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  };
}

/** Reads the page of a listing after `token` (undefined: the first page), always MaxResults 100. */
export type PageReader<T> = (token: string | undefined) => Promise<UpstreamPage<T>>;

/** A page of a listing read on by NextToken; `last` says none follows. */
export interface ListedPage<T> {
  items: T[];
  last: boolean;
}

/**
 * The pages of a listing, read one at a time as the consumer asks (the one NextToken loop: scans, polls, exports
 * and the mirror's refreshes go through it). The SDK's paginators (paginateListHITs…) do not fit: they send on a
 * real MTurkClient, past the door (Upstream.call) and the request's page cache, and they read on after an empty page.
 * Ends at a page without a token or an empty page (MTurk may send a token on its last page); `more` is asked before
 * each read, and returning false cuts the listing short (the generator then returns false, else true).
 */
export async function* eachPage<T>(
  read: PageReader<T>,
  more: () => boolean = () => true,
): AsyncGenerator<ListedPage<T>, boolean> {
  let token: string | undefined;
  do {
    if (!more()) return false;
    const page = await read(token);
    // A page served from a strategy's scan has no NextToken to go on with; reading on must not stop there.
    if (page.more && page.nextToken === undefined) throw new Error("A full scan was given a page it cannot continue.");
    token = page.items.length > 0 ? page.nextToken : undefined;
    yield { items: page.items, last: token === undefined };
  } while (token !== undefined);
  return true;
}

/** Every item of a listing (see eachPage); `complete` is false when `more` cut it short. */
export async function scanAll<T>(
  read: PageReader<T>,
  more?: () => boolean,
): Promise<{ items: T[]; complete: boolean }> {
  const items: T[] = [];
  const pages = eachPage(read, more);
  for (;;) {
    const next = await pages.next();
    if (next.done) return { items, complete: next.value };
    items.push(...next.value.items);
  }
}

/**
 * Reads pages straight from MTurk through a door, not through a request's loaders (whose caches would keep every
 * page): for polls and exports.
 */
export const directPages =
  <R extends { NextToken?: string }, T>(
    upstream: Upstream,
    operation: string,
    send: (client: MTurkClient, NextToken: string | undefined) => Promise<R>,
    items: (r: R) => T[] | undefined,
  ): PageReader<T> =>
  async (token) => {
    const r = await upstream.call(operation, (c) => send(c, token));
    return { items: items(r) ?? [], nextToken: r.NextToken };
  };
