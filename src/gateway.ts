import type { MTurkClient } from "@aws-sdk/client-mturk";
import { GraphQLError } from "graphql";
import { createYoga, type Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import type { GatewayConfig } from "./config.js";
import { type GatewayContext, useRequestContext } from "./context.js";
import { renderGraphiQLPage } from "./graphiql/plugin.js";
import type { Drain } from "./http/shutdown.js";
import type { LiveHub } from "./live/hub.js";
import { createLiveHub } from "./live/index.js";
import { type MirrorDatabase, openScratchDatabase } from "./mirror/database.js";
import { Mirror } from "./mirror/mirror.js";
import { MirrorSync } from "./mirror/sync.js";
import { Upstream } from "./mturk/client.js";
import { CursorCodec } from "./mturk/cursors.js";
import type { IdempotencyStore } from "./mturk/idempotency.js";
import { MTurkLoaders } from "./mturk/loaders.js";
import { SharedWork } from "./mturk/sharedWork.js";
import { StrategyHints } from "./mturk/strategies.js";
import { createLogger } from "./observability/logging.js";
import { createMetrics, type Metrics } from "./observability/metrics.js";
import { gatewayPlugins, type PluginName } from "./pipeline.js";
import { schema } from "./schema/index.js";

/** Operations GraphiQL opens with: each walks the seeded account from a different starting point. */
const EXAMPLE_OPERATIONS = `# Example operations over the seeded simulator. Pick one with the run button.

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
  /**
   * The mirror's database (openMirrorDatabase in src/mirror/database.ts; main.ts opens it before serving), closed
   * when the gateway is disposed. Without one, an empty mirror in memory.
   */
  database?: MirrorDatabase | Promise<MirrorDatabase>;
  /** The registry the SDK client's middleware also counts into (see createMTurkClient). */
  metrics?: Metrics;
  logger?: Logger;
  /** What several instances share (src/fleet, with REDIS_URL); without it everything stays in this process. */
  shared?: SharedServices;
  /** Plugins left out, by name (the benchmark measures what each costs); none in service. */
  without?: ReadonlySet<PluginName>;
  /** The subscriptions' hub (src/live); by default one in memory, as the configuration says. */
  live?: LiveHub;
  /** Work shared by requests (createSharedWork by default); other long work (a sync) may run on it too. */
  work?: SharedWork;
  /** The embedded simulator's origin (main.ts): its worker side, /_simulator/…, is served on the gateway's port. */
  simulatorOrigin?: string;
  /** The graceful stop (src/http/shutdown.ts): /ready's 503 and the subscriptions' final message. */
  drain?: Drain;
}

export interface SharedServices {
  /** The fleet's idempotency records over this instance's own (the mirror's, which always win over Redis's). */
  idempotency: (local: IdempotencyStore) => IdempotencyStore;
  codec: CursorCodec;
  plugins: Plugin[];
  /** Why this instance runs on per-instance fallbacks, if it does: /ready says so. */
  degraded(): string | undefined;
}

/**
 * Work shared by requests and run on its own doors (src/mturk/sharedWork.ts): its calls queue under the gateway's
 * own claimants in its class, and no request's cancellation stops them.
 */
function createSharedWork(config: GatewayConfig, client: MTurkClient, metrics?: Metrics): SharedWork {
  return new SharedWork(
    (claimant, cls) =>
      new Upstream(client, { concurrency: config.MTURK_MAX_CONCURRENCY, metrics, claimant, class: cls }),
  );
}

/** What outlives a request: the mirror and its sync, hints, idempotency records, the cursor codec, the limits. */
function gatewayServices(
  config: GatewayConfig,
  client: MTurkClient,
  database: MirrorDatabase | Promise<MirrorDatabase>,
  metrics: Metrics,
  logger: Logger,
  work: SharedWork,
  shared?: SharedServices,
) {
  const settings = config.scans;
  // Learned listing lengths outlive a request by design; loaders and their caches never do.
  const hints = new StrategyHints();
  let sync: MirrorSync | undefined;
  const mirror: Mirror = new Mirror({
    database,
    ...config.mirror,
    // The mirror's refreshes belong to no request: shared work, on doors of their own.
    share: (unit, refresh, options) =>
      work.run(
        `mirror ${unit}`,
        (door) => refresh(new MTurkLoaders(door as Upstream, settings, hints, mirror)),
        options,
      ),
    logger,
    onProgress: (done, total) => sync?.report(done, total),
    metrics,
  });
  sync = new MirrorSync(mirror, { intervalMs: config.mirror.syncIntervalMs, logger });
  return {
    client,
    concurrency: config.MTURK_MAX_CONCURRENCY,
    maxUpstreamCalls: config.maxUpstreamCalls,
    defaultWeight: config.UPSTREAM_DEFAULT_WEIGHT,
    metrics,
    settings,
    hints,
    mirror,
    sync,
    work,
    idempotency: shared ? shared.idempotency(mirror.idempotency) : mirror.idempotency,
    codec: shared?.codec ?? new CursorCodec(config.CURSOR_SECRET),
    limits: config.limits,
  };
}

/** The GraphQL server (a yoga instance, usable with node:http or `yoga.fetch`). */
export function createGateway({
  config,
  client,
  metrics = createMetrics(),
  logger = createLogger(config.LOG_LEVEL),
  database = openScratchDatabase(),
  shared,
  without,
  live = createLiveHub({ config, client, metrics, logger }),
  work = createSharedWork(config, client, metrics),
  simulatorOrigin,
  drain,
}: GatewayOptions) {
  const services = { ...gatewayServices(config, client, database, metrics, logger, work, shared), live };
  services.sync.start();
  live.onMTurkChange = (hitId) => services.mirror.changedOnMTurk(hitId);
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
    // GraphiQL's assets are served from the package, not a CDN (it works on closed networks), as cached files.
    renderGraphiQL: renderGraphiQLPage,
    cors: corsFor(config.CORS_ORIGINS),
    // yoga logs at debug on every request: the line is built only when its level is on (a profile showed it).
    logging: {
      debug: (...args) => logger.isLevelEnabled("debug") && logger.debug(args.map(String).join(" ")),
      info: (...args) => logger.info(args.map(String).join(" ")),
      warn: (...args) => logger.warn(args.map(String).join(" ")),
      error: (...args) => logger.error(args.map((a) => (a instanceof Error ? a.message : String(a))).join(" ")),
    },
    plugins: [
      useRequestContext(services),
      ...gatewayPlugins(
        config,
        { client, metrics, logger, shared, live, mirror: services.mirror, simulatorOrigin, drain },
        without,
      ),
      // Disposing of the gateway (a graceful stop, a test's end) stops the sync and closes the database.
      {
        onDispose: async () => {
          services.sync.stop();
          await services.mirror.close();
        },
      },
    ],
    // The body limit is useBodyLimit's: it requires a Content-Length and refuses one over MAX_BODY_BYTES before the
    // body is read, and Node's HTTP parser never reads past it. Yoga's own limit would also pipe every body through
    // a TransformStream (and abort its signal with a DOMException): about a tenth of a small request's CPU.
    maxRequestBodySize: false,
    // Errors the gateway raised on purpose carry a code and pass; anything else loses its message and stack.
    maskedErrors: { maskError },
  });
}

function maskError(error: unknown, message: string): Error {
  const graphqlError = error as GraphQLError;
  const original = graphqlError.originalError as GraphQLError | undefined;
  const at = { nodes: graphqlError.nodes, path: graphqlError.path };
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
      ...at,
      extensions: { ...source.extensions, ...graphqlError.extensions, code },
    });
  }
  // Pothos raises these for input it cannot parse, such as a malformed global id.
  if (original?.name === "PothosValidationError")
    return new GraphQLError(original.message, { ...at, extensions: { code: "BAD_USER_INPUT" } });
  // Anything else loses its message and stack: it may carry internals.
  return new GraphQLError(message, { ...at, extensions: { code: "INTERNAL_SERVER_ERROR" } });
}

/**
 * CORS for the configured origins: any origin with "*" (without credentials); else only a listed origin gets
 * Access-Control-Allow-Origin (with credentials), and any other origin gets no CORS header at all.
 */
function corsFor(origins: string[] | undefined): CORSOptionsFactory {
  // Without CORS_ORIGINS a preflight is still answered as one (204, no Access-Control-Allow-Origin: the browser
  // refuses), not refused by CSRF prevention with a message about a header.
  if (!origins) return () => false;
  if (origins.includes("*")) return () => ({ origin: "*", credentials: false });
  return (request) => {
    const origin = request.headers.get("origin");
    return origin && origins.includes(origin) ? { origin: [origin], credentials: true } : false;
  };
}
type CORSOptions = { origin: string | string[]; credentials: boolean };
type CORSOptionsFactory = (request: Request) => CORSOptions | false;

/** A GraphQLError with an `extensions.code` (checked by shape: graphql may be loaded twice, ESM and CJS). */
function isCoded(error: unknown): boolean {
  const candidate = error as { name?: string; extensions?: { code?: unknown } } | undefined;
  return candidate?.name === "GraphQLError" && typeof candidate.extensions?.code === "string";
}
