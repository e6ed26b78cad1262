import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import autocannon from "autocannon";
import { DEFAULT_CREDENTIALS } from "../src/simulator/auth.js";
import { simulatorProcess } from "./simulatorProcess.js";

/** A bare graphql-yoga server, the reference every figure here is a ratio to (same node, same machine, same run). */
const BARE_YOGA = `import { createServer } from "node:http";
import { createSchema, createYoga } from "graphql-yoga";
const yoga = createYoga({ schema: createSchema({ typeDefs: "type Query { hello: String }" }) });
createServer(yoga).listen(Number(process.env.PORT), "127.0.0.1");`;

const QUERY = JSON.stringify({ query: "{ __typename }" });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
let nextPort = 4400;

interface Server {
  child: ChildProcess;
  url: string;
  /** From spawn to the first 200 of /health. */
  startMs: number;
}

async function health(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/health`)).status === 200;
  } catch {
    return false;
  }
}

/** Starts `args` under node and waits for /health (polled every 5 ms, for both servers alike). */
async function start(args: string[], env: Record<string, string> = {}): Promise<Server> {
  const port = nextPort++;
  const url = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "silent", ...env },
    stdio: "ignore",
  });
  while (!(await health(url))) {
    if (child.exitCode !== null) throw new Error(`${args.join(" ")} exited with ${child.exitCode}`);
    await sleep(5);
  }
  return { child, url, startMs: performance.now() - t0 };
}

async function stop(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.child.once("exit", resolve));
  server.child.kill("SIGTERM");
  await exited;
}

const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

/** RSS once idle after 50 requests (2 s after the last, GC left to V8 as in service). */
async function idleRss(server: Server): Promise<number> {
  for (let i = 0; i < 50; i += 1)
    await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: QUERY,
    });
  await sleep(2_000);
  return rssMb(server.child.pid ?? 0);
}

/** Requests per second of `{ __typename }` with 10 connections for `seconds`. */
async function throughput(url: string, seconds: number): Promise<number> {
  const result = await autocannon({
    url: `${url}/graphql`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: QUERY,
    connections: 10,
    duration: seconds,
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

/**
 * The production build (`npm run build`, `node dist/main.js`) against a bare graphql-yoga server: start, idle RSS
 * and throughput, each as a ratio to the bare server measured in this run, interleaved (A/B/A/B) so that the
 * machine's other load falls on both alike.
 */
export async function productionBench(rounds = 5) {
  console.log("\n## Production build (node dist/main.js vs a bare graphql-yoga server, same run)");
  execFileSync(process.execPath, ["--import", "tsx", "src/build.ts"], { stdio: "inherit" });
  const simulator = await simulatorProcess("demo");
  const alone = {
    MTURK_ENDPOINT: simulator.url,
    AWS_ACCESS_KEY_ID: DEFAULT_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DEFAULT_CREDENTIALS.secretAccessKey,
  };
  const variants = {
    bare: () => start(["--input-type=module", "-e", BARE_YOGA]),
    gateway: () => start(["dist/main.js"], { ...alone, DATA_DIR: mkdtempSync(join(tmpdir(), "bench-prod-")) }),
    embedded: () => start(["dist/main.js"], { DATA_DIR: mkdtempSync(join(tmpdir(), "bench-prod-")) }),
  };
  const starts: Record<keyof typeof variants, number[]> = { bare: [], gateway: [], embedded: [] };
  const rss: Record<keyof typeof variants, number[]> = { bare: [], gateway: [], embedded: [] };
  for (let round = 0; round < rounds; round += 1)
    for (const [name, make] of Object.entries(variants) as [keyof typeof variants, () => Promise<Server>][]) {
      const server = await make();
      starts[name].push(server.startMs);
      if (round < 2) rss[name].push(await idleRss(server));
      await stop(server);
    }
  const bareStart = median(starts.bare);
  console.log(`| server | start to /health (median of ${rounds}) | × bare | idle RSS after 50 requests | × bare |`);
  console.log("|---|---|---|---|---|");
  for (const name of Object.keys(variants) as (keyof typeof variants)[])
    console.log(
      `| ${name === "bare" ? "bare graphql-yoga" : name === "gateway" ? "gateway (MTURK_ENDPOINT: simulator in its own process)" : "gateway + embedded simulator (demo seed)"} | ${median(starts[name]).toFixed(0)} ms | ${(median(starts[name]) / bareStart).toFixed(2)} | ${Math.max(...rss[name]).toFixed(0)} MB | ${(Math.max(...rss[name]) / Math.max(...rss.bare)).toFixed(2)} |`,
    );

  // Throughput: both servers up, warmed, then alternating 5 s runs.
  const bare = await variants.bare();
  const gateway = await variants.gateway();
  await throughput(bare.url, 2);
  await throughput(gateway.url, 2);
  const rates = { bare: [] as number[], gateway: [] as number[] };
  for (let round = 0; round < 3; round += 1) {
    rates.bare.push(await throughput(bare.url, 5));
    rates.gateway.push(await throughput(gateway.url, 5));
  }
  await stop(bare);
  await stop(gateway);
  simulator.stop();
  const [b, g] = [median(rates.bare), median(rates.gateway)];
  console.log(
    `throughput of { __typename } (autocannon, 10 connections, median of 3 × 5 s): bare ${b.toFixed(0)} req/s, gateway ${g.toFixed(0)} req/s, ratio ${(g / b).toFixed(2)}`,
  );
}
