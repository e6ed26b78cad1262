import {
  ApproveAssignmentCommand,
  CreateHITCommand,
  CreateWorkerBlockCommand,
  DeleteWorkerBlockCommand,
  GetAccountBalanceCommand,
  ListBonusPaymentsCommand,
  ListWorkerBlocksCommand,
  NotifyWorkersCommand,
  RejectAssignmentCommand,
  SendBonusCommand,
  SendTestEventNotificationCommand,
  UpdateNotificationSettingsCommand,
} from "@aws-sdk/client-mturk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rejection, type SdkPair, startSdkPair } from "../support/sdk.js";

let pair: SdkPair;
let hit: { HITId: string; HITTypeId: string };
const newWorker = async () => (await pair.control<{ workerId: string }>("POST", "workers", {})).workerId;
async function submitted() {
  const workerId = await newWorker();
  const { assignment } = await pair.control<{ assignment: { AssignmentId: string } }>(
    "POST",
    `hits/${hit.HITId}/accept`,
    { workerId },
  );
  await pair.control("POST", `assignments/${assignment.AssignmentId}/submit`, { answer: "<a/>" });
  return { assignmentId: assignment.AssignmentId, workerId };
}
const balance = async () => (await pair.client.send(new GetAccountBalanceCommand({}))).AvailableBalance;

beforeAll(async () => {
  pair = await startSdkPair("empty");
  const created = await pair.client.send(
    new CreateHITCommand({
      Title: "t",
      Description: "d",
      Reward: "1.00",
      LifetimeInSeconds: 3600,
      AssignmentDurationInSeconds: 600,
      MaxAssignments: 9,
      Question: "<HTMLQuestion>q</HTMLQuestion>",
    }),
  );
  hit = created.HIT as never;
});
afterAll(() => pair.close());

describe("worker blocks", () => {
  it("blocks, lists, unblocks (also when not blocked), and needs a reason", async () => {
    const workerId = await newWorker();
    await pair.client.send(new CreateWorkerBlockCommand({ WorkerId: workerId, Reason: "spam" }));
    const listed = await pair.client.send(new ListWorkerBlocksCommand({}));
    expect(listed.WorkerBlocks).toEqual([{ WorkerId: workerId, Reason: "spam" }]);
    await pair.client.send(new DeleteWorkerBlockCommand({ WorkerId: workerId, Reason: "ok" }));
    await pair.client.send(new DeleteWorkerBlockCommand({ WorkerId: workerId }));
    expect((await pair.client.send(new ListWorkerBlocksCommand({}))).WorkerBlocks).toEqual([]);
    const noReason = await rejection(pair.client.send(new CreateWorkerBlockCommand({ WorkerId: workerId } as never)));
    expect(noReason.name).toBe("ParameterValidationError");
    const badId = await rejection(pair.client.send(new CreateWorkerBlockCommand({ WorkerId: "B123", Reason: "x" })));
    expect(badId.message).toContain("WorkerId");
  });
});

describe("bonuses and balance", () => {
  it("approval and bonuses draw the balance down with MTurk's 20 % fee", async () => {
    const start = Number(await balance());
    const one = await submitted();
    expect((await pair.client.send(new GetAccountBalanceCommand({}))).OnHoldBalance).toBe("1.00");
    await pair.client.send(new ApproveAssignmentCommand({ AssignmentId: one.assignmentId }));
    expect(Number(await balance())).toBeCloseTo(start - 1.2, 2);
    await pair.client.send(
      new SendBonusCommand({
        WorkerId: one.workerId,
        AssignmentId: one.assignmentId,
        BonusAmount: "0.50",
        Reason: "great",
        UniqueRequestToken: "b-1",
      }),
    );
    expect(Number(await balance())).toBeCloseTo(start - 1.8, 2);
    const dup = await rejection(
      pair.client.send(
        new SendBonusCommand({
          WorkerId: one.workerId,
          AssignmentId: one.assignmentId,
          BonusAmount: "0.50",
          Reason: "great",
          UniqueRequestToken: "b-1",
        }),
      ),
    );
    expect(dup.TurkErrorCode).toBe("AWS.MechanicalTurk.DuplicateRequest");
    expect(Number(await balance())).toBeCloseTo(start - 1.8, 2);
    const byHit = await pair.client.send(new ListBonusPaymentsCommand({ HITId: hit.HITId }));
    expect(byHit.BonusPayments).toEqual([
      expect.objectContaining({
        WorkerId: one.workerId,
        BonusAmount: "0.50",
        AssignmentId: one.assignmentId,
        Reason: "great",
      }),
    ]);
    const byAssignment = await pair.client.send(new ListBonusPaymentsCommand({ AssignmentId: one.assignmentId }));
    expect(byAssignment.NumResults).toBe(1);
    const neither = await rejection(pair.client.send(new ListBonusPaymentsCommand({})));
    expect(neither.TurkErrorCode).toBe("AWS.MechanicalTurk.InvalidParameterValue");
    const wrongWorker = await rejection(
      pair.client.send(
        new SendBonusCommand({ WorkerId: "AOTHER1", AssignmentId: one.assignmentId, BonusAmount: "1", Reason: "x" }),
      ),
    );
    expect(wrongWorker.TurkErrorCode).toBe("AWS.MechanicalTurk.InvalidParameterValue");
    const tooMuch = await rejection(
      pair.client.send(
        new SendBonusCommand({
          WorkerId: one.workerId,
          AssignmentId: one.assignmentId,
          BonusAmount: "99999",
          Reason: "x",
        }),
      ),
    );
    expect(tooMuch.TurkErrorCode).toBe("AWS.MechanicalTurk.InsufficientFunds");
  });
});

