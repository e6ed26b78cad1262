import type { CursorCodec } from "./mturk/cursors.js";
import type { MTurkLoaders } from "./mturk/loaders.js";
import type { SnapshotCache } from "./mturk/snapshots.js";
import type { MTurkWrites } from "./mturk/writes.js";
import type { Principal } from "./security/auth.js";

/** What every resolver gets for one GraphQL request. Built fresh per request: loaders are never shared. */
export interface GatewayContext {
  /** Who is calling and with which scopes (authentication runs before the context is built). */
  principal: Principal;
  loaders: MTurkLoaders;
  /** Every MTurk write of the request; it keeps loaders and snapshots coherent after each write. */
  writes: MTurkWrites;
  codec: CursorCodec;
  maxPageSize: number;
  /** Full listings shared across requests (sorting, totals, page numbers, filters). */
  snapshots: SnapshotCache;
  /** What one full scan declares to the complexity limit. */
  scanCost: number;
  complexityLimit: { complexity: number; depth: number; breadth: number };
  /** The page size of the connection whose complexity is being computed (see connectionComplexity). */
  complexityPageSize?: number;
}
