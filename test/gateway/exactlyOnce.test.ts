import { GetHITCommand, ListBonusPaymentsCommand, paginateListHITs } from "@aws-sdk/client-mturk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DUPLICATE_ERRORS } from "../../src/simulator/switches.js";
import { type Stack, startStack } from "../support/stack.js";
import { hitWithSubmissions, KEYED_ERRORS, runOk } from "../support/work.js";

/**
 * Money and creation exactly once, whatever MTurk answers a reused UniqueRequestToken with (the code is not
 * documented: DuplicateRequest, a message about an already-processed token, or nothing useful), and whether the
 * SDK retries after a lost answer or the gateway sees the loss itself.
 */
const bonusDoc = `mutation($i: SendBonusInput!) { sendBonus(input: $i) { __typename ... on BonusPaid { alreadyProcessed } ${KEYED_ERRORS} } }`;
const extendDoc = `mutation($i: CreateAdditionalAssignmentsForHITInput!) { createAdditionalAssignmentsForHIT(input: $i) { __typename ... on AdditionalAssignmentsPayload { alreadyProcessed hit { maxAssignments } } ${KEYED_ERRORS} } }`;
const createDoc = `mutation($i: CreateHITInput!) { createHIT(input: $i) { __typename ... on CreatedHITPayload { alreadyExisted hit { hitId } } ${KEYED_ERRORS} } }`;

