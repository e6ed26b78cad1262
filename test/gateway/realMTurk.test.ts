import { AcceptQualificationRequestCommand, ListReviewableHITsCommand } from "@aws-sdk/client-mturk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";
import { ERRORS, hitWithSubmissions, runOk } from "../support/work.js";

/** The real MTurk's quirks (shared/reference/mturk-realities.md) as the gateway meets them. */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ size: "demo", seed: 21 });
});
afterAll(() => stack.close());

const hitDoc = `query($h: String!) { hit(hitId: $h) { status expiration maxAssignments } }`;

describe("writes MTurk refuses to repeat are idempotent through the gateway", () => {
  it("expireHIT on an expired HIT succeeds; deleting twice succeeds; approving twice succeeds", async () => {
    const { hitId, submissions } = await hitWithSubmissions(stack, 1, "idem-hit");
    const expire = `mutation($h: String!) { expireHIT(input: { hitId: $h }) { __typename ... on HITPayload { alreadyApplied hit { status } } ${ERRORS} } }`;
    const once = await runOk(stack, expire, { h: hitId });
    expect(once.expireHIT).toMatchObject({ __typename: "HITPayload", alreadyApplied: false });
    const twice = await runOk(stack, expire, { h: hitId });
    expect(twice.expireHIT).toMatchObject({ __typename: "HITPayload", alreadyApplied: true });
    const approve = `mutation($a: String!) { approveAssignment(input: { assignmentId: $a }) { __typename ... on ReviewedAssignment { alreadyApplied assignment { status } } ${ERRORS} } }`;
    const a = (submissions[0] as { assignmentId: string }).assignmentId;
    expect((await runOk(stack, approve, { a })).approveAssignment).toMatchObject({ alreadyApplied: false });
    expect((await runOk(stack, approve, { a })).approveAssignment).toMatchObject({
      alreadyApplied: true,
      assignment: { status: "Approved" },
    });
    const del = `mutation($h: String!) { deleteHIT(input: { hitId: $h }) { __typename ... on DeleteHITPayload { alreadyApplied } ${ERRORS} } }`;
    expect((await runOk(stack, del, { h: hitId })).deleteHIT).toEqual({
      __typename: "DeleteHITPayload",
      alreadyApplied: false,
    });
    expect((await runOk(stack, del, { h: hitId })).deleteHIT).toEqual({
      __typename: "DeleteHITPayload",
      alreadyApplied: true,
    });
  });

  it("updateExpirationForHIT checks MTurk's increment rule before any call; the same time again succeeds", async () => {
    const { hitId } = await hitWithSubmissions(stack, 0, "expiry-hit");
    const current = new Date((await runOk(stack, hitDoc, { h: hitId })).hit.expiration).getTime();
    const doc = `mutation($h: String!, $at: DateTime!) { updateExpirationForHIT(input: { hitId: $h, expireAt: $at }) { __typename ... on HITPayload { alreadyApplied hit { expiration } } ${ERRORS} } }`;
    stack.simulator.instrumentation.resetCalls();
    const tooSmall = await runOk(stack, doc, { h: hitId, at: new Date(current + 30_000).toISOString() });
    expect(tooSmall.updateExpirationForHIT).toMatchObject({ __typename: "ValidationError", field: "input.expireAt" });
    const earlier = await runOk(stack, doc, { h: hitId, at: new Date(current - 600_000).toISOString() });
    expect(earlier.updateExpirationForHIT.__typename).toBe("ValidationError");
    expect(stack.simulator.instrumentation.calls.map((c) => c.operation)).not.toContain("UpdateExpirationForHIT");
    const later = new Date(current + 86_400_000).toISOString();
    const moved = await runOk(stack, doc, { h: hitId, at: later });
    expect(moved.updateExpirationForHIT).toMatchObject({ alreadyApplied: false, hit: { expiration: later } });
    const again = await runOk(stack, doc, { h: hitId, at: later });
    expect(again.updateExpirationForHIT).toMatchObject({ alreadyApplied: true, hit: { expiration: later } });
  });
});

describe("a single mutation during an outage says it is retryable", () => {
  it("throttled past the SDK's retries, createWorkerBlock and expireHIT answer UpstreamUnavailableError", async () => {
    const f = await stack.control<{ workerIds: string[]; hitIds: string[] }>("GET", "fixtures");
    await stack.control("POST", "faults/next", {
      operation: "CreateWorkerBlock",
      count: 3,
      fault: "ThrottlingException",
    });
    const block = await stack.query<any>(
      `mutation($w: String!) { createWorkerBlock(input: { workerId: $w, reason: "spam" }) { __typename ${ERRORS} } }`,
      { w: f.workerIds[0] },
    );
    expect(block.errors).toBeUndefined();
    expect(block.data.createWorkerBlock).toMatchObject({ __typename: "UpstreamUnavailableError", retryable: true });
    await stack.control("POST", "faults/next", {
      operation: "UpdateExpirationForHIT",
      count: 3,
      fault: "ServiceFault",
    });
    await stack.control("POST", "faults/next", { operation: "GetHIT", count: 3, fault: "ServiceFault" });
    const expired = await stack.query<any>(
      `mutation($h: String!) { expireHIT(input: { hitId: $h }) { __typename ${ERRORS} } }`,
      { h: f.hitIds[0] },
    );
    expect(expired.data.expireHIT).toMatchObject({ __typename: "UpstreamUnavailableError", retryable: true });
  });
});

