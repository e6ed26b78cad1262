import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type Simulator, startSimulator } from "../../src/simulator/server.js";

/**
 * The production build as a platform runs it: `npm run build`'s dist, under plain node (no tsx), as a child
 * process. Built once here into a directory of its own under .tmp/ (node_modules resolves from the project).
 */
const root = new URL("../../", import.meta.url).pathname;
const out = join(root, ".tmp", `dist-test-${process.pid}`);

beforeAll(() => {
  execFileSync(process.execPath, ["--import", "tsx", "src/build.ts", out], { cwd: root, stdio: "inherit" });
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

async function startDist(env: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, [join(out, "main.js")], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      PORT: "0",
      LOG_LEVEL: "warn",
      DATA_DIR: mkdtempSync(join(tmpdir(), "mturk-prod-")),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  let match: RegExpExecArray | null = null;
  while (!match) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`gateway did not start:\n${output}`);
    await sleep(20);
    match = /MTurk GraphQL gateway: http:\/\/localhost:(\d+)\/graphql/.exec(output);
  }
  return { child, url: `http://127.0.0.1:${match[1]}`, output: () => output, exited };
}

/** An SSE subscription read raw: every event's name and data, `complete` included. */
function rawSse(url: string, query: string, variables: Record<string, unknown>) {
  const events: { event: string; data: string }[] = [];
  const done = (async () => {
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ query, variables }),
    });
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const lines = buffer.slice(0, end).split("\n");
        buffer = buffer.slice(end + 2);
        const event = lines
          .find((l) => l.startsWith("event:"))
          ?.slice(6)
          .trim();
        if (event)
          events.push({
            event,
            data:
              lines
                .find((l) => l.startsWith("data:"))
                ?.slice(5)
                .trim() ?? "",
          });
      }
    }
  })();
  return { events, done };
}

const SUBSCRIPTION = `subscription($t: String!) { qualificationRequestSubmitted(qualificationTypeId: $t) { qualificationRequestId } }`;

describe("node dist/main.js", () => {
  it("drains on SIGTERM: the request in flight is answered, /ready 503, subscriptions get a final message, exit 0", async () => {
    const gateway = await startDist({});
    const { url } = gateway;
    // The embedded simulator's worker side answers on the gateway's own port, and the start says how (the banner's
    // lines may come in more than one chunk).
    const line = `http://localhost:${new URL(url).port}/_simulator/`;
    for (let i = 0; i < 100 && !gateway.output().includes(line); i += 1) await sleep(20);
    expect(gateway.output()).toContain(line);
    const fixtures = (await (await fetch(`${url}/_simulator/fixtures`)).json()) as { qualificationTypeIds: string[] };
    expect(fixtures.qualificationTypeIds.length).toBeGreaterThan(0);
    const t = fixtures.qualificationTypeIds[0];

    const sse = rawSse(url, SUBSCRIPTION, { t });
    const ws = createClient({
      url: `${url.replace("http", "ws")}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    const wsResults: unknown[] = [];
    const wsDone = new Promise<void>((resolve) => {
      ws.subscribe(
        { query: SUBSCRIPTION, variables: { t } },
        { next: (r) => wsResults.push(r), error: () => resolve(), complete: () => resolve() },
      );
    });
    // A slow upstream: the in-flight request waits 2.5 s on MTurk (the simulator's latency switch).
    await fetch(`${url}/_simulator/latency`, { method: "PUT", body: JSON.stringify({ fixedMs: 2500, jitterMs: 0 }) });
    const slow = fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ accountBalance { availableBalance { formatted } } }" }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as { data?: unknown; errors?: unknown } }));
    // SIGTERM while the request waits on MTurk (the simulator logs a call only once it answers).
    await sleep(500);
    gateway.child.kill("SIGTERM");
    await sleep(100);

    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: "stopping" });
    const refused = await fetch(`${url}/graphql?query=%7B__typename%7D`);
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe(
      "SHUTTING_DOWN",
    );

    const answered = await slow;
    expect(answered.status).toBe(200);
    expect(answered.body.errors).toBeUndefined();
    expect(answered.body.data).toEqual({ accountBalance: { availableBalance: { formatted: expect.any(String) } } });

    await sse.done;
    expect(sse.events.map((e) => e.event)).toEqual(["next", "complete"]);
    expect(JSON.parse(sse.events[0]?.data ?? "{}").errors[0].extensions.code).toBe("SHUTTING_DOWN");
    await wsDone;
    expect(wsResults).toEqual([
      { errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: "SHUTTING_DOWN" }) })] },
    ]);
    expect(await gateway.exited).toBe(0);
    expect(gateway.output()).toContain("Stopped.");
  });

  it("serves no /_simulator/ route when MTurk is not the embedded simulator", async () => {
    const simulator: Simulator = await startSimulator();
    const gateway = await startDist({
      MTURK_ENDPOINT: simulator.url,
      AWS_ACCESS_KEY_ID: simulator.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: simulator.credentials.secretAccessKey,
    });
    try {
      expect((await fetch(`${gateway.url}/_simulator/fixtures`)).status).toBe(404);
      expect(gateway.output()).not.toContain("/_simulator/");
      gateway.child.kill("SIGINT");
      expect(await gateway.exited).toBe(0);
    } finally {
      gateway.child.kill("SIGKILL");
      await simulator.close();
    }
  });
});
