import { readFileSync } from "node:fs";
import { GetAccountBalanceCommand, type MTurkClient } from "@aws-sdk/client-mturk";
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { useDisableIntrospection } from "@graphql-yoga/plugin-disable-introspection";
import { usePersistedOperations } from "@graphql-yoga/plugin-persisted-operations";
import { usePrometheus } from "@graphql-yoga/plugin-prometheus";
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import { GraphQLError } from "graphql";
import { createYoga, type Plugin, useReadinessCheck } from "graphql-yoga";
import type { Logger } from "pino";
import type { GatewayConfig } from "./config.js";
import { type GatewayContext, requestContext } from "./context.js";
import type { LiveHub } from "./live/hub.js";
import { createLiveHub } from "./live/index.js";
import { livePlugins } from "./live/plugins.js";
import { Upstream } from "./mturk/client.js";
import { CursorCodec } from "./mturk/cursors.js";
import { type IdempotencyStore, MemoryIdempotencyStore } from "./mturk/idempotency.js";
import { type SharedSnapshotStore, SnapshotCache } from "./mturk/snapshots.js";
import { StrategyHints } from "./mturk/strategies.js";
import { createLogger, useRequestLogging } from "./observability/logging.js";
import { createMetrics, type Metrics } from "./observability/metrics.js";
import { schema } from "./schema/index.js";
import { authEnabled, hasValidApiKey, type Principal, useAuthentication } from "./security/auth.js";
import { useHostCheck } from "./security/hosts.js";
import { useBodyLimit, useOperationTimeout } from "./security/limits.js";

/** Operations GraphiQL opens with: each walks the seeded account from a different starting point. */
export const EXAMPLE_OPERATIONS = `# Example operations over the seeded simulator. Pick one with the run button.

query PendingRequestsByType {
  qualificationTypes(first: 5) {
    edges {
      node {
        qualificationTypeId
        name
        status
        requests(first: 3) {
          edges { node { qualificationRequestId submitTime worker { workerId block { reason } } } }
          pageInfo { hasNextPage endCursor }
        }
      }
    }
  }
}

query HitsWithWork {
  hits(first: 5) {
    edges {
      node {
        hitId
        title
        status
        reward { formatted }
        qualificationRequirements { comparator integerValues qualificationType { name } }
        assignments(first: 3) {
          edges { node { assignmentId status worker { workerId } bonusPayments { edges { node { bonusAmount { formatted } } } } } }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}

query ReviewQueue {
  reviewableHits(first: 5) {
    edges { node { hitId title numberOfAssignmentsCompleted assignments(statuses: [Submitted]) { edges { node { assignmentId submitTime } } } } }
  }
  accountBalance { availableBalance { formatted } onHoldBalance { formatted } }
}

query BlockedWorkers {
  workerBlocks(first: 10) { edges { node { reason worker { workerId } } } }
}

# Live: each new pending request of a type as it arrives (server-sent events here; graphql-ws at ws://…/graphql).
# Put a qualificationTypeId from PendingRequestsByType in the variables, e.g. { "type": "3…" }, then have a worker
# ask for it: POST /_simulator/workers/<workerId>/qualification-requests on the simulator.
subscription LiveReviewQueue($type: String!) {
  qualificationRequestSubmitted(qualificationTypeId: $type) {
    qualificationRequestId submitTime answer worker { workerId block { reason } }
  }
}
`;

export interface GatewayOptions {
  config: GatewayConfig;
  client: MTurkClient;
  /** The registry the SDK client's middleware also counts into (see createMTurkClient). */
  metrics?: Metrics;
  logger?: Logger;
  /** What several instances share (src/fleet, with REDIS_URL); without it everything stays in this process. */
  shared?: SharedServices;
  /** The subscriptions' hub (src/live); by default one in memory, as the configuration says. */
  live?: LiveHub;
}

export interface SharedServices {
  snapshots: SharedSnapshotStore;
  idempotency: IdempotencyStore;
  codec: CursorCodec;
  plugins: Plugin[];
  /** Why this instance runs on per-instance fallbacks, if it does: /ready says so. */
  degraded(): string | undefined;
}

const READY_CACHE_MS = 5_000;

/**
 * /ready (yoga's readiness check): MTurk answers the gateway's credentials. One check in flight, shared by every
 * caller, and its answer kept READY_CACHE_MS: a flood of /ready costs MTurk one call per window. A degraded
 * instance (Redis away: per-instance fallbacks) still serves: a load balancer must not drop the fleet for it.
 */
