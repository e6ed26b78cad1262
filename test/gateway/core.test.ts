import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countWaves, type Stack, startStack } from "../support/stack.js";

/** The core's promises over the simulator: one error path, cursors, waves, asOf (each once found broken). */
describe("the core", () => {
  let stack: Stack;
  let fixtures: { qualificationTypeIds: string[]; workerIds: string[] };
  beforeAll(async () => {
    stack = await startStack({ size: "tiny", seed: 31, env: { MTURK_MAX_ATTEMPTS: "1", MIRROR_MAX_AGE_MS: "60000" } });
    fixtures = await stack.control("GET", "fixtures");
  });
  afterAll(() => stack.close());

  it("one error path: a throttled single mutation is a typed, retryable result", async () => {
    stack.simulator.instrumentation.schedule("CreateWorkerBlock", 1, "ThrottlingException");
    const r = await stack.query<any>(
      `mutation($w: String!) { createWorkerBlock(input: { workerId: $w, reason: "x" }) { __typename ... on UpstreamUnavailableError { retryable operation } } }`,
      { w: fixtures.workerIds[0] },
    );
    expect(r.data.createWorkerBlock).toEqual({
      __typename: "UpstreamUnavailableError",
      retryable: true,
      operation: "CreateWorkerBlock",
    });
  });

  it("cursors depend on the connection and its arguments only, not on the selection", async () => {
    for (const w of fixtures.workerIds.slice(0, 3))
      await stack.query(
        `mutation($w: String!) { createWorkerBlock(input: { workerId: $w, reason: "r" }) { __typename } }`,
        {
          w,
        },
      );
    const plain = await stack.query<any>(`{ workerBlocks(first: 2) { pageInfo { endCursor } } }`);
    const counted = await stack.query<any>(`{ workerBlocks(first: 2) { totalCount pageInfo { endCursor } } }`);
    expect(counted.data.workerBlocks.totalCount).toBeGreaterThanOrEqual(3);
    expect(plain.data.workerBlocks.pageInfo.endCursor).toBe(counted.data.workerBlocks.pageInfo.endCursor);
  });

  it("an entity and its first page start in one wave", async () => {
    await stack.control("PUT", "latency", { fixedMs: 50, jitterMs: 0 });
    try {
      const { result, calls } = await stack.measured(
        `query($t: String!) { qualificationType(qualificationTypeId: $t) { name requests(first: 5) { edges { cursor } } } }`,
        { t: fixtures.qualificationTypeIds[0] },
      );
      expect(result.errors).toBeUndefined();
      // The type and its listing's first page overlap (MTurk may end the listing with an empty page, read after).
      const get = calls.find((c) => c.operation === "GetQualificationType");
      const list = calls.find((c) => c.operation === "ListQualificationRequests");
      expect(countWaves([get, list].filter((c) => c !== undefined))).toBe(1);
    } finally {
      await stack.control("PUT", "latency", { fixedMs: 0, jitterMs: 0 });
    }
  });

  it("asOf is the mirror's read of the listing when a count comes from it, whatever the order of the fields", async () => {
    await stack.query(`{ workerBlocks(first: 1) { totalCount } }`);
    await new Promise((r) => setTimeout(r, 30));
    const counted = await stack.query<any>(`{ workerBlocks(first: 1) { asOf totalCount } }`);
    const plain = await stack.query<any>(`{ workerBlocks(first: 1) { asOf } }`);
    expect(Date.parse(counted.data.workerBlocks.asOf)).toBeLessThanOrEqual(Date.now() - 30);
    expect(Date.parse(plain.data.workerBlocks.asOf)).toBeGreaterThan(Date.parse(counted.data.workerBlocks.asOf));
  });
});
