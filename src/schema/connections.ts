import type { GatewayContext } from "../context.js";
import { type ListingConnection, type ListingQuery, needsMirror, resolveListing } from "../mturk/listing.js";
import type { ConnectionArgs } from "../mturk/pagination.js";
import { builder } from "./builder.js";
import { enumValues } from "./common.js";

const OrderDirectionEnum = builder.enumType("OrderDirection", {
  description: "Sort direction, as the legacy API's SortDirection (Ascending, Descending).",
  values: {
    ASC: { value: "ASC", description: "Ascending (the legacy default)." },
    DESC: { value: "DESC", description: "Descending." },
  },
});

const PageInput = builder.inputType("PageInput", {
  description:
    "Page-number access, as the legacy PageNumber/PageSize: page `number` (1-based) of `size` items of the ordered, filtered list. Use it instead of first/after; the connection's `pageNumber` and `totalCount` say where it sits. Served from the gateway's mirror of the account (see docs/mirror.md).",
  fields: (t) => ({
    number: t.int({ required: true, description: "The page, starting at 1 (PageNumber)." }),
    size: t.int({ defaultValue: 10, description: "Items per page, 1 to MAX_PAGE_SIZE; default 10 (PageSize)." }),
  }),
});

const DataSourceEnum = builder.enumType("DataSource", {
  description: "Where a page came from.",
  values: {
    MIRROR: {
      value: "mirror",
      description:
        "The gateway's durable mirror of the account, as MTurk was at `asOf` (with the gateway's own writes since applied): sorted, paged, counted and filtered lists, and any list while MTurk is unavailable.",
    },
    MTURK: {
      value: "mturk",
      description:
        "MTurk itself, read for this request: plain first/after walks, and every list while the mirror's database is unavailable.",
    },
  },
});

/** Fields every connection has beside edges and pageInfo: the legacy API's total and page number. */
builder.globalConnectionFields((t) => ({
  totalCount: t.int({
    nullable: false,
    description:
      "How many items the whole (filtered) list has, exactly. MTurk gives no totals: this counts the gateway's mirror of the listing (refreshed from MTurk first when older than MIRROR_MAX_AGE_MS; see README: the mirror).",
    // Its refresh is priced on the connection field (see cost.ts).
    complexity: 0,
    resolve: (connection) => connection.totalCount,
  }),
  pageNumber: t.int({
    description: "The page number when the connection was asked for a `page` (legacy PageNumber), else null.",
    complexity: 0,
    resolve: (connection) => connection.pageNumber,
  }),
  source: t.field({
    type: DataSourceEnum,
    nullable: false,
    description: "Whether this page came from the gateway's mirror of the account or from MTurk for this request.",
    complexity: 0,
    resolve: (connection) => connection.source ?? "mturk",
  }),
  asOf: t.field({
    type: "DateTime",
    nullable: false,
    description:
      "When MTurk was read for this page: now for a plain first/after walk; for sorted, filtered, paged or counted lists, when the gateway's mirror last read the listing whole from MTurk (the gateway's own writes since are applied to it; MIRROR_MAX_AGE_MS bounds it while MTurk answers). See README: the mirror.",
    complexity: 0,
    resolve: (connection) => connection.asOf,
  }),
}));

/**
 * The `orderBy` and `page` arguments of an entity's connections (`legacy` where the legacy API paged it:
 * PageNumber/PageSize, SortProperty/SortDirection), with its `<Entity>Order` input (see orderInput).
 */
export function listingArgs(
  entity: string,
  orderFields: Record<string, string>,
  legacy: { page?: boolean; sort?: boolean } = {},
) {
  const order = orderInput(entity, orderFields);
  return builder.args((t) => ({
    orderBy: t.field({
      type: order,
      description: legacy.sort ? "Sort order (legacy SortProperty/SortDirection)." : "Sort order.",
    }),
    page: t.field({
      type: PageInput,
      description: legacy.page
        ? "Page-number access (legacy PageNumber/PageSize) instead of first/after."
        : "Page-number access instead of first/after.",
    }),
  }));
}

