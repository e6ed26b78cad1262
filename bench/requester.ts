/**
 * Issue 14's figures, as sections of `npm run bench` (or alone: `npx tsx bench/requester.ts`):
 *  - the worker index on the large seed: the cold build's calls and time, then a warm worker { assignments(first:
 *    100) } (0 calls) and its time;
 *  - the memory of exporting 100,000 assignments: the gateway in a process of its own (as `npm start` runs it),
 *    its peak RSS (VmHWM) while a client streams the CSV.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { CreateHITCommand } from "@aws-sdk/client-mturk";
import { loadConfig } from "../src/config.js";
import { createGateway } from "../src/gateway.js";
import { DEFAULT_CREDENTIALS } from "../src/simulator/auth.js";
import { benchClient, simulatorProcess } from "./simulatorProcess.js";

const ms = (n: number) => `${n.toFixed(0)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** A child process started with tsx; resolves with the first match of `pattern` in its output. */
async function child(args: string[], env: Record<string, string>, pattern: RegExp) {
  const process_: ChildProcess = spawn(process.execPath, ["--import", "tsx", ...args], {
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    process_.stdout?.on("data", (chunk: Buffer) => {
      const found = pattern.exec(chunk.toString());
      if (found) resolve(found);
    });
    process_.on("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code}`)));
  });
  return { process: process_, match };
}

export async function workerHistoryFigure() {
  console.log(
    "\n## A worker's history (large seed: 2,000 HITs, 3,000 workers; simulator in its own process, 0 ms latency; an empty mirror)",
  );
  const sim = await simulatorProcess("large");
  const client = benchClient(sim.url);
  const yoga = createGateway({
    config: loadConfig({ MTURK_ENDPOINT: sim.url, LOG_LEVEL: "silent", ALLOWED_HOSTS: "gateway.bench" }),
    client,
  });
  const query = async (workerId: string) => {
    await sim.control("DELETE", "calls");
    const start = performance.now();
    const response = await yoga.fetch("http://gateway.bench/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: `query($w: String!) { worker(workerId: $w) { assignments(first: 100) { totalCount edges { node { assignmentId status hitId submitTime } } } } }`,
        variables: { w: workerId },
      }),
    });
    const body = (await response.json()) as { errors?: unknown };
    const wall = performance.now() - start;
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return { wall, calls: (await sim.control<unknown[]>("GET", "calls")).length };
  };
  try {
    await historyRuns(sim, query);
  } finally {
    client.destroy();
    sim.stop();
  }
}

async function historyRuns(
  sim: Awaited<ReturnType<typeof simulatorProcess>>,
  query: (workerId: string) => Promise<{ wall: number; calls: number }>,
) {
  const { workerIds } = await sim.control<{ workerIds: string[] }>("GET", "fixtures");
  const cold = await query(workerIds[0] as string);
  console.log(`cold (the empty mirror reads the account's work once): ${cold.calls} upstream calls, ${ms(cold.wall)}`);
  const warm = [];
  for (const w of workerIds.slice(1, 41)) warm.push(await query(w));
  const calls = warm.reduce((sum, r) => sum + r.calls, 0);
  console.log(
    `warm, 40 other workers: ${calls} upstream calls in all; median ${ms(median(warm.map((r) => r.wall)))}, max ${ms(Math.max(...warm.map((r) => r.wall)))} per query`,
  );
}

const kb = (line: string | undefined) => Number(line?.split(/\s+/)[1] ?? 0);
function memoryOf(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8").split("\n");
  return { rss: kb(status.find((l) => l.startsWith("VmRSS:"))), peak: kb(status.find((l) => l.startsWith("VmHWM:"))) };
}

export async function exportMemory(count = 100_000, nodeOptions = "") {
  console.log(
    `\n## Export memory (${count.toLocaleString("en")} assignments of one HIT, gateway in its own process${nodeOptions ? ` with NODE_OPTIONS=${nodeOptions}` : ""})`,
  );
  const sim = await simulatorProcess("empty");
  const client = benchClient(sim.url, 30_000);
  const created = await client.send(
    new CreateHITCommand({
      Title: "Export bench",
      Description: "Many assignments",
      Reward: "0.01",
      LifetimeInSeconds: 86_400,
      AssignmentDurationInSeconds: 600,
      MaxAssignments: count,
      Question:
        "<QuestionForm><Question><QuestionIdentifier>q1</QuestionIdentifier></Question><Question><QuestionIdentifier>q2</QuestionIdentifier></Question></QuestionForm>",
    }),
  );
  const hitId = created.HIT?.HITId as string;
  for (let done = 0; done < count; done += 20_000)
    await sim.control("POST", `hits/${hitId}/submissions`, { count: Math.min(20_000, count - done) });
  const gateway = await child(
    ["src/main.ts"],
    {
      MTURK_ENDPOINT: sim.url,
      AWS_ACCESS_KEY_ID: DEFAULT_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DEFAULT_CREDENTIALS.secretAccessKey,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      NODE_OPTIONS: nodeOptions,
    },
    /MTurk GraphQL gateway: http:\/\/localhost:(\d+)\/graphql/,
  );
  const pid = gateway.process.pid as number;
  const before = memoryOf(pid);
  const start = performance.now();
  const response = await fetch(`http://127.0.0.1:${gateway.match[1]}/exports/assignments.csv?hitId=${hitId}`);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let bytes = 0;
  let lines = 0;
  let sampledPeak = 0;
  const sampler = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, memoryOf(pid).rss);
  }, 50);
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    bytes += r.value.length;
    for (const b of r.value) if (b === 10) lines += 1;
  }
  clearInterval(sampler);
  const wall = performance.now() - start;
  const after = memoryOf(pid);
  console.log(`HTTP ${response.status}: ${lines - 1} rows, ${(bytes / 1e6).toFixed(1)} MB of CSV in ${ms(wall)}`);
  console.log(
    `gateway RSS: ${(before.rss / 1024).toFixed(0)} MB before the export, peak during it ${(Math.max(after.peak, sampledPeak) / 1024).toFixed(0)} MB (VmHWM since start), ${(after.rss / 1024).toFixed(0)} MB after (limit 256 MB)`,
  );
  gateway.process.kill();
  client.destroy();
  sim.stop();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  await workerHistoryFigure();
  await exportMemory();
  await exportMemory(100_000, "--max-old-space-size=128");
}
