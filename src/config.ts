import { z } from "zod";
import { apiKeysFrom, configurationErrors } from "./configErrors.js";
import { authEnabled } from "./security/auth.js";

/** Where the gateway sends its MTurk calls. Production is never chosen implicitly. */
export const MTURK_ENDPOINTS = {
  sandbox: "https://mturk-requester-sandbox.us-east-1.amazonaws.com",
  production: "https://mturk-requester.us-east-1.amazonaws.com",
} as const;

const configSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(4000),
    /** Default: 0.0.0.0 with authentication on, 127.0.0.1 with it off (then only this machine can call). */
    HOST: z.string().optional(),
    /** With authentication off, the Host headers accepted besides localhost (comma-separated), against DNS rebinding. */
    ALLOWED_HOSTS: z.string().optional(),
    /** simulator: start the embedded simulator (the default without MTURK_ENDPOINT); sandbox/production: AWS. */
    MTURK_ENV: z.enum(["simulator", "sandbox", "production"]).optional(),
    MTURK_ENDPOINT: z.url().optional(),
    SIMULATOR_SEED: z.coerce.number().int().default(1),
    SIMULATOR_SIZE: z.enum(["empty", "tiny", "demo", "large", "huge"]).default("demo"),
    /** Upstream calls one GraphQL request may have in flight at once. */
    MTURK_MAX_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(20),
    /** Attempts per upstream call, including the first, through the SDK's standard retry strategy. */
    MTURK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
    MTURK_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    /** The largest `first` a connection accepts; above 100 the gateway pages upstream. */
    MAX_PAGE_SIZE: z.coerce.number().int().min(1).max(10_000).default(1000),
    /** Signs connection cursors; set it when several instances must accept each other's cursors. */
    CURSOR_SECRET: z.string().min(16).optional(),
    /** From how many workers of one type a ListWorkersWithQualificationType probe replaces GetQualificationScore calls. */
    SCORE_SCAN_THRESHOLD: z.coerce.number().int().min(2).default(4),
    /** The mirror of the account: a SQLite file in DATA_DIR, or PostgreSQL at DATABASE_URL (shared by a fleet). */
    DATA_DIR: z.string().min(1).default("./data"),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    /**
     * How old the mirror may be before a read waits for a refresh of what it reads. The background sync keeps it
     * fresher; the gateway's own writes and MTurk's notifications apply at once.
     */
    MIRROR_MAX_AGE_MS: z.coerce.number().int().min(0).default(60_000),
    /** Pause between the background sync's passes over the account (0: no background sync, reads refresh alone). */
    MIRROR_SYNC_INTERVAL_MS: z.coerce.number().int().min(0).default(10_000),
    /**
     * HITs whose work each pass reads again although their counters did not change (the longest unread first): what
     * changes no counter (a bonus paid, a rejection overridden by another tool) shows within (HITs with work / this)
     * passes. Costs two calls each.
     */
    MIRROR_RECHECKS_PER_PASS: z.coerce.number().int().min(0).default(10),
    /** How long the gateway's own writes win over MTurk's listings, which may lag them (unknown how long). */
    WRITE_JOURNAL_MS: z.coerce.number().int().min(0).default(600_000),
    /** What one full scan declares to the complexity limit (about the pages of a large listing). */
    SCAN_COST: z.coerce.number().int().min(0).default(50),
    /** Query limits: complexity (upstream work), depth and breadth (selections). */
    MAX_COMPLEXITY: z.coerce.number().int().min(1).default(20_000),
    MAX_DEPTH: z.coerce.number().int().min(1).default(15),
    MAX_BREADTH: z.coerce.number().int().min(1).default(300),
    /** Items one bulk mutation may name (its price counts them too). */
    MAX_BULK_ITEMS: z.coerce.number().int().min(1).default(500),
    /** Ids one `nodes(ids:)` may name (each is a call queued at once); more are QUERY_TOO_COMPLEX before any call. */
    MAX_NODES: z.coerce.number().int().min(1).default(100),
    /** Upstream calls one request may make, a backstop behind the complexity limit (default: MAX_COMPLEXITY). */
    MAX_UPSTREAM_CALLS: z.coerce.number().int().min(1).optional(),
    /** API keys as JSON, [{"name","sha256","scopes":["read","write","pay"]}] (`npm run api-key` makes one), or a file. */
    AUTH_API_KEYS: z.string().optional(),
    AUTH_API_KEYS_FILE: z.string().optional(),
    /** JWT bearer tokens: a shared HS256 secret, or a JWKS file of public keys; optional issuer and audience. */
    AUTH_JWT_SECRET: z.string().min(16).optional(),
    AUTH_JWT_JWKS_FILE: z.string().optional(),
    AUTH_JWT_ISSUER: z.string().optional(),
    AUTH_JWT_AUDIENCE: z.string().optional(),
    /** The oldest a JWT may be (seconds since its iat); tokens must carry an exp too. */
    AUTH_JWT_MAX_AGE_SECONDS: z.coerce.number().int().min(1).default(86_400),
    /** MTurk's rate budget for the whole process: calls per second and burst (0: unlimited). */
    MTURK_RATE_PER_SECOND: z.coerce.number().min(0).optional(),
    MTURK_RATE_BURST: z.coerce.number().int().min(1).default(20),
    /** Exports (GET /exports/…) one API key may have streaming at once on an instance; more are refused (429). */
    MAX_EXPORTS_PER_KEY: z.coerce.number().int().min(1).default(2),
    /** A caller's share of the rate budget (fair queuing): JWT subjects, anonymous callers and keys without a weight. */
    UPSTREAM_DEFAULT_WEIGHT: z.coerce.number().positive().max(1000).default(1),
    /** graphql-armor limits. */
    MAX_ALIASES: z.coerce.number().int().min(1).default(30),
    MAX_TOKENS: z.coerce.number().int().min(1).default(5000),
    MAX_DIRECTIVES: z.coerce.number().int().min(1).default(20),
    /** Largest request body accepted, and the time a GraphQL operation may take. */
    MAX_BODY_BYTES: z.coerce.number().int().min(1).default(100_000),
    REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1).default(30_000),
    /** GraphiQL and introspection: on by default, off by default in production. */
    GRAPHIQL: z.stringbool().optional(),
    INTROSPECTION: z.stringbool().optional(),
    /** Browser origins allowed by CORS, comma-separated ("*" for any); none by default. */
    CORS_ORIGINS: z.string().optional(),
    /** Accept only the operations of this JSON file ({"<sha256 hash>": "<document>"}), by hash. */
    PERSISTED_OPERATIONS_FILE: z.string().optional(),
    /** Traces: "otlp" (to OTEL_EXPORTER_OTLP_ENDPOINT), "console", or "none" (default: otlp when an endpoint is set). */
    OTEL_TRACES_EXPORTER: z.enum(["otlp", "console", "none"]).optional(),
    OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** From how many types a single unfiltered ListQualificationRequests probe replaces per-type calls. */
    REQUEST_SCAN_THRESHOLD: z.coerce.number().int().min(2).default(3),
    /** Several instances on one MTurk account share rate budget, scans, cursor secret and idempotency claims here. */
    REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
    /** Subscriptions: how often a watched resource is polled (default 10 s; 1 s with the embedded simulator). */
    SUBSCRIPTION_POLL_MS: z.coerce.number().int().min(50).optional(),
    /** How long a poller goes on after its last subscriber left (a reconnecting client misses nothing). */
    SUBSCRIPTION_LINGER_MS: z.coerce.number().int().min(0).default(30_000),
    /** Events kept per watched resource for clients that resume with Last-Event-ID. */
    SUBSCRIPTION_LOG_SIZE: z.coerce.number().int().min(1).max(100_000).default(1_000),
    MAX_SUBSCRIPTIONS_PER_PRINCIPAL: z.coerce.number().int().min(1).default(20),
    /** Origins SNS signing certificates and SubscribeURLs may come from (comma-separated). */
    SNS_CERT_ORIGINS: z.string().default("https://sns.us-east-1.amazonaws.com"),
    /** SNS topics whose notifications are accepted (comma-separated ARNs); any topic when unset. */
    SNS_TOPIC_ARNS: z.string().optional(),
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
