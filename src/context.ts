import type { MTurkClient } from "@aws-sdk/client-mturk";
import type { Plugin } from "graphql-yoga";
import type { LiveHub } from "./live/hub.js";
import type { Mirror } from "./mirror/mirror.js";
import { Upstream } from "./mturk/client.js";
import type { CursorCodec } from "./mturk/cursors.js";
import type { IdempotencyStore } from "./mturk/idempotency.js";
import { type LoaderSettings, MTurkLoaders } from "./mturk/loaders.js";
import { claimantOf } from "./mturk/scheduler.js";
import type { RunningWork, SharedWork, Waiter } from "./mturk/sharedWork.js";
import type { StrategyHints } from "./mturk/strategies.js";
import { MTurkWrites } from "./mturk/writes.js";
import type { Metrics } from "./observability/metrics.js";
import { type Principal, UNRESTRICTED } from "./security/auth.js";

/** What every resolver gets for one GraphQL request. Built fresh per request: loaders are never shared. */
export interface GatewayContext {
  /** Who is calling and with which scopes (authentication runs before the context is built). */
  principal: Principal;
  loaders: MTurkLoaders;
  /** Every MTurk write of the request; it keeps loaders and the mirror coherent after each write. */
  writes: MTurkWrites;
  codec: CursorCodec;
  maxPageSize: number;
  /** The durable mirror of the account: sorting, totals, page numbers, filters, history, exports. */
  mirror: Mirror;
  /** The configured limits the prices (src/schema/cost.ts) and the bulk mutations read. */
  limits: Limits;
  /**
   * At the request's timeout: stops its upstream calls (queued ones are not sent) and says whether shared work it
   * waited for runs on (the TIMEOUT error's extensions then say when to retry).
   */
  cancel(): { stillRunning: true; retryAfterMs: number } | undefined;
  /** What the request's own upstream calls cost so far: attempts sent and their time in the rate budget's queue. */
  usage(): { attempts: number; queueMs: number };
  /** Who waits when the request waits for shared work (src/mturk/sharedWork.ts): its door, or the enclosing work's. */
  waiter: Waiter;
  /** The operation has `edges @stream`: connections yield edges window by window (set by useStreamedEdges). */
  streamEdges?: boolean;
  /** The subscriptions' hub (src/live): topics, pollers and event logs. */
  live?: LiveHub;
}

export interface Limits {
  /** What one full scan declares to the complexity limit. */
  scanCost: number;
  maxPageSize: number;
  maxBulkItems: number;
  /** The ids `nodes(ids:)` takes at most (MAX_NODES). */
  maxNodes?: number;
  complexity: { complexity: number; depth: number; breadth: number };
}

/** What outlives a request and every request's context is built from. */
export interface GatewayServices {
  client: MTurkClient;
  concurrency: number;
  maxUpstreamCalls: number;
  /** The rate budget's share of callers without a weight of their own (UPSTREAM_DEFAULT_WEIGHT). */
  defaultWeight: number;
  metrics?: Metrics;
  settings: LoaderSettings;
  hints: StrategyHints;
  mirror: Mirror;
  /** Work shared by requests (the mirror's refreshes): run on its own doors, detached from any request. */
  work: SharedWork;
  idempotency: IdempotencyStore;
  codec: CursorCodec;
  limits: Limits;
  live?: LiveHub;
}

/**
 * Makes `context` (yoga's context object for one request) a GatewayContext. Its upstream machinery (the limiter,
 * seven loaders, the writes) is built on first use: a request that needs no MTurk call (ids, __typename, a page
 * from the mirror) never pays for it. Installed on the object itself, not returned for envelop to merge: its
 * `Object.assign` would call the getters and build everything for every request.
 */
function installRequestContext(context: object, s: GatewayServices, request: Request): void {
  let upstream: Upstream | undefined;
  let loaders: MTurkLoaders | undefined;
  let writes: MTurkWrites | undefined;
  let cancelled: string | undefined;
  const up = () => {
    if (!upstream) {
      const created = new Upstream(s.client, {
        concurrency: s.concurrency,
        metrics: s.metrics,
        maxCalls: s.maxUpstreamCalls,
        // The caller's queue in the fair scheduler (authentication ran before the context was built).
        claimant: claimantOf((context as { principal?: Principal }).principal ?? UNRESTRICTED, s.defaultWeight),
        class: "interactive",
      });
      upstream = created;
      if (cancelled) created.cancel(cancelled);
      // A client that goes away stops the request's upstream calls.
      request.signal.addEventListener("abort", () => created.cancel("The client went away."), { once: true });
    }
    return upstream;
  };
  // Not enumerable: plugins spread the context (Prometheus's onResponse does, per request), which must not build them.
  const lazy = (get: () => unknown): PropertyDescriptor => ({ get, enumerable: false, configurable: true });
  const gateway = Object.assign(context, {
    codec: s.codec,
    maxPageSize: s.limits.maxPageSize,
    mirror: s.mirror,
    limits: s.limits,
    live: s.live,
    cancel() {
      cancelled = "The operation timed out.";
      const running = upstream?.cancel(cancelled, "timeout");
      return running && { stillRunning: true, retryAfterMs: running.retryAfterMs };
    },
    usage: () => upstream?.usage ?? { attempts: 0, queueMs: 0 },
  }) as GatewayContext;
  Object.defineProperties(context, {
    loaders: lazy(() => {
      // Inside shared work (a refresh this request started), the work's own loaders: its calls are no request's.
      const work = s.work.current();
      if (work) return loadersOfWork(work, s);
      loaders ??= new MTurkLoaders(up(), s.settings, s.hints, s.mirror);
      return loaders;
    }),
    waiter: lazy(() => (context as GatewayContext).loaders.upstream),
    writes: lazy(() => {
      writes ??= new MTurkWrites(up(), gateway.loaders, s.mirror, s.idempotency, s.live);
      return writes;
    }),
  });
}

/** One set of loaders per shared work, on its door: the caches of its scans, whichever request's code runs them. */
const workLoaders = new WeakMap<RunningWork, MTurkLoaders>();
function loadersOfWork(work: RunningWork, s: GatewayServices): MTurkLoaders {
  let found = workLoaders.get(work);
  if (!found) {
    found = new MTurkLoaders(work.door, s.settings, s.hints, s.mirror);
    workLoaders.set(work, found);
  }
  return found;
}

/** The plugin that makes every request's context a GatewayContext (see installRequestContext). */
export function useRequestContext(services: GatewayServices): Plugin {
  return {
    onContextBuilding: ({ context }) =>
      installRequestContext(context, services, (context as unknown as { request: Request }).request),
  };
}
