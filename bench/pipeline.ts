import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { GetHITCommand, MTurkClient } from "@aws-sdk/client-mturk";
import { createSchema, createYoga } from "graphql-yoga";
import pino from "pino";
import { loadConfig } from "../src/config.js";
import { createGateway } from "../src/gateway.js";
import { Upstream } from "../src/mturk/client.js";
import { createMetrics } from "../src/observability/metrics.js";
import type { PluginName } from "../src/pipeline.js";
import { hashApiKey } from "../src/security/auth.js";
import { DEFAULT_CREDENTIALS } from "../src/simulator/auth.js";
import type { CallRecord } from "../src/simulator/instrumentation.js";
import { countWaves } from "../test/support/stack.js";
import { benchClient, simulatorProcess } from "./simulatorProcess.js";

const KEY = "bench-pipeline-key-01";
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const silent = () => pino({ level: "info" }, new Writable({ write: (_c, _e, done) => done() }));

/** The gateway as in production: API keys, scopes, armor, complexity, CSRF, metrics, info logs (to nowhere). */
function productionGateway(
  url: string,
  without?: ReadonlySet<PluginName>,
  env: Record<string, string | undefined> = {},
) {
  const all: Record<string, string | undefined> = {
    MTURK_ENDPOINT: url,
    LOG_LEVEL: "info",
    AUTH_API_KEYS: JSON.stringify([{ name: "bench", sha256: hashApiKey(KEY), scopes: ["read", "write", "pay"] }]),
    ...env,
  };
  const config = loadConfig(Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)));
  const client = benchClient(url);
  return { yoga: createGateway({ config, client, logger: silent(), without }), client };
}

