import { GraphQLError } from "graphql";
import type { GatewayContext } from "../context.js";

/**
 * Prices for the complexity limit, declared on the field that causes the calls: a price is an upper bound of the
 * upstream calls the field makes, so no alias, fragment or order of fields can buy calls it did not pay for.
 * (Pure functions of a field's arguments: the plugin caches a fragment's price and multiplies it by its parent's.)
 */

const DEFAULT_MAX_NODES = 100;

/** MTurk's largest page: a walk reads windows of 100. */
const WINDOW = 100;
const DEFAULT_FIRST = 10;

interface ConnectionArgs {
  first?: number | null;
  page?: { size?: number | null } | null;
}

/**
 * A connection: its own calls and its page size multiplying everything selected under it. Its own calls are the
 * windows its page needs (one more to learn what follows) and one full scan: for ordering, page numbers and
 * filters, or for `totalCount`. The scan is priced here, not on `totalCount`: a field under the connection is
 * multiplied by the page size, and a count is one scan whatever the page.
 */
export function connectionCost(args: ConnectionArgs, ctx: GatewayContext) {
  const size = Math.min(
    Math.max(0, args.page ? (args.page.size ?? DEFAULT_FIRST) : (args.first ?? DEFAULT_FIRST)),
    ctx.limits.maxPageSize,
  );
  return { field: Math.ceil(size / WINDOW) + 1 + ctx.limits.scanCost, multiplier: Math.max(1, size) };
}

type GlobalId = { typename: string; id: string };

/** A node by global id: a Get, or a scan of its type's pending requests for a QualificationRequest (no Get exists). */
const nodeCost = (id: GlobalId, ctx: GatewayContext) =>
  id.typename === "QualificationRequest" ? ctx.limits.scanCost : 1;

export const singleNodeCost = (args: { id: GlobalId }, ctx: GatewayContext) => nodeCost(args.id, ctx);

/**
 * `nodes(ids:)`: one Get per id, and what is selected under each node, once per id. At most MAX_NODES ids: each is
 * a call queued at once, and a list of thousands would hold the caller's whole share of the rate budget in one request.
 */
export const nodesCost = (args: { ids: GlobalId[] }, ctx: GatewayContext) => {
  const maxNodes = ctx.limits.maxNodes ?? DEFAULT_MAX_NODES;
  if (args.ids.length > maxNodes)
    throw new GraphQLError(`nodes(ids:) takes at most ${maxNodes} ids (MAX_NODES); ${args.ids.length} were given.`, {
      extensions: { code: "QUERY_TOO_COMPLEX", kind: "nodes", ids: args.ids.length, maxNodes },
    });
  return { field: args.ids.reduce((sum, id) => sum + nodeCost(id, ctx), 0), multiplier: Math.max(1, args.ids.length) };
};

/**
 * A bulk mutation: one write per item (the items are capped at MAX_BULK_ITEMS before any call), and what is
 * selected under its payload once per item (each item's result reads its own objects). Items MTurk lists (a HIT's
 * submitted assignments) add the listing's scan.
 */
export const bulkCost = (items: number, ctx: GatewayContext, listing = 0) => {
  const count = Math.min(items, ctx.limits.maxBulkItems);
  return { field: count + 2 + listing, multiplier: Math.max(1, count) };
};

/**
 * Reviewable HITs: MTurk lists ids only, so sorting or filtering needs each whole HIT too (a GetHIT each, or the
 * ListHITs scan for more than a window of them).
 */
export function reviewableCost(args: ConnectionArgs, ctx: GatewayContext) {
  const cost = connectionCost(args, ctx);
  return { ...cost, field: cost.field + ctx.limits.scanCost + WINDOW };
}

/** Reading the work of some HITs afresh: a window per HIT for at most MAX_PAGE_SIZE HITs, and a scan. */
export const workListingCost = (ctx: GatewayContext) => ctx.limits.maxPageSize + ctx.limits.scanCost;

/**
 * A worker's history: one query of the mirror, and one refresh of the account's work when the mirror is older than
 * MIRROR_MAX_AGE_MS (priced as a scan; it is shared by every request that needs it meanwhile).
 */
export const workerStatsCost = (ctx: GatewayContext) => ctx.limits.scanCost;

/** A worker's assignments or bonuses: as stats, and the page size multiplying what is under it. */
export const workerHistoryCost = (args: ConnectionArgs, ctx: GatewayContext) => ({
  field: workerStatsCost(ctx),
  multiplier: Math.max(1, Math.min(args.first ?? DEFAULT_FIRST, ctx.limits.maxPageSize)),
});
