import {
  ApproveAssignmentCommand,
  CreateAdditionalAssignmentsForHITCommand,
  CreateHITCommand,
  CreateHITTypeCommand,
  CreateHITWithHITTypeCommand,
  CreateQualificationTypeCommand,
  DeleteHITCommand,
  GetAssignmentCommand,
  GetFileUploadURLCommand,
  GetHITCommand,
  ListAssignmentsForHITCommand,
  ListHITsCommand,
  ListHITsForQualificationTypeCommand,
  ListReviewableHITsCommand,
  ListReviewPolicyResultsForHITCommand,
  RejectAssignmentCommand,
  UpdateExpirationForHITCommand,
  UpdateHITReviewStatusCommand,
  UpdateHITTypeOfHITCommand,
} from "@aws-sdk/client-mturk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rejection, type SdkPair, startSdkPair } from "../support/sdk.js";

const QUESTION = "<HTMLQuestion><HTMLContent>hi</HTMLContent><FrameHeight>400</FrameHeight></HTMLQuestion>";
let pair: SdkPair;
const hitInput = (extra: Record<string, unknown> = {}) => ({
  Title: "Label images",
  Description: "Pick the best label",
  Reward: "0.25",
  LifetimeInSeconds: 3600,
  AssignmentDurationInSeconds: 600,
  AutoApprovalDelayInSeconds: 3600,
  MaxAssignments: 3,
  Question: QUESTION,
  ...extra,
});
const createHit = async (extra: Record<string, unknown> = {}) =>
  (await pair.client.send(new CreateHITCommand(hitInput(extra)))).HIT as { HITId: string; HITTypeId: string };
const newWorker = async () => (await pair.control<{ workerId: string }>("POST", "workers", {})).workerId;
/** A worker accepts and submits: the assignment is then Submitted. */
async function submitted(hitId: string, answer = "<QuestionFormAnswers/>") {
  const workerId = await newWorker();
  const { assignment } = await pair.control<{ assignment: { AssignmentId: string } }>("POST", `hits/${hitId}/accept`, {
    workerId,
  });
  await pair.control("POST", `assignments/${assignment.AssignmentId}/submit`, { answer });
  return { assignmentId: assignment.AssignmentId, workerId };
}

beforeAll(async () => {
  pair = await startSdkPair("empty");
});
afterAll(() => pair.close());

