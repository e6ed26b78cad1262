import { GetAccountBalanceCommand, ListBonusPaymentsCommand, paginateListHITs } from "@aws-sdk/client-mturk";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalAmount, fromCents } from "../../src/money/fees.js";
import { type Stack, startStack } from "../support/stack.js";
import { ERRORS, hitWithSubmissions, KEYED_ERRORS, runOk } from "../support/work.js";

/** An amount's keys and fingerprints are its cents: "2", "2.0" and "2.00" are one payment, however written. */
const bonusesDoc = `mutation($i: SendBonusesInput!) { sendBonuses(input: $i) { __typename ... on SendBonusesPayload { succeeded failed results { result { alreadyProcessed } error { code message } } } ... on DryRunCost { cost { bonuses { amount } total { amount } } } ${ERRORS} } }`;
const bonusDoc = `mutation($i: SendBonusInput!) { sendBonus(input: $i) { __typename ... on BonusPaid { alreadyProcessed } ${KEYED_ERRORS} } }`;
const createDoc = `mutation($i: CreateHITInput!) { createHIT(input: $i) { __typename ... on CreatedHITPayload { alreadyExisted hit { hitId reward { amount } } } ${KEYED_ERRORS} } }`;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ size: "empty", seed: 3 });
});
afterAll(() => stack.close());

const bonusesOf = async (assignmentId: string) =>
  (await stack.client.send(new ListBonusPaymentsCommand({ AssignmentId: assignmentId }))).BonusPayments ?? [];
const balance = async () => (await stack.client.send(new GetAccountBalanceCommand({}))).AvailableBalance as string;

describe("amounts are keyed by their cents", () => {
  it("sendBonuses items that differ only in how the amount is written (2, 2.00, 2.0) pay once, and a dry run counts one", async () => {
    const { submissions } = await hitWithSubmissions(stack, 1, "spelled-amounts");
    const s = submissions[0] as { assignmentId: string; workerId: string };
    const items = ["2", "2.00", "2.0"].map((bonusAmount) => ({ ...s, bonusAmount, reason: "thanks" }));
    const dry = await runOk(stack, bonusesDoc, { i: { idempotencyKey: "spelled", items, dryRun: true } });
    expect.soft(dry.sendBonuses.cost).toEqual({ bonuses: { amount: "2.00" }, total: { amount: "2.40" } });
    const before = await balance();
    const paid = await runOk(stack, bonusesDoc, { i: { idempotencyKey: "spelled", items } });
    expect(paid.sendBonuses.succeeded).toBe(3);
    expect(paid.sendBonuses.results.map((r: any) => r.result.alreadyProcessed)).toEqual([false, true, true]);
    expect((await bonusesOf(s.assignmentId)).map((b) => b.BonusAmount)).toEqual(["2.00"]);
    expect(Number(before) - Number(await balance())).toBeCloseTo(2.4, 2);
  });

  it("a sendBonus key retried with the amount written otherwise is the same payment", async () => {
    const { submissions } = await hitWithSubmissions(stack, 1, "spelled-single");
    const s = submissions[0] as { assignmentId: string; workerId: string };
    const input = { ...s, bonusAmount: "1.5", reason: "r", idempotencyKey: "spelled-one" };
    expect((await runOk(stack, bonusDoc, { i: input })).sendBonus).toEqual({
      __typename: "BonusPaid",
      alreadyProcessed: false,
    });
    expect((await runOk(stack, bonusDoc, { i: { ...input, bonusAmount: "01.50" } })).sendBonus).toEqual({
      __typename: "BonusPaid",
      alreadyProcessed: true,
    });
    expect(await bonusesOf(s.assignmentId)).toHaveLength(1);
  });

  it("a createHIT key retried with the reward written otherwise is the same HIT", async () => {
    const input = {
      title: "Spelled reward",
      description: "d",
      reward: "0.5",
      lifetimeInSeconds: 3600,
      assignmentDurationInSeconds: 600,
      question: "<HTMLQuestion><HTMLContent>x</HTMLContent></HTMLQuestion>",
      idempotencyKey: "spelled-hit",
    };
    const first = await runOk(stack, createDoc, { i: input });
    expect(first.createHIT.hit.reward.amount).toBe("0.50");
    const again = await runOk(stack, createDoc, { i: { ...input, reward: "0.50" } });
    expect(again.createHIT).toMatchObject({ alreadyExisted: true, hit: { hitId: first.createHIT.hit.hitId } });
    let same = 0;
    for await (const page of paginateListHITs({ client: stack.client }, {}))
      same += (page.HITs ?? []).filter((h) => h.Title === input.title).length;
    expect(same).toBe(1);
  });

  it("every spelling of an amount has one canonical form, its cents", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.nat({ max: 3 }), fc.boolean(), (cents, zeros, short) => {
        const whole = Math.floor(cents / 100);
        const fraction = String(cents % 100).padStart(2, "0");
        // Leading zeros, and the fraction shortened where its last digit is a zero (2.50 → 2.5, 2.00 → 2 or 2.).
        const tail = short && fraction.endsWith("0") ? (fraction === "00" ? "" : fraction.slice(0, 1)) : fraction;
        const spelled = `${"0".repeat(zeros)}${whole}${tail === "" ? (zeros % 2 ? "." : "") : `.${tail}`}`;
        expect(canonicalAmount(spelled)).toBe(fromCents(cents));
      }),
    );
  });
});