function useReadiness(client: MTurkClient, degraded?: () => string | undefined): Plugin {
  let last: { at: number; ok: boolean } | undefined;
  let inFlight: Promise<boolean> | undefined;
  const probe = () =>
    new Upstream(client, 1)
      .call("GetAccountBalance", (c) => c.send(new GetAccountBalanceCommand({})))
      .then(
        () => true,
        () => false,
      );
  return useReadinessCheck({
    endpoint: "/ready",
    check: async () => {
      if (!last || Date.now() - last.at > READY_CACHE_MS) {
        inFlight ??= probe().finally(() => {
          inFlight = undefined;
        });
        last = { at: Date.now(), ok: await inFlight };
      }
      const reason = degraded?.();
      const status = last.ok ? (reason ? "degraded" : "ready") : "upstream unavailable";
      return new Response(JSON.stringify(reason ? { status, degraded: reason } : { status }), {
        status: last.ok ? 200 : 503,
        headers: { "content-type": "application/json" },
      });
    },
  });
}

/** /metrics needs an API key when authentication is on (only /health and /ready are open). */
function useMetricsAuth(config: GatewayConfig): Plugin {
  return {
    onRequest({ request, url, endResponse }) {
      if (url.pathname === "/metrics" && !hasValidApiKey(config.auth, request))
        endResponse(
          new Response(
            JSON.stringify({
              errors: [{ message: "An API key is required.", extensions: { code: "UNAUTHENTICATED" } }],
            }),
            {
              status: 401,
              headers: { "content-type": "application/json" },
            },
          ),
        );
    },
  };
}

function persistedOperations(file: string) {
  // A Map, not an object: a hash such as "__proto__" must find nothing.
  const store = new Map(Object.entries(JSON.parse(readFileSync(file, "utf8")) as Record<string, string>));
  return usePersistedOperations({
    getPersistedOperation: (hash) => store.get(hash) ?? null,
    allowArbitraryOperations: false,
  });
}

