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
  /** The configured limits the prices (src/schema/cost.ts) and the bulk mutations read. */
  limits: Limits;
  /** Stops the request's upstream calls: queued ones are not sent (timeout, client gone). */
  cancel(): void;
  /** The operation has `edges @stream`: connections yield edges window by window (set by useStreamedEdges). */
  streamEdges?: boolean;
}

export interface Limits {
  /** What one full scan declares to the complexity limit. */
  scanCost: number;
  maxPageSize: number;
  maxBulkItems: number;
  complexity: { complexity: number; depth: number; breadth: number };
}