describe("HITs", () => {
  it("creates a HIT and reads it back field for field", async () => {
    const hit = await createHit({ Keywords: "image, label", RequesterAnnotation: "batch-1" });
    const got = await pair.client.send(new GetHITCommand({ HITId: hit.HITId }));
    expect(got.HIT).toMatchObject({
      HITId: hit.HITId,
      HITTypeId: hit.HITTypeId,
      Title: "Label images",
      Description: "Pick the best label",
      Reward: "0.25",
      Keywords: "image, label",
      HITStatus: "Assignable",
      MaxAssignments: 3,
      AutoApprovalDelayInSeconds: 3600,
      AssignmentDurationInSeconds: 600,
      RequesterAnnotation: "batch-1",
      HITReviewStatus: "NotReviewed",
      NumberOfAssignmentsAvailable: 3,
      NumberOfAssignmentsPending: 0,
      NumberOfAssignmentsCompleted: 0,
      Question: QUESTION,
    });
    expect(got.HIT?.Expiration?.getTime()).toBeGreaterThan(Date.now());
    const listed = await pair.client.send(new ListHITsCommand({ MaxResults: 100 }));
    expect(listed.HITs?.map((h) => h.HITId)).toContain(hit.HITId);
  });

  it("CreateHITType gives the same id for the same parameters", async () => {
    const input = { Title: "t", Description: "d", Reward: "0.10", AssignmentDurationInSeconds: 60 };
    const a = await pair.client.send(new CreateHITTypeCommand(input));
    const b = await pair.client.send(new CreateHITTypeCommand(input));
    const c = await pair.client.send(new CreateHITTypeCommand({ ...input, Reward: "0.11" }));
    expect(a.HITTypeId).toBe(b.HITTypeId);
    expect(c.HITTypeId).not.toBe(a.HITTypeId);
    const hit = await pair.client.send(
      new CreateHITWithHITTypeCommand({ HITTypeId: a.HITTypeId, LifetimeInSeconds: 600, Question: QUESTION }),
    );
    expect(hit.HIT?.HITTypeId).toBe(a.HITTypeId);
    await pair.client.send(new UpdateHITTypeOfHITCommand({ HITId: hit.HIT?.HITId, HITTypeId: c.HITTypeId }));
    expect((await pair.client.send(new GetHITCommand({ HITId: hit.HIT?.HITId }))).HIT?.Reward).toBe("0.11");
    const missing = await rejection(
      pair.client.send(
        new CreateHITWithHITTypeCommand({ HITTypeId: "NOPE", LifetimeInSeconds: 600, Question: QUESTION }),
      ),
    );
    expect(missing.TurkErrorCode).toBe("AWS.MechanicalTurk.HITTypeDoesNotExist");
  });

  it("rejects bad HIT input with MTurk's errors", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ Question: undefined }, "AWS.MechanicalTurk.InvalidParameterValue"],
      [{ HITLayoutId: "3LAYOUTSIMULATOR00000000000001" }, "AWS.MechanicalTurk.InvalidParameterValue"],
      [{ Question: undefined, HITLayoutId: "NOSUCHLAYOUT" }, "AWS.MechanicalTurk.HITLayoutDoesNotExist"],
      [{ Reward: "1.234" }, "AWS.MechanicalTurk.ParameterValidationError"],
      [{ LifetimeInSeconds: 10 }, "AWS.MechanicalTurk.ParameterValidationError"],
      [{ Question: "<p>not a question</p>" }, "AWS.MechanicalTurk.ParameterValidationError"],
      [
        { Question: `<HTMLQuestion>${"x".repeat(65_536)}</HTMLQuestion>` },
        "AWS.MechanicalTurk.ParameterValidationError",
      ],
      [
        {
          QualificationRequirements: Array.from({ length: 11 }, () => ({
            QualificationTypeId: "00000000000000000040",
            Comparator: "Exists",
          })),
        },
        "AWS.MechanicalTurk.ParameterValidationError",
      ],
      [
        {
          QualificationRequirements: [
            { QualificationTypeId: "00000000000000000040", Comparator: "Exists", IntegerValues: [1] },
          ],
        },
        "AWS.MechanicalTurk.ParameterValidationError",
      ],
      [
        {
          QualificationRequirements: [
            { QualificationTypeId: "00000000000000000040", Comparator: "EqualTo", LocaleValues: [{ Country: "US" }] },
          ],
        },
        "AWS.MechanicalTurk.ParameterValidationError",
      ],
      [
        {
          QualificationRequirements: [
            {
              QualificationTypeId: "00000000000000000071",
              Comparator: "EqualTo",
              LocaleValues: [{ Country: "US" }, { Country: "CA" }],
            },
          ],
        },
        "AWS.MechanicalTurk.ParameterValidationError",
      ],
      [
        { QualificationRequirements: [{ QualificationTypeId: "NOSUCHTYPE", Comparator: "Exists" }] },
        "AWS.MechanicalTurk.QualificationTypeDoesNotExist",
      ],
    ];
    for (const [extra, code] of cases) {
      const error = await rejection(pair.client.send(new CreateHITCommand(hitInput(extra) as never)));
      expect(error.TurkErrorCode, JSON.stringify(extra).slice(0, 100)).toBe(code);
    }
    const layout = await pair.client.send(
      new CreateHITCommand(hitInput({ Question: undefined, HITLayoutId: "3LAYOUTSIMULATOR00000000000001" }) as never),
    );
    expect(layout.HIT?.HITLayoutId).toBe("3LAYOUTSIMULATOR00000000000001");
  });

  it("a UniqueRequestToken creates one HIT; the reuse names it in HitAlreadyExists", async () => {
    const hit = await createHit({ UniqueRequestToken: "batch-42" });
    const again = await rejection(pair.client.send(new CreateHITCommand(hitInput({ UniqueRequestToken: "batch-42" }))));
    expect(again.TurkErrorCode).toBe("AWS.MechanicalTurk.HitAlreadyExists");
    expect(again.message).toContain(hit.HITId);
    await pair.control("POST", "clock/advance", { seconds: 25 * 3600 });
    // After 24 hours MTurk forgets the token.
    const later = await createHit({ UniqueRequestToken: "batch-42" });
    expect(later.HITId).not.toBe(hit.HITId);
  });

  it("lists HITs for a qualification type and reviewable HITs", async () => {
    const type = await pair.client.send(
      new CreateQualificationTypeCommand({ Name: "Req", Description: "d", QualificationTypeStatus: "Active" }),
    );
    const typeId = type.QualificationType?.QualificationTypeId as string;
    const hit = await createHit({
      QualificationRequirements: [{ QualificationTypeId: typeId, Comparator: "GreaterThan", IntegerValues: [18] }],
    });
    const forType = await pair.client.send(new ListHITsForQualificationTypeCommand({ QualificationTypeId: typeId }));
    expect(forType.HITs?.map((h) => h.HITId)).toEqual([hit.HITId]);
    expect(forType.HITs?.[0]?.QualificationRequirements?.[0]).toMatchObject({
      Comparator: "GreaterThan",
      IntegerValues: [18],
    });
    await pair.client.send(new UpdateExpirationForHITCommand({ HITId: hit.HITId, ExpireAt: new Date(0) }));
    const reviewable = await pair.client.send(new ListReviewableHITsCommand({ MaxResults: 100 }));
    expect(reviewable.HITs?.map((h) => h.HITId)).toContain(hit.HITId);
    await pair.client.send(new UpdateHITReviewStatusCommand({ HITId: hit.HITId }));
    const reviewing = await pair.client.send(new ListReviewableHITsCommand({ Status: "Reviewing", MaxResults: 100 }));
    expect(reviewing.HITs?.map((h) => h.HITId)).toEqual([hit.HITId]);
    const wrongState = await rejection(pair.client.send(new UpdateHITReviewStatusCommand({ HITId: hit.HITId })));
    expect(wrongState.TurkErrorCode).toBe("AWS.MechanicalTurk.InvalidHITState");
    await pair.client.send(new UpdateHITReviewStatusCommand({ HITId: hit.HITId, Revert: true }));
    expect((await pair.client.send(new GetHITCommand({ HITId: hit.HITId }))).HIT?.HITStatus).toBe("Reviewable");
  });

  it("moves through the lifecycle: Assignable, Unassignable, Reviewable, Disposed", async () => {
    const hit = await createHit({ MaxAssignments: 1 });
    const workerId = await newWorker();
    const { assignment } = await pair.control<{ assignment: { AssignmentId: string } }>(
      "POST",
      `hits/${hit.HITId}/accept`,
      {
        workerId,
      },
    );
    const status = async () => (await pair.client.send(new GetHITCommand({ HITId: hit.HITId }))).HIT?.HITStatus;
    expect(await status()).toBe("Unassignable");
    const early = await rejection(pair.client.send(new DeleteHITCommand({ HITId: hit.HITId })));
    expect(early.TurkErrorCode).toBe("AWS.MechanicalTurk.InvalidHITState");
    await pair.control("POST", `assignments/${assignment.AssignmentId}/submit`, { answer: "<a/>" });
    expect(await status()).toBe("Reviewable");
    const unreviewed = await rejection(pair.client.send(new DeleteHITCommand({ HITId: hit.HITId })));
    expect(unreviewed.message).toContain("submitted");
    await pair.client.send(new ApproveAssignmentCommand({ AssignmentId: assignment.AssignmentId }));
    await pair.client.send(new DeleteHITCommand({ HITId: hit.HITId }));
    expect(await status()).toBe("Disposed");
    const gone = await rejection(pair.client.send(new GetHITCommand({ HITId: "3NOSUCHHIT" })));
    expect(gone).toMatchObject({ name: "RequestError", TurkErrorCode: "AWS.MechanicalTurk.HITDoesNotExist" });
    expect(gone.$metadata?.httpStatusCode).toBe(400);
    const listed = await pair.client.send(new ListHITsCommand({ MaxResults: 100 }));
    expect(listed.HITs?.map((h) => h.HITId)).not.toContain(hit.HITId);
  });

  it("extends HITs: the 10-assignment rule and idempotent extension", async () => {
    const small = await createHit({ MaxAssignments: 5 });
    const tooMany = await rejection(
      pair.client.send(
        new CreateAdditionalAssignmentsForHITCommand({ HITId: small.HITId, NumberOfAdditionalAssignments: 5 }),
      ),
    );
    expect(tooMany.TurkErrorCode).toBe("AWS.MechanicalTurk.InvalidMaximumAssignmentsIncrease");
    await pair.client.send(
      new CreateAdditionalAssignmentsForHITCommand({
        HITId: small.HITId,
        NumberOfAdditionalAssignments: 4,
        UniqueRequestToken: "x1",
      }),
    );
    const dup = await rejection(
      pair.client.send(
        new CreateAdditionalAssignmentsForHITCommand({
          HITId: small.HITId,
          NumberOfAdditionalAssignments: 4,
          UniqueRequestToken: "x1",
        }),
      ),
    );
    expect(dup.TurkErrorCode).toBe("AWS.MechanicalTurk.DuplicateRequest");
    expect((await pair.client.send(new GetHITCommand({ HITId: small.HITId }))).HIT?.MaxAssignments).toBe(9);
    const future = new Date(Date.now() + 7 * 86_400_000);
    await pair.client.send(new UpdateExpirationForHITCommand({ HITId: small.HITId, ExpireAt: future }));
    const expiry = (await pair.client.send(new GetHITCommand({ HITId: small.HITId }))).HIT?.Expiration?.getTime() ?? 0;
    expect(Math.abs(expiry - future.getTime())).toBeLessThan(1000);
  });
});

