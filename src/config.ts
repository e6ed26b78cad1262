import { z } from "zod";

/** Where the gateway sends its MTurk calls. Production is never chosen implicitly. */
export const MTURK_ENDPOINTS = {
  sandbox: "https://mturk-requester-sandbox.us-east-1.amazonaws.com",
  production: "https://mturk-requester.us-east-1.amazonaws.com",
} as const;

const configSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(4000),
    HOST: z.string().default("0.0.0.0"),
    /** simulator: start the embedded simulator (the default without MTURK_ENDPOINT); sandbox/production: AWS. */
    MTURK_ENV: z.enum(["simulator", "sandbox", "production"]).optional(),
    MTURK_ENDPOINT: z.url().optional(),
    SIMULATOR_SEED: z.coerce.number().int().default(1),
    SIMULATOR_SIZE: z.enum(["empty", "tiny", "demo", "large"]).default("demo"),
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
    /** How long a full listing (for ordering, totals, page numbers, filters) is served before it is scanned again. */
    SNAPSHOT_TTL_MS: z.coerce.number().int().min(0).default(30_000),
    /** Items all snapshots may hold together; the least recently used go first. */
    SNAPSHOT_MAX_ITEMS: z.coerce.number().int().min(0).default(200_000),
    /** What one full scan declares to the complexity limit (about the pages of a large listing). */
    SCAN_COST: z.coerce.number().int().min(0).default(50),
    /** Query limits: complexity (upstream work), depth and breadth (selections). */
    MAX_COMPLEXITY: z.coerce.number().int().min(1).default(20_000),
    MAX_DEPTH: z.coerce.number().int().min(1).default(15),
    MAX_BREADTH: z.coerce.number().int().min(1).default(300),
    /** From how many types a single unfiltered ListQualificationRequests probe replaces per-type calls. */
    REQUEST_SCAN_THRESHOLD: z.coerce.number().int().min(2).default(3),
  })
  .transform((env) => ({
    ...env,
    mode: env.MTURK_ENV ?? (env.MTURK_ENDPOINT ? ("custom" as const) : ("simulator" as const)),
  }));

export type GatewayConfig = z.infer<typeof configSchema>;

/** Reads the configuration from the environment (or overrides, for tests), rejecting bad values with a clear message. */
export function loadConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) throw new Error(`Invalid configuration: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
