/**
 * The mirror's figures (`npm run bench`, or alone: `npx tsx bench/mirror.ts`), on the simulator's huge seed (20,000
 * HITs, about 210,000 assignments) in a process of its own:
 *  - the first sync: its calls against the floor (the pages the account's listings need) and its time;
 *  - an incremental refresh after one new submission: its calls (ListHITs' pages and the changed HIT's two);
 *  - p50 of a sorted, counted page, a worker's history and stats answered from the mirror (SQLite, then PostgreSQL);
 *  - the process's RSS and the database's size;
 *  - at 5 calls/s on the demo seed, how long `worker { stats }` takes from the first ask (retrying on TIMEOUT).
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { loadConfig } from "../src/config.js";
import { accountNamespace } from "../src/fleet/account.js";
import { createGateway } from "../src/gateway.js";
import { type MirrorDatabase, openMirrorDatabase } from "../src/mirror/database.js";
import { createUpstreamBudget } from "../src/mturk/budget.js";
import { DEFAULT_CREDENTIALS } from "../src/simulator/auth.js";
import { startGateway } from "../test/fleet/support.js";
import { postgresAnswers, tempPostgresDatabase } from "../test/support/postgres.js";
import { benchClient, simulatorProcess } from "./simulatorProcess.js";

type Sim = Awaited<ReturnType<typeof simulatorProcess>>;
const ms = (n: number) => `${n.toFixed(1)} ms`;
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * p)] as number;
const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(0)} MB`;

function gatewayOn(sim: Sim, database: MirrorDatabase, env: Record<string, string> = {}) {
  const config = loadConfig({
    MTURK_ENDPOINT: sim.url,
    LOG_LEVEL: "silent",
    ALLOWED_HOSTS: "gateway.bench",
    MIRROR_SYNC_INTERVAL_MS: "0",
    MIRROR_MAX_AGE_MS: "3600000",
    MIRROR_RECHECKS_PER_PASS: "0",
    ...env,
  });
  const scheduler = createUpstreamBudget(config);
  const client = benchClient(sim.url, 10_000, scheduler);
  const yoga = createGateway({ config, client, database });
  const query = async <T = unknown>(document: string, variables: Record<string, unknown> = {}) => {
    const response = await yoga.fetch("http://gateway.bench/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: document, variables }),
    });
    return (await response.json()) as { data?: T; errors?: { extensions?: Record<string, unknown> }[] };
  };
  return {
    query,
    close: async () => {
      await yoga.dispose();
      client.destroy();
    },
  };
}

const counters = (sim: Sim) => sim.control<Record<string, number>>("GET", "counters");
const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);

/**
 * The pages the account's listings need: what any full read of it costs at least (MaxResults 100), MTurk sending a
 * NextToken on every listing's last page too (so a listing of unknown length ends at one empty page more). A HIT's
 * assignments are the exception: its counters (ListHITs) say how many there are, so their last page is known.
 */
async function floorOf(database: MirrorDatabase) {
  const pages = (n: number) => (n === 0 ? 1 : Math.ceil(n / 100) + 1);
  const counted = (n: number) => Math.ceil(n / 100);
  const db = database.db;
  const hits = Number(
    (
      await db
        .selectFrom("hits")
        .select((e) => e.fn.countAll().as("n"))
        .executeTakeFirst()
    )?.n,
  );
  const perHit = await db
    .selectFrom("assignments")
    .select(["hit_id", (e) => e.fn.countAll().as("n")])
    .groupBy("hit_id")
    .execute();
  const bonuses = await db
    .selectFrom("bonus_payments")
    .select(["hit_id", (e) => e.fn.countAll().as("n")])
    .groupBy("hit_id")
    .execute();
  const bonusOf = new Map(bonuses.map((b) => [b.hit_id, Number(b.n)]));
  const requests = Number(
    (
      await db
        .selectFrom("qualification_requests")
        .select((e) => e.fn.countAll().as("n"))
        .executeTakeFirst()
    )?.n,
  );
  let work = 0;
  for (const h of perHit) work += counted(Number(h.n)) + pages(bonusOf.get(h.hit_id) ?? 0);
  return { calls: pages(hits) + work + pages(requests), hits, hitsWithWork: perHit.length };
}

/** Every unit of the account read once, as the background sync's first pass does. */
const FIRST_SYNC = `{ mirror { phase } w: worker(workerId: "ANOBODY") { stats { submitted } }
  qualificationRequests(orderBy: { field: SUBMIT_TIME }, first: 1) { totalCount }
  qualificationTypes(orderBy: { field: NAME }, first: 1) { totalCount } workerBlocks(page: { number: 1 }) { totalCount } }`;

