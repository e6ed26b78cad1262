import {
  ApproveAssignmentCommand,
  CreateAdditionalAssignmentsForHITCommand,
  CreateHITCommand,
  CreateHITTypeCommand,
  GetAccountBalanceCommand,
  SendBonusCommand,
  UpdateHITTypeOfHITCommand,
} from "@aws-sdk/client-mturk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rejection, type SdkPair, startSdkPair } from "../support/sdk.js";

/** MTurk's pricing: 20 % of rewards and bonuses, 40 % of rewards on HITs with 10+ assignments, at least 1 cent. */
let pair: SdkPair;
const cents = async () =>
  Math.round(Number((await pair.client.send(new GetAccountBalanceCommand({}))).AvailableBalance) * 100);
const createHit = async (Reward: string, MaxAssignments: number) =>
  (
    await pair.client.send(
      new CreateHITCommand({
        Title: `Fees ${Reward} x ${MaxAssignments}`,
        Description: "d",
        Reward,
        LifetimeInSeconds: 3600,
        AssignmentDurationInSeconds: 600,
        MaxAssignments,
        Question: "<HTMLQuestion>q</HTMLQuestion>",
      }),
    )
  ).HIT as { HITId: string; HITTypeId: string };
async function submitted(hitId: string) {
  const { workerId } = await pair.control<{ workerId: string }>("POST", "workers", {});
  const { assignment } = await pair.control<{ assignment: { AssignmentId: string } }>("POST", `hits/${hitId}/accept`, {
    workerId,
  });
  await pair.control("POST", `assignments/${assignment.AssignmentId}/submit`, { answer: "<a/>" });
  return { assignmentId: assignment.AssignmentId, workerId };
}
/** What an operation took from the available balance, in cents. */
async function spent(action: () => Promise<unknown>) {
  const before = await cents();
  await action();
  return before - (await cents());
}

beforeAll(async () => {
  pair = await startSdkPair("empty");
});
afterAll(() => pair.close());

describe("fees", () => {
  it("approval pays the reward plus 20 %, or 40 % on a HIT with 10 or more assignments", async () => {
    const small = await createHit("1.00", 9);
    const one = await submitted(small.HITId);
    expect(await spent(() => pair.client.send(new ApproveAssignmentCommand({ AssignmentId: one.assignmentId })))).toBe(
      120,
    );
    const big = await createHit("1.00", 10);
    const two = await submitted(big.HITId);
    expect(await spent(() => pair.client.send(new ApproveAssignmentCommand({ AssignmentId: two.assignmentId })))).toBe(
      140,
    );
  });

  it("charges at least one cent per assignment and per bonus, and 20 % of a bonus on any HIT", async () => {
    const penny = await createHit("0.01", 2);
    const one = await submitted(penny.HITId);
    expect(await spent(() => pair.client.send(new ApproveAssignmentCommand({ AssignmentId: one.assignmentId })))).toBe(
      2,
    );
    const bonus = (BonusAmount: string, UniqueRequestToken: string) =>
      pair.client.send(
        new SendBonusCommand({
          AssignmentId: one.assignmentId,
          WorkerId: one.workerId,
          BonusAmount,
          Reason: "r",
          UniqueRequestToken,
        }),
      );
    expect(await spent(() => bonus("0.01", "fee-1"))).toBe(2);
    // 20 % of 15 cents is exactly 3 cents.
    expect(await spent(() => bonus("0.15", "fee-2"))).toBe(18);
    const big = await createHit("0.10", 12);
    const two = await submitted(big.HITId);
    await pair.client.send(new ApproveAssignmentCommand({ AssignmentId: two.assignmentId }));
    expect(
      await spent(() =>
        pair.client.send(
          new SendBonusCommand({
            AssignmentId: two.assignmentId,
            WorkerId: two.workerId,
            BonusAmount: "1.00",
            Reason: "r",
          }),
        ),
      ),
    ).toBe(120);
  });

  it("checks funds for the 40 % fee at HIT creation and extension", async () => {
    const balance = await cents();
    // Affordable at 20 % (n x 120) but not at 40 % (n x 140): refused.
    const n = Math.floor(balance / 12_000);
    expect(n * 14_000).toBeGreaterThan(balance);
    const create = await rejection(createHit("100.00", n));
    expect(create.TurkErrorCode).toBe("AWS.MechanicalTurk.InsufficientFunds");
    const hit = await createHit("10.00", 10);
    const extra = Math.floor(balance / 1_200);
    expect(extra * 1_400).toBeGreaterThan(balance);
    const extend = await rejection(
      pair.client.send(
        new CreateAdditionalAssignmentsForHITCommand({ HITId: hit.HITId, NumberOfAdditionalAssignments: extra }),
      ),
    );
    expect(extend.TurkErrorCode).toBe("AWS.MechanicalTurk.InsufficientFunds");
    expect(await cents()).toBe(balance);
  });

  it("pays the HIT type's current reward after UpdateHITTypeOfHIT (MTurk's choice is unknown; kept)", async () => {
    const hit = await createHit("1.00", 3);
    const one = await submitted(hit.HITId);
    const dearer = await pair.client.send(
      new CreateHITTypeCommand({ Title: "Dearer", Description: "d", Reward: "2.00", AssignmentDurationInSeconds: 600 }),
    );
    await pair.client.send(new UpdateHITTypeOfHITCommand({ HITId: hit.HITId, HITTypeId: dearer.HITTypeId }));
    expect(await spent(() => pair.client.send(new ApproveAssignmentCommand({ AssignmentId: one.assignmentId })))).toBe(
      240,
    );
  });
});
