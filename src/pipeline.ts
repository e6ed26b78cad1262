import { GetAccountBalanceCommand, type MTurkClient } from "@aws-sdk/client-mturk";
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { useDeferStream } from "@graphql-yoga/plugin-defer-stream";
import { useDisableIntrospection } from "@graphql-yoga/plugin-disable-introspection";
import type { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import type { GatewayConfig } from "./config.js";
import { useExports } from "./exports/route.js";
import { useGraphiQLAssets } from "./graphiql/plugin.js";
import { useCompression } from "./http/compression.js";
import { useForward } from "./http/forward.js";
import { usePersistedDocuments } from "./http/persistedDocuments.js";
import { useStreamedEdges } from "./http/streamedEdges.js";
import type { LiveHub } from "./live/hub.js";
import { livePlugins } from "./live/plugins.js";
import type { Mirror } from "./mirror/mirror.js";
import { Upstream } from "./mturk/client.js";
import { gatewayClaimant } from "./mturk/scheduler.js";
import { useRequestLogging } from "./observability/logging.js";
import type { Metrics } from "./observability/metrics.js";
import { useRequestMetrics } from "./observability/requestMetrics.js";
import { usePrice } from "./schema/price.js";
import { useUnselectedErrors } from "./schema/unselectedErrors.js";
import { authEnabled, hasValidApiKey, useAuthentication } from "./security/auth.js";
import { useHostCheck } from "./security/hosts.js";
import {
  queryTooComplex,
  useBodyLimit,
  useCsrfPrevention,
  useOperationTimeout,
  useRequestParamErrors,
} from "./security/limits.js";

/** The request pipeline: yoga and envelop plugins, in order, each named (see `without` in createGateway). */
export type PluginName =
  | "hostCheck"
  | "simulatorRoute"
  | "logging"
  | "readiness"
  | "metricsAuth"
  | "exports"
  | "bodyLimit"
  | "prometheus"
  | "csrf"
  | "persistedOperations"
  | "authentication"
  | "requestParamErrors"
  | "disableIntrospection"
  | "armor"
  | "timeout"
  | "cost"
  | "deferStream"
  | "unselectedErrors"
  | "fleet"
  | "live"
  | "graphiqlAssets"
  | "compression"
  | "shutdown";

export function gatewayPlugins(
  config: GatewayConfig,
  deps: {
    client: MTurkClient;
    metrics: Metrics;
    logger: Logger;
    shared?: { plugins: Plugin[]; degraded(): string | undefined };
    live: LiveHub;
    mirror?: Mirror;
    /** The embedded simulator's origin: its worker side (/_simulator/…) is served on the gateway's port. */
    simulatorOrigin?: string;
    /** A graceful stop: /ready answers 503 once it began, and its plugin ends the subscriptions. */
    drain?: { readonly stopping: boolean; plugin(): Plugin };
  },
  without: ReadonlySet<PluginName> = new Set(),
): Plugin[] {
  const auth = authEnabled(config.auth);
  const plugins: [PluginName, () => Plugin[]][] = [
    ["hostCheck", () => (auth ? [] : [useHostCheck([config.HOST, ...(config.ALLOWED_HOSTS ?? [])])])],
    ["logging", () => [useRequestLogging(deps.logger)]],
    ["readiness", () => [useReadiness(deps.client, deps.shared?.degraded, deps.mirror, deps.drain)]],
    ["metricsAuth", () => [useApiKeyFor(config, ["/metrics", "/_simulator/"])]],
    ["simulatorRoute", () => (deps.simulatorOrigin ? [useForward("/_simulator/", deps.simulatorOrigin)] : [])],
    ["exports", () => [useExports({ config, client: deps.client, metrics: deps.metrics, mirror: deps.mirror })]],
    ["bodyLimit", () => [useBodyLimit(config.MAX_BODY_BYTES)]],
    ["prometheus", () => [useRequestMetrics(deps.metrics.registry)]],
    ["csrf", () => [useCsrfPrevention()]],
    [
      "persistedOperations",
      () => (config.PERSISTED_OPERATIONS_FILE ? [usePersistedDocuments(config.PERSISTED_OPERATIONS_FILE)] : []),
    ],
    ["authentication", () => useAuthentication(config.auth) as Plugin[]],
    // After yoga's own parsers have chosen theirs (onRequestParse runs in plugin order).
    ["requestParamErrors", () => [useRequestParamErrors()]],
    ["disableIntrospection", () => (config.introspection ? [] : [useDisableIntrospection()])],
    ["armor", () => [armor(config)]],
    ["timeout", () => [useOperationTimeout(config.REQUEST_TIMEOUT_MS) as Plugin]],
    // The price limit (Pothos complexity, checked once here before the operation runs) and extensions.cost.
    ["cost", () => [usePrice()]],
    // @defer and @stream (the schema declares them; the plugin adds graphql's incremental validation rules).
    ["deferStream", () => [useDeferStream(), useStreamedEdges()]],
    // A mutation's typed error that the client did not select is in `errors` too (src/schema/unselectedErrors.ts).
    ["unselectedErrors", () => [useUnselectedErrors()]],
    ["fleet", () => deps.shared?.plugins ?? []],
    ["live", () => livePlugins(deps.live, config, deps.logger)],
    ["graphiqlAssets", () => (config.graphiql ? [useGraphiQLAssets()] : [])],
    // Last: it compresses the response every other plugin has finished (headers included).
    ["compression", () => [useCompression()]],
    ["shutdown", () => (deps.drain ? [deps.drain.plugin()] : [])],
  ];
  return plugins.flatMap(([name, make]) => (without.has(name) ? [] : make()));
}

function armor(config: GatewayConfig): Plugin {
  // graphql-armor's own errors are "Syntax Error: …" (BAD_USER_INPUT, GRAPHQL_PARSE_FAILED): each limit throws
  // QUERY_TOO_COMPLEX instead, which ends the parse or the validation as armor's own error would.
  const limit = (kind: string, setting: string, n: number) => ({
    n,
    onReject: [
      (_context: unknown, error: GraphQLError) => {
        const found = /found (\d+)/.exec(error.message)?.[1];
        throw queryTooComplex(kind, setting, n, found === undefined ? undefined : Number(found));
      },
    ],
  });
  return EnvelopArmorPlugin({
    maxDepth: limit("depth", "MAX_DEPTH", config.MAX_DEPTH),
    maxAliases: limit("aliases", "MAX_ALIASES", config.MAX_ALIASES),
    maxTokens: limit("tokens", "MAX_TOKENS", config.MAX_TOKENS),
    maxDirectives: limit("directives", "MAX_DIRECTIVES", config.MAX_DIRECTIVES),
    // The cost limit is Pothos complexity (it knows `first` and full scans); suggestions only with introspection.
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: !config.introspection },
  }) as Plugin;
}

