import { type ChildProcess, spawn } from "node:child_process";
import { createMTurkClient } from "../src/mturk/client.js";
import type { FairScheduler } from "../src/mturk/scheduler.js";
import type { Metrics } from "../src/observability/metrics.js";
import { DEFAULT_CREDENTIALS } from "../src/simulator/auth.js";

/**
 * The simulator in a process of its own, as MTurk would be: its CPU time must not count as the gateway's.
 * `control` reaches its /_simulator endpoints (latency, fixtures, workers).
 */
export async function simulatorProcess(size: string) {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", "src/simulator/main.ts", "--port", "0", "--size", size],
    {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      const match = /listening on (http:\/\/[\d.:]+)/.exec(chunk.toString());
      if (match?.[1]) resolve(match[1]);
    });
    child.on("exit", (code) => reject(new Error(`simulator exited with ${code}`)));
  });
  const control = async <T>(method: string, path: string, body?: unknown) =>
    (await (
      await fetch(`${url}/_simulator/${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) })
    ).json()) as T;
  return { url, control, stop: () => child.kill() };
}

/** The SDK client every bench section gives the gateway: the simulator's credentials, the default retries. */
export const benchClient = (endpoint: string, timeoutMs = 10_000, scheduler?: FairScheduler, metrics?: Metrics) =>
  createMTurkClient({ endpoint, credentials: DEFAULT_CREDENTIALS, maxAttempts: 3, timeoutMs, scheduler, metrics });
