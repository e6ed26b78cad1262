import {
  ApproveAssignmentCommand,
  DeleteHITCommand,
  GetHITCommand,
  UpdateExpirationForHITCommand,
} from "@aws-sdk/client-mturk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTO_DISPOSALS } from "../../src/simulator/switches.js";
import { ASSIGNMENT_SUBMITTED, sse, waitFor } from "../live/support.js";
import { type Stack, startStack } from "../support/stack.js";
import { ERRORS, hitWithSubmissions, runOk } from "../support/work.js";

/**
 * MTurk disposes of HITs after 120 days and forgets them with their assignments and bonuses; whether from
 * creation or from expiration is a switch. Through the gateway, under each setting: what aged out is gone from
 * MTurk's listings but stays in the gateway's history (the mirror), Disposed; and a HIT MTurk still lists but no
 * longer has (its listing lagging) never fails a read.
 */
const DAY_MS = 86_400_000;
const HISTORY = `query($w: String!) { worker(workerId: $w) { assignments { totalCount edges { node { assignmentId hit { hitId } } } } bonusPayments { totalCount } } }`;
const exportRows = async (stack: Stack, query: string) =>
  (await (await stack.yoga.fetch(`http://gateway.test/exports/assignments.jsonl?${query}`)).text())
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { HITId: string; AssignmentId: string });

describe.each(AUTO_DISPOSALS)("autoDisposal %s", (mode) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      size: "tiny",
      seed: 31,
      switches: { autoDisposal: mode },
      // Every read of the mirror reads MTurk again first: what MTurk forgot must not be forgotten here.
      env: { MIRROR_MAX_AGE_MS: "0" },
    });
  });
  afterAll(() => stack.close());

  it("a HIT aged out leaves MTurk's listings; hit, its assignment, the worker's history and exports keep it, Disposed", async () => {
    const { hitId, submissions } = await hitWithSubmissions(stack, 2, `aged-${mode}`);
    const [first] = submissions as [{ assignmentId: string; workerId: string }];
    await runOk(stack, `mutation($a: String!) { approveAssignment(input: { assignmentId: $a }) { __typename } }`, {
      a: first.assignmentId,
    });
    const paid = await runOk(stack, `mutation($i: SendBonusInput!) { sendBonus(input: $i) { __typename ${ERRORS} } }`, {
      i: { ...first, bonusAmount: "0.20", reason: "Thanks", idempotencyKey: `aged-bonus-${mode}` },
    });
    expect(paid.sendBonus.__typename).toBe("BonusPaid");
    const before = await runOk(stack, HISTORY, { w: first.workerId });
    expect(before.worker.assignments.edges.map((e: any) => e.node.hit.hitId)).toContain(hitId);
    const hitTypeId = (await stack.client.send(new GetHITCommand({ HITId: hitId }))).HIT?.HITTypeId as string;
    expect((await exportRows(stack, `hitTypeId=${hitTypeId}`)).map((r) => r.HITId)).toContain(hitId);

    const hit = (await stack.client.send(new GetHITCommand({ HITId: hitId }))).HIT;
    const base = (mode === "creation" ? hit?.CreationTime : hit?.Expiration)?.getTime() as number;
    await stack.control("POST", "clock/advance", {
      seconds: (base + 120 * DAY_MS + 1_000 - stack.simulator.store.now()) / 1000,
    });

    const forgotten = await stack.client.send(new GetHITCommand({ HITId: hitId })).catch((e: Error) => e);
    expect((forgotten as { TurkErrorCode?: string }).TurkErrorCode).toBe("AWS.MechanicalTurk.HITDoesNotExist");
    const kept = await runOk(
      stack,
      `query($h: String!, $a: String!) { hit(hitId: $h) { title status } assignment(assignmentId: $a) { status } }`,
      { h: hitId, a: first.assignmentId },
    );
    expect(kept).toEqual({ hit: { title: "Rate sentences", status: "Disposed" }, assignment: { status: "Approved" } });
    const listed = await runOk(
      stack,
      `{ hits(first: 100) { edges { node { hitId } } } reviewableHits(first: 100) { edges { node { hitId } } } }`,
    );
    expect(listed.hits.edges.map((e: any) => e.node.hitId)).not.toContain(hitId);
    expect(listed.reviewableHits.edges.map((e: any) => e.node.hitId)).not.toContain(hitId);
    const after = await runOk(stack, HISTORY, { w: first.workerId });
    expect(after.worker.assignments.edges.map((e: any) => e.node.hit.hitId)).toContain(hitId);
    expect(after.worker.bonusPayments.totalCount).toBe(before.worker.bonusPayments.totalCount);
    expect((await exportRows(stack, `hitId=${hitId}`)).map((r) => r.AssignmentId)).toContain(first.assignmentId);
  });
});

