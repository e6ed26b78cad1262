import { z } from "zod";
import { apiKeysFrom, configurationErrors } from "./configErrors.js";
import { authEnabled } from "./security/auth.js";

/** Where the gateway sends its MTurk calls. Production is never chosen implicitly. */
export const MTURK_ENDPOINTS = {
  sandbox: "https://mturk-requester-sandbox.us-east-1.amazonaws.com",
  production: "https://mturk-requester.us-east-1.amazonaws.com",
} as const;

/** A comma-separated setting as its items, trimmed, empty ones dropped: the one parser of list settings. */
const list = () =>
  z
    .string()
    .transform((text) =>
      text
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean),
    )
    .meta({ accepts: "comma-separated list" });
const integer = (min: number) => z.coerce.number().int().min(min);
const milliseconds = () => integer(0).meta({ accepts: "milliseconds" });
const onOff = () => z.stringbool().meta({ accepts: "true or false" });

/**
 * Every setting, by group: the environment variables the gateway reads (zod checks them at start), and the source
 * of docs/configuration.md (`npm run docs`; test/unit/configurationDoc.test.ts fails when the two differ).
 */
export const SETTINGS = {
  server: {
    PORT: integer(0).max(65535).default(4000).describe("The port the gateway listens on (0: any free port)."),
    HOST: z
      .string()
      .optional()
      .describe(
        "The address it listens on. Default: 0.0.0.0 with authentication on, 127.0.0.1 with it off (then only this machine can call).",
      ),
    ALLOWED_HOSTS: list()
      .optional()
      .describe(
        "With authentication off, the Host names served besides localhost, 127.0.0.1 and [::1] (against DNS rebinding).",
      ),
    CORS_ORIGINS: list()
      .optional()
      .describe(
        'Browser origins allowed by CORS ("*" for any, without credentials); none by default. A browser also sends `x-graphql-csrf: 1` (see clients.md).',
      ),
    MAX_BODY_BYTES: integer(1)
      .default(100_000)
      .describe("The largest request body accepted (a request without Content-Length or over it is refused, 413)."),
    REQUEST_TIMEOUT_MS: integer(1)
      .default(30_000)
      .describe(
        "The time a GraphQL operation may take; then it answers TIMEOUT and its queued MTurk calls are dropped.",
      ),
    SHUTDOWN_GRACE_MS: milliseconds()
      .default(10_000)
      .describe(
        "On SIGTERM or SIGINT, how long the requests in flight may take to be answered before the gateway stops anyway (/ready answers 503 from the signal on; a second signal stops at once; see operations.md).",
      ),
    GRAPHIQL: onOff().optional().describe("GraphiQL at /graphql. Default: on, off with MTURK_ENV=production."),
    INTROSPECTION: onOff()
      .optional()
      .describe("Introspection (and field suggestions in errors). Default: on, off with MTURK_ENV=production."),
    PERSISTED_OPERATIONS_FILE: z
      .string()
      .optional()
      .describe(
        'Accept only the operations of this JSON file ({"<sha256 hash>": "<document>"}, as graphql-codegen writes persisted-documents.json), by hash (see clients.md).',
      ),
  },
  upstream: {
    MTURK_ENV: z
      .enum(["simulator", "sandbox", "production"])
      .optional()
      .describe(
        "simulator: the embedded simulator (the default without MTURK_ENDPOINT); sandbox or production: AWS with the SDK's default credential chain (never chosen implicitly, never without authentication).",
      ),
    MTURK_ENDPOINT: z.url().optional().describe("An MTurk-compatible endpoint instead (a simulator started apart)."),
    SIMULATOR_SEED: z.coerce.number().int().default(1).describe("The embedded simulator's random seed."),
    SIMULATOR_SIZE: z
      .enum(["empty", "tiny", "demo", "large", "huge"])
      .default("demo")
      .describe("The embedded simulator's account (see simulator.md)."),
    MTURK_MAX_CONCURRENCY: integer(1).max(100).default(20).describe("Upstream calls one request may have in flight."),
    MTURK_MAX_ATTEMPTS: integer(1)
      .max(10)
      .default(3)
      .describe("Attempts per upstream call, the first included (the SDK's standard retry strategy)."),
    MTURK_TIMEOUT_MS: integer(100).default(10_000).describe("The time one upstream call may take."),
    MTURK_RATE_PER_SECOND: z.coerce
      .number()
      .min(0)
      .optional()
      .describe(
        "MTurk's rate budget, calls per second for the whole process (the fleet with REDIS_URL); every attempt takes a token. Default: 5 for sandbox and production, unlimited otherwise (0: unlimited).",
      ),
    MTURK_RATE_BURST: integer(1).default(20).describe("The rate budget's burst."),
    UPSTREAM_DEFAULT_WEIGHT: z.coerce
      .number()
      .positive()
      .max(1000)
      .default(1)
      .describe(
        "A caller's share of the rate budget (fair queuing) for JWT subjects, anonymous callers and keys without a weight (see fairness.md).",
      ),
    SCORE_SCAN_THRESHOLD: integer(2)
      .default(4)
      .describe(
        "From how many workers of one type a ListWorkersWithQualificationType probe replaces GetQualificationScore calls.",
      ),
    REQUEST_SCAN_THRESHOLD: integer(2)
      .default(3)
      .describe("From how many types one unfiltered ListQualificationRequests probe replaces per-type calls."),
  },
  limits: {
    MAX_COMPLEXITY: integer(1)
      .default(20_000)
      .describe("The price limit: the upstream work one operation may declare (see security.md)."),
    SCAN_COST: integer(0)
      .default(50)
      .describe("What one full listing declares to the price limit (about the pages of a large listing)."),
    MAX_DEPTH: integer(1).default(15).describe("The deepest selection an operation may have (graphql-armor)."),
    MAX_BREADTH: integer(1).default(300).describe("The most fields one selection may have."),
    MAX_ALIASES: integer(1).default(30).describe("The most aliases one operation may use (graphql-armor)."),
    MAX_TOKENS: integer(1).default(5000).describe("The most tokens one document may have (graphql-armor)."),
    MAX_DIRECTIVES: integer(1).default(20).describe("The most directives one operation may use (graphql-armor)."),
    MAX_PAGE_SIZE: integer(1)
      .max(10_000)
      .default(1000)
      .describe("The largest `first` a connection accepts; above 100 the gateway reads several MTurk pages."),
    MAX_BULK_ITEMS: integer(1).default(500).describe("Items one bulk mutation may name (its price counts them too)."),
    MAX_NODES: integer(1)
      .default(100)
      .describe("Ids one `nodes(ids:)` may name; more are QUERY_TOO_COMPLEX before any call."),
    MAX_UPSTREAM_CALLS: integer(1)
      .optional()
      .describe("Upstream calls one request may make, a backstop behind the price limit. Default: MAX_COMPLEXITY."),
    MAX_EXPORTS_PER_KEY: integer(1)
      .default(2)
      .describe("Exports (GET /exports/…) one API key may have streaming at once on an instance; more are 429."),
    MAX_SUBSCRIPTIONS_PER_PRINCIPAL: integer(1).default(20).describe("Open subscriptions per API key or JWT subject."),
  },
  mirror: {
    DATA_DIR: z
      .string()
      .min(1)
      .default("./data")
      .describe("Where the mirror of the account lives as a SQLite file (see mirror.md), without DATABASE_URL."),
    DATABASE_URL: z
      .url({ protocol: /^postgres(ql)?$/ })
      .optional()
      .describe("postgres://…: the mirror in PostgreSQL instead, one for every instance of a fleet."),
    MIRROR_MAX_AGE_MS: milliseconds()
      .default(60_000)
      .describe(
        "How old the mirror may be before a read waits for a refresh of what it reads; the gateway's own writes and MTurk's notifications apply at once.",
      ),
    MIRROR_SYNC_INTERVAL_MS: milliseconds()
      .default(10_000)
      .describe("The pause between the background sync's passes (0: no background sync; reads refresh alone)."),
    MIRROR_RECHECKS_PER_PASS: integer(0)
      .default(10)
      .describe(
        "HITs whose work each pass reads again although their counters did not change (the longest unread first), so that a bonus or an overridden rejection by another tool shows; two calls each.",
      ),
    WRITE_JOURNAL_MS: milliseconds()
      .default(600_000)
      .describe("How long the gateway's own writes win over MTurk's listings, which may lag them."),
  },
  fleet: {
    REDIS_URL: z
      .url({ protocol: /^rediss?$/ })
      .optional()
      .describe(
        "Several instances on one MTurk account share the rate budget, scans, cursor secret, idempotency claims and subscriptions here (see operations.md).",
      ),
    CURSOR_SECRET: z
      .string()
      .min(16)
      .optional()
      .describe("Signs connection cursors; set it (or REDIS_URL) when several instances must accept each other's."),
  },
  live: {
    SUBSCRIPTION_POLL_MS: integer(50)
      .optional()
      .describe("How often a watched resource is polled. Default: 10000; 1000 with the embedded simulator."),
    SUBSCRIPTION_LINGER_MS: milliseconds()
      .default(30_000)
      .describe("How long a poller goes on after its last subscriber left (a reconnecting client misses nothing)."),
    SUBSCRIPTION_LOG_SIZE: integer(1)
      .max(100_000)
      .default(1_000)
      .describe("Events kept per watched resource for clients that resume with Last-Event-ID."),
    SNS_CERT_ORIGINS: list()
      .prefault("https://sns.us-east-1.amazonaws.com")
      .describe("Origins SNS signing certificates and SubscribeURLs may come from."),
    SNS_TOPIC_ARNS: list()
      .optional()
      .describe("SNS topics whose notifications POST /notifications/sns accepts (ARNs); any topic when unset."),
  },
  auth: {
    AUTH_API_KEYS: z
      .string()
      .optional()
      .describe(
        'API keys as JSON, [{"name","sha256","scopes":["read","write","pay"]}], stored hashed; `npm run api-key` makes one. Clients send `x-api-key: <key>`.',
      ),
    AUTH_API_KEYS_FILE: z.string().optional().describe("A file holding AUTH_API_KEYS' JSON instead."),
    AUTH_JWT_SECRET: z.string().min(16).optional().describe("JWT bearer tokens signed HS256 with this shared secret."),
    AUTH_JWT_JWKS_FILE: z
      .string()
      .optional()
      .describe("JWT bearer tokens signed RS256/ES256, checked with the public keys of this JWKS file."),
    AUTH_JWT_ISSUER: z.string().optional().describe("The `iss` a JWT must carry, if set."),
    AUTH_JWT_AUDIENCE: z.string().optional().describe("The `aud` a JWT must carry, if set."),
    AUTH_JWT_MAX_AGE_SECONDS: integer(1)
      .default(86_400)
      .describe("The oldest a JWT may be (seconds since its iat); tokens must carry an exp too."),
  },
  observability: {
    LOG_LEVEL: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
      .default("info")
      .describe("pino's JSON logs: one line per request (request id, operation, principal, status, error codes)."),
    OTEL_TRACES_EXPORTER: z
      .enum(["otlp", "console", "none"])
      .optional()
      .describe(
        "OpenTelemetry traces (a span per request and per upstream call). Default: otlp when an endpoint is set.",
      ),
    OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional().describe("Where OTLP/HTTP traces go."),
  },
} satisfies Record<string, Record<string, z.ZodType>>;