const READY_CACHE_MS = 5_000;
/** The readiness probe's queue in the fair scheduler: its own, so that a flood of callers cannot hold it up. */
const READINESS = gatewayClaimant("readiness");

/**
 * /ready (yoga's readiness check): MTurk answers the gateway's credentials. One check in flight, shared by every
 * caller, and its answer kept READY_CACHE_MS: a flood of /ready costs MTurk one call per window. A degraded
 * instance (Redis away: per-instance fallbacks) still serves: a load balancer must not drop the fleet for it.
 */
/**
 * /ready: 200 while the gateway can answer, with what it runs on. MTurk down is "degraded", not 503, while the
 * mirror answers reads (a balancer that drained every instance would serve nothing); 503 when neither answers.
 */
function useReadiness(
  client: MTurkClient,
  degraded?: () => string | undefined,
  mirror?: Mirror,
  drain?: { readonly stopping: boolean },
): Plugin {
  let last: { at: number; ok: boolean } | undefined;
  let inFlight: Promise<boolean> | undefined;
  const probe = () =>
    new Upstream(client, { concurrency: 1, claimant: READINESS })
      .call("GetAccountBalance", (c) => c.send(new GetAccountBalanceCommand({})))
      .then(
        () => true,
        () => false,
      );
  const check = async (): Promise<Response> => {
    // A graceful stop has begun: a load balancer sends nothing more here while the requests in flight finish.
    if (drain?.stopping)
      return new Response(JSON.stringify({ status: "stopping" }), {
        status: 503,
        headers: { "content-type": "application/json" },
      });
    if (!last || Date.now() - last.at > READY_CACHE_MS) {
      inFlight ??= probe().finally(() => {
        inFlight = undefined;
      });
      last = { at: Date.now(), ok: await inFlight };
    }
    const state = await mirror?.status().catch(() => undefined);
    const serving = last.ok || state?.available === true;
    const reason = [
      degraded?.(),
      state && !state.available ? `mirror: ${state.unavailableReason}` : undefined,
      !last.ok && serving ? "MTurk unavailable: reads answer from the mirror" : undefined,
    ].filter(Boolean);
    const status = serving ? (reason.length ? "degraded" : "ready") : "upstream unavailable";
    const body = {
      status,
      ...(reason.length ? { degraded: reason.join("; ") } : {}),
      ...(state
        ? {
            mirror: {
              database: state.database,
              available: state.available,
              phase: state.phase,
              percent: state.percent,
            },
          }
        : {}),
    };
    return new Response(JSON.stringify(body), {
      status: serving ? 200 : 503,
      headers: { "content-type": "application/json" },
    });
  };
  return {
    // A comparison of the path: yoga's useReadinessCheck tests a URLPattern on every other request.
    onRequest({ url, endResponse }) {
      if (url.pathname === "/ready") return check().then(endResponse);
    },
  };
}

/** /metrics needs an API key when authentication is on (only /health and /ready are open). */
/**
 * With authentication on, what is not GraphQL needs an API key too: /metrics, and the embedded simulator's worker
 * side (it submits work and resets the account).
 */
function useApiKeyFor(config: GatewayConfig, prefixes: string[]): Plugin {
  return {
    onRequest({ request, url, endResponse }) {
      if (prefixes.some((prefix) => url.pathname.startsWith(prefix)) && !hasValidApiKey(config.auth, request))
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
