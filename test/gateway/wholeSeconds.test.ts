import { ListBonusPaymentsCommand } from "@aws-sdk/client-mturk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";
import { walkConnection } from "../support/walk.js";
import { ERRORS, hitWithSubmissions, runOk } from "../support/work.js";

/**
 * MTurk's replies carry whole seconds. A bonus has no id of its own (the gateway names it by its assignment, grant
 * time and amount), so two alike bonuses paid in one second look the same: they are still two payments, and every
 * listing must show both and end.
 */
let stack: Stack;
let paid: { assignmentId: string; workerId: string; hitId: string };

beforeAll(async () => {
  stack = await startStack({ size: "tiny", seed: 8 });
  const { hitId, submissions } = await hitWithSubmissions(stack, 4, "twin-bonuses");
  const doc = `mutation($i: SendBonusInput!) { sendBonus(input: $i) { __typename ${ERRORS} } }`;
  // Two alike bonuses in one second of the simulator's clock: from the start of a second, and again on another
  // assignment should a loaded machine take a whole second over the two.
  for (const [n, s] of submissions.entries()) {
    while (Date.now() % 1000 > 100) await new Promise((r) => setTimeout(r, 5));
    for (const key of [`twin-${n}-1`, `twin-${n}-2`]) {
      const i = { ...s, bonusAmount: "0.25", reason: "Thanks", idempotencyKey: key };
      expect((await runOk(stack, doc, { i })).sendBonus.__typename).toBe("BonusPaid");
    }
    const listed = await stack.client.send(new ListBonusPaymentsCommand({ AssignmentId: s.assignmentId }));
    const [a, b] = listed.BonusPayments ?? [];
    if (a?.GrantTime?.getTime() === b?.GrantTime?.getTime()) {
      paid = { ...s, hitId };
      return;
    }
  }
  throw new Error("no two bonuses were paid in one second");
});
afterAll(() => stack.close());

const bonusFields = "workerId assignmentId reason grantTime bonusAmount { amount }";
const walkAll = (document: string, variables: Record<string, unknown>, at: (d: any) => any) =>
  walkConnection(stack, document, variables, at, [{ first: 1 }], async () => undefined);

describe("two alike bonuses paid in one second", () => {
  it("are two payments MTurk lists alike", async () => {
    const listed = await stack.client.send(new ListBonusPaymentsCommand({ AssignmentId: paid.assignmentId }));
    expect(listed.BonusPayments).toHaveLength(2);
    const [a, b] = listed.BonusPayments ?? [];
    expect(a).toEqual(b);
  });

  it("an assignment's bonuses, a page at a time: both, and the walk ends", async () => {
    const nodes = await walkAll(
      `query($a: String!, $first: Int, $after: String) { assignment(assignmentId: $a) { bonusPayments(first: $first, after: $after) { edges { cursor node { ${bonusFields} } } pageInfo { hasNextPage endCursor } } } }`,
      { a: paid.assignmentId },
      (d) => d.assignment.bonusPayments,
    );
    expect(nodes).toHaveLength(2);
  });

  it("a HIT's bonuses sorted by grant time, a page at a time: both, and the walk ends", async () => {
    const nodes = await walkAll(
      `query($h: String!, $first: Int, $after: String) { hit(hitId: $h) { bonusPayments(first: $first, after: $after, orderBy: { field: GRANT_TIME }) { totalCount edges { cursor node { ${bonusFields} } } pageInfo { hasNextPage endCursor } } } }`,
      { h: paid.hitId },
      (d) => d.hit.bonusPayments,
    );
    expect(nodes).toHaveLength(2);
  });

  it("the worker's bonuses (the worker index), a page at a time: both, and the walk ends", async () => {
    const nodes = await walkAll(
      `query($w: String!, $first: Int, $after: String) { worker(workerId: $w) { bonusPayments(first: $first, after: $after) { edges { cursor node { ${bonusFields} } } pageInfo { hasNextPage endCursor } } } }`,
      { w: paid.workerId },
      (d) => d.worker.bonusPayments,
    );
    expect(nodes).toHaveLength(2);
  });
});

describe("an expiration asked with a fraction of a second", () => {
  it("is kept to the second by MTurk, and asking it again is already applied (not a change of 1 s)", async () => {
    const { hitId } = await hitWithSubmissions(stack, 0, "fraction-expiry");
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 10 * 86_400_000 + 600).toISOString();
    const doc = `mutation($h: String!, $e: DateTime!) { updateExpirationForHIT(input: { hitId: $h, expireAt: $e }) { __typename ... on HITPayload { alreadyApplied hit { expiration } } ${ERRORS} } }`;
    const once = await runOk(stack, doc, { h: hitId, e: at });
    expect(once.updateExpirationForHIT).toMatchObject({ __typename: "HITPayload", alreadyApplied: false });
    expect(once.updateExpirationForHIT.hit.expiration).toBe(`${at.slice(0, 19)}.000Z`);
    const again = await runOk(stack, doc, { h: hitId, e: at });
    expect(again.updateExpirationForHIT).toMatchObject({ __typename: "HITPayload", alreadyApplied: true });
  });
});
