/**
 * Issue 24's figures, a section of `npm run bench` (or alone: `npx tsx bench/fairness.ts`): at 5 calls/s with 20 ms
 * of upstream latency (the simulator in its own process), a victim key's one-call reads while another key floods
 * (30 concurrent nodes(ids:) of 50 unknown ids), aborts (40 requests its client leaves after 200 ms, every 2 s) and
 * streams 50 CSV exports, against a baseline of the same reads alone, in the same process. The gateway runs here on
 * node:http with the production budget path (createUpstreamBudget), so aborts are real disconnects.
 */
import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { loadConfig } from "../src/config.js";
import { createGateway } from "../src/gateway.js";
import { createLiveHub } from "../src/live/index.js";
import { createUpstreamBudget } from "../src/mturk/budget.js";
import { createLogger } from "../src/observability/logging.js";
import { createMetrics } from "../src/observability/metrics.js";
import { hashApiKey } from "../src/security/auth.js";
import { benchClient, simulatorProcess } from "./simulatorProcess.js";

const KEYS = { flood: "bench-flood-key-0123456789", victim: "bench-victim-key-0123456789" };
const READS = 20;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.ceil(p * xs.length) - 1] as number;
const unknownIds = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => Buffer.from(`HIT:3NOSUCH${tag}${String(i).padStart(5, "0")}`).toString("base64"));

/** The gateway as npm start builds it, with two keys, on a loopback port. */
async function fairGateway(endpoint: string, env: Record<string, string> = {}) {
  const config = loadConfig({
    MTURK_ENDPOINT: endpoint,
    LOG_LEVEL: "silent",
    MTURK_RATE_PER_SECOND: "5",
    AUTH_API_KEYS: JSON.stringify(
      Object.entries(KEYS).map(([name, key]) => ({ name, sha256: hashApiKey(key), scopes: ["read"] })),
    ),
    ...env,
  });
  const metrics = createMetrics();
  const scheduler = createUpstreamBudget(config, metrics.registry);
  const client = benchClient(endpoint, 10_000, scheduler, metrics);
  const live = createLiveHub({ config, client, metrics, logger: createLogger("silent"), pressure: scheduler });
  const server = createServer(createGateway({ config, client, metrics, live }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const post = (key: string, query: string, variables: Record<string, unknown>, signal?: AbortSignal) =>
    fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": key },
      body: JSON.stringify({ query, variables }),
      signal,
    });
  // The victim is another client: its own connections (the flood's aborts destroy sockets of the shared pool).
  const agent = new Agent({ keepAlive: true });
  const read = (query: string, variables: Record<string, unknown>) =>
    new Promise<{ errors?: { extensions?: { code?: string } }[]; extensions?: unknown }>((resolve, reject) => {
      const payload = JSON.stringify({ query, variables });
      const headers = {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(payload),
        "x-api-key": KEYS.victim,
      };
      const req = request(`${base}/graphql`, { method: "POST", agent, headers }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve(JSON.parse(text)));
      });
      req.on("error", reject);
      req.end(payload);
    });
  return {
    base,
    post,
    read,
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      server.close();
      await live.close();
      client.destroy();
    },
  };
}
type FairGateway = Awaited<ReturnType<typeof fairGateway>>;

/** The victim's one-call reads (GetHIT), one after another: their wall times and the errors among them. */
async function victimReads(gateway: FairGateway, hitId: string) {
  const walls: number[] = [];
  /** Each read's wait for the rate budget (extensions.cost.queueMs). */
  const queued: number[] = [];
  const errors: string[] = [];
  for (let i = 0; i < READS; i += 1) {
    const start = performance.now();
    const body = await gateway.read(`query($h: String!) { hit(hitId: $h) { title } }`, { h: hitId });
    walls.push(performance.now() - start);
    queued.push((body.extensions as { cost?: { queueMs?: number } } | undefined)?.cost?.queueMs ?? 0);
    if (body.errors) errors.push(String(body.errors[0]?.extensions?.code));
    await pause(100);
  }
  return { walls, queued, errors };
}

/** Floods as the flood key while `during` runs, then leaves (its requests' clients go away). */
async function flooding<T>(start: (signal: AbortSignal) => void, during: () => Promise<T>): Promise<T> {
  const controller = new AbortController();
  start(controller.signal);
  // Long enough for the flood's calls to fill the queue and the bucket's saved tokens to go.
  await pause(5_000);
  try {
    return await during();
  } finally {
    controller.abort();
  }
}

const ignore = (p: Promise<unknown>) => void p.catch(() => undefined);

type Scenario = { name: string; env?: Record<string, string>; flood?: (g: FairGateway, s: AbortSignal) => void };

