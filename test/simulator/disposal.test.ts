import {
  ApproveAssignmentCommand,
  CreateHITCommand,
  DeleteHITCommand,
  GetAccountBalanceCommand,
  GetAssignmentCommand,
  GetHITCommand,
  ListAssignmentsForHITCommand,
  ListBonusPaymentsCommand,
  ListHITsCommand,
  ListReviewableHITsCommand,
  SendBonusCommand,
  UpdateExpirationForHITCommand,
} from "@aws-sdk/client-mturk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTO_DISPOSALS } from "../../src/simulator/switches.js";
import { rejection, type SdkPair, startSdkPair, submitWork } from "../support/sdk.js";

/**
 * "HITs are automatically disposed of after 120 days": an aged-out HIT leaves every listing and is forgotten, with
 * its assignments and bonuses. Whether the 120 days count from creation or from expiration is the autoDisposal
 * switch. A deleted HIT reads as Disposed for 120 days after its deletion, then is forgotten too.
 */
const DAY = 86_400;
const QUESTION = "<HTMLQuestion><HTMLContent>x</HTMLContent><FrameHeight>400</FrameHeight></HTMLQuestion>";

describe.each(AUTO_DISPOSALS)("autoDisposal %s", (mode) => {
  let pair: SdkPair;
  beforeAll(async () => {
    pair = await startSdkPair("empty", 3, { autoDisposal: mode });
  });
  afterAll(() => pair.close());

  const now = async () => Date.parse((await pair.control<{ now: string }>("GET", "clock")).now);
  const advanceTo = async (at: number) =>
    pair.control("POST", "clock/advance", { seconds: (at - (await now())) / 1000 });
  const getHit = (HITId: string) => pair.client.send(new GetHITCommand({ HITId }));
  const listedIds = async () =>
    ((await pair.client.send(new ListHITsCommand({ MaxResults: 100 }))).HITs ?? []).map((h) => h.HITId);
  const createHit = async (LifetimeInSeconds: number, MaxAssignments = 2) =>
    (
      await pair.client.send(
        new CreateHITCommand({
          Title: `Ages out (${mode})`,
          Description: "d",
          Reward: "0.40",
          LifetimeInSeconds,
          AssignmentDurationInSeconds: 600,
          AutoApprovalDelayInSeconds: 2 * DAY,
          MaxAssignments,
          Question: QUESTION,
        }),
      )
    ).HIT as { HITId: string; CreationTime: Date; Expiration: Date };
  const submit = (hitId: string) => submitWork(pair, hitId);
  const disposalOf = (hit: { CreationTime: Date; Expiration: Date }) =>
    (mode === "creation" ? hit.CreationTime : hit.Expiration).getTime() + 120 * DAY * 1000;

  it(`forgets an aged-out HIT with its assignments and bonuses 120 days after its ${mode}`, async () => {
    const hit = await createHit(10 * DAY);
    const approved = await submit(hit.HITId);
    await pair.client.send(new ApproveAssignmentCommand({ AssignmentId: approved.assignmentId }));
    await pair.client.send(
      new SendBonusCommand({
        WorkerId: approved.workerId,
        AssignmentId: approved.assignmentId,
        BonusAmount: "0.50",
        Reason: "Thanks",
      }),
    );
    const waiting = await submit(hit.HITId);
    const due = disposalOf(hit);
    await advanceTo(due - 60_000);
    expect((await getHit(hit.HITId)).HIT?.HITId).toBe(hit.HITId);
    expect(await listedIds()).toContain(hit.HITId);
    expect(
      (await pair.client.send(new GetAssignmentCommand({ AssignmentId: approved.assignmentId }))).Assignment,
    ).toBeDefined();

    await advanceTo(due + 1_000);
    expect(await listedIds()).not.toContain(hit.HITId);
    const reviewable = await pair.client.send(new ListReviewableHITsCommand({ MaxResults: 100 }));
    expect(reviewable.HITs?.map((h) => h.HITId)).not.toContain(hit.HITId);
    const gone = await rejection(getHit(hit.HITId));
    expect(gone).toMatchObject({ name: "RequestError", TurkErrorCode: "AWS.MechanicalTurk.HITDoesNotExist" });
    for (const a of [approved, waiting]) {
      const error = await rejection(pair.client.send(new GetAssignmentCommand({ AssignmentId: a.assignmentId })));
      expect(error.TurkErrorCode).toBe("AWS.MechanicalTurk.AssignmentDoesNotExist");
    }
    for (const send of [
      () => pair.client.send(new ListAssignmentsForHITCommand({ HITId: hit.HITId })),
      () => pair.client.send(new ListBonusPaymentsCommand({ HITId: hit.HITId })),
    ])
      expect((await rejection(send())).TurkErrorCode).toBe("AWS.MechanicalTurk.HITDoesNotExist");
    const byAssignment = await pair.client.send(new ListBonusPaymentsCommand({ AssignmentId: approved.assignmentId }));
    expect(byAssignment.BonusPayments).toEqual([]);
  });

  it(
    mode === "expiration"
      ? "counts from the current expiration: extending a HIT puts its disposal off"
      : "counts from creation: extending a HIT changes nothing",
    async () => {
      const hit = await createHit(DAY, 1);
      const later = hit.Expiration.getTime() + 30 * DAY * 1000;
      await pair.client.send(new UpdateExpirationForHITCommand({ HITId: hit.HITId, ExpireAt: new Date(later) }));
      const due = mode === "expiration" ? later + 120 * DAY * 1000 : disposalOf(hit);
      await advanceTo(due - 60_000);
      expect((await getHit(hit.HITId)).HIT?.HITId).toBe(hit.HITId);
      await advanceTo(due + 1_000);
      expect((await rejection(getHit(hit.HITId))).TurkErrorCode).toBe("AWS.MechanicalTurk.HITDoesNotExist");
    },
  );

  it("a deleted HIT reads as Disposed for 120 days after its deletion, then is forgotten", async () => {
    const hit = await createHit(DAY, 1);
    await pair.client.send(new UpdateExpirationForHITCommand({ HITId: hit.HITId, ExpireAt: new Date(0) }));
    await advanceTo((await now()) + 100 * DAY * 1000);
    const deletedAt = await now();
    await pair.client.send(new DeleteHITCommand({ HITId: hit.HITId }));
    await advanceTo(deletedAt + 119 * DAY * 1000);
    expect((await getHit(hit.HITId)).HIT?.HITStatus).toBe("Disposed");
    expect(await listedIds()).not.toContain(hit.HITId);
    await advanceTo(deletedAt + 121 * DAY * 1000);
    expect((await rejection(getHit(hit.HITId))).TurkErrorCode).toBe("AWS.MechanicalTurk.HITDoesNotExist");
  });
});

