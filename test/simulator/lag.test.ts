import {
  AcceptQualificationRequestCommand,
  ApproveAssignmentCommand,
  AssociateQualificationWithWorkerCommand,
  CreateHITCommand,
  CreateQualificationTypeCommand,
  CreateWorkerBlockCommand,
  DeleteHITCommand,
  DeleteQualificationTypeCommand,
  DisassociateQualificationFromWorkerCommand,
  GetAssignmentCommand,
  GetHITCommand,
  GetQualificationScoreCommand,
  ListAssignmentsForHITCommand,
  ListBonusPaymentsCommand,
  ListHITsCommand,
  ListQualificationRequestsCommand,
  ListQualificationTypesCommand,
  ListWorkerBlocksCommand,
  ListWorkersWithQualificationTypeCommand,
  RejectQualificationRequestCommand,
  SendBonusCommand,
  UpdateExpirationForHITCommand,
} from "@aws-sdk/client-mturk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SdkPair, startSdkPair } from "../support/sdk.js";

/** listLagSeconds: List operations show each record as it was that long ago; Get operations are always current. */
const LAG = 30;
let pair: SdkPair;
const wait = (seconds: number) => pair.control("POST", "clock/advance", { seconds });
const newWorker = async () => (await pair.control<{ workerId: string }>("POST", "workers", {})).workerId;
const newType = async (Name: string) =>
  (
    await pair.client.send(
      new CreateQualificationTypeCommand({ Name, Description: "d", QualificationTypeStatus: "Active" }),
    )
  ).QualificationType?.QualificationTypeId as string;
const pendingIds = async (QualificationTypeId: string) =>
  (
    await pair.client.send(new ListQualificationRequestsCommand({ QualificationTypeId, MaxResults: 100 }))
  ).QualificationRequests?.map((r) => r.QualificationRequestId) ?? [];
async function requestQualification(typeId: string) {
  const workerId = await newWorker();
  const made = await pair.control<{ qualificationRequest: { QualificationRequestId: string } }>(
    "POST",
    `workers/${workerId}/qualification-requests`,
    { qualificationTypeId: typeId },
  );
  return { workerId, requestId: made.qualificationRequest.QualificationRequestId };
}
const createHit = async () =>
  (
    await pair.client.send(
      new CreateHITCommand({
        Title: "Lag",
        Description: "d",
        Reward: "0.10",
        LifetimeInSeconds: 3600,
        AssignmentDurationInSeconds: 600,
        MaxAssignments: 2,
        Question: "<HTMLQuestion>q</HTMLQuestion>",
      }),
    )
  ).HIT?.HITId as string;
const listedHitIds = async () =>
  (await pair.client.send(new ListHITsCommand({ MaxResults: 100 }))).HITs?.map((h) => h.HITId) ?? [];

beforeAll(async () => {
  pair = await startSdkPair("empty", 3, { listLagSeconds: LAG });
});
afterAll(() => pair.close());

