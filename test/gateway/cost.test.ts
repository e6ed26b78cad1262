import fc from "fast-check";
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
  expect(result.errors?.[0]?.extensions?.code, JSON.stringify(result.errors?.[0])).toBe("QUERY_TOO_COMPLEX");
  expect(calls).toHaveLength(0);
};

describe("prices that follow the calls", () => {
  it("nodes(ids:) is priced by the number of ids", async () => {
    // 100 ids (MAX_NODES), each with two connections of 100: about 30,000, over MAX_COMPLEXITY (20,000).
    const ids = Array.from({ length: 100 }, (_, i) =>
      Buffer.from(`HIT:${hitIds[i % hitIds.length]}${i}`).toString("base64"),
    );
    await refusedBeforeAnyCall(
      `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on HIT { title assignments(first: 100) { edges { node { answer } } } bonusPayments(first: 100) { edges { node { bonusAmount { amount } } } } } } }`,
      { ids },
    );
  });

  it("nodes(ids:) takes at most MAX_NODES ids (100): 1,500 are refused before any call, with the numbers", async () => {
    const ids = Array.from({ length: 1500 }, (_, i) => Buffer.from(`HIT:3NOSUCHNODE${i}`).toString("base64"));
    const { result, calls } = await stack.measured(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids });
    expect(calls).toHaveLength(0);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", ids: 1500, maxNodes: 100 });
    const within = await stack.measured(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: ids.slice(0, 100) });
    expect(within.calls).toHaveLength(100);
  });

  it("one document sent again is priced for its variables each time (prices are kept per document and variables)", async () => {
    const document = `query($n: Int) { hits(first: $n) { edges { node { assignments(first: $n) { edges { cursor } } } } } }`;
    const price = async (n: number) => (await stack.measured(document, { n })).result.extensions?.cost?.price;
    const small = await price(1);
    expect(small).toBeGreaterThan(0);
    await refusedBeforeAnyCall(document, { n: 1000 });
    expect(await price(1)).toBe(small);
    expect(await price(2)).toBeGreaterThan(small as number);
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

describe("dry runs", () => {
  it("a bulk approval's dry run takes no more items than the write (MAX_BULK_ITEMS): no GetAssignment per extra id", async () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `3NOSUCHASSIGNMENT${String(i).padStart(6, "0")}`);
    const document = `mutation($i: ApproveAssignmentsInput!) { approveAssignments(input: $i) { __typename ... on ValidationError { field } } }`;
    const write = await stack.measured(document, { i: { select: { assignmentIds: ids } } });
    expect((write.result.data as any)?.approveAssignments?.__typename).toBe("ValidationError");
    expect(write.calls).toHaveLength(0);
    const dry = await stack.measured(document, { i: { select: { assignmentIds: ids }, dryRun: true } });
    expect((dry.result.data as any)?.approveAssignments?.__typename).toBe("ValidationError");
    expect(dry.calls).toHaveLength(0);
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

describe("the price bounds the calls", () => {
  let fixtures: { hitIds: string[]; typesWithPendingRequests: string[] };
  beforeAll(async () => {
    fixtures = await stack.control("GET", "fixtures");
  });

  /** Random read documents over the linked graph: connections of random sizes, orders, totals and links. */
  const size = fc.integer({ min: 0, max: 150 });
  const conn = (body: string) =>
    fc.record({ first: size, order: fc.boolean(), total: fc.boolean(), info: fc.boolean() }).map(
      ({ first, order, total, info }) =>
        (field: string, orderField: string) =>
          `${field}(first: ${first}${order ? `, orderBy: { field: ${orderField} }` : ""}) { ${total ? "totalCount " : ""}${info ? "pageInfo { hasNextPage endCursor } " : ""}edges { cursor node { ${body} } } }`,
    );
  const worker = fc.constantFrom(
    "workerId",
    "block { reason }",
    "qualification(qualificationTypeId: $t) { integerValue }",
  );
  const assignmentBody = fc
    .tuple(worker, fc.boolean(), fc.boolean())
    .map(
      ([w, hit, bonus]) =>
        `assignmentId worker { ${w} }${hit ? " hit { title }" : ""}${bonus ? " bonusPayments(first: 3) { totalCount }" : ""}`,
    );
  const assignments = fc
    .tuple(conn("assignmentId"), assignmentBody)
    .map(([c, body]) => c("assignments", "SUBMIT_TIME").replace("node { assignmentId }", `node { ${body} }`));
  const hitBody = fc
    .tuple(fc.boolean(), fc.option(assignments, { nil: undefined }))
    .map(([title, a]) => `hitId${title ? " title" : ""}${a ? ` ${a}` : ""}`);
  const roots = fc.oneof(
    fc
      .tuple(conn("hitId"), hitBody)
      .map(([c, body]) => c("hits", "REWARD").replace("node { hitId }", `node { ${body} }`)),
    fc
      .tuple(conn("hitId"), hitBody)
      .map(([c, body]) => c("reviewableHits", "TITLE").replace("node { hitId }", `node { ${body} }`)),
    fc
      .tuple(conn("id"), worker)
      .map(([c, w]) => c("qualificationRequests", "SUBMIT_TIME").replace("node { id }", `node { id worker { ${w} } }`)),
    fc
      .tuple(conn("name"), conn("qualificationRequestId"))
      .map(([types, requests]) =>
        types("qualificationTypes", "NAME").replace(
          "node { name }",
          `node { name ${requests("requests", "SUBMIT_TIME")} }`,
        ),
      ),
    fc
      .tuple(fc.integer({ min: 1, max: 40 }), hitBody)
      .map(([n, body]) => `nodes(ids: $ids) { id ... on HIT { ${body} } } # ${n}`),
  );

  it("for random documents, the upstream calls never exceed the declared price", async () => {
    const { complexityFromQuery } = await import("@pothos/plugin-complexity");
    const { schema } = await import("../../src/schema/index.js");
    const ctx = {
      limits: {
        scanCost: 50,
        maxPageSize: 1000,
        maxBulkItems: 500,
        complexity: { complexity: 1e9, depth: 99, breadth: 9999 },
      },
    };
    await fc.assert(
      fc.asyncProperty(fc.array(roots, { minLength: 1, maxLength: 3 }), async (fields) => {
        const ids = hitIds.slice(0, 40).map((h) => Buffer.from(`HIT:${h}`).toString("base64"));
        const body = fields.map((f, i) => `r${i}: ${f.replace(/ # \d+$/, "")}`).join(" ");
        const declared = [body.includes("$t") && "$t: String!", body.includes("$ids") && "$ids: [ID!]!"].filter(
          Boolean,
        );
        const query = `query${declared.length ? `(${declared.join(", ")})` : ""} { ${body} }`;
        const variables = { t: fixtures.typesWithPendingRequests[0], ids };
        const price = complexityFromQuery(query, { schema, ctx, variables }).complexity;
        const { result, calls } = await stack.measured(query, variables);
        const unexpected = (result.errors ?? []).filter((e) => e.extensions?.code !== "QUERY_TOO_COMPLEX");
        expect(unexpected, query).toEqual([]);
        expect(calls.length, `${query}\nprice ${price}`).toBeLessThanOrEqual(price);
      }),
      { numRuns: 40 },
    );
  });
});

describe("a bulk mutation's payload", () => {
  it("is priced once per item: what each item's result reads stays within the price", async () => {
    const { complexityFromQuery } = await import("@pothos/plugin-complexity");
    const { schema } = await import("../../src/schema/index.js");
    const ctx = { limits: { scanCost: 50, maxPageSize: 1000, maxBulkItems: 500, complexity: { complexity: 1e9 } } };
    const f = await stack.control<{ assignmentIdsByStatus: Record<string, string[]> }>("GET", "fixtures");
    const ids = (f.assignmentIdsByStatus.Submitted ?? []).slice(0, 60);
    expect(ids.length).toBeGreaterThan(20);
    const query = `mutation($ids: [String!]!) { rejectAssignments(input: { select: { assignmentIds: $ids }, requesterFeedback: "no" }) { ... on RejectAssignmentsPayload { results { result { assignment { status workerId } } } } } }`;
    const variables = { ids };
    const price = complexityFromQuery(query, { schema, ctx, variables }).complexity;
    const { result, calls } = await stack.measured(query, variables);
    expect(result.errors).toBeUndefined();
    // One RejectAssignment and one GetAssignment (the payload's read) per item.
    expect(calls.length, `price ${price}`).toBeLessThanOrEqual(price);
  });
});

describe("cancelled requests leave the rate budget to others", () => {
  let budgeted: Stack;
  beforeAll(async () => {
    budgeted = await startStack({
      size: "demo",
      seed: 54,
      env: { MTURK_RATE_PER_SECOND: "5", MTURK_RATE_BURST: "1", REQUEST_TIMEOUT_MS: "600" },
    });
  });
  afterAll(() => budgeted.close());

  it("three timed-out requests' calls waiting for tokens are dropped: a light query still answers in time", async () => {
    const heavy = `{ hits(first: 20) { edges { node { assignments(first: 5) { edges { node { assignmentId } } } } } } }`;
    const timedOut = await Promise.all([1, 2, 3].map(() => budgeted.query(heavy)));
    for (const r of timedOut) expect(r.errors?.[0]?.extensions?.code).toBe("TIMEOUT");
    const hitId = (await budgeted.control<{ hitIds: string[] }>("GET", "fixtures")).hitIds[0];
    const light = await budgeted.query(`query($h: String!) { hit(hitId: $h) { title } }`, { h: hitId });
    expect(light.errors, JSON.stringify(light.errors?.[0])).toBeUndefined();
  });
});

describe("bulk mutations over what MTurk lists", () => {
  it("approving a HIT's submitted work by hitId is priced for every item and the listing's scan", async () => {
    // 500 items (MAX_BULK_ITEMS), each with its write and its selected __typename (1,002), and the scan of the HIT's
    // assignments (SCAN_COST 50): 1,103, over a limit of 1,080 that the items alone fit under.
    const strict = await startStack({ size: "tiny", seed: 52, env: { MAX_COMPLEXITY: "1080" } });
    try {
      const hitId = (await strict.control<{ hitIds: string[] }>("GET", "fixtures")).hitIds[0] as string;
      const { result, calls } = await strict.measured(
        `mutation($i: ApproveAssignmentsInput!) { approveAssignments(input: $i) { __typename } }`,
        { i: { select: { hitId }, dryRun: true } },
      );
      expect(result.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_COMPLEX");
      expect(calls).toHaveLength(0);
    } finally {
      await strict.close();
    }
  });
});
