import {
  AcceptQualificationRequestCommand,
  ApproveAssignmentCommand,
  type Assignment,
  AssociateQualificationWithWorkerCommand,
  CreateHITTypeCommand,
  type CreateHITTypeCommandInput,
  CreateQualificationTypeCommand,
  type CreateQualificationTypeCommandInput,
  CreateWorkerBlockCommand,
  DeleteHITCommand,
  DeleteQualificationTypeCommand,
  DeleteWorkerBlockCommand,
  DisassociateQualificationFromWorkerCommand,
  type EventType,
  type HIT,
  type MTurkClient,
  type NotificationSpecification,
  NotifyWorkersCommand,
  type NotifyWorkersFailureStatus,
  type Qualification,
  type QualificationType,
  RejectAssignmentCommand,
  RejectQualificationRequestCommand,
  SendTestEventNotificationCommand,
  UpdateExpirationForHITCommand,
  UpdateHITReviewStatusCommand,
  UpdateHITTypeOfHITCommand,
  UpdateNotificationSettingsCommand,
  UpdateQualificationTypeCommand,
  type UpdateQualificationTypeCommandInput,
} from "@aws-sdk/client-mturk";
import type { MirrorChange } from "../mirror/changes.js";
import type { Mirror } from "../mirror/mirror.js";
import type { Upstream } from "./client.js";
import { messageOf, UpstreamError } from "./errors.js";
import type { IdempotencyStore } from "./idempotency.js";
import { idOf } from "./ids.js";
import { type MTurkLoaders, qualificationKey } from "./loaders.js";

/** A write that MTurk refuses to repeat, made idempotent: true when the state was already what was asked. */
export interface Applied {
  alreadyApplied: boolean;
}

/**
 * An error that proves the write's state is already there, if `holds` reads it back from MTurk. A refusal of the
 * request itself (credentials, a ValidationException before the operation) proves nothing: no read-back.
 */
async function alreadyThere(error: unknown, holds: () => Promise<boolean>): Promise<Applied> {
  if (!(error instanceof UpstreamError) || error.credentialsRefused || error.beforeOperation) throw error;
  const there = await holds().catch(() => false);
  if (!there) throw error;
  return { alreadyApplied: true };
}

/**
 * Every MTurk write of one GraphQL request. Errors pass through as the upstream layer raised them (UpstreamError).
 * MTurk's writes that refuse to repeat (approve, reject, decide a request, expire, delete) are made idempotent by
 * reading the state back after a refusal or a lost answer. After each write the request's loaders forget what
 * changed and the mirror takes the change at once (see MirrorChange).
 */
export class MTurkWrites {
  constructor(
    readonly upstream: Upstream,
    readonly loaders: MTurkLoaders,
    readonly mirror: Mirror,
    readonly idempotency: IdempotencyStore,
    /** The subscriptions (src/live): the gateway's own writes publish their events at once. */
    readonly live?: { writesChanged(changes: MirrorChange[]): void },
  ) {}

  send<T>(operation: string, call: (client: MTurkClient) => Promise<T>): Promise<T> {
    return this.upstream.call(operation, call);
  }

  /** After a write: pages read earlier in this request are stale; the mirror (and so every listing) has it now. */
  async changed(changes: MirrorChange[]): Promise<void> {
    this.loaders.forgetPages();
    this.live?.writesChanged(changes);
    await this.mirror.apply(changes);
  }

  /** The HIT as MTurk has it now, read past this request's cache. */
  freshHit(hitId: string): Promise<HIT> {
    return this.loaders.hits.clear(hitId).load(hitId);
  }

  freshAssignment(assignmentId: string): Promise<Assignment> {
    return this.loaders.assignments.clear(assignmentId).load(assignmentId);
  }

  /**
   * A HIT write happened: the mirror takes the HIT as MTurk now has it, the write's `fields` kept over listings that
   * lag (or, if it cannot be read, the HIT and its work are read again at the next refresh).
   */
  async hitChanged(hitId: string, fields?: (keyof HIT)[]): Promise<void> {
    const hit = await this.freshHit(hitId).catch(() => undefined);
    await this.changed(
      hit ? [{ kind: "hit", hit, fields }] : [{ kind: "stale", units: ["hits", `assignments:${hitId}`] }],
    );
  }

