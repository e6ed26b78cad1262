import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";

const spans = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
let stack: Stack;

beforeAll(async () => {
  // register() installs OpenTelemetry's default propagator (W3C trace context) and the async context manager.
  provider.register();
  stack = await startStack({ size: "tiny" });
});
afterAll(async () => {
  await provider.shutdown();
  await stack.close();
});

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";

describe("W3C trace context", () => {
  it("an incoming traceparent is the parent of the request span, and the upstream spans are in its trace", async () => {
    spans.reset();
    const response = await stack.yoga.fetch("http://gateway.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: `00-${TRACE}-${PARENT}-01` },
      body: JSON.stringify({ query: "{ hits(first: 2) { edges { node { title } } } }" }),
    });
    await response.text();
    const finished = spans.getFinishedSpans();
    const request = finished.find((s) => s.name === "HTTP POST /graphql");
    expect(request?.spanContext().traceId).toBe(TRACE);
    expect(request?.parentSpanContext?.spanId).toBe(PARENT);
    const upstream = finished.filter((s) => s.name.startsWith("MTurk "));
    expect(upstream.length).toBeGreaterThan(0);
    for (const span of upstream) {
      expect(span.spanContext().traceId).toBe(TRACE);
      expect(span.parentSpanContext?.spanId).toBe(request?.spanContext().spanId);
    }
  });

  it("without one, or with a malformed one, the request starts a trace of its own", async () => {
    for (const traceparent of [undefined, "00-not-a-trace-01"]) {
      spans.reset();
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (traceparent) headers.traceparent = traceparent;
      const response = await stack.yoga.fetch("http://gateway.test/graphql", {
        method: "POST",
        headers,
        body: JSON.stringify({ query: "{ hits(first: 1) { edges { node { title } } } }" }),
      });
      await response.text();
      const request = spans.getFinishedSpans().find((s) => s.name === "HTTP POST /graphql");
      expect(request?.parentSpanContext).toBeUndefined();
      expect(request?.spanContext().traceId).not.toBe(TRACE);
    }
  });
});