function scenarios(hitTypeId: string): Scenario[] {
  const nodes = (g: FairGateway, signal: AbortSignal, tag: string) =>
    g.post(KEYS.flood, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: unknownIds(50, tag) }, signal);
  const exportOf = (g: FairGateway, signal: AbortSignal) =>
    fetch(`${g.base}/exports/assignments.csv?hitTypeId=${hitTypeId}`, {
      headers: { "x-api-key": KEYS.flood },
      signal,
    }).then((r) => r.text());
  return [
    { name: "alone (baseline)" },
    {
      name: "30 concurrent nodes(ids:) of 50 unknown ids",
      flood: (g, signal) => {
        for (let i = 0; i < 30; i += 1) ignore(nodes(g, signal, `F${i}`));
      },
    },
    {
      // Every 2 s (20 requests a second: the rate budget's attack, not one on the gateway's CPU).
      name: "40 requests (50 unknown ids each) aborted by their client after 200 ms, every 2 s",
      flood: (g, signal) => {
        void (async () => {
          for (let wave = 0; !signal.aborted; wave += 1) {
            const aborts = Array.from({ length: 40 }, () => new AbortController());
            for (const [i, a] of aborts.entries()) ignore(nodes(g, a.signal, `A${wave}x${i}`));
            await pause(200);
            for (const a of aborts) a.abort();
            await pause(1_800);
          }
        })();
      },
    },
    {
      name: "50 concurrent CSV exports (MAX_EXPORTS_PER_KEY 2: 48 refused)",
      flood: (g, signal) => {
        for (let i = 0; i < 50; i += 1) ignore(exportOf(g, signal));
      },
    },
    {
      name: "50 concurrent CSV exports, MAX_EXPORTS_PER_KEY 50 (the scheduler alone)",
      env: { MAX_EXPORTS_PER_KEY: "50" },
      flood: (g, signal) => {
        for (let i = 0; i < 50; i += 1) ignore(exportOf(g, signal));
      },
    },
  ];
}

type Simulator = Awaited<ReturnType<typeof simulatorProcess>>;

/** One scenario on a gateway of its own (an empty queue, a full bucket): the victim's reads and the calls meanwhile. */
async function run(sim: Simulator, scenario: Scenario, hitId: string) {
  const gateway = await fairGateway(sim.url, scenario.env);
  const reads = async () => {
    await sim.control("DELETE", "calls");
    const start = performance.now();
    const result = await victimReads(gateway, hitId);
    const calls = (await sim.control<unknown[]>("GET", "calls")).length;
    return { ...result, perSecond: (calls * 1000) / (performance.now() - start) };
  };
  try {
    return scenario.flood ? await flooding((signal) => scenario.flood?.(gateway, signal), reads) : await reads();
  } finally {
    await gateway.close();
  }
}

export async function fairnessBench() {
  console.log(
    `\n## Fairness (5 calls/s, upstream latency 20 ms, simulator in its own process; ${READS} one-call reads of a victim key, 100 ms apart, while another key floods)`,
  );
  console.log(
    "| while the flood key sends | victim p50 | victim max | p50 / baseline | victim's queue wait p50 | upstream calls/s meanwhile | victim errors | bar (p50 ≤ 1 s, max ≤ 3 s) |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  const sim = await simulatorProcess("demo");
  await sim.control("PUT", "latency", { fixedMs: 20, jitterMs: 0 });
  const { hitIds } = await sim.control<{ hitIds: string[] }>("GET", "fixtures");
  const hitId = hitIds[0] as string;
  let baseline = 0;
  try {
    const probe = await fairGateway(sim.url);
    const hit = (await (
      await probe.post(KEYS.victim, `query($h: String!) { hit(hitId: $h) { hitTypeId } }`, { h: hitId })
    ).json()) as { data: { hit: { hitTypeId: string } } };
    await probe.close();
    for (const scenario of scenarios(hit.data.hit.hitTypeId)) {
      const { walls, queued, errors, perSecond } = await run(sim, scenario, hitId);
      const p50 = percentile(walls, 0.5);
      const max = Math.max(...walls);
      if (!scenario.flood) baseline = p50;
      const bar = p50 <= 1_000 && max <= 3_000 ? "met" : "NOT MET";
      console.log(
        `| ${scenario.name} | ${p50.toFixed(0)} ms | ${max.toFixed(0)} ms | ${(p50 / baseline).toFixed(1)} | ${percentile(queued, 0.5).toFixed(0)} ms | ${perSecond.toFixed(1)} | ${errors.length ? errors.join(", ") : "none"} | ${scenario.flood ? bar : "–"} |`,
      );
    }
  } finally {
    sim.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  await fairnessBench();
}