describe(`listLagSeconds ${LAG}`, () => {
  it("hides a new qualification request for N s, then keeps a decided one listed as pending for N s", async () => {
    const typeId = await newType("Lagging requests");
    const one = await requestQualification(typeId);
    const two = await requestQualification(typeId);
    expect(await pendingIds(typeId)).toEqual([]);
    // The clock counts whole seconds (as MTurk's timestamps do): a write in second T is listed from T + LAG, so
    // the checks stay a whole second clear of that edge, wherever in its second the test runs.
    await wait(LAG - 2);
    expect(await pendingIds(typeId)).toEqual([]);
    await wait(3);
    expect(await pendingIds(typeId)).toEqual([one.requestId, two.requestId]);
    await pair.client.send(new AcceptQualificationRequestCommand({ QualificationRequestId: one.requestId }));
    await pair.client.send(new RejectQualificationRequestCommand({ QualificationRequestId: two.requestId }));
    // The grant itself is current for Get operations.
    const score = await pair.client.send(
      new GetQualificationScoreCommand({ QualificationTypeId: typeId, WorkerId: one.workerId }),
    );
    expect(score.Qualification?.Status).toBe("Granted");
    await wait(LAG - 2);
    expect(await pendingIds(typeId)).toEqual([one.requestId, two.requestId]);
    await wait(3);
    expect(await pendingIds(typeId)).toEqual([]);
  });

  it("lists a new HIT only after N s and a Disposed one for N s more", async () => {
    const hitId = await createHit();
    expect((await pair.client.send(new GetHITCommand({ HITId: hitId }))).HIT?.HITStatus).toBe("Assignable");
    expect(await listedHitIds()).not.toContain(hitId);
    await wait(LAG + 1);
    expect(await listedHitIds()).toContain(hitId);
    await pair.client.send(new UpdateExpirationForHITCommand({ HITId: hitId, ExpireAt: new Date(0) }));
    await pair.client.send(new DeleteHITCommand({ HITId: hitId }));
    const listed = await pair.client.send(new ListHITsCommand({ MaxResults: 100 }));
    // Listed as it was before the changes: still Assignable, not yet expired.
    expect(listed.HITs?.find((h) => h.HITId === hitId)?.HITStatus).toBe("Assignable");
    await wait(LAG + 1);
    expect(await listedHitIds()).not.toContain(hitId);
  });

  it("lists an assignment once submitted N s ago, with its previous status for N s after a change", async () => {
    const hitId = await createHit();
    const workerId = await newWorker();
    const { assignment } = await pair.control<{ assignment: { AssignmentId: string } }>(
      "POST",
      `hits/${hitId}/accept`,
      { workerId },
    );
    await pair.control("POST", `assignments/${assignment.AssignmentId}/submit`, { answer: "<a/>" });
    const statuses = async (AssignmentStatuses?: ("Submitted" | "Approved" | "Rejected")[]) =>
      (await pair.client.send(new ListAssignmentsForHITCommand({ HITId: hitId, AssignmentStatuses }))).Assignments?.map(
        (a) => a.AssignmentStatus,
      ) ?? [];
    expect(await statuses()).toEqual([]);
    await wait(LAG + 1);
    expect(await statuses()).toEqual(["Submitted"]);
    await pair.client.send(new ApproveAssignmentCommand({ AssignmentId: assignment.AssignmentId }));
    const got = await pair.client.send(new GetAssignmentCommand({ AssignmentId: assignment.AssignmentId }));
    expect(got.Assignment?.AssignmentStatus).toBe("Approved");
    expect(await statuses(["Submitted"])).toEqual(["Submitted"]);
    expect(await statuses(["Approved"])).toEqual([]);
    await wait(LAG + 1);
    expect(await statuses(["Submitted"])).toEqual([]);
    expect(await statuses(["Approved"])).toEqual(["Approved"]);

    await pair.client.send(
      new SendBonusCommand({
        AssignmentId: assignment.AssignmentId,
        WorkerId: workerId,
        BonusAmount: "0.10",
        Reason: "r",
      }),
    );
    const bonuses = async () =>
      (await pair.client.send(new ListBonusPaymentsCommand({ HITId: hitId }))).BonusPayments?.length;
    expect(await bonuses()).toBe(0);
    await wait(LAG + 1);
    expect(await bonuses()).toBe(1);
  });

  it("lags granted and revoked qualifications, blocks and qualification types the same way", async () => {
    const typeId = await newType("Lagging type");
    const workerId = await newWorker();
    const mine = async () =>
      (
        await pair.client.send(
          new ListQualificationTypesCommand({ MustBeRequestable: false, MustBeOwnedByCaller: true, MaxResults: 100 }),
        )
      ).QualificationTypes?.map((t) => t.QualificationTypeId) ?? [];
    const holders = async (Status: "Granted" | "Revoked") =>
      (
        await pair.client.send(new ListWorkersWithQualificationTypeCommand({ QualificationTypeId: typeId, Status }))
      ).Qualifications?.map((q) => q.WorkerId) ?? [];
    const blocks = async () =>
      (await pair.client.send(new ListWorkerBlocksCommand({ MaxResults: 100 }))).WorkerBlocks?.map((b) => b.WorkerId);
    await pair.client.send(
      new AssociateQualificationWithWorkerCommand({ QualificationTypeId: typeId, WorkerId: workerId }),
    );
    await pair.client.send(new CreateWorkerBlockCommand({ WorkerId: workerId, Reason: "r" }));
    expect(await mine()).not.toContain(typeId);
    expect(await holders("Granted")).toEqual([]);
    expect(await blocks()).not.toContain(workerId);
    await wait(LAG + 1);
    expect(await mine()).toContain(typeId);
    expect(await holders("Granted")).toEqual([workerId]);
    expect(await blocks()).toContain(workerId);

    await pair.client.send(
      new DisassociateQualificationFromWorkerCommand({ QualificationTypeId: typeId, WorkerId: workerId }),
    );
    await pair.client.send(new DeleteQualificationTypeCommand({ QualificationTypeId: typeId }));
    expect(await mine()).toContain(typeId);
    await wait(LAG + 1);
    expect(await mine()).not.toContain(typeId);
  });

  it("revoking shows in listings only after N s", async () => {
    const typeId = await newType("Lagging revocation");
    const workerId = await newWorker();
    await pair.client.send(
      new AssociateQualificationWithWorkerCommand({ QualificationTypeId: typeId, WorkerId: workerId }),
    );
    await wait(LAG + 1);
    await pair.client.send(
      new DisassociateQualificationFromWorkerCommand({ QualificationTypeId: typeId, WorkerId: workerId }),
    );
    const holders = async (Status: "Granted" | "Revoked") =>
      (
        await pair.client.send(new ListWorkersWithQualificationTypeCommand({ QualificationTypeId: typeId, Status }))
      ).Qualifications?.map((q) => q.WorkerId) ?? [];
    expect(await holders("Granted")).toEqual([workerId]);
    expect(await holders("Revoked")).toEqual([]);
    await wait(LAG + 1);
    expect(await holders("Granted")).toEqual([]);
    expect(await holders("Revoked")).toEqual([workerId]);
  });

  it("lists everything at once with the switch at 0", async () => {
    await pair.control("PUT", "switches", { listLagSeconds: 0 });
    const hitId = await createHit();
    expect(await listedHitIds()).toContain(hitId);
    await pair.control("PUT", "switches", { listLagSeconds: LAG });
  });
});
