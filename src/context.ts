import type { MTurkLoaders } from "./mturk/loaders.js";
import type { ConnectionArgs, CursorCodec, FetchPage } from "./mturk/pagination.js";
import { resolveTokenConnection } from "./mturk/pagination.js";

/** What every resolver gets for one GraphQL request. Built fresh per request: loaders are never shared. */
export interface GatewayContext {
  loaders: MTurkLoaders;
  codec: CursorCodec;
  maxPageSize: number;
}

/** A Relay connection over one NextToken listing; `scope` names the listing and its arguments for the cursors. */
export function tokenConnection<T>(
  ctx: GatewayContext,
  scope: unknown[],
  args: ConnectionArgs,
  fetchPage: FetchPage<T>,
) {
  return resolveTokenConnection({
    codec: ctx.codec,
    scope: JSON.stringify(scope),
    args,
    maxPageSize: ctx.maxPageSize,
    fetchPage,
  });
}