  async acceptQualificationRequest(
    target: { qualificationRequestId: string; qualificationTypeId?: string; workerId?: string },
    IntegerValue?: number,
  ): Promise<Applied> {
    const { qualificationRequestId: id, qualificationTypeId: typeId, workerId } = target;
    const result = await this.send("AcceptQualificationRequest", (c) =>
      c.send(new AcceptQualificationRequestCommand({ QualificationRequestId: id, IntegerValue })),
    ).then(
      () => ({ alreadyApplied: false }),
      // Accepted before (or the answer was lost): the worker now holds the qualification.
      (error) =>
        alreadyThere(error, async () => {
          if (!typeId || !workerId) return false;
          const key = qualificationKey(typeId, workerId);
          const held = await this.loaders.qualificationScores.clear(key).load(key);
          return held?.Status === "Granted";
        }),
    );
    if (typeId && workerId) this.loaders.qualificationScores.clear(qualificationKey(typeId, workerId));
    const granted: MirrorChange[] =
      typeId && workerId
        ? [
            {
              kind: "qualification",
              qualification: {
                QualificationTypeId: typeId,
                WorkerId: workerId,
                IntegerValue,
                Status: "Granted",
                GrantTime: new Date(),
              },
            },
          ]
        : [];
    await this.changed([{ kind: "requestDecided", requestId: id, status: "Accepted", typeId, workerId }, ...granted]);
    return result;
  }

  async rejectQualificationRequest(QualificationRequestId: string, Reason?: string): Promise<Applied> {
    const result = await this.send("RejectQualificationRequest", (c) =>
      c.send(new RejectQualificationRequestCommand({ QualificationRequestId, Reason })),
    ).then(
      () => ({ alreadyApplied: false }),
      // MTurk has no read for a decided request: its refusal names the state the request is in.
      (error) => alreadyThere(error, async () => /\bRejected\b/.test(messageOf(error))),
    );
    await this.changed([{ kind: "requestDecided", requestId: QualificationRequestId, status: "Rejected" }]);
    return result;
  }

  /** The type a write returned replaces what this request had loaded; the mirror (and its listings) show it. */
  private async rememberType(type: QualificationType | undefined) {
    const id = type?.QualificationTypeId;
    if (!type || !id) return type;
    this.loaders.qualificationTypes.clear(id).prime(id, type);
    await this.changed([{ kind: "type", type }]);
    return type;
  }

  async createQualificationType(input: CreateQualificationTypeCommandInput) {
    const r = await this.send("CreateQualificationType", (c) => c.send(new CreateQualificationTypeCommand(input)));
    return this.rememberType(r.QualificationType);
  }

  async updateQualificationType(input: UpdateQualificationTypeCommandInput) {
    const r = await this.send("UpdateQualificationType", (c) => c.send(new UpdateQualificationTypeCommand(input)));
    return this.rememberType(r.QualificationType);
  }

  async deleteQualificationType(QualificationTypeId: string) {
    await this.send("DeleteQualificationType", (c) =>
      c.send(new DeleteQualificationTypeCommand({ QualificationTypeId })),
    );
    this.loaders.qualificationTypes.clear(QualificationTypeId);
    // Deleting a type rejects its pending requests, which the gateway cannot name: they are read again.
    await this.changed([{ kind: "typeDeleted", typeId: QualificationTypeId }]);
  }

  private async qualificationChanged(qualification: Qualification & { QualificationTypeId: string; WorkerId: string }) {
    this.loaders.qualificationScores.clear(qualificationKey(qualification.QualificationTypeId, qualification.WorkerId));
    await this.changed([{ kind: "qualification", qualification }]);
  }

  async associateQualification(
    QualificationTypeId: string,
    WorkerId: string,
    IntegerValue?: number,
    SendNotification?: boolean,
  ) {
    await this.send("AssociateQualificationWithWorker", (c) =>
      c.send(
        new AssociateQualificationWithWorkerCommand({ QualificationTypeId, WorkerId, IntegerValue, SendNotification }),
      ),
    );
    await this.qualificationChanged({
      QualificationTypeId,
      WorkerId,
      IntegerValue,
      Status: "Granted",
      GrantTime: new Date(),
    });
  }

  async disassociateQualification(QualificationTypeId: string, WorkerId: string, Reason?: string) {
    await this.send("DisassociateQualificationFromWorker", (c) =>
      c.send(new DisassociateQualificationFromWorkerCommand({ QualificationTypeId, WorkerId, Reason })),
    );
    await this.qualificationChanged({ QualificationTypeId, WorkerId, Status: "Revoked" });
  }

  async createWorkerBlock(WorkerId: string, Reason: string) {
    await this.send("CreateWorkerBlock", (c) => c.send(new CreateWorkerBlockCommand({ WorkerId, Reason })));
    this.loaders.forgetBlocks();
    await this.changed([{ kind: "block", workerId: WorkerId, reason: Reason, present: true }]);
  }

  async deleteWorkerBlock(WorkerId: string, Reason?: string) {
    await this.send("DeleteWorkerBlock", (c) => c.send(new DeleteWorkerBlockCommand({ WorkerId, Reason })));
    this.loaders.forgetBlocks();
    await this.changed([{ kind: "block", workerId: WorkerId, reason: Reason, present: false }]);
  }

  /** NotifyWorkers for at most 100 workers (MTurk's limit); callers chunk larger lists. */
  async notifyWorkers(
    Subject: string,
    MessageText: string,
    WorkerIds: string[],
  ): Promise<NotifyWorkersFailureStatus[]> {
    const r = await this.send("NotifyWorkers", (c) =>
      c.send(new NotifyWorkersCommand({ Subject, MessageText, WorkerIds })),
    );
    return r.NotifyWorkersFailureStatuses ?? [];
  }

