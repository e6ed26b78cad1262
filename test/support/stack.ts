import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type GatewayConfig, loadConfig } from "../../src/config.js";
import { createGateway } from "../../src/gateway.js";
import { createLiveHub } from "../../src/live/index.js";
import { createUpstreamBudget } from "../../src/mturk/budget.js";
import { createMTurkClient } from "../../src/mturk/client.js";
import { createLogger } from "../../src/observability/logging.js";
import { createMetrics } from "../../src/observability/metrics.js";
import type { CallRecord } from "../../src/simulator/instrumentation.js";
import type { SeedSize } from "../../src/simulator/seed.js";
import { type Simulator, startSimulator } from "../../src/simulator/server.js";
import type { SimulatorSwitches } from "../../src/simulator/switches.js";

export interface GraphQLResponse<T = Record<string, unknown>> {
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, any>;
}

/** The simulator over HTTP, the real SDK client, and the gateway driven through `yoga.fetch`. */
export async function startStack(
  options: { size?: SeedSize; seed?: number; env?: Record<string, string>; switches?: Partial<SimulatorSwitches> } = {},
) {
  const simulator = await startSimulator({
    size: options.size ?? "tiny",
    seed: options.seed ?? 7,
    switches: options.switches,
  });
  const config: GatewayConfig = loadConfig({
    MTURK_ENDPOINT: simulator.url,
    LOG_LEVEL: "silent",
    // Tests address the gateway as http://gateway.test (yoga.fetch); without auth only named hosts are served.
    ALLOWED_HOSTS: "gateway.test",
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
  const live = createLiveHub({
    config,
    client,
    metrics,
    logger: createLogger(config.LOG_LEVEL),
    pressure: scheduler,
  });
  const yoga = createGateway({ config, client, metrics, live });

  async function query<T = Record<string, unknown>>(
    document: string,
    variables: Record<string, unknown> = {},
    options: { headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<GraphQLResponse<T>> {
    const response = await yoga.fetch("http://gateway.test/graphql", {
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
    const started = createServer(yoga);
    server = started;
    await new Promise<void>((resolve) => started.listen(0, "127.0.0.1", resolve));
    const port = (started.address() as AddressInfo).port;
    return { port, url: `http://127.0.0.1:${port}/graphql` };
  }

  /** The gateway's /metrics, as text. */
  const metricsText = () => metrics.registry.metrics();

  return {
    simulator,
    yoga,
    client,
    metrics: metricsText,
    query,
    abandoned,
    measured,
    listen,
    control: <T = Record<string, unknown>>(method: string, path: string, body?: unknown) =>
      control<T>(simulator, method, path, body),
    close: async () => {
      server?.close();
      await live.close();
      client.destroy();
      await simulator.close();
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
