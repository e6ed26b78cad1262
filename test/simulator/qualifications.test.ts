import {
  AcceptQualificationRequestCommand,
  AssociateQualificationWithWorkerCommand,
  CreateQualificationTypeCommand,
  DeleteQualificationTypeCommand,
  DisassociateQualificationFromWorkerCommand,
  GetQualificationScoreCommand,
  GetQualificationTypeCommand,
  ListQualificationRequestsCommand,
  ListQualificationTypesCommand,
  ListWorkersWithQualificationTypeCommand,
  RejectQualificationRequestCommand,
  UpdateQualificationTypeCommand,
} from "@aws-sdk/client-mturk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rejection, type SdkPair, startSdkPair } from "../support/sdk.js";

const TEST_XML = "<QuestionForm><Question>q</Question></QuestionForm>";
let pair: SdkPair;
let workerId: string;
const newWorker = async () => (await pair.control<{ workerId: string }>("POST", "workers", {})).workerId;
const createType = (name: string, extra: Record<string, unknown> = {}) =>
  pair.client.send(
    new CreateQualificationTypeCommand({ Name: name, Description: "d", QualificationTypeStatus: "Active", ...extra }),
  );

beforeAll(async () => {
  pair = await startSdkPair("empty");
  workerId = await newWorker();
});
afterAll(() => pair.close());

describe("qualification types", () => {
  it("creates, gets, lists and updates a type", async () => {
    const created = await createType("Careful annotators", { Keywords: "care", RetryDelayInSeconds: 60 });
    const id = created.QualificationType?.QualificationTypeId as string;
    expect(created.QualificationType).toMatchObject({
      Name: "Careful annotators",
      IsRequestable: true,
      AutoGranted: false,
    });
    expect(created.QualificationType?.CreationTime).toBeInstanceOf(Date);
    const got = await pair.client.send(new GetQualificationTypeCommand({ QualificationTypeId: id }));
    expect(got.QualificationType?.Name).toBe("Careful annotators");
    const mine = await pair.client.send(
      new ListQualificationTypesCommand({ MustBeRequestable: false, MustBeOwnedByCaller: true, Query: "careful" }),
    );
    expect(mine.QualificationTypes?.map((t) => t.QualificationTypeId)).toContain(id);
    const updated = await pair.client.send(
      new UpdateQualificationTypeCommand({
        QualificationTypeId: id,
        Description: "new",
        QualificationTypeStatus: "Inactive",
      }),
    );
    expect(updated.QualificationType).toMatchObject({
      Description: "new",
      QualificationTypeStatus: "Inactive",
      IsRequestable: false,
    });
  });

  it("rejects a duplicate name, a test without a duration and a test with auto-granting", async () => {
    await createType("Unique name");
    expect((await rejection(createType("Unique name"))).TurkErrorCode).toBe(
      "AWS.MechanicalTurk.QualificationTypeAlreadyExists",
    );
    expect((await rejection(createType("T1", { Test: TEST_XML }))).name).toBe("RequestError");
    const both = await rejection(createType("T2", { Test: TEST_XML, TestDurationInSeconds: 60, AutoGranted: true }));
    expect(both.TurkErrorCode).toBe("AWS.MechanicalTurk.InvalidParameterValue");
  });

  it("enforces the model: required members, enums, ids", async () => {
    const missing = await rejection(
      pair.client.send(new CreateQualificationTypeCommand({ Name: "x", QualificationTypeStatus: "Active" } as never)),
    );
    expect(missing).toMatchObject({
      name: "ParameterValidationError",
      TurkErrorCode: "AWS.MechanicalTurk.ParameterValidationError",
    });
    const badEnum = await rejection(createType("bad enum", { QualificationTypeStatus: "Paused" }));
    expect(badEnum.message).toContain("QualificationTypeStatus");
    const badId = await rejection(
      pair.client.send(new GetQualificationTypeCommand({ QualificationTypeId: "lower-case" })),
    );
    expect(badId.name).toBe("ParameterValidationError");
    const requestable = await rejection(pair.client.send(new ListQualificationTypesCommand({} as never)));
    expect(requestable.message).toContain("MustBeRequestable");
  });

  it("lets an update enable retries and change the test, but never remove the test", async () => {
    const type = await createType("No retries yet", { Test: TEST_XML, TestDurationInSeconds: 60 });
    const id = type.QualificationType?.QualificationTypeId as string;
    const updated = await pair.client.send(
      new UpdateQualificationTypeCommand({
        QualificationTypeId: id,
        RetryDelayInSeconds: 10,
        TestDurationInSeconds: 90,
      }),
    );
    expect(updated.QualificationType).toMatchObject({
      RetryDelayInSeconds: 10,
      TestDurationInSeconds: 90,
      Test: TEST_XML,
    });
    const removal = await rejection(
      pair.client.send(new UpdateQualificationTypeCommand({ QualificationTypeId: id, Test: "" })),
    );
    expect(removal.name).toBe("ParameterValidationError");
    const autoWithTest = await rejection(
      pair.client.send(new UpdateQualificationTypeCommand({ QualificationTypeId: id, AutoGranted: true })),
    );
    expect(autoWithTest.TurkErrorCode).toBe("AWS.MechanicalTurk.InvalidParameterValue");
  });

  it("deletes a type: pending requests are rejected, qualifications stay, the name is held", async () => {
    const type = await createType("To delete");
    const id = type.QualificationType?.QualificationTypeId as string;
    const other = await newWorker();
    await pair.client.send(
      new AssociateQualificationWithWorkerCommand({ QualificationTypeId: id, WorkerId: workerId, IntegerValue: 5 }),
    );
    await pair.control("POST", `workers/${other}/qualification-requests`, { qualificationTypeId: id });
    await pair.client.send(new DeleteQualificationTypeCommand({ QualificationTypeId: id }));
    const pending = await pair.client.send(new ListQualificationRequestsCommand({ MaxResults: 100 }));
    expect(pending.QualificationRequests?.some((r) => r.QualificationTypeId === id)).toBe(false);
    expect(
      (await rejection(pair.client.send(new GetQualificationTypeCommand({ QualificationTypeId: id })))).TurkErrorCode,
    ).toBe("AWS.MechanicalTurk.QualificationTypeDoesNotExist");
    expect((await rejection(createType("To delete"))).TurkErrorCode).toBe(
      "AWS.MechanicalTurk.QualificationTypeAlreadyExists",
    );
    await pair.control("POST", "clock/advance", { seconds: 49 * 3600 });
    expect((await createType("To delete")).QualificationType?.Name).toBe("To delete");
  });
});

