import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endOfListing, type Stack, startStack } from "../support/stack.js";

/**
 * Shared work (a listing's scan, the worker index) belongs to no caller: it runs on past the timeout of the request
 * that started it, and the next request finds it done instead of starting again.
 */
const SORTED = `{ hits(first: 3, orderBy: { field: CREATION_TIME }) { edges { node { hitId } } } }`;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a scan outlives the request that started it", () => {
  let stack: Stack;
  const listHITs = () => stack.simulator.instrumentation.calls.filter((c) => c.operation === "ListHITs").length;
  beforeAll(async () => {
    // 120 HITs with a token on the last page: three ListHITs pages, one after another, 300 ms each.
    stack = await startStack({
      size: "demo",
      seed: 64,
      env: { REQUEST_TIMEOUT_MS: "500" },
      switches: { tokenOnLastPage: true },
    });
    await stack.control("PUT", "latency", { fixedMs: 300, jitterMs: 0 });
  });
  afterAll(() => stack.close());

  it("a sorted page's scan started by a request that timed out completes, and the next request gets it", async () => {
    stack.simulator.instrumentation.resetCalls();
    const first = await stack.query(SORTED);
    const error = first.errors?.[0];
    expect(error?.extensions?.code).toBe("TIMEOUT");
    expect(error?.extensions?.stillRunning).toBe(true);
    expect(error?.extensions?.retryAfterMs).toBeGreaterThan(0);
    // The scan's third page is asked for after the timeout; give it the time it needs (bounded).
    for (let waited = 0; listHITs() < 3 && waited < 3_000; waited += 20) await pause(20);
    await pause(50);
    await stack.control("PUT", "latency", { fixedMs: 0, jitterMs: 0 });
    const second = await stack.query(SORTED);
    expect(second.errors, JSON.stringify(second.errors)).toBeUndefined();
    expect((second.data as any).hits.edges).toHaveLength(3);
    // One scan: its three pages, none asked for again.
    expect(listHITs()).toBe(3);
  });
});

describe("a scan nobody waits for any more", () => {
  let stack: Stack;
  const listHITs = () => stack.simulator.instrumentation.calls.filter((c) => c.operation === "ListHITs").length;
  beforeAll(async () => {
    stack = await startStack({ size: "demo", seed: 66, switches: { tokenOnLastPage: true } });
    await stack.control("PUT", "latency", { fixedMs: 300, jitterMs: 0 });
  });
  afterAll(() => stack.close());

  it("sends none of its calls still to come once every waiter's client is gone; the next request scans afresh", async () => {
    stack.simulator.instrumentation.resetCalls();
    await stack.abandoned(SORTED, {}, 100);
    // The first page was in flight; the second would have been asked for at 300 ms.
    await pause(700);
    expect(listHITs()).toBe(1);
    await stack.control("PUT", "latency", { fixedMs: 0, jitterMs: 0 });
    const again = await stack.query(SORTED);
    expect(again.errors).toBeUndefined();
    expect(listHITs()).toBe(4);
  });
});

describe("the mirror's refresh of the account's work outlives the request that started it", () => {
  let stack: Stack;
  beforeAll(async () => {
    // About 25 calls at 20 a second: over a second of the budget, against a timeout of 300 ms.
    stack = await startStack({
      size: "tiny",
      seed: 65,
      env: { REQUEST_TIMEOUT_MS: "300", MTURK_RATE_PER_SECOND: "20", MTURK_RATE_BURST: "1" },
    });
  });
  afterAll(() => stack.close());

  it("the build goes on after the timeout, and the next request finds it done without a call", async () => {
    const workerId = [...stack.simulator.store.assignments.values()][0]?.workerId as string;
    const STATS = `query($w: String!) { worker(workerId: $w) { stats { submitted } } }`;
    stack.simulator.instrumentation.resetCalls();
    const first = await stack.query(STATS, { w: workerId });
    expect(first.errors?.[0]?.extensions).toMatchObject({ code: "TIMEOUT", stillRunning: true });
    // Until no call has been made for half a second: the build is over.
    let seen = -1;
    while (seen !== stack.simulator.instrumentation.calls.length) {
      seen = stack.simulator.instrumentation.calls.length;
      await pause(500);
    }
    const built = stack.simulator.instrumentation.calls;
    expect(built.filter((c) => c.operation === "ListHITs")).toHaveLength(1 + endOfListing(stack.simulator));
    const { result, calls } = await stack.measured(STATS, { w: workerId });
    expect(result.errors).toBeUndefined();
    expect(calls).toHaveLength(0);
  });
});
