import { Writable } from "node:stream";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createGateway } from "../../src/gateway.js";
import { createMTurkClient } from "../../src/mturk/client.js";
import { hashApiKey } from "../../src/security/auth.js";
import { type Stack, startStack } from "../support/stack.js";

const KEY = "observed-key-0000001";
const spans = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
let stack: Stack;
const lines: string[] = [];
let yoga: ReturnType<typeof createGateway>;

beforeAll(async () => {
  // register() also installs the async context manager that carries the active span across awaits.
  provider.register();
  stack = await startStack({ size: "tiny" });
  const config = loadConfig({
    MTURK_ENDPOINT: stack.simulator.url,
    AUTH_API_KEYS: JSON.stringify([{ name: "observer", sha256: hashApiKey(KEY), scopes: ["read"] }]),
  });
  const client = createMTurkClient({
    endpoint: stack.simulator.url,
    credentials: stack.simulator.credentials,
    maxAttempts: 2,
    timeoutMs: 5000,
  });
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).trim().split("\n"));
      done();
    },
  });
  yoga = createGateway({ config, client, logger: pino({ level: "info" }, sink) });
});
afterAll(async () => {
  await provider.shutdown();
  await stack.close();
});

describe("observability", () => {
  it("logs one JSON line per request with a request id and never a credential; spans cover requests and upstream calls", async () => {
    const response = await yoga.fetch("http://gateway.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": KEY, "x-request-id": "req-123" },
      body: JSON.stringify({ query: "query Few { hits(first: 2) { edges { cursor } } }", operationName: "Few" }),
    });
    expect(response.headers.get("x-request-id")).toBe("req-123");
    const body = (await response.json()) as { extensions?: { cost?: unknown } };
    // What it cost: its price, the one ListHITs its door sent, and that call's time in the rate budget's queue.
    expect(body.extensions?.cost).toEqual({ price: expect.any(Number), upstreamCalls: 1, queueMs: expect.any(Number) });
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    // One line for the request: its HTTP side and its operation together.
    const mine = records.filter((r) => r.requestId === "req-123");
    expect(mine).toEqual([
      expect.objectContaining({
        operation: "Few",
        principal: "observer",
        errorCodes: [],
        method: "POST",
        path: "/graphql",
        status: 200,
        ms: expect.any(Number),
      }),
    ]);
    expect(lines.join("\n")).not.toContain(KEY);
    expect(lines.join("\n")).not.toContain(stack.simulator.credentials.secretAccessKey);
    const finished = spans.getFinishedSpans();
    const request = finished.find((s) => s.name === "HTTP POST /graphql");
    const upstream = finished.find((s) => s.name === "MTurk ListHITs");
    expect(request).toBeDefined();
    expect(upstream?.parentSpanContext?.spanId).toBe(request?.spanContext().spanId);
    // Its wait for the rate budget: on the span, and an event per attempt.
    expect(upstream?.attributes).toMatchObject({ "mturk.queue.class": "interactive", "mturk.queue.wait_ms": 0 });
    expect(upstream?.events.map((e) => e.name)).toContain("rate budget token");
  });

  it("/metrics: HTTP duration by operation type, method and status; execution time; errors by phase", async () => {
    const post = (query: string) =>
      yoga.fetch("http://gateway.test/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": KEY },
        body: JSON.stringify({ query }),
      });
    const metrics = async () => {
      const text = await (await yoga.fetch("http://gateway.test/metrics", { headers: { "x-api-key": KEY } })).text();
      return (series: string) =>
        Number(new RegExp(`^${series.replace(/[{}]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
    };
    const before = await metrics();
    // A query, one that does not parse, one that does not validate, one whose execution fails (a malformed id).
    for (const query of ["{ __typename }", "{", "{ nope }", '{ node(id: "not-a-global-id") { id } }'])
      await (await post(query)).text();
    const after = await metrics();
    const added = (series: string) => after(series) - before(series);
    // Every request whose document parsed: the last three answer 200 with their errors (Accept: JSON).
    expect(added('graphql_yoga_http_duration_count{operationType="query",method="POST",statusCode="200"}')).toBe(3);
    expect(added('graphql_envelop_phase_execute_count{operationType="query"}')).toBe(2);
    expect(added('graphql_envelop_error_result{phase="parse"}')).toBe(1);
    expect(added('graphql_envelop_error_result{operationType="query",phase="validate"}')).toBe(1);
    expect(added('graphql_envelop_error_result{operationType="query",phase="execute"}')).toBe(1);
  });
});