describe("qualification requests", () => {
  it("lists only pending requests; accepting grants; rejecting records the reason", async () => {
    const type = await createType("Reviewed by hand", { Test: TEST_XML, TestDurationInSeconds: 300 });
    const id = type.QualificationType?.QualificationTypeId as string;
    const [a, b] = [await newWorker(), await newWorker()];
    const first = await pair.control<{ qualificationRequest: { QualificationRequestId: string; Test: string } }>(
      "POST",
      `workers/${a}/qualification-requests`,
      { qualificationTypeId: id, answer: "<QuestionFormAnswers/>" },
    );
    expect(first.qualificationRequest.Test).toBe(TEST_XML);
    const second = await pair.control<{ qualificationRequest: { QualificationRequestId: string } }>(
      "POST",
      `workers/${b}/qualification-requests`,
      { qualificationTypeId: id },
    );
    const listed = await pair.client.send(new ListQualificationRequestsCommand({ QualificationTypeId: id }));
    expect(listed.NumResults).toBe(2);
    // The answer as MTurk returns every Answer: with its ASCII prolog.
    expect(listed.QualificationRequests?.[0]).toMatchObject({
      WorkerId: a,
      Answer: '<?xml version="1.0" encoding="ASCII"?><QuestionFormAnswers/>',
    });

    await pair.client.send(
      new AcceptQualificationRequestCommand({
        QualificationRequestId: first.qualificationRequest.QualificationRequestId,
        IntegerValue: 90,
      }),
    );
    const score = await pair.client.send(new GetQualificationScoreCommand({ QualificationTypeId: id, WorkerId: a }));
    expect(score.Qualification).toMatchObject({ IntegerValue: 90, Status: "Granted" });
    await pair.client.send(
      new RejectQualificationRequestCommand({
        QualificationRequestId: second.qualificationRequest.QualificationRequestId,
        Reason: "no",
      }),
    );
    const after = await pair.client.send(new ListQualificationRequestsCommand({ QualificationTypeId: id }));
    expect(after.NumResults).toBe(0);
    const again = await rejection(
      pair.client.send(
        new AcceptQualificationRequestCommand({
          QualificationRequestId: first.qualificationRequest.QualificationRequestId,
        }),
      ),
    );
    expect(again.TurkErrorCode).toBe("AWS.MechanicalTurk.InvalidQualificationRequestState");
    const unknown = await rejection(
      pair.client.send(new RejectQualificationRequestCommand({ QualificationRequestId: "NOPE" })),
    );
    expect(unknown.TurkErrorCode).toBe("AWS.MechanicalTurk.QualificationRequestDoesNotExist");
    // No retry delay: a rejected worker cannot ask again.
    const retry = await fetch(`${pair.simulator.url}/_simulator/workers/${b}/qualification-requests`, {
      method: "POST",
      body: JSON.stringify({ qualificationTypeId: id }),
    });
    expect(retry.status).toBe(400);
  });

  it("auto-granted types grant without a request", async () => {
    const type = await createType("Auto", { AutoGranted: true, AutoGrantedValue: 3 });
    const id = type.QualificationType?.QualificationTypeId as string;
    const w = await newWorker();
    const answer = await pair.control<{ qualification: { IntegerValue: number } }>(
      "POST",
      `workers/${w}/qualification-requests`,
      {
        qualificationTypeId: id,
      },
    );
    expect(answer.qualification.IntegerValue).toBe(3);
    expect((await pair.client.send(new ListQualificationRequestsCommand({ QualificationTypeId: id }))).NumResults).toBe(
      0,
    );
  });
});

