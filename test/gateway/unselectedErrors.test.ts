import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";
import { hitWithSubmissions } from "../support/work.js";

/**
 * No failure is silent: a mutation whose result is a typed error the client did not select (no field of its type,
 * of MutationError, nor __typename) answers it in `errors` too, with its code and path.
 */
let stack: Stack;
let work: { assignmentId: string; workerId: string };
beforeAll(async () => {
  stack = await startStack({ size: "empty", seed: 31 });
  work = (await hitWithSubmissions(stack, 1, "unselected")).submissions[0] as typeof work;
});
afterAll(() => stack.close());

const bonus = (idempotencyKey: string, bonusAmount = "1.00") => ({ ...work, bonusAmount, reason: "r", idempotencyKey });
const successOnly = `mutation($i: SendBonusInput!) { sendBonus(input: $i) { ... on BonusPaid { alreadyProcessed } } }`;

describe("a typed error the client did not select", () => {
  it("a refused sendBonus (a reused key) is in errors with its code and path, beside the empty member", async () => {
    await stack.query(successOnly, { i: bonus("reused") });
    const refused = await stack.query<any>(successOnly, { i: bonus("reused", "2.00") });
    expect(refused.data).toEqual({ sendBonus: {} });
    expect(refused.errors).toEqual([
      expect.objectContaining({
        path: ["sendBonus"],
        message: expect.stringContaining("reused"),
        extensions: expect.objectContaining({ code: "IDEMPOTENCY_KEY_CONFLICT", operation: "SendBonus" }),
      }),
    ]);
  });

  it("invalid input (a ValidationError), MTurk's refusal (an MTurkRequestError) and a bulk mutation's own error too", async () => {
    const invalid = await stack.query<any>(successOnly, { i: bonus("zero", "0") });
    expect(invalid.errors?.map((e) => [e.path, e.extensions?.code, e.extensions?.field])).toEqual([
      [["sendBonus"], "BAD_USER_INPUT", "input.bonusAmount"],
    ]);
    const missing = await stack.query<any>(
      `mutation { a: approveAssignment(input: { assignmentId: "3NOSUCHASSIGNMENT0000000000001" }) { ... on ReviewedAssignment { alreadyApplied } } b: rejectAssignment(input: { assignmentId: "3NOSUCHASSIGNMENT0000000000001", requesterFeedback: "no" }) { __typename } }`,
    );
    expect(missing.data).toEqual({ a: {}, b: { __typename: "MTurkRequestError" } });
    expect(missing.errors?.map((e) => [e.path, e.extensions?.code, e.extensions?.turkErrorCode])).toEqual([
      [["a"], "NOT_FOUND", expect.stringMatching(/DoesNotExist$/)],
    ]);
    const items = Array.from({ length: 501 }, () => ({ ...work, bonusAmount: "1.00", reason: "r" }));
    const bulk = await stack.query<any>(
      `mutation($i: SendBonusesInput!) { sendBonuses(input: $i) { ... on SendBonusesPayload { succeeded } } }`,
      { i: { idempotencyKey: "too-many", items } },
    );
    expect(bulk.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[["sendBonuses"], "BAD_USER_INPUT"]]);
  });

  it("is not repeated when the client selected the error (its type, MutationError or __typename) or nothing failed", async () => {
    for (const selection of [
      "... on IdempotencyKeyConflictError { idempotencyKey }",
      "... on MutationError { message }",
      "__typename",
    ]) {
      const seen = await stack.query<any>(
        `mutation($i: SendBonusInput!) { sendBonus(input: $i) { ... on BonusPaid { alreadyProcessed } ${selection} } }`,
        { i: bonus("reused", "3.00") },
      );
      expect(seen.errors, selection).toBeUndefined();
    }
    const paid = await stack.query<any>(successOnly, { i: bonus("fine") });
    expect(paid).toMatchObject({ data: { sendBonus: { alreadyProcessed: false } } });
    expect(paid.errors).toBeUndefined();
  });
});
