import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";

/**
 * One request must never cost more MTurk calls than its price says: amplification tried as an attacker would.
 * Over the limit is QUERY_TOO_COMPLEX before any upstream call.
 */
let stack: Stack;
let hitIds: string[];
beforeAll(async () => {
  stack = await startStack({ size: "demo", seed: 51, env: { MAX_BODY_BYTES: "400000" } });
  hitIds = (await stack.control<{ hitIds: string[] }>("GET", "fixtures")).hitIds;
});
afterAll(() => stack.close());

const refusedBeforeAnyCall = async (document: string, variables: Record<string, unknown> = {}) => {
  const { result, calls } = await stack.measured(document, variables);
  expect(result.errors?.[0]?.extensions?.code, JSON.stringify(result.errors)).toBe("QUERY_TOO_COMPLEX");
  expect(calls).toHaveLength(0);
};

describe("prices that follow the calls", () => {
  it("nodes(ids:) is priced by the number of ids", async () => {
    const ids = Array.from({ length: 1900 }, (_, i) =>
      Buffer.from(`HIT:${hitIds[i % hitIds.length]}${i}`).toString("base64"),
    );
    await refusedBeforeAnyCall(
      `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on HIT { title assignments(first: 20) { edges { node { answer } } } } } }`,
      { ids },
    );
  });

  it("an aliased edges selection costs what one edges selection costs", async () => {
    await refusedBeforeAnyCall(
      `{ hits(first: 1000) { edges { node { bonusPayments(first: 0) { edges { cursor } } } } e2: edges { node { assignments(first: 100) { totalCount edges { node { answer } } } } } } }`,
    );
  });

  it("a fragment under a small and a large connection is priced for each", async () => {
    await refusedBeforeAnyCall(
      `{ a: hits(first: 1) { ...F } b: hits(first: 1000) { ...F } } fragment F on QueryHitsConnection { edges { node { assignments(first: 100) { totalCount edges { node { answer } } } } } }`,
    );
  });

  it("bulk mutations are priced by their items and capped at MAX_BULK_ITEMS", async () => {
    const items = Array.from({ length: 2300 }, (_, i) => ({ workerId: `AUNBLOCK${i}` }));
    const { result, calls } = await stack.measured(
      `mutation($items: [DeleteWorkerBlockInput!]!) { unblockWorkers(input: { items: $items }) { __typename ... on ValidationError { field message } } }`,
      { items },
    );
    expect(calls).toHaveLength(0);
    expect(result.errors?.[0]?.extensions?.code ?? (result.data as any)?.unblockWorkers?.__typename).toMatch(
      /QUERY_TOO_COMPLEX|ValidationError/,
    );
  });
});

describe("the runtime backstop", () => {
  let small: Stack;
  beforeAll(async () => {
    small = await startStack({ size: "demo", seed: 52, env: { MAX_UPSTREAM_CALLS: "5" } });
  });
  afterAll(() => small.close());

  it("past MAX_UPSTREAM_CALLS a request's calls fail with QUERY_TOO_COMPLEX and nothing more is sent", async () => {
    const { result, calls } = await small.measured(
      `{ hits(first: 20) { edges { node { assignments(first: 5) { edges { node { assignmentId } } } } } } }`,
    );
    expect(calls.length).toBeLessThanOrEqual(5);
    expect(result.errors?.some((e) => e.extensions?.code === "QUERY_TOO_COMPLEX")).toBe(true);
  });
});

describe("cancellation", () => {
  let slow: Stack;
  beforeAll(async () => {
    slow = await startStack({ size: "demo", seed: 53, env: { REQUEST_TIMEOUT_MS: "300", MTURK_MAX_CONCURRENCY: "2" } });
    await slow.control("PUT", "latency", { fixedMs: 100, jitterMs: 0 });
  });
  afterAll(() => slow.close());

  it("a timed-out request's queued upstream calls are not sent", async () => {
    slow.simulator.instrumentation.resetCalls();
    const r = await slow.query(
      `{ hits(first: 40) { edges { node { assignments(first: 5) { edges { node { assignmentId } } } } } } }`,
    );
    expect(r.errors?.[0]?.extensions?.code).toBe("TIMEOUT");
    const atTimeout = slow.simulator.instrumentation.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 800));
    // At most the calls in flight when it timed out finish; none is started afterwards.
    expect(slow.simulator.instrumentation.calls.length).toBeLessThanOrEqual(atTimeout + 2);
    expect(slow.simulator.instrumentation.calls.length).toBeLessThan(20);
  });
});
