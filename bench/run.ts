import {
  MTurkClient,
  paginateListQualificationRequests,
  paginateListWorkersWithQualificationType,
} from "@aws-sdk/client-mturk";
import { loadConfig } from "../src/config.js";
import { createGateway } from "../src/gateway.js";
import type { CallRecord } from "../src/simulator/instrumentation.js";
import { Simulator, startSimulator } from "../src/simulator/server.js";
import { type GatewayProcess, gatewayEnv, redisMissing, startGateway, startRedis } from "../test/fleet/support.js";
import { postgresAnswers, tempPostgresDatabase } from "../test/support/postgres.js";
import { countWaves } from "../test/support/stack.js";
import { compression, graphiqlBytes, streamedEdges } from "./clients.js";
import { fairnessBench } from "./fairness.js";
import { liveSubscriptions } from "./live.js";
import { mirrorBench } from "./mirror.js";
import { pipelineBench } from "./pipeline.js";
import { productionBench } from "./production.js";
import { exportMemory, workerHistoryFigure } from "./requester.js";
import { benchClient, simulatorProcess } from "./simulatorProcess.js";

/**
 * The simulator in a process of its own, as MTurk would be: its CPU time must not count as the gateway's.
 * The gateway runs here, over HTTP through the SDK; calls and waves are read from the simulator's log.
 */
