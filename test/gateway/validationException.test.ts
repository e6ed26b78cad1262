import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";
import { ERRORS, hitWithSubmissions, KEYED_ERRORS } from "../support/work.js";

/**
 * MTurk's ValidationException (a protocol-level refusal before the operation) is a definite refusal: the write did
 * not happen, so the gateway answers BAD_USER_INPUT at once, without the read-back it makes after an ambiguous
 * answer (which would cost calls and could report a refused payment as made).
 */
let stack: Stack;
let work: { assignmentId: string; workerId: string };
let hitId: string;
beforeAll(async () => {
  stack = await startStack({ size: "empty", seed: 19 });
  const made = await hitWithSubmissions(stack, 2, "validation-hit");
  hitId = made.hitId;
  work = made.submissions[0] as typeof work;
});
afterAll(() => stack.close());

const writes = () => ({
  SendBonus: [
    `mutation($i: SendBonusInput!) { sendBonus(input: $i) { __typename ${KEYED_ERRORS} } }`,
    { i: { ...work, bonusAmount: "1.00", reason: "r", idempotencyKey: "v-bonus" } },
  ],
  CreateHIT: [
    `mutation($i: CreateHITInput!) { createHIT(input: $i) { __typename ${KEYED_ERRORS} } }`,
    {
      i: {
        title: "Refused",
        description: "d",
        reward: "0.10",
        lifetimeInSeconds: 3600,
        assignmentDurationInSeconds: 600,
        question: "<HTMLQuestion><HTMLContent>x</HTMLContent></HTMLQuestion>",
        idempotencyKey: "v-hit",
      },
    },
  ],
  CreateAdditionalAssignmentsForHIT: [
    `mutation($i: CreateAdditionalAssignmentsForHITInput!) { createAdditionalAssignmentsForHIT(input: $i) { __typename ${KEYED_ERRORS} } }`,
    { i: { hitId, numberOfAdditionalAssignments: 1, idempotencyKey: "v-extend" } },
  ],
  ApproveAssignment: [
    `mutation($i: ApproveAssignmentInput!) { approveAssignment(input: $i) { __typename ${ERRORS} } }`,
    { i: { assignmentId: work.assignmentId } },
  ],
});

describe("a write MTurk answers with ValidationException", () => {
  it("is MTurkRequestError BAD_USER_INPUT, with no read-back and no second attempt", async () => {
    const answers: Record<string, unknown> = {};
    for (const [operation, [document, variables]] of Object.entries(writes())) {
      await stack.control("POST", "faults/next", { operation, count: 1, fault: "ValidationException" });
      const { result, calls } = await stack.measured<any>(document as string, variables as Record<string, unknown>);
      const answer = Object.values(result.data ?? {})[0] as { __typename: string; code?: string };
      answers[operation] = { answer: [answer?.__typename, answer?.code], calls: calls.map((c) => c.operation) };
    }
    expect(answers).toEqual({
      SendBonus: { answer: ["MTurkRequestError", "BAD_USER_INPUT"], calls: ["SendBonus"] },
      CreateHIT: { answer: ["MTurkRequestError", "BAD_USER_INPUT"], calls: ["CreateHIT"] },
      // Its claim reads the HIT's MaxAssignments first (the read-back's baseline); nothing after the refusal.
      CreateAdditionalAssignmentsForHIT: {
        answer: ["MTurkRequestError", "BAD_USER_INPUT"],
        calls: ["GetHIT", "CreateAdditionalAssignmentsForHIT"],
      },
      ApproveAssignment: { answer: ["MTurkRequestError", "BAD_USER_INPUT"], calls: ["ApproveAssignment"] },
    });
  });
});