describe("worker qualifications", () => {
  it("associates, scores, lists by status and revokes", async () => {
    const type = await createType("Panel members");
    const id = type.QualificationType?.QualificationTypeId as string;
    await pair.client.send(
      new AssociateQualificationWithWorkerCommand({ QualificationTypeId: id, WorkerId: workerId, IntegerValue: 7 }),
    );
    const granted = await pair.client.send(
      new ListWorkersWithQualificationTypeCommand({ QualificationTypeId: id, Status: "Granted" }),
    );
    expect(granted.Qualifications?.map((q) => q.WorkerId)).toEqual([workerId]);
    await pair.client.send(
      new DisassociateQualificationFromWorkerCommand({ QualificationTypeId: id, WorkerId: workerId, Reason: "left" }),
    );
    const revoked = await pair.client.send(
      new ListWorkersWithQualificationTypeCommand({ QualificationTypeId: id, Status: "Revoked" }),
    );
    expect(revoked.Qualifications?.[0]).toMatchObject({ WorkerId: workerId, Status: "Revoked" });
    // MTurk scores only a granted qualification: a revoked one is a RequestError naming the status it needs.
    const score = await rejection(
      pair.client.send(new GetQualificationScoreCommand({ QualificationTypeId: id, WorkerId: workerId })),
    );
    expect(score).toMatchObject({ name: "RequestError", $metadata: { httpStatusCode: 400 } });
    expect(score.message).toContain("This operation can be called with a status of: Granted");
    expect(score.message).not.toContain("does not exist");
    await pair.client.send(
      new AssociateQualificationWithWorkerCommand({ QualificationTypeId: id, WorkerId: workerId, IntegerValue: 9 }),
    );
    const regranted = await pair.client.send(
      new GetQualificationScoreCommand({ QualificationTypeId: id, WorkerId: workerId }),
    );
    expect(regranted.Qualification).toMatchObject({ Status: "Granted", IntegerValue: 9 });
    await pair.client.send(
      new DisassociateQualificationFromWorkerCommand({ QualificationTypeId: id, WorkerId: workerId, Reason: "left" }),
    );
    const twice = await rejection(
      pair.client.send(new DisassociateQualificationFromWorkerCommand({ QualificationTypeId: id, WorkerId: workerId })),
    );
    expect(twice.TurkErrorCode).toBe("AWS.MechanicalTurk.QualificationDoesNotExist");
    const none = await rejection(
      pair.client.send(new GetQualificationScoreCommand({ QualificationTypeId: id, WorkerId: "ANOBODY1" })),
    );
    expect(none.TurkErrorCode).toBe("AWS.MechanicalTurk.QualificationDoesNotExist");
    const badWorker = await rejection(
      pair.client.send(
        new AssociateQualificationWithWorkerCommand({ QualificationTypeId: id, WorkerId: "AUNKNOWN99" }),
      ),
    );
    expect(badWorker.name).toBe("ParameterValidationError");
    const notMine = await rejection(
      pair.client.send(
        new AssociateQualificationWithWorkerCommand({
          QualificationTypeId: "00000000000000000071",
          WorkerId: workerId,
        }),
      ),
    );
    expect(notMine.TurkErrorCode).toBe("AWS.MechanicalTurk.PermissionDenied");
  });
});