describe("autoDisposal creation, a HIT still worked on at 120 days", () => {
  let pair: SdkPair;
  beforeAll(async () => {
    pair = await startSdkPair("empty", 4, { autoDisposal: "creation" });
  });
  afterAll(() => pair.close());

  it("pays the submitted work it forgets unreviewed, once (MTurk approves what the requester does not review)", async () => {
    const created = await pair.client.send(
      new CreateHITCommand({
        Title: "Long-lived",
        Description: "d",
        Reward: "0.40",
        LifetimeInSeconds: 200 * DAY,
        AssignmentDurationInSeconds: 600,
        AutoApprovalDelayInSeconds: 10 * DAY,
        Question: QUESTION,
      }),
    );
    const hitId = created.HIT?.HITId as string;
    await pair.control("POST", "clock/advance", { seconds: 119 * DAY });
    await submitWork(pair, hitId);
    const balance = async () => Number((await pair.client.send(new GetAccountBalanceCommand({}))).AvailableBalance);
    const before = await balance();
    // Disposed at 120 days, before its auto-approval (129 days): the reward and MTurk's fee are paid then.
    await pair.control("POST", "clock/advance", { seconds: 2 * DAY });
    expect((await rejection(pair.client.send(new GetHITCommand({ HITId: hitId })))).TurkErrorCode).toBe(
      "AWS.MechanicalTurk.HITDoesNotExist",
    );
    expect(await balance()).toBeCloseTo(before - 0.48, 2);
    await pair.control("POST", "clock/advance", { seconds: 20 * DAY });
    expect(await balance()).toBeCloseTo(before - 0.48, 2);
  });
});

describe("the clock looks only at what is due", () => {
  let pair: SdkPair;
  beforeAll(async () => {
    pair = await startSdkPair("large", 5);
  });
  afterAll(() => pair.close());

  it("calls with nothing due take no HIT from the disposal queue; a clock jump takes only the HITs due", async () => {
    const store = pair.simulator.store;
    const hits = store.hits.size;
    expect(hits).toBeGreaterThanOrEqual(2000);
    const taken = store.disposals.taken;
    for (let i = 0; i < 50; i += 1) await pair.client.send(new GetAccountBalanceCommand({}));
    expect(store.disposals.taken).toBe(taken);
    // Far enough for the first HITs to age out, not the last ones.
    const times = [...store.hits.values()].map((h) => h.expiration).sort((a, b) => a - b);
    const cut = (times[100] as number) + 120 * DAY * 1000;
    await pair.control("POST", "clock/advance", { seconds: (cut - store.now()) / 1000 });
    const due = times.filter((t) => t + 120 * DAY * 1000 <= cut).length;
    expect(store.hits.size).toBe(hits - due);
    expect(store.disposals.taken - taken).toBe(due);
  });
});