const configSchema = z
  .object({
    ...SETTINGS.server,
    ...SETTINGS.upstream,
    ...SETTINGS.limits,
    ...SETTINGS.mirror,
    ...SETTINGS.fleet,
    ...SETTINGS.live,
    ...SETTINGS.auth,
    ...SETTINGS.observability,
  })
  .transform((env, ctx) => {
    const mode = env.MTURK_ENV ?? (env.MTURK_ENDPOINT ? ("custom" as const) : ("simulator" as const));
    const production = mode === "production";
    const real = mode === "sandbox" || mode === "production";
    return {
      ...env,
      mode,
      // MTurk publishes no limit; its documented clients use a few calls per second. The simulator needs none.
      ratePerSecond: env.MTURK_RATE_PER_SECOND ?? (real ? 5 : 0),
      // A price is an upper bound of calls: a request within MAX_COMPLEXITY never needs more.
      maxUpstreamCalls: env.MAX_UPSTREAM_CALLS ?? env.MAX_COMPLEXITY,
      graphiql: env.GRAPHIQL ?? !production,
      subscriptionPollMs: env.SUBSCRIPTION_POLL_MS ?? (mode === "simulator" ? 1_000 : 10_000),
      tracesExporter:
        env.OTEL_TRACES_EXPORTER ?? (env.OTEL_EXPORTER_OTLP_ENDPOINT ? ("otlp" as const) : ("none" as const)),
      introspection: env.INTROSPECTION ?? !production,
      // What gateway.ts hands on whole: the limits requests are held to, the mirror's, the scan strategies'.
      limits: {
        scanCost: env.SCAN_COST,
        maxPageSize: env.MAX_PAGE_SIZE,
        maxBulkItems: env.MAX_BULK_ITEMS,
        maxNodes: env.MAX_NODES,
        complexity: { complexity: env.MAX_COMPLEXITY, depth: env.MAX_DEPTH, breadth: env.MAX_BREADTH },
      },
      mirror: {
        maxAgeMs: env.MIRROR_MAX_AGE_MS,
        protectMs: env.WRITE_JOURNAL_MS,
        rechecks: env.MIRROR_RECHECKS_PER_PASS,
        syncIntervalMs: env.MIRROR_SYNC_INTERVAL_MS,
      },
      scans: { scoreScanThreshold: env.SCORE_SCAN_THRESHOLD, requestScanThreshold: env.REQUEST_SCAN_THRESHOLD },
      auth: {
        apiKeys: apiKeysFrom(env, ctx),
        jwt:
          env.AUTH_JWT_SECRET || env.AUTH_JWT_JWKS_FILE
            ? {
                secret: env.AUTH_JWT_SECRET,
                jwksFile: env.AUTH_JWT_JWKS_FILE,
                issuer: env.AUTH_JWT_ISSUER,
                audience: env.AUTH_JWT_AUDIENCE,
                maxAgeSeconds: env.AUTH_JWT_MAX_AGE_SECONDS,
              }
            : undefined,
      },
    };
  })
  .transform((c) => ({ ...c, HOST: c.HOST ?? (authEnabled(c.auth) ? "0.0.0.0" : "127.0.0.1") }))
  .refine((c) => !reachesBeyondLoopback(c) || authEnabled(c.auth), {
    message:
      "MTURK_ENV=sandbox or production, or an MTURK_ENDPOINT that is not the embedded simulator or a loopback address, needs authentication: set AUTH_API_KEYS(_FILE) or AUTH_JWT_SECRET / AUTH_JWT_JWKS_FILE.",
  });

/** Whether the gateway talks to an MTurk that is not this machine's (where an account and money may be real). */
function reachesBeyondLoopback(c: { mode: string; MTURK_ENDPOINT?: string }): boolean {
  if (c.mode === "sandbox" || c.mode === "production") return true;
  if (c.mode !== "custom" || !c.MTURK_ENDPOINT) return false;
  const host = new URL(c.MTURK_ENDPOINT).hostname;
  return !(host === "localhost" || host === "[::1]" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host));
}

export type GatewayConfig = z.infer<typeof configSchema>;

/** Reads the configuration from the environment (or overrides, for tests), rejecting bad values with a clear message. */
export function loadConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) throw new Error(configurationErrors(parsed.error));
  return parsed.data;
}