/** An `orderBy` input for one entity: `{ field: <Entity>OrderField, direction: OrderDirection = ASC }`. */
function orderInput(entity: string, fields: Record<string, string>) {
  const fieldEnum = builder.enumType(`${entity}OrderField`, {
    description: `What ${entity} items can be ordered by (the gateway sorts; MTurk cannot).`,
    values: enumValues(Object.entries(fields)),
  });
  return builder.inputType(`${entity}Order`, {
    description: `Ordering of ${entity} items; ties are broken by id, so pages never overlap.`,
    fields: (t) => ({
      field: t.field({ type: fieldEnum, required: true, description: "The key to sort by." }),
      direction: t.field({ type: OrderDirectionEnum, defaultValue: "ASC", description: "ASC (default) or DESC." }),
    }),
  });
}

interface ListingArgs extends ConnectionArgs {
  orderBy?: { field: string; direction?: "ASC" | "DESC" | null } | null;
  page?: { number: number; size?: number | null } | null;
}

/** Resolves a connection field over an MTurk listing with the client's ordering, page, filter and totalCount. */
/** What Pothos's connection fields accept: the listing's lazy cursors are promises graphql-js awaits. */
export type ConnectionResult<T> = {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
  pageNumber: number | null;
  asOf: Date;
  source?: "mirror" | "mturk";
};

export function listing<T>(
  ctx: GatewayContext,
  args: ListingArgs,
  query: Omit<ListingQuery<T>, "orderBy" | "page">,
): Promise<ConnectionResult<T>> {
  return resolveListing(ctx, { ...query, orderBy: args.orderBy, page: args.page }, args).then(connectionResult);
}

/**
 * A listing's connection as Pothos's connection fields take it. Its cursors, hasNextPage and totalCount may be
 * promises (read only when selected), which Pothos's shape does not admit: graphql-js awaits any field's value.
 */
export const connectionResult = <T>(connection: ListingConnection<T>): ConnectionResult<T> =>
  connection as unknown as ConnectionResult<T>;

/**
 * A connection whose edges show another node than the listed item (a worker for a Qualification), keeping the item
 * on the edge as `edgeField`. Cursors stay lazy: reading one may need an upstream page.
 */
export function mapNodes<T, N>(connection: ConnectionResult<T>, node: (item: T) => N, edgeField?: string) {
  // Copied by descriptor: a spread would read totalCount's getter (a full scan) and the cursors'.
  const mapped = Object.defineProperties({}, Object.getOwnPropertyDescriptors(connection)) as ConnectionResult<N>;
  const map = (edge: ConnectionResult<T>["edges"][number]) => ({
    node: node(edge.node),
    ...(edgeField ? { [edgeField]: edge.node } : {}),
    get cursor() {
      return edge.cursor;
    },
  });
  // Streamed edges (`edges @stream`) are an async iterable: mapped as they arrive.
  const edges = connection.edges as ConnectionResult<T>["edges"] | AsyncIterable<ConnectionResult<T>["edges"][number]>;
  mapped.edges = (
    Symbol.asyncIterator in edges
      ? {
          async *[Symbol.asyncIterator]() {
            for await (const edge of edges) yield map(edge);
          },
        }
      : edges.map(map)
  ) as never;
  return mapped;
}

/**
 * A link's first upstream page, started early by `entityOrStub`: the same call the connection will make (cached for
 * it). Not when a cursor decides where to read, nor for ordering, page numbers and filters: those read the
 * mirror.
 */
export function prefetchFirstWindow(
  args: Record<string, unknown>,
  read: () => Promise<unknown>,
): Promise<unknown> | undefined {
  return args.after || needsMirror(args) ? undefined : read();
}
