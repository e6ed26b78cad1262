import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { type GatewayConfig, loadConfig } from "../../src/config.js";
import { startFleet } from "../../src/fleet/index.js";
import { createGateway } from "../../src/gateway.js";
import { createLiveHub, fleetLive } from "../../src/live/index.js";
import type { MirrorDatabase } from "../../src/mirror/database.js";
import { createUpstreamBudget } from "../../src/mturk/budget.js";
import { createMTurkClient } from "../../src/mturk/client.js";
import { createLogger } from "../../src/observability/logging.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { hashApiKey } from "../../src/security/auth.js";
import type { CallRecord } from "../../src/simulator/instrumentation.js";
import type { SeedSize } from "../../src/simulator/seed.js";
import { type Simulator, startSimulator } from "../../src/simulator/server.js";
import type { SimulatorSwitches } from "../../src/simulator/switches.js";
import { tempMirrorDatabase } from "./mirror.js";

export interface GraphQLResponse<T = Record<string, unknown>> {
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, any>;
}

/** The simulator over HTTP, the real SDK client, and the gateway driven through `yoga.fetch`. */
export async function startStack(
  options: {
    size?: SeedSize;
    seed?: number;
    env?: Record<string, string>;
    switches?: Partial<SimulatorSwitches>;
    /** The fleet's Redis (src/fleet): its namespace is the simulator's own (a random port), so tests never share keys. */
    redisUrl?: string;
    /** The mirror's database; by default a SQLite file in a directory of the stack's own, kept across restarts. */
    database?: MirrorDatabase;
    /** Another stack's simulator (a second gateway, or a restarted one, over the same account): not closed here. */
    simulator?: Simulator;
    /** As `npm start` embeds it: the simulator's worker side (/_simulator/…) on the gateway's own port. */
    embedded?: boolean;
  } = {},
) {
  const simulator =
    options.simulator ??
    (await startSimulator({
      size: options.size ?? "tiny",
      seed: options.seed ?? 7,
      switches: options.switches,
    }));
  const config: GatewayConfig = loadConfig({
    MTURK_ENDPOINT: simulator.url,
    LOG_LEVEL: "silent",
    // Tests address the gateway as http://gateway.test (yoga.fetch); without auth only named hosts are served.
    ALLOWED_HOSTS: "gateway.test",
    // Calls are counted per test: no background sync unless a test asks for one (reads refresh what they need).
    MIRROR_SYNC_INTERVAL_MS: "0",
    ...options.env,
  });
  const metrics = createMetrics();
  // As npm start does (the same function): the fair scheduler over the rate budget.
  const scheduler = createUpstreamBudget(config, metrics.registry);
  // Fault tests set retries low through env; everything else keeps the defaults.
  const client = createMTurkClient({
    endpoint: simulator.url,
    credentials: simulator.credentials,
    maxAttempts: config.MTURK_MAX_ATTEMPTS,
    timeoutMs: config.MTURK_TIMEOUT_MS,
    scheduler,
    metrics,
  });
  // The mirror in a real SQLite file of the stack's own: a restarted gateway opens the same one again.
  const dataDir = options.database ? undefined : mkdtempSync(join(tmpdir(), "mturk-stack-"));
  let opened = false;
  const database = async () => {
    if (options.database && opened) throw new Error("A stack given a database cannot restart its gateway.");
    opened = true;
    return options.database ?? tempMirrorDatabase({ dir: dataDir });
  };
  let started = 0;
  /** The gateway's process: a restart forgets everything in memory (what Redis and the mirror hold stays). */
  const startGateway = async () => {
    // A restarted gateway is a new process: metrics of its own (the scheduler's stay with the first).
    const registry = started++ === 0 ? metrics : createMetrics();
    const fleet = options.redisUrl
      ? await startFleet({
          redisUrl: options.redisUrl,
          endpoint: simulator.url,
          accessKeyId: simulator.credentials.accessKeyId,
          config,
        })
      : undefined;
    // As npm start does: the fleet's budget behind the scheduler; with Redis, the subscriptions' log, leases and
    // limits are the fleet's too.
    if (fleet?.budget) scheduler.useBudget(fleet.budget);
    const live = createLiveHub({
      config,
      client,
      metrics: registry,
      logger: createLogger(config.LOG_LEVEL),
      pressure: scheduler,
      fleet: fleet && fleetLive(fleet.link, config),
    });
    return {
      fleet,
      live,
      registry,
      yoga: createGateway({
        config,
        client,
        metrics: registry,
        database: await database(),
        shared: fleet?.shared,
        live,
        simulatorOrigin: options.embedded ? simulator.url : undefined,
      }),
    };
  };
  let gateway = await startGateway();

  async function query<T = Record<string, unknown>>(
    document: string,
    variables: Record<string, unknown> = {},
    options: { headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<GraphQLResponse<T>> {
    const response = await gateway.yoga.fetch("http://gateway.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...options.headers },
      body: JSON.stringify({ query: document, variables }),
      signal: options.signal,
    });
    return (await response.json()) as GraphQLResponse<T>;
  }

  /** A query whose client goes away after `ms` (its request's signal aborts). */
  async function abandoned(document: string, variables: Record<string, unknown> = {}, ms = 100): Promise<void> {
    const controller = new AbortController();
    const response = query(document, variables, { signal: controller.signal }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, ms));
    controller.abort();
    await response;
  }

  /** Runs a query with a clean call log and returns its result with the upstream calls it caused. */
  async function measured<T = Record<string, unknown>>(document: string, variables: Record<string, unknown> = {}) {
    simulator.instrumentation.resetCalls();
    const result = await query<T>(document, variables);
    const calls = [...simulator.instrumentation.calls];
    return { result, calls, waves: countWaves(calls) };
  }

  let server: Server | undefined;
  /** The gateway on a loopback port, as node:http serves it (for clients that need a URL); closed with the stack. */
  async function listen(): Promise<{ port: number; url: string }> {
    const started = createServer(gateway.yoga);
    server = started;
    await new Promise<void>((resolve) => started.listen(0, "127.0.0.1", resolve));
    const port = (started.address() as AddressInfo).port;
    return { port, url: `http://127.0.0.1:${port}/graphql` };
  }

  /** The gateway's /metrics, as text. */
  const metricsText = () => gateway.registry.registry.metrics();

  return {
    simulator,
    get yoga() {
      return gateway.yoga;
    },
    /** The fleet's connection to Redis (with `redisUrl`). */
    get fleet() {
      return gateway.fleet;
    },
    /**
     * Redis restarted empty, as far as this gateway can tell: every key of its namespace deleted (never FLUSHALL).
     * Answers how many of them were idempotency records.
     */
    forgetRedis: async () => {
      const keys = await deleteNamespace(options.redisUrl, gateway.fleet?.link.namespace);
      return keys.filter((k) => k.includes(":idempotency:")).length;
    },
    /** A new gateway process on the same simulator, Redis and mirror: nothing of the old one's memory survives. */
    restartGateway: async () => {
      await gateway.live?.close();
      await gateway.yoga.dispose();
      await gateway.fleet?.close();
      gateway = await startGateway();
    },
    client,
    metrics: metricsText,
    query,
    /** A query with an API key (`x-api-key`), for stacks with AUTH_API_KEYS (see apiKeysEnv). */
    queryAs: <T = any>(apiKey: string, document: string, variables: Record<string, unknown> = {}) =>
      query<T>(document, variables, { headers: { "x-api-key": apiKey } }),
    abandoned,
    measured,
    listen,
    control: <T = Record<string, unknown>>(method: string, path: string, body?: unknown) =>
      control<T>(simulator, method, path, body),
    close: async () => {
      server?.close();
      await gateway.live?.close();
      await gateway.yoga.dispose();
      await gateway.fleet?.close();
      // Nothing writes to Redis any more: the test leaves none of its keys behind.
      await deleteNamespace(options.redisUrl, gateway.fleet?.link.namespace);
      client.destroy();
      if (!options.simulator) await simulator.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
export type Stack = Awaited<ReturnType<typeof startStack>>;

/** Waves: groups of calls that overlapped in time; a call that starts after every earlier one ended opens a wave. */
export function countWaves(calls: CallRecord[]): number {
  const sorted = [...calls].sort((a, b) => a.start - b.start);
  let waves = 0;
  let waveEnd = Number.NEGATIVE_INFINITY;
  for (const call of sorted) {
    if (call.start >= waveEnd) waves += 1;
    waveEnd = Math.max(waveEnd, call.end);
  }
  return waves;
}

export async function control<T = Record<string, unknown>>(
  sim: Simulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${sim.url}/_simulator/${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json()) as T;
  if (!response.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

export const operationsOf = (calls: CallRecord[]) => calls.map((c) => c.operation).sort();

/** AUTH_API_KEYS for a stack: each key with its name and scopes (stored hashed, as in production). */
export const apiKeysEnv = (keys: Record<string, { key: string; scopes: string[] }>) => ({
  AUTH_API_KEYS: JSON.stringify(
    Object.entries(keys).map(([name, { key, scopes }]) => ({ name, sha256: hashApiKey(key), scopes })),
  ),
});

/** Deletes every key of a gateway's Redis namespace (a shared Redis: never FLUSHALL); the keys deleted. */
async function deleteNamespace(redisUrl: string | undefined, namespace: string | undefined): Promise<string[]> {
  if (!redisUrl || !namespace) return [];
  const redis = new Redis(redisUrl);
  try {
    const keys: string[] = [];
    for await (const batch of redis.scanStream({ match: `${namespace}:*`, count: 500 }))
      keys.push(...(batch as string[]));
    if (keys.length) await redis.del(...keys);
    return keys;
  } finally {
    redis.disconnect();
  }
}

/**
 * The calls a listing that had items takes to end beyond its pages: MTurk sends a NextToken on the last page
 * (tokenOnLastPage), so a walk ends only at the empty page that token leads to.
 */
export const endOfListing = (sim: Simulator) => (sim.switches.tokenOnLastPage ? 1 : 0);