describe("reviewable HITs when MTurk lists ids only", () => {
  it("whole HITs with filters, ordering and exact totals, from GetHIT batched in one wave", async () => {
    const listed = await stack.client.send(new ListReviewableHITsCommand({ MaxResults: 100 }));
    expect(Object.keys(listed.HITs?.[0] ?? {})).toEqual(["HITId"]);
    const ids = (listed.HITs ?? []).map((h) => h.HITId);
    // Latency makes concurrent calls overlap, so waves can be counted from the call log.
    await stack.control("PUT", "latency", { fixedMs: 100, jitterMs: 0 });
    const plain = await stack.measured<any>(
      `{ reviewableHits(first: 5) { edges { node { hitId title status reward { amount } } } } }`,
    );
    expect(plain.result.data.reviewableHits.edges.map((e: any) => e.node.hitId)).toEqual(ids.slice(0, 5));
    for (const e of plain.result.data.reviewableHits.edges)
      expect(e.node).toMatchObject({ status: "Reviewable", title: expect.any(String) });
    expect(plain.waves).toBe(2);
    await stack.control("PUT", "latency", { fixedMs: 0, jitterMs: 0 });
    const sorted = await runOk(
      stack,
      `{ reviewableHits(orderBy: { field: REWARD, direction: DESC }, first: 100, filter: { statuses: [Reviewable] }) { totalCount edges { node { hitId reward { amount } } } } }`,
    );
    expect(sorted.reviewableHits.totalCount).toBe(ids.length);
    const rewards = sorted.reviewableHits.edges.map((e: any) => Number(e.node.reward.amount));
    expect(rewards).toEqual([...rewards].sort((a, b) => b - a));
  });
});

describe("the gateway's own writes show at once, even while MTurk's listings lag", () => {
  let lagging: Stack;
  beforeAll(async () => {
    // The mirror is never fresh enough: every sorted or counted list reads again what MTurk lists.
    lagging = await startStack({
      size: "demo",
      seed: 23,
      switches: { listLagSeconds: 600 },
      env: { MIRROR_MAX_AGE_MS: "0" },
    });
  });
  afterAll(() => lagging.close());

  it("an accepted request leaves, a new HIT and a new block appear in sorted, counted lists", async () => {
    const f = await lagging.control<{ typesWithPendingRequests: string[]; workerIds: string[] }>("GET", "fixtures");
    const t = f.typesWithPendingRequests[0] as string;
    const requests = `query($t: String!) { qualificationType(qualificationTypeId: $t) { requests(orderBy: { field: SUBMIT_TIME }, first: 500) { totalCount edges { node { id qualificationRequestId } } } } }`;
    const before = (await runOk(lagging, requests, { t })).qualificationType.requests;
    const [first, second] = before.edges.map((e: any) => e.node);
    await runOk(
      lagging,
      `mutation($i: AcceptQualificationRequestInput!) { acceptQualificationRequest(input: $i) { __typename } }`,
      {
        i: { id: first.id },
      },
    );
    // Another tool's accept is MTurk's to show: it stays listed until MTurk's listing catches up.
    await lagging.client.send(
      new AcceptQualificationRequestCommand({ QualificationRequestId: second.qualificationRequestId }),
    );
    const after = (await runOk(lagging, requests, { t })).qualificationType.requests;
    expect(after.totalCount).toBe(before.totalCount - 1);
    expect(after.edges.map((e: any) => e.node.id)).not.toContain(first.id);

    const hits = `{ hits(orderBy: { field: CREATION_TIME, direction: DESC }, first: 3) { totalCount edges { node { hitId } } } }`;
    const hitsBefore = (await runOk(lagging, hits)).hits;
    const { hitId } = await hitWithSubmissions(lagging, 0, "lag-hit");
    const hitsAfter = (await runOk(lagging, hits)).hits;
    expect(hitsAfter.totalCount).toBe(hitsBefore.totalCount + 1);
    expect(hitsAfter.edges[0].node.hitId).toBe(hitId);

    const blocks = `{ workerBlocks(orderBy: { field: WORKER_ID }, first: 500) { totalCount edges { node { workerId } } } }`;
    const blocksBefore = (await runOk(lagging, blocks)).workerBlocks;
    const unblocked = f.workerIds.find((w) => !blocksBefore.edges.some((e: any) => e.node.workerId === w)) as string;
    await runOk(
      lagging,
      `mutation($w: String!) { createWorkerBlock(input: { workerId: $w, reason: "spam" }) { __typename } }`,
      {
        w: unblocked,
      },
    );
    const blocksAfter = (await runOk(lagging, blocks)).workerBlocks;
    expect(blocksAfter.totalCount).toBe(blocksBefore.totalCount + 1);
    expect(blocksAfter.edges.map((e: any) => e.node.workerId)).toContain(unblocked);
  });

  it("a bonus paid through the gateway is in the assignment's bonuses at once, once when MTurk lists it", async () => {
    const { submissions } = await hitWithSubmissions(lagging, 1, "lag-bonus-hit");
    const s = submissions[0] as { assignmentId: string; workerId: string };
    await runOk(lagging, `mutation($i: SendBonusInput!) { sendBonus(input: $i) { __typename } }`, {
      i: {
        workerId: s.workerId,
        assignmentId: s.assignmentId,
        bonusAmount: "1.00",
        reason: "r",
        idempotencyKey: "lag-b",
      },
    });
    const doc = `query($a: String!) { assignment(assignmentId: $a) { bonusPayments(orderBy: { field: GRANT_TIME }) { totalCount } } }`;
    expect((await runOk(lagging, doc, { a: s.assignmentId })).assignment.bonusPayments.totalCount).toBe(1);
    await lagging.control("PUT", "switches", { listLagSeconds: 0 });
    const fresh = await runOk(
      lagging,
      `query($a: String!) { assignment(assignmentId: $a) { bonusPayments(first: 10) { totalCount } } }`,
      {
        a: s.assignmentId,
      },
    );
    expect(fresh.assignment.bonusPayments.totalCount).toBe(1);
  });
});