  async createHITType(input: CreateHITTypeCommandInput) {
    const r = await this.send("CreateHITType", (c) => c.send(new CreateHITTypeCommand(input)));
    return idOf(r, "HITTypeId");
  }

  /**
   * UpdateExpirationForHIT. MTurk refuses the same (HIT, ExpireAt) twice as already processed: a retry finds the
   * HIT expiring at that time (or expired, for a time in the past) and succeeds.
   */
  async updateExpirationForHIT(HITId: string, ExpireAt: Date): Promise<Applied> {
    const result = await this.send("UpdateExpirationForHIT", (c) =>
      c.send(new UpdateExpirationForHITCommand({ HITId, ExpireAt })),
    ).then(
      () => ({ alreadyApplied: false }),
      // Already processed, or the answer was lost: the HIT expires at that time (or has expired) if it was applied.
      (error) =>
        alreadyThere(error, async () => {
          const expiration = (await this.freshHit(HITId)).Expiration?.getTime() ?? Number.NaN;
          const wanted = ExpireAt.getTime();
          return wanted <= Date.now() ? expiration <= Date.now() + 1000 : Math.abs(expiration - wanted) < 1000;
        }),
    );
    await this.hitChanged(HITId, ["Expiration", "HITStatus"]);
    return result;
  }

  async updateHITReviewStatus(HITId: string, Revert: boolean) {
    await this.send("UpdateHITReviewStatus", (c) => c.send(new UpdateHITReviewStatusCommand({ HITId, Revert })));
    await this.hitChanged(HITId, ["HITStatus"]);
  }

  async updateHITTypeOfHIT(HITId: string, HITTypeId: string) {
    await this.send("UpdateHITTypeOfHIT", (c) => c.send(new UpdateHITTypeOfHITCommand({ HITId, HITTypeId })));
    await this.hitChanged(HITId, [
      "HITTypeId",
      "Title",
      "Description",
      "Keywords",
      "Reward",
      "QualificationRequirements",
    ]);
  }

  /** DeleteHIT. Deleting again is refused (the HIT is Disposed): a retry succeeds. */
  async deleteHIT(HITId: string): Promise<Applied> {
    const result = await this.send("DeleteHIT", (c) => c.send(new DeleteHITCommand({ HITId }))).then(
      () => ({ alreadyApplied: false }),
      (error) => alreadyThere(error, async () => (await this.freshHit(HITId)).HITStatus === "Disposed"),
    );
    this.loaders.hits.clear(HITId);
    // The mirror keeps the HIT, as Disposed, with its work: history outlives MTurk's listings.
    await this.changed([{ kind: "hitDeleted", hitId: HITId }]);
    return result;
  }

  /** ApproveAssignment. Approving again is refused (InvalidAssignmentState): a retry finds it Approved. */
  async approveAssignment(AssignmentId: string, RequesterFeedback?: string, OverrideRejection?: boolean) {
    return this.review(AssignmentId, "Approved", () =>
      this.send("ApproveAssignment", (c) =>
        c.send(new ApproveAssignmentCommand({ AssignmentId, RequesterFeedback, OverrideRejection })),
      ),
    );
  }

  async rejectAssignment(AssignmentId: string, RequesterFeedback: string) {
    return this.review(AssignmentId, "Rejected", () =>
      this.send("RejectAssignment", (c) => c.send(new RejectAssignmentCommand({ AssignmentId, RequesterFeedback }))),
    );
  }

  private async review(assignmentId: string, status: "Approved" | "Rejected", send: () => Promise<unknown>) {
    const result = await send().then(
      () => ({ alreadyApplied: false }),
      (error) =>
        alreadyThere(error, async () => (await this.freshAssignment(assignmentId)).AssignmentStatus === status),
    );
    const time = status === "Approved" ? "ApprovalTime" : "RejectionTime";
    this.loaders.assignments.clear(assignmentId);
    this.loaders.hits.clearAll();
    // The HIT's counters changed too: the next refresh reads them (its work was already patched here).
    await this.changed([
      { kind: "assignmentReviewed", assignmentId, fields: { AssignmentStatus: status, [time]: new Date() } },
    ]);
    return result;
  }

  async updateNotificationSettings(HITTypeId: string, Notification?: NotificationSpecification, Active?: boolean) {
    await this.send("UpdateNotificationSettings", (c) =>
      c.send(new UpdateNotificationSettingsCommand({ HITTypeId, Notification, Active })),
    );
  }

  async sendTestEventNotification(Notification: NotificationSpecification, TestEventType: EventType) {
    await this.send("SendTestEventNotification", (c) =>
      c.send(new SendTestEventNotificationCommand({ Notification, TestEventType })),
    );
  }
}