async function listen(server: Server) {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

/** Requests per second over `ms` with `connections` in flight (the client shares this process with the servers). */
async function rate(url: string, body: string, ms = 3000, connections = 10) {
  const headers = { "content-type": "application/json", "x-api-key": KEY };
  let done = 0;
  const until = performance.now() + ms;
  const worker = async () => {
    while (performance.now() < until) {
      await (await fetch(url, { method: "POST", headers, body })).text();
      done += 1;
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  return done / (ms / 1000);
}

/** Median of alternating runs, so that a noisy machine affects both sides alike. */
async function alternate(a: () => Promise<number>, b: () => Promise<number>, runs = 3) {
  const ra: number[] = [];
  const rb: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    ra.push(await a());
    rb.push(await b());
  }
  return [median(ra), median(rb)] as const;
}

async function throughput(url: string, hitId: string) {
  console.log(
    "\n## Request pipeline: throughput against bare yoga (loopback HTTP, 10 in flight, median of 3 runs of 3 s)",
  );
  const bare = createServer(
    createYoga({
      schema: createSchema({
        typeDefs: "type Query { hello: String }",
        resolvers: { Query: { hello: () => "world" } },
      }),
    }),
  );
  // The limit for one upstream call: bare yoga whose resolver makes the same GetHIT through the SDK.
  const sdk = new MTurkClient({
    region: "us-east-1",
    endpoint: url,
    credentials: DEFAULT_CREDENTIALS,
    cacheMiddleware: true,
  });
  const bareCall = createServer(
    createYoga({
      schema: createSchema({
        typeDefs: "type Query { title(id: String!): String }",
        resolvers: {
          Query: {
            title: async (_: unknown, { id }: { id: string }) =>
              (await sdk.send(new GetHITCommand({ HITId: id }))).HIT?.Title,
          },
        },
      }),
    }),
  );
  const { yoga, client } = productionGateway(url);
  const gateway = createServer(yoga);
  const [bareUrl, bareCallUrl, gatewayUrl] = [await listen(bare), await listen(bareCall), await listen(gateway)];
  const idOnly = JSON.stringify({ query: `{ hit(hitId: "${hitId}") { hitId } }` });
  const oneCall = JSON.stringify({ query: `{ hit(hitId: "${hitId}") { title } }` });
  await rate(bareUrl, JSON.stringify({ query: "{ hello }" }), 1000);
  await rate(gatewayUrl, oneCall, 1000);
  const [hello, noUpstream] = await alternate(
    () => rate(bareUrl, JSON.stringify({ query: "{ hello }" })),
    () => rate(gatewayUrl, idOnly),
  );
  const [limit, withCall] = await alternate(
    () => rate(bareCallUrl, JSON.stringify({ query: `{ title(id: "${hitId}") }` })),
    () => rate(gatewayUrl, oneCall),
  );
  console.log("| case | req/s | ratio | goal |");
  console.log("|---|---|---|---|");
  console.log(`| bare yoga { hello } | ${hello.toFixed(0)} | 1.00 | |`);
  console.log(
    `| gateway hit(hitId:) { hitId }, every production plugin on | ${noUpstream.toFixed(0)} | ${(noUpstream / hello).toFixed(2)} | >= 0.8 |`,
  );
  console.log(`| bare yoga + one GetHIT through the SDK | ${limit.toFixed(0)} | 1.00 | |`);
  console.log(
    `| gateway hit(hitId:) { title } (one GetHIT) | ${withCall.toFixed(0)} | ${(withCall / limit).toFixed(2)} | >= 0.9 |`,
  );
  for (const server of [bare, bareCall, gateway]) server.close();
  sdk.destroy();
  client.destroy();
}

/** CPU µs per request of `yoga.fetch` (no HTTP), median of alternating runs. */
async function cpuPerRequest(yoga: ReturnType<typeof productionGateway>["yoga"], body: string, n = 2000) {
  const send = async () =>
    (
      await yoga.fetch("http://localhost/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": KEY },
        body,
      })
    ).text();
  const answer = JSON.parse(await send()) as { errors?: unknown[] };
  // A variant that fails its request would measure the error path, not the plugin.
  if (answer.errors) throw new Error(`bench request failed: ${JSON.stringify(answer.errors)}`);
  for (let i = 0; i < 300; i += 1) await send();
  const start = process.cpuUsage();
  for (let i = 0; i < n; i += 1) await send();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

async function perPlugin(url: string, hitId: string) {
  console.log(
    "\n## CPU per request, and what each plugin adds (in process, no HTTP, no upstream call; least of 5 interleaved runs)",
  );
  const body = JSON.stringify({ query: `{ hit(hitId: "${hitId}") { hitId } }` });
  const plugins: PluginName[] = [
    "logging",
    "prometheus",
    "csrf",
    "authentication",
    "armor",
    "timeout",
    "cost",
    "bodyLimit",
    "readiness",
    "metricsAuth",
  ];
  const full = productionGateway(url);
  // Without authentication means authentication off (every scope, a Host check), not a request without a principal.
  const variants = plugins.map((name) => ({
    name,
    ...(name === "authentication"
      ? productionGateway(url, undefined, { AUTH_API_KEYS: undefined })
      : productionGateway(url, new Set([name]))),
  }));
  const runs = new Map<string, number[]>([["all", []], ...plugins.map((p) => [p, []] as [string, number[]])]);
  for (let r = 0; r < 5; r += 1) {
    runs.get("all")?.push(await cpuPerRequest(full.yoga, body));
    for (const v of variants) runs.get(v.name)?.push(await cpuPerRequest(v.yoga, body));
  }
  // The least of the runs: noise (GC, other processes) only ever adds CPU.
  const all = Math.min(...(runs.get("all") ?? []));
  console.log(`| pipeline | CPU µs/request | the plugin's share |`);
  console.log("|---|---|---|");
  console.log(`| every plugin | ${all.toFixed(0)} | |`);
  for (const name of plugins) {
    const without = Math.min(...(runs.get(name) ?? []));
    console.log(`| without ${name} | ${without.toFixed(0)} | ${(all - without).toFixed(0)} µs |`);
  }
  full.client.destroy();
  for (const v of variants) v.client.destroy();
}

async function perCall(url: string, hitId: string) {
  console.log("\n## CPU per upstream call (GetHIT through Upstream.call, sequential; median of 3 runs of 1,500)");
  const measure = async (client: MTurkClient) => {
    const upstream = new Upstream(client, { concurrency: 20, metrics: createMetrics() });
    const call = () => upstream.call("GetHIT", (c) => c.send(new GetHITCommand({ HITId: hitId })));
    for (let i = 0; i < 200; i += 1) await call();
    const start = process.cpuUsage();
    for (let i = 0; i < 1500; i += 1) await call();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1500;
  };
  const configured = benchClient(url);
  const uncached = benchClient(url);
  uncached.config.cacheMiddleware = false;
  const [before, after] = await alternate(
    () => measure(uncached),
    () => measure(configured),
  );
  console.log(
    `without the middleware cache: ${before.toFixed(0)} µs; as configured (cacheMiddleware): ${after.toFixed(0)} µs`,
  );
  configured.destroy();
  uncached.destroy();
}

async function staleWhileRevalidate() {
  console.log("\n## A sorted, counted page under steady load (10,000 pending requests, 50 ms upstream latency)");
  const sim = await simulatorProcess("large");
  await sim.control("PUT", "latency", { fixedMs: 50, jitterMs: 0 });
  const { yoga, client } = productionGateway(sim.url, undefined, {
    MIRROR_MAX_AGE_MS: "2000",
  });
  const server = createServer(yoga);
  const url = await listen(server);
  const body = JSON.stringify({
    query: `{ qualificationRequests(orderBy: { field: SUBMIT_TIME }, page: { number: 3, size: 50 }) { totalCount asOf edges { node { qualificationRequestId } } } }`,
  });
  const headers = { "content-type": "application/json", "x-api-key": KEY };
  const timed = async () => {
    const start = performance.now();
    await (await fetch(url, { method: "POST", headers, body })).text();
    return performance.now() - start;
  };
  const first = await timed();
  const times: number[] = [];
  const until = performance.now() + 8000;
  await Promise.all(
    Array.from({ length: 5 }, async () => {
      while (performance.now() < until) times.push(await timed());
    }),
  );
  times.sort((a, b) => a - b);
  const p99 = times[Math.floor(times.length * 0.99)] as number;
  console.log(
    `first request (cold scan): ${first.toFixed(0)} ms; then ${times.length} requests over 8 s (the mirror refreshed whenever it is 2 s old): p50 ${median(times).toFixed(0)} ms, p99 ${p99.toFixed(0)} ms (goal < 100 ms)`,
  );
  server.close();
  client.destroy();
  sim.stop();
}

async function coldScan() {
  console.log("\n## Page 50 of all 10,000 pending requests, counted (20 types, 50 ms latency)");
  const sim = await simulatorProcess("large");
  await sim.control("PUT", "latency", { fixedMs: 50, jitterMs: 0 });
  const { yoga, client } = productionGateway(sim.url, undefined, { MIRROR_MAX_AGE_MS: "3600000" });
  const body = JSON.stringify({
    query: `{ qualificationRequests(orderBy: { field: SUBMIT_TIME }, page: { number: 50, size: 100 }) { totalCount } }`,
  });
  for (const label of ["first (an empty mirror: the pending requests read once)", "next (from the mirror)"]) {
    await sim.control("DELETE", "calls");
    const start = performance.now();
    await (
      await yoga.fetch("http://localhost/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": KEY },
        body,
      })
    ).text();
    const wall = performance.now() - start;
    const calls = await sim.control<CallRecord[]>("GET", "calls");
    console.log(`${label}: ${calls.length} calls, ${countWaves(calls)} waves, ${wall.toFixed(0)} ms`);
  }
  client.destroy();
  sim.stop();
}

export async function pipelineBench() {
  const sim = await simulatorProcess("demo");
  const hitId = (await sim.control<{ hitIds: string[] }>("GET", "fixtures")).hitIds[0] as string;
  await throughput(sim.url, hitId);
  await perPlugin(sim.url, hitId);
  await perCall(sim.url, hitId);
  sim.stop();
  await staleWhileRevalidate();
  await coldScan();
}
