import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import type { GraphQLResponse } from "../support/stack.js";

/** Why the fleet tests cannot run here, or undefined when Debian's redis-server is on the PATH. */
export function redisMissing(): string | undefined {
  const probe = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0)
    return "redis-server not found: the fleet tests need Debian's redis-server (apt-get install -y redis-server; .ci/run installs it)";
  return undefined;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Waits for `pattern` on a child's stdout; rejects if the child exits first or `ms` pass. */
function awaitOutput(child: ChildProcess, pattern: RegExp, what: string, ms = 30_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`${what}: no ${pattern} within ${ms} ms:\n${seen}`)), ms);
    child.stdout?.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}:\n${seen}`));
    });
  });
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const killed = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
  if (!killed) {
    child.kill("SIGKILL");
    await exited;
  }
}

/** A throwaway redis-server on a free port, without persistence; stop() and start() again on the same port. */
export async function startRedis() {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--enable-debug-command",
        "local",
      ],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    await awaitOutput(child, /Ready to accept connections/, "redis-server");
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, start, stop: () => stopChild(child) };
}
export type RedisServer = Awaited<ReturnType<typeof startRedis>>;

/**
 * The machine's Redis (TEST_REDIS_URL, or 127.0.0.1:6379) when it answers, else a throwaway redis-server. Tests on
 * a shared Redis keep to a namespace of their own and delete only its keys (never FLUSHALL).
 */
export async function machineRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const url = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1_000 });
  probe.on("error", () => {});
  const answers = await probe
    .connect()
    .then(() => probe.ping())
    .then(
      () => true,
      () => false,
    );
  probe.disconnect();
  if (answers) return { url, stop: async () => {} };
  const server = await startRedis();
  return { url: server.url, stop: server.stop };
}

/** The environment that points a gateway process at a simulator (and at Redis, for a fleet). */
export const gatewayEnv = (
  simulator: { url: string; credentials: { accessKeyId: string; secretAccessKey: string } },
  redis?: { url: string },
) => ({
  MTURK_ENDPOINT: simulator.url,
  AWS_ACCESS_KEY_ID: simulator.credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: simulator.credentials.secretAccessKey,
  ...(redis ? { REDIS_URL: redis.url } : {}),
});

/** One gateway process (`src/main.ts`, as `npm start` runs it) on a free port, against `endpoint`. */
export async function startGateway(env: Record<string, string>) {
  let child: ChildProcess | undefined;
  let url = "";
  /** What the process printed (stdout and stderr). */
  let output = "";
  // Each process its own mirror unless the test shares one (DATABASE_URL, or a DATA_DIR it names).
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), "mturk-gateway-"));
  const start = async () => {
    child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "warn",
        DATA_DIR: dataDir,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      process.stderr.write(chunk);
    });
    const match = await awaitOutput(child, /MTurk GraphQL gateway: (http:\/\/localhost:\d+)\/graphql/, "gateway");
    url = (match[1] as string).replace("localhost", "127.0.0.1");
  };
  await start();
  const query = async <T = any>(document: string, variables: Record<string, unknown> = {}) => {
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query: document, variables }),
    });
    return (await response.json()) as GraphQLResponse<T>;
  };
  return {
    query,
    /** The data of a query that must not fail. */
    data: async <T = any>(document: string, variables: Record<string, unknown> = {}) => {
      const result = await query<T>(document, variables);
      if (result.errors) throw new Error(`${document}: ${JSON.stringify(result.errors)}`);
      return result.data as T;
    },
    ready: async () => (await (await fetch(`${url}/ready`)).json()) as { status: string; degraded?: string },
    metrics: async () => await (await fetch(`${url}/metrics`)).text(),
    stop: () => stopChild(child),
    /** Ends the process at once (SIGKILL), as a crash would: nothing is released. */
    kill: async () => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child?.once("exit", () => resolve()));
      child.kill("SIGKILL");
      await exited;
    },
    url: () => url,
    /** The process id (its RSS is in /proc/<pid>/status). */
    pid: () => child?.pid ?? 0,
    output: () => output,
    restart: async () => {
      await stopChild(child);
      await start();
    },
  };
}
export type GatewayProcess = Awaited<ReturnType<typeof startGateway>>;

/** Polls `condition` until it holds or `ms` pass. */
export async function eventually(condition: () => Promise<boolean>, ms = 10_000, what = "condition"): Promise<void> {
  const until = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`${what} did not hold within ${ms} ms`);
    await sleep(100);
  }
}