/** The GraphQL server (a yoga instance, usable with node:http or `yoga.fetch`). */
export function createGateway({
  config,
  client,
  metrics = createMetrics(),
  logger = createLogger(config.LOG_LEVEL),
  shared,
  live = createLiveHub({ config, client, metrics, logger }),
}: GatewayOptions) {
  const codec = shared?.codec ?? new CursorCodec(config.CURSOR_SECRET);
  // Learned listing lengths and snapshots outlive a request by design; loaders and their caches never do.
  const hints = new StrategyHints();
  const snapshots = new SnapshotCache({
    ttlMs: config.SNAPSHOT_TTL_MS,
    maxStaleMs: config.SNAPSHOT_MAX_STALE_MS,
    maxItems: config.SNAPSHOT_MAX_ITEMS,
    maxEntries: config.SNAPSHOT_MAX_ENTRIES,
    journalMs: config.WRITE_JOURNAL_MS,
    metrics,
    shared: shared?.snapshots,
  });
  const idempotency = shared?.idempotency ?? new MemoryIdempotencyStore();
  const limits = {
    scanCost: config.SCAN_COST,
    maxPageSize: config.MAX_PAGE_SIZE,
    maxBulkItems: config.MAX_BULK_ITEMS,
    complexity: { complexity: config.MAX_COMPLEXITY, depth: config.MAX_DEPTH, breadth: config.MAX_BREADTH },
  };
  const settings = {
    scoreScanThreshold: config.SCORE_SCAN_THRESHOLD,
    requestScanThreshold: config.REQUEST_SCAN_THRESHOLD,
  };
  const services = {
    client,
    concurrency: config.MTURK_MAX_CONCURRENCY,
    maxUpstreamCalls: config.maxUpstreamCalls,
    metrics,
    settings,
    hints,
    snapshots,
    idempotency,
    codec,
    limits,
    live,
  };
  const origins = config.CORS_ORIGINS?.split(",").map((o) => o.trim());
  return createYoga<Record<string, unknown>, GatewayContext>({
    schema,
    graphqlEndpoint: "/graphql",
    landingPage: false,
    graphiql: config.graphiql
      ? {
          title: "MTurk GraphQL gateway",
          defaultQuery: EXAMPLE_OPERATIONS,
          // Subscriptions in GraphiQL are SSE GETs: they carry the CSRF header that a cross-site page cannot send.
          additionalHeaders: { "x-graphql-csrf": "1" },
        }
      : false,
    // GraphiQL's assets are served from the package, not a CDN: it works on closed networks.
    renderGraphiQL,
    cors: corsFor(origins),
    logging: {
      debug: (...args) => logger.debug(args.map(String).join(" ")),
      info: (...args) => logger.info(args.map(String).join(" ")),
      warn: (...args) => logger.warn(args.map(String).join(" ")),
      error: (...args) => logger.error(args.map((a) => (a instanceof Error ? a.message : String(a))).join(" ")),
    },
    plugins: [
      ...(authEnabled(config.auth) ? [] : [useHostCheck([config.HOST, ...(config.ALLOWED_HOSTS?.split(",") ?? [])])]),
      useRequestLogging(logger),
      useReadiness(client, shared?.degraded),
      useMetricsAuth(config),
      useBodyLimit(config.MAX_BODY_BYTES),
      usePrometheus({
        endpoint: "/metrics",
        registry: metrics.registry,
        // Only these (the plugin turns every other on by default), with labels from bounded sets: an operation
        // name or a URL is the caller's text and would grow the registry without bound.
        metrics: {
          graphql_yoga_http_duration: true,
          graphql_envelop_request_duration: true,
          graphql_envelop_error_result: true,
          graphql_envelop_phase_execute: true,
          graphql_envelop_deprecated_field: false,
          graphql_envelop_request: false,
          graphql_envelop_request_time_summary: false,
          graphql_envelop_phase_parse: false,
          graphql_envelop_phase_validate: false,
          graphql_envelop_phase_context: false,
          graphql_envelop_phase_subscribe: false,
          graphql_envelop_schema_change: false,
          graphql_envelop_execute_resolver: false,
        },
        labels: { operationName: false, url: false, path: false, fieldName: false, typeName: false },
      }),
      useCSRFPrevention({ requestHeaders: ["x-graphql-csrf"] }),
      ...(config.PERSISTED_OPERATIONS_FILE ? [persistedOperations(config.PERSISTED_OPERATIONS_FILE)] : []),
      ...useAuthentication(config.auth),
      ...(config.introspection ? [] : [useDisableIntrospection()]),
      EnvelopArmorPlugin({
        maxDepth: { n: config.MAX_DEPTH },
        maxAliases: { n: config.MAX_ALIASES },
        maxTokens: { n: config.MAX_TOKENS },
        maxDirectives: { n: config.MAX_DIRECTIVES },
        // The cost limit is Pothos complexity (it knows `first` and full scans); suggestions only with introspection.
        costLimit: { enabled: false },
        blockFieldSuggestion: { enabled: !config.introspection },
      }),
      useOperationTimeout(config.REQUEST_TIMEOUT_MS),
      ...(shared?.plugins ?? []),
      ...livePlugins(live, config, logger),
    ],
    context: ({ principal, request }) => requestContext(services, principal as Principal, request),
    maskedErrors: {
      // Errors the gateway raised on purpose carry a code and pass; anything else loses its message and stack.
      maskError: (error, message) => {
        const graphqlError = error as GraphQLError;
        const original = graphqlError.originalError as GraphQLError | undefined;
        if (graphqlError?.name === "GraphQLError" && (!original || original.name === "GraphQLError")) {
          // Raised on purpose (by the gateway, a plugin or graphql-js): keep it, and give it a code if it has none.
          const source = original ?? graphqlError;
          // yoga puts a request-parsing error's own message (a piece of the body) in extensions.originalError.
          if (graphqlError.extensions?.originalError)
            delete (graphqlError.extensions as Record<string, unknown>).originalError;
          if (isCoded(source)) return graphqlError;
          const status = (source.extensions?.http as { status?: number } | undefined)?.status;
          const code = status === 401 ? "UNAUTHENTICATED" : status === 403 ? "FORBIDDEN" : "BAD_USER_INPUT";
          return new GraphQLError(graphqlError.message, {
            nodes: graphqlError.nodes,
            path: graphqlError.path,
            extensions: { ...source.extensions, ...graphqlError.extensions, code },
          });
        }
        // Pothos raises these for input it cannot parse, such as a malformed global id.
        if (original?.name === "PothosValidationError")
          return new GraphQLError(original.message, {
            nodes: graphqlError.nodes,
            path: graphqlError.path,
            extensions: { code: "BAD_USER_INPUT" },
          });
        // Anything else loses its message and stack: it may carry internals.
        return new GraphQLError(message, {
          nodes: graphqlError.nodes,
          path: graphqlError.path,
          extensions: { code: "INTERNAL_SERVER_ERROR" },
        });
      },
    },
  });
}

/**
 * CORS for the configured origins: any origin with "*" (without credentials); else only a listed origin gets
 * Access-Control-Allow-Origin (with credentials), and any other origin gets no CORS header at all.
 */
function corsFor(origins: string[] | undefined): CORSOptionsFactory | false {
  if (!origins) return false;
  if (origins.includes("*")) return () => ({ origin: "*", credentials: false });
  return (request) => {
    const origin = request.headers.get("origin");
    return (origin && origins.includes(origin) ? { origin: [origin], credentials: true } : false) as CORSOptions;
  };
}
type CORSOptions = { origin: string | string[]; credentials: boolean };
type CORSOptionsFactory = (request: Request) => CORSOptions;

/** A GraphQLError with an `extensions.code` (checked by shape: graphql may be loaded twice, ESM and CJS). */
function isCoded(error: unknown): boolean {
  const candidate = error as { name?: string; extensions?: { code?: unknown } } | undefined;
  return candidate?.name === "GraphQLError" && typeof candidate.extensions?.code === "string";
}
