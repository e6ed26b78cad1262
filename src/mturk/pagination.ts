import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { badInput } from "./errors.js";

/** MTurk's largest page (MaxResults 1..100). */
export const MTURK_MAX_RESULTS = 100;
/** Relay's `first` when a client gives none: the legacy API's default page size. */
export const DEFAULT_FIRST = 10;

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

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/**
 * Where an edge sits upstream: index `i` of the page that NextToken `t` (null: the first page) returns at
 * MaxResults `s`. Resuming after it re-reads that page, unless the edge ended its page (then `t` is the next
 * page's token and `i` is -1), so a walk that follows endCursor costs no extra call.
 */
interface TokenPosition {
  t: string | null;
  i: number;
  s: number;
}

/** Signs and checks cursors, so a client can neither forge one nor use one on another connection. */
export class CursorCodec {
  private readonly secret: Buffer;

  constructor(secret?: string) {
    this.secret = secret ? Buffer.from(secret) : randomBytes(32);
  }

  private mac(body: string): string {
    return createHmac("sha256", this.secret).update(body).digest("base64url").slice(0, 22);
  }

  encode(scope: string, position: unknown): string {
    const body = Buffer.from(JSON.stringify({ c: scopeHash(scope), p: position })).toString("base64url");
    return `${body}.${this.mac(body)}`;
  }

  decode<P>(scope: string, cursor: string): P {
    const [body = "", mac = ""] = cursor.split(".");
    const expected = this.mac(body);
    if (mac.length !== expected.length || !timingSafeEqual(Buffer.from(mac), Buffer.from(expected)))
      throw badInput("The cursor is malformed or was not issued by this gateway.", { argument: "after" });
    const parsed = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as { c: string; p: P };
    if (parsed.c !== scopeHash(scope))
      throw badInput("The cursor belongs to another connection or other arguments.", { argument: "after" });
    return parsed.p;
  }
}

const scopeHash = (scope: string) => createHash("sha256").update(scope).digest("base64url").slice(0, 12);

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

/**
 * A Relay connection over a NextToken listing: fetches as few upstream pages as `first` needs (MaxResults
 * `first`, at most 100 a page), and knows hasNextPage from the last page's NextToken.
 */
export async function resolveTokenConnection<T>(options: {
  codec: CursorCodec;
  scope: string;
  args: ConnectionArgs;
  maxPageSize: number;
  fetchPage: FetchPage<T>;
}): Promise<Connection<T>> {
  const { codec, scope, args } = options;
  const wanted = forwardPageSize(args, options.maxPageSize);
  const start: TokenPosition = args.after ? codec.decode<TokenPosition>(scope, args.after) : { t: null, i: -1, s: 0 };
  const edges: Connection<T>["edges"] = [];
  let token = start.t;
  let skip = start.i + 1;
  // Re-reading a page to resume inside it needs the same page size; a fresh page needs only what is missing.
  let size = start.i >= 0 ? start.s : Math.min(MTURK_MAX_RESULTS, Math.max(wanted, 1));
  let hasNextPage = false;
  for (;;) {
    const page = await options.fetchPage(token ?? undefined, size);
    const items = page.items;
    let index = skip;
    for (; index < items.length && edges.length < wanted; index += 1) {
      const endsPage = index === items.length - 1 && page.nextToken !== undefined;
      const position: TokenPosition = endsPage
        ? { t: page.nextToken as string, i: -1, s: 0 }
        : { t: token, i: index, s: size };
      edges.push({ cursor: codec.encode(scope, position), node: items[index] as T });
    }
    if (edges.length >= wanted) {
      hasNextPage = index < items.length || page.nextToken !== undefined || page.more === true;
      break;
    }
    if (page.nextToken === undefined) {
      hasNextPage = page.more === true;
      break;
    }
    token = page.nextToken;
    skip = 0;
    size = Math.min(MTURK_MAX_RESULTS, wanted - edges.length);
  }
  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage: args.after != null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/**
 * Every item of a listing, page by page. The SDK's paginators insist on a bare MTurkClient, which would skip the
 * request's limiter, counters and page cache; this loop goes through them. Stops early when `more` says no.
 */
export async function scanAll<T>(
  fetchPage: (token: string | undefined) => Promise<UpstreamPage<T>>,
  more: () => boolean = () => true,
): Promise<{ items: T[]; complete: boolean }> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    if (!more()) return { items, complete: false };
    const page = await fetchPage(token);
    // A page served from a strategy's scan has no NextToken to go on with; a full scan must not stop there.
    if (page.more && page.nextToken === undefined) throw new Error("A full scan was given a page it cannot continue.");
    items.push(...page.items);
    token = page.nextToken;
  } while (token !== undefined);
  return { items, complete: true };
}
