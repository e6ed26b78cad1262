import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ASSIGNMENT_SUBMITTED, type SseStream, sse } from "../live/support.js";
import { type Stack, startStack } from "../support/stack.js";
import { ERRORS, KEYED_ERRORS, runOk } from "../support/work.js";

/**
 * MTurk gives a returned or abandoned assignment's AssignmentId to the next worker who accepts the HIT: an
 * AssignmentId alone does not name one worker's work. Through the gateway, every view of the HIT's work (its
 * assignments, the assignment by id, each worker's history, exports, subscriptions, bonuses) names the worker
 * whose work it is, and never gives one worker's work to another.
 */
let stack: Stack;
let hitId: string;
let hitTypeId: string;
let reused: string;
let other: string;
const workers: Record<"a" | "b" | "c" | "d", string> = { a: "", b: "", c: "", d: "" };
let byHit: SseStream;
let byType: SseStream;

const fetcher = (url: string, init: RequestInit) => stack.yoga.fetch(url, init);
const accept = async (workerId: string) =>
  (await stack.control<{ assignment: { AssignmentId: string } }>("POST", `hits/${hitId}/accept`, { workerId }))
    .assignment.AssignmentId;
const submit = (id: string) => stack.control("POST", `assignments/${id}/submit`, { answer: "<QuestionFormAnswers/>" });

beforeAll(async () => {
  stack = await startStack({ size: "tiny", seed: 12, env: { SUBSCRIPTION_POLL_MS: "100" } });
  const created = await runOk(
    stack,
    `mutation($i: CreateHITInput!) { createHIT(input: $i) { __typename ... on CreatedHITPayload { hit { hitId hitTypeId } } ${KEYED_ERRORS} } }`,
    {
      i: {
        title: "Reused ids",
        description: "d",
        reward: "0.20",
        lifetimeInSeconds: 3600,
        assignmentDurationInSeconds: 120,
        maxAssignments: 2,
        question: "<HTMLQuestion><HTMLContent>x</HTMLContent><FrameHeight>0</FrameHeight></HTMLQuestion>",
        idempotencyKey: "reuse-hit",
      },
    },
  );
  ({ hitId, hitTypeId } = created.createHIT.hit);
  for (const k of Object.keys(workers) as (keyof typeof workers)[])
    workers[k] = (await stack.control<{ workerId: string }>("POST", "workers", {})).workerId;
  byHit = sse(fetcher, "http://gateway.test/graphql", ASSIGNMENT_SUBMITTED, { h: hitId });
  byType = sse(fetcher, "http://gateway.test/graphql", ASSIGNMENT_SUBMITTED, { ht: hitTypeId });
  await new Promise((r) => setTimeout(r, 400));
  // a returns, b gets a's id and submits; c lets the deadline pass, d gets c's id and submits.
  reused = await accept(workers.a);
  await stack.control("POST", `assignments/${reused}/return`);
  expect(await accept(workers.b)).toBe(reused);
  await submit(reused);
  other = await accept(workers.c);
  await stack.control("POST", "clock/advance", { seconds: 121 });
  expect(await accept(workers.d)).toBe(other);
  await submit(other);
});
afterAll(async () => {
  await Promise.all([byHit.close(), byType.close()]);
  await stack.close();
});

describe("an AssignmentId that two workers held", () => {
  it("the HIT's assignments and the assignment by id name the worker who submitted", async () => {
    const d = await runOk(
      stack,
      `query($h: String!, $a: String!) { hit(hitId: $h) { assignments { edges { node { assignmentId workerId status } } } } assignment(assignmentId: $a) { workerId worker { workerId } } }`,
      { h: hitId, a: reused },
    );
    expect(d.hit.assignments.edges.map((e: any) => e.node)).toEqual([
      { assignmentId: reused, workerId: workers.b, status: "Submitted" },
      { assignmentId: other, workerId: workers.d, status: "Submitted" },
    ]);
    expect(d.assignment).toEqual({ workerId: workers.b, worker: { workerId: workers.b } });
  });

  it("each worker's history holds only that worker's work", async () => {
    const history = `query($w: String!) { worker(workerId: $w) { assignments { totalCount edges { node { assignmentId workerId } } } } }`;
    for (const [w, expected] of [
      [workers.a, []],
      [workers.b, [reused]],
      [workers.c, []],
      [workers.d, [other]],
    ] as const) {
      const d = await runOk(stack, history, { w });
      expect(
        d.worker.assignments.edges.map((e: any) => e.node.assignmentId),
        w,
      ).toEqual(expected);
      for (const e of d.worker.assignments.edges) expect(e.node.workerId).toBe(w);
    }
  });

  it("an export has one row per submitted work, with its worker", async () => {
    const text = await (await stack.yoga.fetch(`http://gateway.test/exports/assignments.jsonl?hitId=${hitId}`)).text();
    const rows = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { AssignmentId: string; WorkerId: string });
    expect(rows.map((r) => [r.AssignmentId, r.WorkerId])).toEqual([
      [reused, workers.b],
      [other, workers.d],
    ]);
  });

  it("subscribers of the HIT and of its type hear of each submitted work once, with its worker", async () => {
    for (const stream of [byHit, byType]) {
      const events = await stream.until(2, 5_000);
      expect(
        events.map((e) => [e.data.data?.assignmentSubmitted.assignmentId, e.data.data?.assignmentSubmitted.workerId]),
      ).toEqual([
        [reused, workers.b],
        [other, workers.d],
      ]);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(byHit.events).toHaveLength(2);
    expect(byType.events).toHaveLength(2);
  });

  it("a bonus for the id is paid to its holder; the worker who returned it is refused", async () => {
    const doc = `mutation($i: SendBonusInput!) { sendBonus(input: $i) { __typename ... on BonusPaid { worker { workerId } } ${ERRORS} } }`;
    const bonus = (workerId: string, key: string) => ({
      workerId,
      assignmentId: reused,
      bonusAmount: "0.30",
      reason: "Thanks",
      idempotencyKey: key,
    });
    const toHolder = await runOk(stack, doc, { i: bonus(workers.b, "reuse-bonus-b") });
    expect(toHolder.sendBonus).toEqual({ __typename: "BonusPaid", worker: { workerId: workers.b } });
    const toOld = await runOk(stack, doc, { i: bonus(workers.a, "reuse-bonus-a") });
    expect(toOld.sendBonus.__typename).toBe("MTurkRequestError");
    const paid = await runOk(
      stack,
      `query($a: String!, $w: String!) { assignment(assignmentId: $a) { bonusPayments { edges { node { workerId } } } } worker(workerId: $w) { bonusPayments { totalCount } } }`,
      { a: reused, w: workers.a },
    );
    expect(paid.assignment.bonusPayments.edges.map((e: any) => e.node.workerId)).toEqual([workers.b]);
    expect(paid.worker.bonusPayments.totalCount).toBe(0);
  });
});
