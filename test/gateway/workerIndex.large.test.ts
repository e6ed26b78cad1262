import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";

/** Issue 14's figure: on the large seed (2,000 HITs), a warm index answers a worker's history with no call. */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ size: "large", seed: 1 });
}, 120_000);
afterAll(() => stack.close());

const QUERY = `query($w: String!) { worker(workerId: $w) { assignments(first: 100) { totalCount edges { node { assignmentId status hitId submitTime } } } } }`;

describe("the worker index on the large seed", () => {
  it("costs 0 upstream calls once warm", async () => {
    const workers = [...stack.simulator.store.workers.keys()];
    const cold = await stack.measured<any>(QUERY, { w: workers[0] });
    expect(cold.result.errors).toBeUndefined();
    expect(cold.calls.length).toBeGreaterThan(1000);
    for (const w of workers.slice(1, 6)) {
      const start = performance.now();
      const { result, calls } = await stack.measured<any>(QUERY, { w });
      const ms = performance.now() - start;
      expect(result.errors).toBeUndefined();
      expect(calls).toEqual([]);
      // The time is reported by `npm run bench`, not asserted: this machine is shared.
      expect(ms).toBeGreaterThan(0);
    }
  }, 120_000);
});