describe("messages and notifications", () => {
  it("NotifyWorkers reaches only workers with approved or rejected work, at most 100", async () => {
    const approved = await submitted();
    const rejected = await submitted();
    const stranger = await newWorker();
    await pair.client.send(new ApproveAssignmentCommand({ AssignmentId: approved.assignmentId }));
    await pair.client.send(
      new RejectAssignmentCommand({ AssignmentId: rejected.assignmentId, RequesterFeedback: "no" }),
    );
    const result = await pair.client.send(
      new NotifyWorkersCommand({
        Subject: "Hi",
        MessageText: "New work",
        WorkerIds: [approved.workerId, rejected.workerId, stranger],
      }),
    );
    expect(result.NotifyWorkersFailureStatuses).toEqual([
      expect.objectContaining({ WorkerId: stranger, NotifyWorkersFailureCode: "HardFailure" }),
    ]);
    const messages = await pair.control<{ workerIds: string[] }[]>("GET", "messages");
    expect(messages.at(-1)?.workerIds).toEqual([approved.workerId, rejected.workerId]);
    const many = Array.from({ length: 101 }, (_, i) => `A${String(i).padStart(8, "0")}`);
    const tooMany = await rejection(
      pair.client.send(new NotifyWorkersCommand({ Subject: "x", MessageText: "y", WorkerIds: many })),
    );
    expect(tooMany.name).toBe("ParameterValidationError");
    const longSubject = await rejection(
      pair.client.send(new NotifyWorkersCommand({ Subject: "x".repeat(201), MessageText: "y", WorkerIds: [stranger] })),
    );
    expect(longSubject.message).toContain("Subject");
  });

  it("notification settings check version, destination and Ping", async () => {
    const notification = {
      Destination: "https://sqs.us-east-1.amazonaws.com/123456789012/mturk-events",
      Transport: "SQS" as const,
      Version: "2006-05-05",
      EventTypes: ["AssignmentSubmitted" as const],
    };
    await pair.client.send(
      new UpdateNotificationSettingsCommand({ HITTypeId: hit.HITTypeId, Notification: notification, Active: true }),
    );
    await pair.client.send(new UpdateNotificationSettingsCommand({ HITTypeId: hit.HITTypeId, Active: false }));
    // Clients in production send 2014-08-15, and MTurk accepts it (Dallinger's mturk.py).
    const current = { ...notification, Version: "2014-08-15" };
    await pair.client.send(new UpdateNotificationSettingsCommand({ HITTypeId: hit.HITTypeId, Notification: current }));
    await pair.client.send(
      new SendTestEventNotificationCommand({
        Notification: { ...current, EventTypes: ["Ping"] },
        TestEventType: "Ping",
      }),
    );
    const cases = [
      { ...notification, Version: "2010-01-01" },
      { ...notification, EventTypes: ["Ping" as const] },
      { ...notification, Destination: "not-a-queue" },
    ];
    for (const bad of cases) {
      const error = await rejection(
        pair.client.send(new UpdateNotificationSettingsCommand({ HITTypeId: hit.HITTypeId, Notification: bad })),
      );
      expect(error.name).toBe("ParameterValidationError");
    }
    const neither = await rejection(
      pair.client.send(new UpdateNotificationSettingsCommand({ HITTypeId: hit.HITTypeId })),
    );
    expect(neither.TurkErrorCode).toBe("AWS.MechanicalTurk.InvalidParameterValue");
    await pair.client.send(
      new SendTestEventNotificationCommand({
        Notification: { ...notification, EventTypes: ["Ping"] },
        TestEventType: "Ping",
      }),
    );
    const badEvent = await rejection(
      pair.client.send(
        new SendTestEventNotificationCommand({ Notification: notification, TestEventType: "Nope" as never }),
      ),
    );
    expect(badEvent.name).toBe("ParameterValidationError");
  });
});
