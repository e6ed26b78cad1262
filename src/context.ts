import type { MTurkLoaders } from "./mturk/loaders.js";
import type { CursorCodec } from "./mturk/pagination.js";
import type { SnapshotCache } from "./mturk/snapshots.js";

/** What every resolver gets for one GraphQL request. Built fresh per request: loaders are never shared. */
export interface GatewayContext {
  loaders: MTurkLoaders;
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