describe("a HIT MTurk still lists but no longer has (listings lagging behind its deletion)", () => {
  let stack: Stack;
  let hitId: string;
  let workerId: string;
  let hitTypeId: string;
  beforeAll(async () => {
    stack = await startStack({
      size: "tiny",
      seed: 32,
      env: { MIRROR_MAX_AGE_MS: "0", SUBSCRIPTION_POLL_MS: "200" },
    });
    const made = await hitWithSubmissions(stack, 1, "lagging-gone");
    hitId = made.hitId;
    workerId = (made.submissions[0] as { workerId: string }).workerId;
    hitTypeId = (await stack.client.send(new GetHITCommand({ HITId: hitId }))).HIT?.HITTypeId as string;
    await runOk(stack, `mutation($a: String!) { approveAssignment(input: { assignmentId: $a }) { __typename } }`, {
      a: (made.submissions[0] as { assignmentId: string }).assignmentId,
    });
    await stack.client.send(new UpdateExpirationForHITCommand({ HITId: hitId, ExpireAt: new Date(0) }));
    // Listed from here on; then deleted (by another tool) while the listings lag a minute.
    await stack.control("POST", "clock/advance", { seconds: 120 });
    await stack.control("PUT", "switches", { listLagSeconds: 60 });
    await stack.client.send(new DeleteHITCommand({ HITId: hitId }));
  });
  afterAll(() => stack.close());

  it("the worker's history does not fail (MTurk forgot the work before the mirror read it)", async () => {
    const d = await runOk(stack, HISTORY, { w: workerId });
    expect(d.worker.assignments.edges.map((e: any) => e.node.hit.hitId)).not.toContain(hitId);
  });

  it("a HIT type's subscribers hear of its HITs' work once listed, however late, and whatever HIT is gone", async () => {
    const [gone, kept] = [
      await hitWithSubmissions(stack, 0, "lagging-type-a"),
      await hitWithSubmissions(stack, 0, "lagging-type-b"),
    ];
    const typeId = (await stack.client.send(new GetHITCommand({ HITId: kept.hitId }))).HIT?.HITTypeId as string;
    expect((await stack.client.send(new GetHITCommand({ HITId: gone.hitId }))).HIT?.HITTypeId).toBe(typeId);
    await stack.control("POST", "clock/advance", { seconds: 120 });
    const polls = () => stack.simulator.instrumentation.calls.filter((c) => c.operation === "ListHITs").length;
    const before = polls();
    const byType = sse(
      (url, init) => stack.yoga.fetch(url, init),
      "http://gateway.test/graphql",
      ASSIGNMENT_SUBMITTED,
      {
        ht: typeId,
      },
    );
    await waitFor(() => polls() > before, 5_000, "the baseline poll");
    const work = async (hitId: string) => {
      const { workerId } = await stack.control<{ workerId: string }>("POST", "workers", {});
      const { assignment } = await stack.control<any>("POST", `hits/${hitId}/accept`, { workerId });
      await stack.control("POST", `assignments/${assignment.AssignmentId}/submit`, { answer: "<a/>" });
      return assignment.AssignmentId as string;
    };
    // The HIT's count grows at once; ListAssignmentsForHIT shows the work a minute later.
    const waiting = await work(kept.hitId);
    await new Promise((r) => setTimeout(r, 500));
    await stack.control("POST", "clock/advance", { seconds: 61 });
    // Another HIT of the type: work submitted, reviewed, the HIT deleted; still listed (the listing lags).
    const done = await work(gone.hitId);
    await stack.client.send(new ApproveAssignmentCommand({ AssignmentId: done }));
    await stack.client.send(new UpdateExpirationForHITCommand({ HITId: gone.hitId, ExpireAt: new Date(0) }));
    await stack.client.send(new DeleteHITCommand({ HITId: gone.hitId }));
    const events = await byType.until(1, 5_000);
    expect(events.map((e) => e.data.data?.assignmentSubmitted.assignmentId)).toEqual([waiting]);
    await byType.close();
  });

  it("an export of its HIT type does not fail", async () => {
    const response = await stack.yoga.fetch(`http://gateway.test/exports/assignments.jsonl?hitTypeId=${hitTypeId}`);
    expect(response.status).toBe(200);
    expect(await response.text()).not.toContain('"errors"');
  });
});
