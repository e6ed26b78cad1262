import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeysEnv, type Stack, startStack } from "../support/stack.js";

/** What each scope allows, tried as an attacker holding a key would. */
const KEYS = { writer: "scope-writer-01", readWriter: "scope-rw-000001", all: "scope-all-00001" };
let stack: Stack;
let hitId: string;

beforeAll(async () => {
  stack = await startStack({
    size: "tiny",
    seed: 41,
    env: apiKeysEnv({
      writer: { key: KEYS.writer, scopes: ["write"] },
      "read-writer": { key: KEYS.readWriter, scopes: ["read", "write"] },
      all: { key: KEYS.all, scopes: ["read", "write", "pay"] },
    }),
  });
  const f = await stack.control<{ hitIds: string[] }>("GET", "fixtures");
  hitId = f.hitIds[0] as string;
});
afterAll(() => stack.close());

const as = (key: string, query: string, variables: Record<string, unknown> = {}) =>
  stack.queryAs(key, query, variables);
const codes = (r: { errors?: { extensions?: { code?: string } }[] }) => (r.errors ?? []).map((e) => e.extensions?.code);

describe("scopes guard money and reads wherever they are reached", () => {
  it("a key without read gets no answers through a mutation payload", async () => {
    const r = await as(
      KEYS.writer,
      `mutation($h: String!) { expireHIT(input: { hitId: $h }) { ... on HITPayload { alreadyApplied hit { assignments { edges { node { answer } } } } } } }`,
      { h: hitId },
    );
    expect(codes(r)).toContain("FORBIDDEN");
    expect(JSON.stringify(r.data)).not.toContain("answer");
    expect(r.data?.expireHIT?.alreadyApplied).toBe(false);
  });

  it("a key without read makes no MTurk reads for the links it selects in a mutation payload", async () => {
    stack.simulator.instrumentation.resetCalls();
    const r = await as(
      KEYS.writer,
      `mutation($h: String!) { expireHIT(input: { hitId: $h }) { ... on HITPayload { hit { assignments { edges { node { answer } } } bonusPayments { totalCount } } } } }`,
      { h: hitId },
    );
    expect(codes(r)).toContain("FORBIDDEN");
    // A link's prefetch is not awaited by the response: give a stray one time to reach the simulator.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const operations = stack.simulator.instrumentation.calls.map((c) => c.operation);
    expect(operations).not.toContain("ListAssignmentsForHIT");
    expect(operations).not.toContain("ListBonusPayments");
    expect(operations).toContain("UpdateExpirationForHIT");
  });

  it("a key without read learns no worker or assignment ids from a bulk write that lists them itself", async () => {
    const f = await stack.control<{ hitIds: string[]; qualificationTypeIds: string[] }>("GET", "fixtures");
    const h = f.hitIds[2] as string;
    await stack.control("POST", `hits/${h}/submissions`, { count: 2 });
    const workers = (
      await as(
        KEYS.all,
        `query($h: String!) { hit(hitId: $h) { assignments { edges { node { worker { workerId } } } } } }`,
        { h },
      )
    ).data.hit.assignments.edges.map((e: any) => e.node.worker.workerId as string);
    expect(workers.length).toBeGreaterThan(0);
    const granted = await as(
      KEYS.writer,
      `mutation($q: String!, $h: String!) { grantQualificationToWorkersOf(input: { qualificationTypeId: $q, hitIds: [$h] }) { ... on GrantQualificationToWorkersOfPayload { succeeded results { index workerId error { message } } } } }`,
      { q: f.qualificationTypeIds[0], h },
    );
    expect(codes(granted)).toContain("FORBIDDEN");
    for (const w of workers) expect(JSON.stringify(granted.data)).not.toContain(w);
    const rejected = await as(
      KEYS.writer,
      `mutation($h: String!) { rejectAssignments(input: { select: { hitId: $h }, requesterFeedback: "no" }) { ... on RejectAssignmentsPayload { failed results { index assignmentId } } } }`,
      { h },
    );
    expect(codes(rejected)).toContain("FORBIDDEN");
    expect(JSON.stringify(rejected.data)).not.toMatch(/"assignmentId":"[A-Z0-9]+"/);
    // Keys the caller named itself are its own to see.
    const named = await as(
      KEYS.writer,
      `mutation($w: String!) { blockWorkers(input: { items: [{ workerId: $w, reason: "r" }] }) { ... on BlockWorkersPayload { results { workerId } } } }`,
      { w: workers[0] },
    );
    expect(named.data.blockWorkers.results[0].workerId).toBe(workers[0]);
  });

  it("extending a HIT needs pay; expiring it needs write only", async () => {
    const later = new Date(Date.now() + 400 * 86_400_000).toISOString();
    const doc = `mutation($h: String!, $at: DateTime!) { updateExpirationForHIT(input: { hitId: $h, expireAt: $at }) { __typename } }`;
    const f = await stack.control<{ hitIds: string[] }>("GET", "fixtures");
    const h = f.hitIds[1];
    expect(codes(await as(KEYS.readWriter, doc, { h, at: later }))).toContain("FORBIDDEN");
    const current = (await as(KEYS.all, `query($h: String!) { hit(hitId: $h) { expiration } }`, { h })).data.hit
      .expiration;
    const extended = new Date(new Date(current).getTime() + 86_400_000).toISOString();
    expect((await as(KEYS.all, doc, { h, at: extended })).data.updateExpirationForHIT.__typename).toBe("HITPayload");
    expect(codes(await as(KEYS.readWriter, doc, { h, at: "2020-01-01T00:00:00Z" }))).not.toContain("FORBIDDEN");
  });

  it("a read+write key cannot move a HIT to a costlier type (updateHITTypeOfHIT needs pay)", async () => {
    const created = await as(
      KEYS.readWriter,
      `mutation { createHITType(input: { title: "t", description: "d", reward: "250.00", assignmentDurationInSeconds: 600 }) { ... on OkPayload { hitTypeId } } }`,
    );
    const hitTypeId = created.data.createHITType.hitTypeId;
    const moved = await as(
      KEYS.readWriter,
      `mutation($h: String!, $t: String!) { updateHITTypeOfHIT(input: { hitId: $h, hitTypeId: $t }) { __typename } }`,
      { h: hitId, t: hitTypeId },
    );
    expect(codes(moved)).toContain("FORBIDDEN");
  });
});