async function firstSync(sim: Sim, database: MirrorDatabase, store: string) {
  const gateway = gatewayOn(sim, database, { REQUEST_TIMEOUT_MS: "3600000" });
  await sim.control("DELETE", "calls");
  const start = performance.now();
  const answer = await gateway.query(FIRST_SYNC);
  const wall = performance.now() - start;
  if (answer.errors) throw new Error(JSON.stringify(answer.errors));
  const calls = total(await counters(sim));
  const floor = await floorOf(database);
  console.log(
    `| first sync (${store}) | ${calls.toLocaleString()} calls for a floor of ${floor.calls.toLocaleString()} pages (${(calls / floor.calls).toFixed(2)}x), ${(wall / 1000).toFixed(0)} s | ${floor.hits.toLocaleString()} HITs, ${floor.hitsWithWork.toLocaleString()} with work; the floor counts each listing's pages and the empty page its last NextToken leads to (not for a HIT's assignments: its counters say how many) |`,
  );
  return gateway;
}

const REQUESTS_PAGE = `{ qualificationRequests(orderBy: { field: SUBMIT_TIME, direction: DESC }, page: { number: 7, size: 50 }) { totalCount edges { node { qualificationRequestId } } } }`;
const HITS_PAGE = `{ hits(orderBy: { field: REWARD }, first: 50, filter: { statuses: [Reviewable, Assignable] }) { totalCount edges { node { hitId reward { amount } } } } }`;
const HISTORY = `query($w: String!) { worker(workerId: $w) { assignments(first: 50) { totalCount edges { node { assignmentId status hitId } } } bonusPayments(first: 20) { totalCount } } }`;
const STATS = `query($w: String!) { worker(workerId: $w) { stats { submitted pending approved rejected approvalRate bonusTotal { amount } } } }`;

async function latencies(gateway: ReturnType<typeof gatewayOn>, workers: string[], store: string) {
  const time = async (document: string, variables: (i: number) => Record<string, unknown>, n = 200) => {
    const runs: number[] = [];
    for (let i = 0; i < n; i += 1) {
      const start = performance.now();
      const r = await gateway.query(document, variables(i));
      runs.push(performance.now() - start);
      if (r.errors) throw new Error(JSON.stringify(r.errors));
    }
    return runs;
  };
  for (const [name, document] of [
    ["page 7 of 20,000 pending requests, newest first, counted", REQUESTS_PAGE],
    ["50 of 20,000 HITs by reward, filtered by status, counted", HITS_PAGE],
    ["a worker's history (50 assignments, totals)", HISTORY],
    ["a worker's stats", STATS],
  ] as const) {
    const runs = await time(document, (i) => ({ w: workers[i % workers.length] }));
    console.log(
      `| ${name} (${store}) | p50 ${ms(percentile(runs, 0.5))}, p95 ${ms(percentile(runs, 0.95))} | 0 calls |`,
    );
  }
}

/**
 * One new submission, then the refresh a read past MIRROR_MAX_AGE_MS makes: ListHITs' pages and that HIT's work. A
 * refresh first takes in what the simulator's clock changed meanwhile (auto-approvals), so that only the one
 * submission is new.
 */
async function incremental(sim: Sim, database: MirrorDatabase, hitId: string, which: string) {
  const gateway = gatewayOn(sim, database, { MIRROR_MAX_AGE_MS: "0", REQUEST_TIMEOUT_MS: "3600000" });
  const refresh = async () => {
    const r = await gateway.query(`{ w: worker(workerId: "ANOBODY") { stats { submitted } } }`);
    if (r.errors) throw new Error(JSON.stringify(r.errors));
  };
  // Settled first: the simulator's clock goes on (auto-approvals, expirations), and what it changed while the
  // previous refresh ran is not this submission's cost. A refresh of a settled mirror reads ListHITs' pages alone.
  for (let round = 0; round < 5; round += 1) {
    await sim.control("DELETE", "calls");
    await refresh();
    const c = await counters(sim);
    if (total(c) === (c.ListHITs ?? 0)) break;
  }
  await sim.control("POST", `hits/${hitId}/submissions`, { count: 1 });
  await sim.control("DELETE", "calls");
  await refresh();
  const c = await counters(sim);
  const listHits = c.ListHITs ?? 0;
  console.log(
    `| incremental refresh after one submission to ${which} | ${total(c)} calls: ListHITs ${listHits} (its pages and the empty last one), then ${total(c) - listHits} for the changed HIT (${Object.entries(
      c,
    )
      .filter(([o]) => o !== "ListHITs")
      .map(([o, n]) => `${o} ${n}`)
      .join(
        ", ",
      )}; an empty listing is one call, a listing of n ≤ 100 is two, as MTurk ends it with an empty page) | target ListHITs pages + 2 |`,
  );
  await gateway.close();
}