describe("assignments", () => {
  it("approves, rejects, overrides a rejection and lists by status", async () => {
    const hit = await createHit({ MaxAssignments: 3 });
    const one = await submitted(hit.HITId);
    const two = await submitted(hit.HITId);
    const got = await pair.client.send(new GetAssignmentCommand({ AssignmentId: one.assignmentId }));
    expect(got.Assignment).toMatchObject({ AssignmentStatus: "Submitted", WorkerId: one.workerId, HITId: hit.HITId });
    expect(got.HIT?.HITId).toBe(hit.HITId);
    await pair.client.send(
      new ApproveAssignmentCommand({ AssignmentId: one.assignmentId, RequesterFeedback: "thanks" }),
    );
    await pair.client.send(new RejectAssignmentCommand({ AssignmentId: two.assignmentId, RequesterFeedback: "wrong" }));
    const twice = await rejection(pair.client.send(new ApproveAssignmentCommand({ AssignmentId: one.assignmentId })));
    expect(twice.TurkErrorCode).toBe("AWS.MechanicalTurk.InvalidAssignmentState");
    const noFeedback = await rejection(
      pair.client.send(new RejectAssignmentCommand({ AssignmentId: two.assignmentId } as never)),
    );
    expect(noFeedback.name).toBe("ParameterValidationError");
    const rejected = await pair.client.send(
      new ListAssignmentsForHITCommand({ HITId: hit.HITId, AssignmentStatuses: ["Rejected"] }),
    );
    expect(rejected.Assignments?.map((a) => a.AssignmentId)).toEqual([two.assignmentId]);
    await pair.client.send(new ApproveAssignmentCommand({ AssignmentId: two.assignmentId, OverrideRejection: true }));
    const all = await pair.client.send(new ListAssignmentsForHITCommand({ HITId: hit.HITId }));
    expect(all.Assignments?.map((a) => a.AssignmentStatus)).toEqual(["Approved", "Approved"]);
    const missing = await rejection(pair.client.send(new GetAssignmentCommand({ AssignmentId: "NOPE" })));
    expect(missing.TurkErrorCode).toBe("AWS.MechanicalTurk.AssignmentDoesNotExist");
    const url = await pair.client.send(
      new GetFileUploadURLCommand({ AssignmentId: one.assignmentId, QuestionIdentifier: "photo" }),
    );
    expect(url.FileUploadURL).toContain(one.assignmentId);
  });

  it("a rejection can be overridden only within 30 days", async () => {
    const hit = await createHit();
    const one = await submitted(hit.HITId);
    await pair.client.send(new RejectAssignmentCommand({ AssignmentId: one.assignmentId, RequesterFeedback: "no" }));
    await pair.control("POST", "clock/advance", { seconds: 31 * 86_400 });
    const late = await rejection(
      pair.client.send(new ApproveAssignmentCommand({ AssignmentId: one.assignmentId, OverrideRejection: true })),
    );
    expect(late.TurkErrorCode).toBe("AWS.MechanicalTurk.InvalidAssignmentState");
  });

  it("auto-approves after AutoApprovalDelayInSeconds and abandons after the deadline", async () => {
    const hit = await createHit({ AutoApprovalDelayInSeconds: 60, MaxAssignments: 2 });
    const one = await submitted(hit.HITId);
    const workerId = await newWorker();
    const { assignment } = await pair.control<{ assignment: { AssignmentId: string } }>(
      "POST",
      `hits/${hit.HITId}/accept`,
      { workerId },
    );
    await pair.control("POST", "clock/advance", { seconds: 601 });
    const got = await pair.client.send(new GetAssignmentCommand({ AssignmentId: one.assignmentId }));
    expect(got.Assignment?.AssignmentStatus).toBe("Approved");
    const late = await fetch(`${pair.simulator.url}/_simulator/assignments/${assignment.AssignmentId}/submit`, {
      method: "POST",
      body: "{}",
    });
    expect(late.status).toBe(400);
    expect((await pair.client.send(new GetHITCommand({ HITId: hit.HITId }))).HIT?.NumberOfAssignmentsAvailable).toBe(1);
  });

  it("records review policy results for assignments of a HIT with a policy", async () => {
    const hit = await createHit({
      AssignmentReviewPolicy: {
        PolicyName: "ScoreMyKnownAnswers/2011-09-01",
        Parameters: [{ Key: "AnswerKey", Values: ["x"] }],
      },
    });
    const one = await submitted(hit.HITId);
    const results = await pair.client.send(
      new ListReviewPolicyResultsForHITCommand({ HITId: hit.HITId, RetrieveResults: true, RetrieveActions: true }),
    );
    expect(results.AssignmentReviewPolicy?.PolicyName).toBe("ScoreMyKnownAnswers/2011-09-01");
    expect(results.AssignmentReviewReport?.ReviewResults?.[0]?.SubjectId).toBe(one.assignmentId);
  });
});