describe.each(DUPLICATE_ERRORS.flatMap((duplicateError) => [1, 3].map((attempts) => ({ duplicateError, attempts }))))(
  "a reused token answered as $duplicateError, $attempts attempt(s) per call",
  ({ duplicateError, attempts }) => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({
        size: "empty",
        seed: 5,
        switches: { duplicateError },
        env: { MTURK_MAX_ATTEMPTS: String(attempts) },
      });
    });
    afterAll(() => stack.close());

    const bonuses = async (assignmentId: string) =>
      (await stack.client.send(new ListBonusPaymentsCommand({ AssignmentId: assignmentId }))).BonusPayments ?? [];

    it("a bonus whose answer is lost is paid once; retries say so; the key with another amount is refused", async () => {
      const { submissions } = await hitWithSubmissions(stack, 1, `bonus-hit-${duplicateError}-${attempts}`);
      const s = submissions[0] as { assignmentId: string; workerId: string };
      const input = {
        workerId: s.workerId,
        assignmentId: s.assignmentId,
        bonusAmount: "1.25",
        reason: "thanks",
        idempotencyKey: "k1",
      };
      await stack.control("POST", "faults/next", { operation: "SendBonus", count: 1, fault: "dropAfterApply" });
      const first = await runOk(stack, bonusDoc, { i: input });
      expect(first.sendBonus).toEqual({ __typename: "BonusPaid", alreadyProcessed: true });
      const retry = await runOk(stack, bonusDoc, { i: input });
      expect(retry.sendBonus).toEqual({ __typename: "BonusPaid", alreadyProcessed: true });
      const other = await runOk(stack, bonusDoc, { i: { ...input, bonusAmount: "9.99" } });
      expect(other.sendBonus).toMatchObject({ __typename: "IdempotencyKeyConflictError", idempotencyKey: "k1" });
      expect(await bonuses(s.assignmentId)).toHaveLength(1);
    });

    it("a bonus MTurk never received is reported not paid (retryable); the retry pays it once", async () => {
      const { submissions } = await hitWithSubmissions(stack, 1, `unpaid-hit-${duplicateError}-${attempts}`);
      const s = submissions[0] as { assignmentId: string; workerId: string };
      const input = {
        workerId: s.workerId,
        assignmentId: s.assignmentId,
        bonusAmount: "0.75",
        reason: "thanks",
        idempotencyKey: "k2",
      };
      await stack.control("POST", "faults/next", { operation: "SendBonus", count: attempts, fault: "drop" });
      const lost = await runOk(stack, bonusDoc, { i: input });
      expect(lost.sendBonus).toMatchObject({ __typename: "UpstreamUnavailableError", retryable: true });
      expect(await bonuses(s.assignmentId)).toHaveLength(0);
      const retry = await runOk(stack, bonusDoc, { i: input });
      expect(retry.sendBonus).toEqual({ __typename: "BonusPaid", alreadyProcessed: false });
      expect(await bonuses(s.assignmentId)).toHaveLength(1);
    });

    it("when neither the bonus nor its read-back is answered, the outcome is unknown and says what to check", async () => {
      const { submissions } = await hitWithSubmissions(stack, 1, `unknown-hit-${duplicateError}-${attempts}`);
      const s = submissions[0] as { assignmentId: string; workerId: string };
      const input = {
        workerId: s.workerId,
        assignmentId: s.assignmentId,
        bonusAmount: "0.50",
        reason: "thanks",
        idempotencyKey: "k3",
      };
      await stack.control("POST", "faults/next", { operation: "SendBonus", count: attempts, fault: "dropAfterApply" });
      await stack.control("POST", "faults/next", { operation: "ListBonusPayments", count: 10, fault: "drop" });
      const unknown = await runOk(stack, bonusDoc, { i: input });
      expect(unknown.sendBonus.__typename).toBe("OutcomeUnknownError");
      expect(unknown.sendBonus.check).toContain(s.assignmentId);
      await stack.control("DELETE", "faults");
      const retry = await runOk(stack, bonusDoc, { i: input });
      expect(retry.sendBonus).toEqual({ __typename: "BonusPaid", alreadyProcessed: true });
      expect(await bonuses(s.assignmentId)).toHaveLength(1);
    });

    it("additional assignments whose answer is lost are added once; the key for another HIT is refused", async () => {
      const { hitId } = await hitWithSubmissions(stack, 0, `extend-hit-${duplicateError}-${attempts}`, 2);
      const input = { hitId, numberOfAdditionalAssignments: 3, idempotencyKey: "x1" };
      await stack.control("POST", "faults/next", {
        operation: "CreateAdditionalAssignmentsForHIT",
        count: 1,
        fault: "dropAfterApply",
      });
      const first = await runOk(stack, extendDoc, { i: input });
      expect(first.createAdditionalAssignmentsForHIT).toMatchObject({
        alreadyProcessed: true,
        hit: { maxAssignments: 5 },
      });
      const retry = await runOk(stack, extendDoc, { i: input });
      expect(retry.createAdditionalAssignmentsForHIT).toMatchObject({
        alreadyProcessed: true,
        hit: { maxAssignments: 5 },
      });
      const { hitId: other } = await hitWithSubmissions(stack, 0, `extend-other-${duplicateError}-${attempts}`, 2);
      const reused = await runOk(stack, extendDoc, { i: { ...input, hitId: other } });
      expect(reused.createAdditionalAssignmentsForHIT.__typename).toBe("IdempotencyKeyConflictError");
      expect((await stack.client.send(new GetHITCommand({ HITId: other }))).HIT?.MaxAssignments).toBe(2);
    });

    it("a HIT whose creation answer is lost exists once; the key with other content is refused", async () => {
      const input = {
        title: `Once ${duplicateError} ${attempts}`,
        description: "d",
        reward: "0.10",
        lifetimeInSeconds: 3600,
        assignmentDurationInSeconds: 600,
        question: "<HTMLQuestion><HTMLContent>x</HTMLContent></HTMLQuestion>",
        idempotencyKey: "h1",
      };
      await stack.control("POST", "faults/next", { operation: "CreateHIT", count: 1, fault: "dropAfterApply" });
      const first = await runOk(stack, createDoc, { i: input });
      const retry = await runOk(stack, createDoc, { i: input });
      expect(retry.createHIT).toMatchObject({ alreadyExisted: true, hit: { hitId: first.createHIT.hit.hitId } });
      const changed = await runOk(stack, createDoc, { i: { ...input, reward: "5.00" } });
      expect(changed.createHIT.__typename).toBe("IdempotencyKeyConflictError");
      let same = 0;
      for await (const page of paginateListHITs({ client: stack.client }, {}))
        same += (page.HITs ?? []).filter((h) => h.Title === input.title).length;
      expect(same).toBe(1);
    });
  },
);