async function statsAtFiveCallsPerSecond() {
  const sim = await simulatorProcess("demo");
  await sim.control("PUT", "latency", { fixedMs: 20, jitterMs: 0 });
  const dir = mkdtempSync(join(tmpdir(), "bench-mirror-demo-"));
  const database = await openMirrorDatabase({ dataDir: dir, account: "bench-demo" });
  const gateway = gatewayOn(sim, database, {
    MTURK_RATE_PER_SECOND: "5",
    MTURK_RATE_BURST: "5",
    MIRROR_MAX_AGE_MS: "60000",
  });
  const start = performance.now();
  let asks = 0;
  for (;;) {
    asks += 1;
    const r = await gateway.query(STATS, { w: "AWORKER1" });
    const retry = r.errors?.[0]?.extensions?.retryAfterMs as number | undefined;
    if (!r.errors) break;
    if (retry === undefined) throw new Error(JSON.stringify(r.errors));
    await new Promise((resolve) => setTimeout(resolve, Math.min(retry, 10_000)));
  }
  const wall = (performance.now() - start) / 1000;
  console.log(
    `| worker { stats } at 5 calls/s, 20 ms latency, demo seed, from the first ask | ${wall.toFixed(0)} s (${asks} asks, the first ${asks - 1} answered TIMEOUT with stillRunning) | bar: within 180 s |`,
  );
  await gateway.close();
  sim.stop();
  rmSync(dir, { recursive: true, force: true });
}

/** A gateway process (as npm start runs it) restarted on the synced mirror: it reads nothing again; its RSS after use. */
async function gatewayRss(sim: Sim, dir: string) {
  const gateway = await startGateway({
    MTURK_ENDPOINT: sim.url,
    AWS_ACCESS_KEY_ID: DEFAULT_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DEFAULT_CREDENTIALS.secretAccessKey,
    DATA_DIR: dir,
    MIRROR_MAX_AGE_MS: "3600000",
    MIRROR_SYNC_INTERVAL_MS: "0",
  });
  try {
    await sim.control("DELETE", "calls");
    for (let i = 0; i < 20; i += 1) {
      await gateway.data(HITS_PAGE);
      await gateway.data(STATS, { w: "AWORKER1" });
    }
    const calls = total(await counters(sim));
    console.log(
      `| gateway process on the synced mirror (restarted, under tsx) | RSS ${mb(await rssOf(gateway.pid()))} after 40 requests, ${calls} MTurk calls | warm restart: nothing read again |`,
    );
  } finally {
    await gateway.stop();
  }
}

const rssOf = async (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;

export async function mirrorBench() {
  console.log(
    "\n## The mirror (huge seed: 20,000 HITs, ~210,000 assignments; simulator in its own process, 0 ms latency)",
  );
  console.log("| what | figure | note |\n|---|---|---|");
  const sim = await simulatorProcess("huge");
  const dir = mkdtempSync(join(tmpdir(), "bench-mirror-"));
  try {
    // The account as a gateway process names it, so that the restarted process opens this mirror.
    const account = accountNamespace(sim.url, DEFAULT_CREDENTIALS.accessKeyId);
    const sqlite = await openMirrorDatabase({ dataDir: dir, account });
    const gateway = await firstSync(sim, sqlite, "SQLite");
    const workers = (await sqlite.db.selectFrom("assignments").select("worker_id").distinct().limit(200).execute()).map(
      (w) => w.worker_id,
    );
    await latencies(gateway, workers, "SQLite");
    const file = join(dir, "mirror.sqlite");
    console.log(
      `| SQLite database | ${mb(statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0))} | 200,000 assignments with their answers |`,
    );
    const open = (bonused: boolean) =>
      sqlite.db
        .selectFrom("hits")
        .select("hit_id")
        .where("available", ">", 0)
        .where(({ exists, not, selectFrom }) => {
          const paid = exists(selectFrom("bonus_payments").select("bonus_id").whereRef("hit_id", "=", "hits.hit_id"));
          return bonused ? paid : not(paid);
        })
        .limit(1)
        .executeTakeFirst();
    const changed = [(await open(false))?.hit_id, (await open(true))?.hit_id];
    await gateway.close();
    // Each gateway closes its database as it is disposed of.
    for (const [i, hitId] of changed.entries())
      if (hitId)
        await incremental(
          sim,
          await openMirrorDatabase({ dataDir: dir, account }),
          hitId,
          i === 0 ? "a HIT without bonuses" : "a HIT with bonuses",
        );
    await gatewayRss(sim, dir);
    if (await postgresAnswers()) {
      const temp = await tempPostgresDatabase();
      try {
        const postgres = await openMirrorDatabase({ databaseUrl: temp.url, dataDir: dir, account });
        const onPg = await firstSync(sim, postgres, "PostgreSQL");
        await latencies(onPg, workers, "PostgreSQL");
        const client = new pg.Client({ connectionString: temp.url });
        await client.connect();
        const size = await client.query<{ n: string }>("select pg_database_size(current_database()) as n");
        await client.end();
        console.log(`| PostgreSQL database | ${mb(Number(size.rows[0]?.n))} | the same account |`);
        await onPg.close();
      } finally {
        await temp.drop();
      }
    }
  } finally {
    sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  await statsAtFiveCallsPerSecond();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  await mirrorBench();
}
