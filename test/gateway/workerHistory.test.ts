import { ApproveAssignmentCommand, SendBonusCommand } from "@aws-sdk/client-mturk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endOfListing, type Stack, startStack } from "../support/stack.js";
import { hitWithSubmissions, runOk, submitWork } from "../support/work.js";

/** A worker's history across HITs, from the mirror: what MTurk can only answer HIT by HIT. */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ size: "demo", seed: 21 });
});
afterAll(() => stack.close());

const LISTED = new Set(["Submitted", "Approved", "Rejected"]);
/** The simulator's truth: a worker's listed assignments on live HITs, and bonuses. */
function truth(s: Stack, workerId: string) {
  const store = s.simulator.store;
  const assignments = [...store.assignments.values()].filter(
    (a) => a.workerId === workerId && LISTED.has(a.status) && store.hits.get(a.hitId)?.deletedAt === undefined,
  );
  const bonuses = store.bonuses.filter((b) => b.workerId === workerId);
  return { assignments, bonuses };
}
/** The worker with the most listed work across HITs. */
function busiestWorker(s: Stack) {
  const counts = new Map<string, number>();
  for (const a of s.simulator.store.assignments.values())
    if (LISTED.has(a.status)) counts.set(a.workerId, (counts.get(a.workerId) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] as string;
}

const HISTORY = `query($w: String!) { worker(workerId: $w) {
  stats { submitted pending approved rejected approvalRate bonusTotal { amount } }
  assignments(first: 100) { totalCount edges { cursor node { assignmentId status hitId submitTime } } }
  bonusPayments(first: 100) { totalCount edges { node { assignmentId bonusAmount { amount } } } } } }`;

describe("a worker's history", () => {
  it("lists the worker's assignments and bonuses across HITs, newest first, and counts them", async () => {
    const workerId = busiestWorker(stack);
    const expected = truth(stack, workerId);
    const { result, calls } = await stack.measured<any>(HISTORY, { w: workerId });
    expect(result.errors).toBeUndefined();
    const worker = result.data.worker;
    expect(calls.length).toBeGreaterThan(0);
    expect(new Set(worker.assignments.edges.map((e: any) => e.node.assignmentId))).toEqual(
      new Set(expected.assignments.map((a) => a.id)),
    );
    expect(new Set(expected.assignments.map((a) => a.hitId)).size).toBeGreaterThan(1);
    const times = worker.assignments.edges.map((e: any) => Date.parse(e.node.submitTime));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const status = (s: string) => expected.assignments.filter((a) => a.status === s).length;
    expect(worker.stats).toMatchObject({
      submitted: expected.assignments.length,
      pending: status("Submitted"),
      approved: status("Approved"),
      rejected: status("Rejected"),
    });
    const cents = expected.bonuses.reduce((sum, b) => sum + b.amountCents, 0);
    expect(worker.stats.bonusTotal.amount).toBe((cents / 100).toFixed(2));
    expect(worker.bonusPayments.totalCount).toBe(expected.bonuses.length);
  });

  it("costs no upstream call once the index is warm, for any worker", async () => {
    const { result, calls } = await stack.measured<any>(HISTORY, { w: "AUNKNOWNWORKER1" });
    expect(result.errors).toBeUndefined();
    expect(calls).toEqual([]);
    expect(result.data.worker.stats).toMatchObject({
      submitted: 0,
      approvalRate: null,
      bonusTotal: { amount: "0.00" },
    });
  });

  it("filters by status, HIT type and submit time, and pages without overlap", async () => {
    const workerId = busiestWorker(stack);
    const all = truth(stack, workerId).assignments;
    const approved = await runOk(
      stack,
      `query($w: String!) { worker(workerId: $w) { assignments(first: 50, filter: { statuses: [Approved] }) { totalCount } } }`,
      { w: workerId },
    );
    expect(approved.worker.assignments.totalCount).toBe(all.filter((a) => a.status === "Approved").length);
    const typeId = stack.simulator.store.hits.get(all[0]?.hitId as string)?.hitTypeId;
    const ofType = await runOk(
      stack,
      `query($w: String!, $t: String!) { worker(workerId: $w) { assignments(filter: { hitTypeId: $t }) { totalCount } } }`,
      { w: workerId, t: typeId },
    );
    const sameType = all.filter((a) => stack.simulator.store.hits.get(a.hitId)?.hitTypeId === typeId);
    expect(ofType.worker.assignments.totalCount).toBe(sameType.length);
    const cut = [...all].sort((a, b) => (a.submitTime ?? 0) - (b.submitTime ?? 0))[Math.floor(all.length / 2)];
    const recent = await runOk(
      stack,
      `query($w: String!, $d: DateTime!) { worker(workerId: $w) { assignments(filter: { submittedAfter: $d }) { totalCount } } }`,
      { w: workerId, d: new Date(cut?.submitTime ?? 0).toISOString() },
    );
    expect(recent.worker.assignments.totalCount).toBe(
      all.filter((a) => (a.submitTime ?? 0) >= (cut?.submitTime ?? 0)).length,
    );
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: any = await runOk(
        stack,
        `query($w: String!, $a: String) { worker(workerId: $w) { assignments(first: 2, after: $a) { pageInfo { hasNextPage endCursor } edges { node { assignmentId } } } } }`,
        { w: workerId, a: after },
      );
      seen.push(...page.worker.assignments.edges.map((e: any) => e.node.assignmentId));
      after = page.worker.assignments.pageInfo.hasNextPage ? page.worker.assignments.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toHaveLength(all.length);
    expect(new Set(seen).size).toBe(all.length);
  });

  it("answers from the mirror, answers included, with no call", async () => {
    const workerId = busiestWorker(stack);
    const { result, calls } = await stack.measured<any>(
      `query($w: String!) { worker(workerId: $w) { assignments(first: 100) { edges { node { assignmentId answers { questionIdentifier freeText } } } } } }`,
      { w: workerId },
    );
    expect(result.errors).toBeUndefined();
    expect(calls).toEqual([]);
    expect(result.data.worker.assignments.edges.length).toBe(truth(stack, workerId).assignments.length);
    expect(result.data.worker.assignments.edges[0].node.answers[0].questionIdentifier).toBe("q1");
  });

  it("shows the gateway's own reviews and bonuses at once, without rebuilding", async () => {
    const { submissions, hitId } = await hitWithSubmissions(stack, 1, "history-writes");
    const [work] = submissions as [{ assignmentId: string; workerId: string }];
    // The worker's assignment was submitted after the build: it shows after the next build only.
    const before = await runOk(stack, HISTORY, { w: work.workerId });
    expect(before.worker.stats.submitted).toBe(0);
    const workerId = busiestWorker(stack);
    const pending = truth(stack, workerId).assignments.find((a) => a.status === "Submitted");
    if (!pending) throw new Error("the seed gave the worker no submitted assignment");
    const old = (await runOk(stack, HISTORY, { w: workerId })).worker;
    await runOk(stack, `mutation($a: String!) { approveAssignment(input: { assignmentId: $a }) { __typename } }`, {
      a: pending.id,
    });
    await runOk(stack, `mutation($i: SendBonusInput!) { sendBonus(input: $i) { __typename } }`, {
      i: { workerId, assignmentId: pending.id, bonusAmount: "1.25", reason: "thanks", idempotencyKey: "history-bonus" },
    });
    const { result, calls } = await stack.measured<any>(HISTORY, { w: workerId });
    expect(calls).toEqual([]);
    const now = result.data.worker;
    expect(now.stats.approved).toBe(old.stats.approved + 1);
    expect(now.stats.pending).toBe(old.stats.pending - 1);
    expect(Number(now.stats.bonusTotal.amount)).toBeCloseTo(Number(old.stats.bonusTotal.amount) + 1.25, 2);
    expect(now.bonusPayments.totalCount).toBe(old.bonusPayments.totalCount + 1);
    expect(hitId).toBeTruthy();
  });

  it("keeps the work of a HIT the gateway deletes, the HIT Disposed, with no call", async () => {
    const store = stack.simulator.store;
    const hit = [...store.hits.values()].find((h) => {
      const counts = store.assignmentCounts(h);
      return h.deletedAt === undefined && store.hitStatus(h) === "Reviewable" && !counts.submitted && counts.completed;
    });
    if (!hit) throw new Error("the seed has no reviewed HIT to delete");
    const workerId = (store.assignmentsByHit.get(hit.id) ?? []).find((a) => LISTED.has(a.status))?.workerId as string;
    const before = (await runOk(stack, HISTORY, { w: workerId })).worker;
    expect(before.assignments.edges.some((e: any) => e.node.hitId === hit.id)).toBe(true);
    await runOk(stack, `mutation($h: String!) { deleteHIT(input: { hitId: $h }) { __typename } }`, { h: hit.id });
    const { result, calls } = await stack.measured<any>(HISTORY, { w: workerId });
    expect(calls).toEqual([]);
    const after = result.data.worker;
    expect(after.assignments.edges.some((e: any) => e.node.hitId === hit.id)).toBe(true);
    expect(after.stats.submitted).toBe(before.stats.submitted);
    const sorted = await runOk(
      stack,
      `{ hits(orderBy: { field: CREATION_TIME }, first: 1000) { edges { node { hitId } } } }`,
    );
    expect(sorted.hits.edges.some((e: any) => e.node.hitId === hit.id)).toBe(false);
  });

  it("a cold read reads the account's work once, however many requests ask for it at once", async () => {
    const cold = await startStack({ size: "demo", seed: 22 });
    const again = await startStack({ size: "demo", seed: 22 });
    try {
      const workerId = busiestWorker(cold);
      const one = await cold.measured(HISTORY, { w: workerId });
      expect(one.result.errors).toBeUndefined();
      again.simulator.instrumentation.resetCalls();
      const many = await Promise.all(Array.from({ length: 10 }, () => again.query(HISTORY, { w: workerId })));
      for (const r of many) expect(r.errors).toBeUndefined();
      expect(again.simulator.instrumentation.calls.length).toBe(one.calls.length);
    } finally {
      await cold.close();
      await again.close();
    }
  });

  it("new work shows once the mirror is older than MIRROR_MAX_AGE_MS: ListHITs pages and one call for each of the changed HIT's two listings", async () => {
    const aging = await startStack({ size: "demo", seed: 24, env: { MIRROR_MAX_AGE_MS: "200" } });
    try {
      const { submissions } = await hitWithSubmissions(aging, 1, "history-new-work");
      const work = submissions[0] as { workerId: string };
      expect((await runOk(aging, HISTORY, { w: work.workerId })).worker.stats.submitted).toBe(1);
      const { hitId, submissions: none } = await hitWithSubmissions(aging, 0, "history-new-work-2");
      expect(none).toEqual([]);
      const { workerId } = await submitWork(aging, hitId);
      await new Promise((r) => setTimeout(r, 250));
      const { result, calls } = await aging.measured<any>(HISTORY, { w: workerId });
      expect(result.data.worker.stats.submitted).toBe(1);
      const pages = Math.ceil(aging.simulator.store.hits.size / 100) + endOfListing(aging.simulator);
      const operations = calls.map((c) => c.operation).sort();
      expect(operations.filter((o) => o === "ListHITs")).toHaveLength(pages);
      // The changed HIT's two listings, one call each: its assignments read as many as its counters say (no empty
      // page after them however MTurk ends its listings), and its bonuses are none (an empty page ends a listing).
      expect(operations.filter((o) => o !== "ListHITs")).toEqual(["ListAssignmentsForHIT", "ListBonusPayments"]);
    } finally {
      await aging.close();
    }
  });

  it("an approval and a bonus paid by another tool show once the mirror is older than MIRROR_MAX_AGE_MS", async () => {
    const aging = await startStack({ size: "demo", seed: 25, env: { MIRROR_MAX_AGE_MS: "200" } });
    try {
      const { submissions } = await hitWithSubmissions(aging, 1, "history-review-elsewhere");
      const work = submissions[0] as { workerId: string; assignmentId: string };
      expect((await runOk(aging, HISTORY, { w: work.workerId })).worker.stats.approved).toBe(0);
      await aging.client.send(new ApproveAssignmentCommand({ AssignmentId: work.assignmentId }));
      await aging.client.send(
        new SendBonusCommand({
          WorkerId: work.workerId,
          AssignmentId: work.assignmentId,
          BonusAmount: "0.75",
          Reason: "paid by another tool",
        }),
      );
      await new Promise((r) => setTimeout(r, 250));
      const { result, calls } = await aging.measured<any>(HISTORY, { w: work.workerId });
      expect(result.data.worker.stats).toMatchObject({ approved: 1, bonusTotal: { amount: "0.75" } });
      expect(calls.map((c) => c.operation)).toContain("ListBonusPayments");
    } finally {
      await aging.close();
    }
  });
});
