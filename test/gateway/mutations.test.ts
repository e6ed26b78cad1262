import { GetAccountBalanceCommand, ListBonusPaymentsCommand, paginateListHITs } from "@aws-sdk/client-mturk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operationsOf, type Stack, startStack } from "../support/stack.js";
import { hitWithSubmissions as hitWithSubmissionsOf } from "../support/work.js";

let stack: Stack;
type Fixtures = {
  qualificationTypeIds: string[];
  typesWithPendingRequests: string[];
  hitIds: string[];
  hitTypeIds: string[];
  workerIds: string[];
  blockedWorkerIds: string[];
  assignmentIdsByStatus: Record<string, string[]>;
};
let f: Fixtures;

beforeAll(async () => {
  stack = await startStack({ size: "demo", seed: 11 });
  f = await stack.control<Fixtures>("GET", "fixtures");
});
afterAll(() => stack.close());

const ERRORS = `... on MutationError { __typename message } ... on MTurkRequestError { code turkErrorCode operation } ... on ValidationError { field }`;
const run = async (document: string, variables: Record<string, unknown> = {}) => {
  const result = await stack.query<any>(document, variables);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data;
};
const hitWithSubmissions = (n: number, key: string) => hitWithSubmissionsOf(stack, n, key);

describe("qualification mutations", () => {
  it("accepts a request by global id, returning the worker and the granted Qualification, and the list forgets it", async () => {
    const typeId = f.typesWithPendingRequests[0];
    const list = await run(
      `query($t: String!) { qualificationType(qualificationTypeId: $t) { requests(first: 2) { totalCount edges { node { id workerId } } } } }`,
      { t: typeId },
    );
    const { id, workerId } = list.qualificationType.requests.edges[0].node;
    const d = await run(
      `mutation($i: AcceptQualificationRequestInput!) { acceptQualificationRequest(input: $i) { __typename ... on DecidedQualificationRequest { decidedQualificationRequestId worker { workerId } qualification { integerValue status } } ${ERRORS} } }`,
      { i: { id, integerValue: 90 } },
    );
    expect(d.acceptQualificationRequest).toMatchObject({
      decidedQualificationRequestId: id,
      worker: { workerId },
      qualification: { integerValue: 90, status: "Granted" },
    });
    const after = await run(
      `query($t: String!) { qualificationType(qualificationTypeId: $t) { requests(first: 100) { totalCount edges { node { id } } } } }`,
      { t: typeId },
    );
    expect(after.qualificationType.requests.totalCount).toBe(list.qualificationType.requests.totalCount - 1);
    expect(after.qualificationType.requests.edges.map((e: any) => e.node.id)).not.toContain(id);
    // A retry: MTurk refuses to decide the request again; the worker holds the qualification, so it was done.
    const again = await run(
      `mutation($i: AcceptQualificationRequestInput!) { acceptQualificationRequest(input: $i) { __typename ... on DecidedQualificationRequest { alreadyApplied } ${ERRORS} } }`,
      { i: { id } },
    );
    expect(again.acceptQualificationRequest).toEqual({
      __typename: "DecidedQualificationRequest",
      alreadyApplied: true,
    });
  });

  it("bulk-accepts by global ids: every worker gets the Qualification", async () => {
    const typeId = f.typesWithPendingRequests[1];
    const list = await run(
      `query($t: String!) { qualificationType(qualificationTypeId: $t) { requests(first: 3) { edges { node { id workerId } } } } }`,
      { t: typeId },
    );
    const nodes = list.qualificationType.requests.edges.map((e: any) => e.node);
    const d = await run(
      `mutation($i: AcceptQualificationRequestsInput!) { acceptQualificationRequests(input: $i) { __typename ... on QualificationRequestDecisionsPayload { succeeded failed results { result { worker { workerId } qualification { integerValue status } } } } } }`,
      { i: { items: nodes.map((n: any) => ({ id: n.id, integerValue: 3 })) } },
    );
    expect(d.acceptQualificationRequests).toMatchObject({ succeeded: nodes.length, failed: 0 });
    expect(d.acceptQualificationRequests.results.map((r: any) => r.result.worker.workerId)).toEqual(
      nodes.map((n: any) => n.workerId),
    );
    expect(d.acceptQualificationRequests.results.every((r: any) => r.result.qualification.status === "Granted")).toBe(
      true,
    );
  });

  it("bulk-rejects with partial failure; validation errors name the field and call nothing", async () => {
    const list = await run(`{ qualificationRequests(first: 2) { edges { node { id } } } }`);
    const ids = list.qualificationRequests.edges.map((e: any) => e.node.id);
    const d = await run(
      `mutation($i: RejectQualificationRequestsInput!) { rejectQualificationRequests(input: $i) { __typename ... on QualificationRequestDecisionsPayload { succeeded failed results { index error { code turkErrorCode } } } } }`,
      {
        i: {
          items: [
            { id: ids[0], reason: "incomplete" },
            { qualificationRequestId: "3NOSUCHREQUEST", reason: "x" },
            { id: ids[1] },
          ],
        },
      },
    );
    expect(d.rejectQualificationRequests).toMatchObject({ succeeded: 2, failed: 1 });
    expect(d.rejectQualificationRequests.results[1].error).toMatchObject({
      code: "NOT_FOUND",
      turkErrorCode: "AWS.MechanicalTurk.QualificationRequestDoesNotExist",
    });
    const { result, calls } = await stack.measured(
      `mutation { rejectQualificationRequest(input: { qualificationRequestId: "X", reason: "${"r".repeat(1025)}" }) { __typename ${ERRORS} } }`,
    );
    expect((result.data as any).rejectQualificationRequest).toMatchObject({
      __typename: "ValidationError",
      field: "input.reason",
    });
    expect(calls).toHaveLength(0);
  });

  it("creates, updates and deletes a type; associates and disassociates a worker", async () => {
    const created = await run(
      `mutation { createQualificationType(input: { name: "Gold annotators", description: "Top 5%", status: Active }) { __typename ... on QualificationTypePayload { qualificationType { qualificationTypeId name status } } ${ERRORS} } }`,
    );
    const typeId = created.createQualificationType.qualificationType.qualificationTypeId;
    const dup = await run(
      `mutation { createQualificationType(input: { name: "Gold annotators", description: "x", status: Active }) { __typename ${ERRORS} } }`,
    );
    expect(dup.createQualificationType).toMatchObject({
      __typename: "MTurkRequestError",
      turkErrorCode: "AWS.MechanicalTurk.QualificationTypeAlreadyExists",
    });
    const invalid = await run(
      `mutation { createQualificationType(input: { name: "T", description: "x", status: Active, test: "<QuestionForm/>" }) { __typename ${ERRORS} } }`,
    );
    expect(invalid.createQualificationType).toMatchObject({
      __typename: "ValidationError",
      field: "input.testDurationInSeconds",
    });
    const updated = await run(
      `mutation($t: String!) { updateQualificationType(input: { qualificationTypeId: $t, description: "Top 1%", status: Inactive }) { __typename ... on QualificationTypePayload { qualificationType { description status } } } }`,
      { t: typeId },
    );
    expect(updated.updateQualificationType.qualificationType).toEqual({ description: "Top 1%", status: "Inactive" });
    const worker = f.workerIds[3];
    const granted = await run(
      `mutation($t: String!, $w: String!) { associateQualificationWithWorker(input: { qualificationTypeId: $t, workerId: $w, integerValue: 5 }) { __typename ... on WorkerChange { worker { workerId } qualification { integerValue status } } } }`,
      { t: typeId, w: worker },
    );
    expect(granted.associateQualificationWithWorker.qualification).toEqual({ integerValue: 5, status: "Granted" });
    const revoked = await run(
      `mutation($t: String!, $w: String!) { disassociateQualificationFromWorker(input: { qualificationTypeId: $t, workerId: $w, reason: "left" }) { __typename ... on WorkerChange { qualification { status } } } }`,
      { t: typeId, w: worker },
    );
    expect(revoked.disassociateQualificationFromWorker.qualification.status).toBe("Revoked");
    const deleted = await run(
      `mutation($t: String!) { deleteQualificationType(input: { qualificationTypeId: $t }) { __typename ... on DeleteQualificationTypePayload { deletedQualificationTypeId } } }`,
      { t: typeId },
    );
    expect(deleted.deleteQualificationType.deletedQualificationTypeId).toBe(typeId);
    const gone = await stack.query(`query($t: String!) { qualificationType(qualificationTypeId: $t) { name } }`, {
      t: typeId,
    });
    expect(gone.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });
});

describe("worker mutations", () => {
  it("blocks and unblocks, singly and in bulk; the block field sees the change in the same request", async () => {
    const [a, b] = [f.workerIds[10], f.workerIds[11]];
    const d = await run(
      `mutation($a: String!) { createWorkerBlock(input: { workerId: $a, reason: "spam" }) { __typename ... on WorkerChange { worker { block { reason } } } } }`,
      { a },
    );
    expect(d.createWorkerBlock.worker.block.reason).toBe("spam");
    const bulk = await run(
      `mutation($i: UnblockWorkersInput!) { unblockWorkers(input: $i) { __typename ... on UnblockWorkersPayload { succeeded failed results { workerId result { worker { block { reason } } } } } } }`,
      { i: { items: [{ workerId: a }, { workerId: b }] } },
    );
    expect(bulk.unblockWorkers).toMatchObject({ succeeded: 2, failed: 0 });
    expect(bulk.unblockWorkers.results.map((r: any) => r.result.worker.block)).toEqual([null, null]);
    const blockMany = await run(
      `mutation($i: BlockWorkersInput!) { blockWorkers(input: $i) { __typename ... on BlockWorkersPayload { succeeded failed results { error { code } } } } }`,
      {
        i: {
          items: [
            { workerId: a, reason: "x" },
            { workerId: "AUNKNOWNWORKER1", reason: "x" },
          ],
        },
      },
    );
    expect(blockMany.blockWorkers).toMatchObject({ succeeded: 1, failed: 1 });
    const bad = await run(
      `mutation { createWorkerBlock(input: { workerId: "not-a-worker", reason: "x" }) { __typename ${ERRORS} } }`,
    );
    expect(bad.createWorkerBlock).toMatchObject({ __typename: "ValidationError", field: "input.workerId" });
  });

  it("notifies any number of workers in chunks of 100, reporting who was not reached", async () => {
    const { hitId, submissions } = await hitWithSubmissions(2, "notify-hit");
    await run(`mutation($h: String!) { approveAssignments(input: { select: { hitId: $h } }) { __typename } }`, {
      h: hitId,
    });
    const strangers = Array.from({ length: 150 }, (_, i) => `ANOBODY${String(i).padStart(5, "0")}`);
    const { result, calls } = await stack.measured(
      `mutation($i: NotifyWorkersInput!) { notifyWorkers(input: $i) { __typename ... on NotifyWorkersPayload { notifiedCount upstreamCalls failures { workerId code } } } }`,
      {
        i: {
          subject: "More work",
          messageText: "New batch tomorrow",
          workerIds: [...submissions.map((s) => s.workerId), ...strangers],
        },
      },
    );
    const payload = (result.data as any).notifyWorkers;
    expect(payload).toMatchObject({ notifiedCount: 2, upstreamCalls: 2 });
    expect(payload.failures).toHaveLength(150);
    expect(payload.failures[0].code).toBe("HardFailure");
    expect(operationsOf(calls)).toEqual(["NotifyWorkers", "NotifyWorkers"]);
  });
});

describe("HIT mutations", () => {
  it("creates a HIT exactly once per idempotency key, also when the response is lost after MTurk created it", async () => {
    const countHits = async () => {
      let n = 0;
      for await (const page of paginateListHITs({ client: stack.client, pageSize: 100 }, {})) n += page.NumResults ?? 0;
      return n;
    };
    const before = await countHits();
    await stack.control("POST", "faults/next", { operation: "CreateHIT", count: 1, fault: "dropAfterApply" });
    const input = {
      title: "Transcribe audio",
      description: "Short clips",
      reward: "1.00",
      lifetimeInSeconds: 3600,
      assignmentDurationInSeconds: 900,
      question: "<HTMLQuestion><HTMLContent>x</HTMLContent></HTMLQuestion>",
      idempotencyKey: "batch-7-hit-1",
      qualificationRequirements: [
        {
          qualificationTypeId: "00000000000000000071",
          comparator: "In",
          localeValues: [{ country: "US" }, { country: "CA" }],
        },
      ],
    };
    const doc = `mutation($i: CreateHITInput!) { createHIT(input: $i) { __typename ... on CreatedHITPayload { alreadyExisted hit { hitId title reward { formatted } status } } ${ERRORS} } }`;
    const first = await run(doc, { i: input });
    // The SDK retried the dropped call; MTurk answered HitAlreadyExists, which is the original success.
    expect(first.createHIT).toMatchObject({
      __typename: "CreatedHITPayload",
      alreadyExisted: true,
      hit: { title: "Transcribe audio", reward: { formatted: "$1.00" } },
    });
    const retried = await run(doc, { i: input });
    expect(retried.createHIT.hit.hitId).toBe(first.createHIT.hit.hitId);
    const creates = (await stack.control<any[]>("GET", "calls")).filter((c) => c.operation === "CreateHIT");
    expect(creates.every((c) => c.input.UniqueRequestToken === creates[0].input.UniqueRequestToken)).toBe(true);
    expect(await countHits()).toBe(before + 1);
    const noKey = await stack.query(
      `mutation { createHIT(input: { title: "t", description: "d", reward: "1", lifetimeInSeconds: 60, assignmentDurationInSeconds: 60, question: "<HTMLQuestion/>" }) { __typename } }`,
    );
    expect(noKey.errors?.[0]?.message).toContain("idempotencyKey");
    const bothQuestions = await run(doc, { i: { ...input, idempotencyKey: "x", hitLayoutId: "ABC" } });
    expect(bothQuestions.createHIT).toMatchObject({ __typename: "ValidationError", field: "input.question" });
    const badRequirement = await run(doc, {
      i: {
        ...input,
        idempotencyKey: "y",
        qualificationRequirements: [
          { qualificationTypeId: "00000000000000000040", comparator: "Exists", integerValues: [1] },
        ],
      },
    });
    expect(badRequirement.createHIT).toMatchObject({ __typename: "ValidationError" });
  });

  it("creates a HIT type and a HIT of it, extends, expires, reviews, retypes and deletes", async () => {
    const type = await run(
      `mutation { createHITType(input: { title: "Label", description: "Label images", reward: "0.10", assignmentDurationInSeconds: 300 }) { __typename ... on OkPayload { hitTypeId } } }`,
    );
    const hitTypeId = type.createHITType.hitTypeId;
    const created = await run(
      `mutation($t: String!) { createHITWithHITType(input: { hitTypeId: $t, lifetimeInSeconds: 600, maxAssignments: 2, question: "<HTMLQuestion/>", idempotencyKey: "typed-1" }) { __typename ... on CreatedHITPayload { hit { hitId hitTypeId maxAssignments } } } }`,
      { t: hitTypeId },
    );
    const hitId = created.createHITWithHITType.hit.hitId;
    expect(created.createHITWithHITType.hit).toMatchObject({ hitTypeId, maxAssignments: 2 });
    const extend = `mutation($h: String!, $n: Int!, $k: String!) { createAdditionalAssignmentsForHIT(input: { hitId: $h, numberOfAdditionalAssignments: $n, idempotencyKey: $k }) { __typename ... on AdditionalAssignmentsPayload { alreadyProcessed hit { maxAssignments } } ${ERRORS} } }`;
    const extended = await run(extend, { h: hitId, n: 3, k: "ext-1" });
    expect(extended.createAdditionalAssignmentsForHIT).toMatchObject({
      alreadyProcessed: false,
      hit: { maxAssignments: 5 },
    });
    const again = await run(extend, { h: hitId, n: 3, k: "ext-1" });
    expect(again.createAdditionalAssignmentsForHIT).toMatchObject({
      alreadyProcessed: true,
      hit: { maxAssignments: 5 },
    });
    const tooMany = await run(extend, { h: hitId, n: 5, k: "ext-2" });
    expect(tooMany.createAdditionalAssignmentsForHIT.turkErrorCode).toBe(
      "AWS.MechanicalTurk.InvalidMaximumAssignmentsIncrease",
    );
    const later = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const moved = await run(
      `mutation($h: String!, $e: DateTime!) { updateExpirationForHIT(input: { hitId: $h, expireAt: $e }) { __typename ... on HITPayload { hit { expiration } } } }`,
      { h: hitId, e: later },
    );
    expect(
      Math.abs(new Date(moved.updateExpirationForHIT.hit.expiration).getTime() - new Date(later).getTime()),
    ).toBeLessThan(1000);
    const expired = await run(
      `mutation($h: String!) { expireHIT(input: { hitId: $h }) { __typename ... on HITPayload { hit { status } } } }`,
      { h: hitId },
    );
    expect(expired.expireHIT.hit.status).toBe("Reviewable");
    const reviewing = await run(
      `mutation($h: String!) { updateHITReviewStatus(input: { hitId: $h }) { __typename ... on HITPayload { hit { status } } } }`,
      { h: hitId },
    );
    expect(reviewing.updateHITReviewStatus.hit.status).toBe("Reviewing");
    const other = await run(
      `mutation { createHITType(input: { title: "Other", description: "d", reward: "0.20", assignmentDurationInSeconds: 300 }) { __typename ... on OkPayload { hitTypeId } } }`,
    );
    const retyped = await run(
      `mutation($h: String!, $t: String!) { updateHITTypeOfHIT(input: { hitId: $h, hitTypeId: $t }) { __typename ... on HITPayload { hit { reward { amount } } } } }`,
      { h: hitId, t: other.createHITType.hitTypeId },
    );
    expect(retyped.updateHITTypeOfHIT.hit.reward.amount).toBe("0.20");
    const deleted = await run(
      `mutation($h: String!) { deleteHIT(input: { hitId: $h }) { __typename ... on DeleteHITPayload { deletedHitId } ${ERRORS} } }`,
      { h: hitId },
    );
    expect(deleted.deleteHIT.deletedHitId).toBe(hitId);
    // MTurk refuses to delete a Disposed HIT: a retry of the delete reads it back and succeeds.
    const twice = await run(
      `mutation($h: String!) { deleteHIT(input: { hitId: $h }) { __typename ... on DeleteHITPayload { alreadyApplied } ${ERRORS} } }`,
      { h: hitId },
    );
    expect(twice.deleteHIT).toEqual({ __typename: "DeleteHITPayload", alreadyApplied: true });
    const gone = await stack.query<any>(`query($h: String!) { hit(hitId: $h) { status } }`, { h: hitId });
    expect(gone.data.hit.status).toBe("Disposed");
  });

  it("sets notification settings and sends a test event", async () => {
    const n = {
      destination: "https://sqs.us-east-1.amazonaws.com/123456789012/events",
      transport: "SQS",
      eventTypes: ["AssignmentSubmitted"],
    };
    const set = await run(
      `mutation($t: String!, $n: NotificationSpecificationInput!) { updateNotificationSettings(input: { hitTypeId: $t, notification: $n, active: true }) { __typename ... on OkPayload { ok } ${ERRORS} } }`,
      { t: f.hitTypeIds[0], n },
    );
    expect(set.updateNotificationSettings).toEqual({ __typename: "OkPayload", ok: true });
    const ping = await run(
      `mutation($n: NotificationSpecificationInput!) { sendTestEventNotification(input: { notification: $n, testEventType: "Ping" }) { __typename ... on OkPayload { ok } } }`,
      { n: { ...n, eventTypes: ["Ping"] } },
    );
    expect(ping.sendTestEventNotification.ok).toBe(true);
    const neither = await run(
      `mutation($t: String!) { updateNotificationSettings(input: { hitTypeId: $t }) { __typename ${ERRORS} } }`,
      { t: f.hitTypeIds[0] },
    );
    expect(neither.updateNotificationSettings.__typename).toBe("ValidationError");
    const badDestination = await run(
      `mutation($t: String!, $n: NotificationSpecificationInput!) { updateNotificationSettings(input: { hitTypeId: $t, notification: $n }) { __typename ${ERRORS} } }`,
      { t: f.hitTypeIds[0], n: { ...n, destination: "nowhere" } },
    );
    expect(badDestination.updateNotificationSettings).toMatchObject({
      __typename: "MTurkRequestError",
      code: "BAD_USER_INPUT",
    });
  });

  it("takes notification version 2014-08-15, which clients in production send and MTurk accepts", async () => {
    const n = {
      destination: "arn:aws:sns:us-east-1:123456789012:reviews",
      transport: "SNS",
      version: "2014-08-15",
      eventTypes: ["AssignmentSubmitted"],
    };
    stack.simulator.instrumentation.resetCalls();
    const set = await run(
      `mutation($t: String!, $n: NotificationSpecificationInput!) { updateNotificationSettings(input: { hitTypeId: $t, notification: $n }) { __typename ... on OkPayload { ok } ${ERRORS} } }`,
      { t: f.hitTypeIds[0], n },
    );
    expect(set.updateNotificationSettings).toEqual({ __typename: "OkPayload", ok: true });
    const ping = await run(
      `mutation($n: NotificationSpecificationInput!) { sendTestEventNotification(input: { notification: $n, testEventType: "Ping" }) { __typename ... on OkPayload { ok } ${ERRORS} } }`,
      { n: { ...n, eventTypes: ["Ping"] } },
    );
    expect(ping.sendTestEventNotification).toEqual({ __typename: "OkPayload", ok: true });
    const sent = stack.simulator.instrumentation.calls.map((c) => (c.input as any).Notification?.Version);
    expect(sent).toEqual(["2014-08-15", "2014-08-15"]);
    const other = await run(
      `mutation($t: String!, $n: NotificationSpecificationInput!) { updateNotificationSettings(input: { hitTypeId: $t, notification: $n }) { __typename ${ERRORS} } }`,
      { t: f.hitTypeIds[0], n: { ...n, version: "2010-01-01" } },
    );
    expect(other.updateNotificationSettings).toMatchObject({
      __typename: "ValidationError",
      field: "input.notification.version",
    });
  });
});

describe("assignment mutations and bonuses", () => {
  it("approves and rejects singly; bulk-approves every submitted assignment of a HIT; the HIT's counts follow", async () => {
    const { hitId, submissions } = await hitWithSubmissions(4, "review-hit");
    const [one, two] = submissions;
    const approved = await run(
      `mutation($a: String!) { approveAssignment(input: { assignmentId: $a, requesterFeedback: "thanks" }) { __typename ... on ReviewedAssignment { assignment { status requesterFeedback hit { numberOfAssignmentsCompleted } } } } }`,
      { a: one?.assignmentId },
    );
    expect(approved.approveAssignment.assignment).toMatchObject({
      status: "Approved",
      requesterFeedback: "thanks",
      hit: { numberOfAssignmentsCompleted: 1 },
    });
    const rejected = await run(
      `mutation($a: String!) { rejectAssignment(input: { assignmentId: $a, requesterFeedback: "wrong" }) { __typename ... on ReviewedAssignment { assignment { status } } } }`,
      { a: two?.assignmentId },
    );
    expect(rejected.rejectAssignment.assignment.status).toBe("Rejected");
    // Rejecting again is a retry (already Rejected); approving a rejected one without override is still refused.
    const twice = await run(
      `mutation($a: String!) { rejectAssignment(input: { assignmentId: $a, requesterFeedback: "again" }) { __typename ... on ReviewedAssignment { alreadyApplied } ${ERRORS} } }`,
      { a: two?.assignmentId },
    );
    expect(twice.rejectAssignment).toEqual({ __typename: "ReviewedAssignment", alreadyApplied: true });
    const approveRejected = await run(
      `mutation($a: String!) { approveAssignment(input: { assignmentId: $a }) { __typename ${ERRORS} } }`,
      { a: two?.assignmentId },
    );
    expect(approveRejected.approveAssignment).toMatchObject({
      turkErrorCode: "AWS.MechanicalTurk.InvalidAssignmentState",
    });
    const bulk = await run(
      `mutation($h: String!) { approveAssignments(input: { select: { hitId: $h }, requesterFeedback: "ok" }) { __typename ... on ApproveAssignmentsPayload { succeeded failed results { assignmentId } } } }`,
      { h: hitId },
    );
    expect(bulk.approveAssignments).toMatchObject({ succeeded: 2, failed: 0 });
    const hit = await run(
      `query($h: String!) { hit(hitId: $h) { numberOfAssignmentsCompleted assignments(first: 10, statuses: [Submitted]) { totalCount } } }`,
      { h: hitId },
    );
    expect(hit.hit).toMatchObject({ numberOfAssignmentsCompleted: 4, assignments: { totalCount: 0 } });
    const partial = await run(
      `mutation($ids: [String!]) { rejectAssignments(input: { select: { assignmentIds: $ids }, requesterFeedback: "no" }) { __typename ... on RejectAssignmentsPayload { succeeded failed results { error { turkErrorCode } } } } }`,
      { ids: [one?.assignmentId, "3NOSUCHASSIGNMENT"] },
    );
    expect(partial.rejectAssignments).toMatchObject({ succeeded: 0, failed: 2 });
  });

  it("a payload's links read their node only when more than its id is selected", async () => {
    const { submissions } = await hitWithSubmissions(2, "payload-links");
    const [one, two] = submissions;
    const approve = (fields: string, a: string | undefined) =>
      stack.measured(
        `mutation($a: String!) { approveAssignment(input: { assignmentId: $a }) { ... on ReviewedAssignment { assignment { ${fields} } } } }`,
        { a },
      );
    const idsOnly = await approve("id assignmentId", one?.assignmentId);
    expect(idsOnly.result.errors).toBeUndefined();
    expect((idsOnly.result.data as any).approveAssignment.assignment.assignmentId).toBe(one?.assignmentId);
    expect(operationsOf(idsOnly.calls)).toEqual(["ApproveAssignment"]);
    const withStatus = await approve("status", two?.assignmentId);
    expect((withStatus.result.data as any).approveAssignment.assignment.status).toBe("Approved");
    expect(operationsOf(withStatus.calls)).toEqual(["ApproveAssignment", "GetAssignment"]);
  });

  it("pays a bonus exactly once even when the connection drops after MTurk paid, and when the client retries", async () => {
    const { submissions } = await hitWithSubmissions(1, "bonus-hit");
    const [s] = submissions;
    const balance = async () => Number((await stack.client.send(new GetAccountBalanceCommand({}))).AvailableBalance);
    const start = await balance();
    await stack.control("POST", "faults/next", { operation: "SendBonus", count: 1, fault: "dropAfterApply" });
    const doc = `mutation($i: SendBonusInput!) { sendBonus(input: $i) { __typename ... on BonusPaid { alreadyProcessed worker { workerId } assignment { assignmentId } } ${ERRORS} } }`;
    const input = {
      workerId: s?.workerId,
      assignmentId: s?.assignmentId,
      bonusAmount: "2.00",
      reason: "great work",
      idempotencyKey: "bonus-42",
    };
    const first = await run(doc, { i: input });
    expect(first.sendBonus).toMatchObject({ __typename: "BonusPaid", alreadyProcessed: true });
    const retry = await run(doc, { i: input });
    expect(retry.sendBonus.alreadyProcessed).toBe(true);
    const paid = await stack.client.send(new ListBonusPaymentsCommand({ AssignmentId: s?.assignmentId }));
    expect(paid.NumResults).toBe(1);
    expect(await balance()).toBeCloseTo(start - 2.4, 2);
    const zero = await run(doc, { i: { ...input, bonusAmount: "0", idempotencyKey: "z" } });
    expect(zero.sendBonus).toMatchObject({ __typename: "ValidationError", field: "input.bonusAmount" });
  });

  it("sends many bonuses with per-item results; a retried batch pays nothing twice", async () => {
    const { submissions } = await hitWithSubmissions(3, "bonus-batch-hit");
    const items = [
      ...submissions.map((s) => ({
        workerId: s.workerId,
        assignmentId: s.assignmentId,
        bonusAmount: "0.25",
        reason: "batch",
      })),
      { workerId: "AWRONGWORKER1", assignmentId: submissions[0]?.assignmentId, bonusAmount: "0.25", reason: "batch" },
    ];
    const doc = `mutation($i: SendBonusesInput!) { sendBonuses(input: $i) { __typename ... on SendBonusesPayload { succeeded failed results { assignmentId result { alreadyProcessed } error { turkErrorCode } } } } }`;
    const first = await run(doc, { i: { idempotencyKey: "batch-1", items } });
    expect(first.sendBonuses).toMatchObject({ succeeded: 3, failed: 1 });
    const second = await run(doc, { i: { idempotencyKey: "batch-1", items } });
    expect(second.sendBonuses.results.slice(0, 3).map((r: any) => r.result.alreadyProcessed)).toEqual([
      true,
      true,
      true,
    ]);
    for (const s of submissions) {
      const paid = await stack.client.send(new ListBonusPaymentsCommand({ AssignmentId: s.assignmentId }));
      expect(paid.NumResults).toBe(1);
    }
  });
});