async function remoteStack(size: string) {
  const { url, control, stop } = await simulatorProcess(size);
  const client = benchClient(url);
  const yoga = createGateway({
    // No background sync: a figure counts the calls its query causes, not the sync's beside it.
    config: loadConfig({
      MTURK_ENDPOINT: url,
      LOG_LEVEL: "silent",
      ALLOWED_HOSTS: "gateway.bench",
      MIRROR_SYNC_INTERVAL_MS: "0",
    }),
    client,
  });
  const query = async (document: string, variables: Record<string, unknown>) =>
    (await (
      await yoga.fetch("http://gateway.bench/graphql", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: document, variables }),
      })
    ).json()) as { errors?: unknown };
  return {
    control,
    query,
    client,
    close: () => {
      client.destroy();
      stop();
    },
  };
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
const ms = (n: number) => `${n.toFixed(0)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function simulatorSpeed() {
  const t0 = performance.now();
  const sim = new Simulator({ size: "large" });
  const seedMs = performance.now() - t0;
  await sim.listen();
  const client = new MTurkClient({ region: "us-east-1", endpoint: sim.url, credentials: sim.credentials });
  const runs: number[] = [];
  let items = 0;
  let pages = 0;
  for (let run = 0; run < 5; run += 1) {
    items = 0;
    pages = 0;
    const start = performance.now();
    for await (const page of paginateListQualificationRequests({ client, pageSize: 100 }, {})) {
      items += page.QualificationRequests?.length ?? 0;
      pages += 1;
    }
    runs.push(performance.now() - start);
  }
  client.destroy();
  await sim.close();
  console.log("## Simulator");
  console.log(`seed 'large' (10,000 pending requests, 2,000 HITs): ${ms(seedMs)}`);
  console.log(
    `full scan through the SDK at 0 ms latency: ${items} requests in ${pages} pages, median of 5 runs ${ms(median(runs))} (first run ${ms(runs[0] ?? 0)})`,
  );
}

interface Floor {
  calls: number;
  waves: number;
  why: string;
}
interface Canonical {
  name: string;
  document: string;
  variables: (f: Fixtures) => Record<string, unknown>;
  floor: Floor | ((f: Fixtures, client: MTurkClient) => Promise<Floor>);
}
type Fixtures = {
  typesWithPendingRequests: string[];
  qualificationTypeIds: string[];
  hitIds: string[];
  assignmentIdsByStatus: Record<string, string[]>;
};

const canonical: Canonical[] = [
  {
    name: "type → 100 requests → worker ids",
    document: `query($t: String!) { qualificationType(qualificationTypeId: $t) { requests(first: 100) { edges { node { submitTime worker { workerId } } } } } }`,
    variables: (f) => ({ t: f.typesWithPendingRequests[0] }),
    floor: { calls: 1, waves: 1, why: "one ListQualificationRequests page" },
  },
  {
    name: "type → name and 50 requests",
    document: `query($t: String!) { qualificationType(qualificationTypeId: $t) { name requests(first: 50) { edges { node { qualificationRequestId } } } } }`,
    variables: (f) => ({ t: f.typesWithPendingRequests[0] }),
    floor: { calls: 2, waves: 1, why: "GetQualificationType beside ListQualificationRequests (both need the id only)" },
  },
  {
    name: "HIT → title and 20 assignments",
    document: `query($h: String!) { hit(hitId: $h) { title assignments(first: 20) { edges { node { assignmentId status } } } } }`,
    variables: (f) => ({ h: f.hitIds[1] }),
    floor: { calls: 2, waves: 1, why: "GetHIT beside ListAssignmentsForHIT" },
  },
  {
    name: "20 HITs → 10 assignments each → worker, HIT",
    document: `{ hits(first: 20) { edges { node { title reward { formatted } assignments(first: 10) { edges { node { status worker { workerId } hit { title } } } } } } } }`,
    variables: () => ({}),
    floor: { calls: 21, waves: 2, why: "ListHITs, then 20 ListAssignmentsForHIT in parallel" },
  },
  {
    name: "100 pending requests → worker → block",
    document: `{ qualificationRequests(first: 100) { edges { node { worker { block { reason } } } } } }`,
    variables: () => ({}),
    floor: { calls: 2, waves: 2, why: "ListQualificationRequests, then one ListWorkerBlocks page (30 blocks)" },
  },
  {
    name: "100 pending requests → worker → qualification of one type",
    document: `query($t: String!) { qualificationRequests(first: 100) { edges { node { worker { qualification(qualificationTypeId: $t) { integerValue } } } } } }`,
    variables: (f) => ({ t: f.qualificationTypeIds[1] }),
    floor: async (f, client) => {
      // The cheaper of 100 GetQualificationScore calls and full Granted + Revoked scans of the type.
      const pages = async (Status: "Granted" | "Revoked") => {
        let n = 0;
        for await (const _ of paginateListWorkersWithQualificationType(
          { client, pageSize: 100 },
          { QualificationTypeId: f.qualificationTypeIds[1], Status },
        ))
          n += 1;
        return n;
      };
      const [granted, revoked] = [await pages("Granted"), await pages("Revoked")];
      return granted + revoked < 100
        ? {
            calls: 1 + granted + revoked,
            waves: 1 + Math.max(granted, revoked),
            why: `ListQualificationRequests, then ${granted} Granted + ${revoked} Revoked ListWorkersWithQualificationType pages`,
          }
        : { calls: 101, waves: 2, why: "ListQualificationRequests, then 100 GetQualificationScore" };
    },
  },
  {
    name: "assignment → HIT → requirement types",
    document: `query($a: String!) { assignment(assignmentId: $a) { status hit { title qualificationRequirements { qualificationType { name } } } } }`,
    variables: (f) => ({ a: f.assignmentIdsByStatus.Submitted?.[0] }),
    floor: {
      calls: 2,
      waves: 2,
      why: "GetAssignment (returns the HIT), then GetQualificationType per distinct type (1 here)",
    },
  },
];

async function nestedQueries() {
  console.log(
    "\n## Canonical nested queries (large seed: 10,000 pending requests, 2,000 HITs; simulator in its own process; median of 15 runs)",
  );
  console.log(
    "| query | MTurk's floor: calls/waves | calls | waves | wall @0 ms | wall @50 ms | waves × 50 ms | within 10 % |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  const stack = await remoteStack("large");
  const f = await stack.control<Fixtures>("GET", "fixtures");
  for (const q of canonical) {
    const floor = typeof q.floor === "function" ? await q.floor(f, stack.client) : q.floor;
    const results: { latency: number; wall: number; calls: number; waves: number }[] = [];
    for (const latency of [0, 50]) {
      await stack.control("PUT", "latency", { fixedMs: latency, jitterMs: 0 });
      for (let i = 0; i < 5; i += 1) await stack.query(q.document, q.variables(f)); // warm-up (JIT, sockets)
      const walls: number[] = [];
      let calls = 0;
      let waves = 0;
      for (let i = 0; i < 15; i += 1) {
        await stack.control("DELETE", "calls");
        const start = performance.now();
        const result = await stack.query(q.document, q.variables(f));
        walls.push(performance.now() - start);
        if (result.errors) throw new Error(`${q.name}: ${JSON.stringify(result.errors)}`);
        const log = await stack.control<CallRecord[]>("GET", "calls");
        calls = log.length;
        waves = countWaves(log);
      }
      results.push({ latency, wall: median(walls), calls, waves });
    }
    const [zero, fifty] = results as [(typeof results)[0], (typeof results)[0]];
    const ideal = fifty.waves * 50;
    console.log(
      `| ${q.name} | ${floor.calls}/${floor.waves} (${floor.why}) | ${fifty.calls} | ${fifty.waves} | ${ms(zero.wall)} | ${ms(fifty.wall)} | ${ideal} ms | ${fifty.wall <= ideal * 1.1 ? "yes" : `no (+${((fifty.wall / ideal - 1) * 100).toFixed(0)} %)`} |`,
    );
  }
  stack.close();
}

/** Issue 4's figure: legacy page 50 of size 100, ordered by submit time, with totalCount, at 50 ms latency. */
async function legacyPage() {
  console.log("\n## Legacy page access (10,000 pending requests, 50 ms latency, simulator in its own process)");
  const stack = await remoteStack("large");
  await stack.control("PUT", "latency", { fixedMs: 50, jitterMs: 0 });
  const document = `{ qualificationRequests(orderBy: { field: SUBMIT_TIME, direction: ASC }, page: { number: 50, size: 100 }) { totalCount pageNumber edges { node { qualificationRequestId submitTime } } } }`;
  for (const label of ["first request (full scan)", "same query inside the cache window"]) {
    await stack.control("DELETE", "calls");
    const start = performance.now();
    const result = (await stack.query(document, {})) as {
      data?: { qualificationRequests: { totalCount: number; edges: unknown[] } };
    };
    const wall = performance.now() - start;
    const log = await stack.control<CallRecord[]>("GET", "calls");
    console.log(
      `${label}: ${log.length} upstream calls (floor ${label.startsWith("first") ? 100 : 0}), ${countWaves(log)} waves, wall ${ms(wall)}; totalCount ${result.data?.qualificationRequests.totalCount}, ${result.data?.qualificationRequests.edges.length} edges`,
    );
  }
  stack.close();
}

/** Issue 11's figure: N concurrent identical sorted queries spread over the instances; each scenario starts cold. */
async function fleet(n = 30) {
  console.log(`\n## Fleet (${n} concurrent identical sorted queries, 10,000 pending requests, gateway processes)`);
  const missing = redisMissing();
  if (missing || !(await postgresAnswers())) {
    console.log(`skipped: ${missing ?? "no PostgreSQL answers at 127.0.0.1:5432"}`);
    return;
  }
  console.log("| instances | mirror | upstream ListQualificationRequests calls | floor | wall |");
  console.log("|---|---|---|---|---|");
  const document = `{ qualificationRequests(orderBy: { field: SUBMIT_TIME }) { totalCount } }`;
  for (const [instances, shared] of [
    [1, false],
    [3, false],
    [3, true],
  ] as const) {
    const simulator = await startSimulator({ size: "large" });
    // Shared: one PostgreSQL mirror and Redis, as a fleet runs; otherwise each process its own SQLite mirror.
    const redis = shared ? await startRedis() : undefined;
    const database = shared ? await tempPostgresDatabase() : undefined;
    const env: Record<string, string> = {
      ...gatewayEnv(simulator, redis),
      ...(database ? { DATABASE_URL: database.url } : {}),
    };
    const gateways: GatewayProcess[] = [];
    for (let i = 0; i < instances; i += 1) gateways.push(await startGateway(env));
    simulator.instrumentation.resetCalls();
    const start = performance.now();
    await Promise.all(Array.from({ length: n }, (_, i) => (gateways[i % instances] as GatewayProcess).data(document)));
    const wall = performance.now() - start;
    const calls = simulator.instrumentation.calls.filter((c) => c.operation === "ListQualificationRequests").length;
    console.log(
      `| ${instances} | ${shared ? "one PostgreSQL (DATABASE_URL) + REDIS_URL" : "SQLite each"} | ${calls} | 100 | ${ms(wall)} |`,
    );
    await Promise.all(gateways.map((g) => g.stop()));
    await redis?.stop();
    await database?.drop();
    await simulator.close();
  }
}

/** Every section, in the order `npm run bench` runs them; `npm run bench -- mirror fleet` runs the ones named. */
const SECTIONS: Record<string, () => Promise<void>> = {
  simulator: simulatorSpeed,
  nested: nestedQueries,
  legacy: legacyPage,
  pipeline: pipelineBench,
  production: () => productionBench(),
  fleet: () => fleet(),
  compression,
  graphiql: graphiqlBytes,
  stream: streamedEdges,
  live: liveSubscriptions,
  fairness: fairnessBench,
  mirror: mirrorBench,
  history: workerHistoryFigure,
  exports: async () => {
    await exportMemory();

    // The same with V8's old space capped: the export needs no more heap than an idle gateway.
    await exportMemory(100_000, "--max-old-space-size=128");
  },
};
const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(name in SECTIONS));
if (unknown.length)
  throw new Error(`no bench section ${unknown.join(", ")}; sections: ${Object.keys(SECTIONS).join(", ")}`);
for (const [name, section] of Object.entries(SECTIONS)) if (!asked.length || asked.includes(name)) await section();
