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
import type { Upstream } from "./client.js";
import { UpstreamError } from "./errors.js";
import type { IdempotencyStore } from "./idempotency.js";
import type { JournalEntry } from "./journal.js";
import type { ListingOperation } from "./listings.js";
import { type MTurkLoaders, qualificationKey } from "./loaders.js";
import type { SnapshotCache } from "./snapshots.js";

/** A write that MTurk refuses to repeat, made idempotent: true when the state was already what was asked. */
export interface Applied {
  alreadyApplied: boolean;
}

/** The listings whose items carry a HIT's data (status, counts, expiration). */
const HIT_LISTINGS: ListingOperation[] = ["ListHITs", "ListReviewableHITs", "ListHITsForQualificationType"];
const hitEntries = (hit: HIT, change: JournalEntry["change"]): JournalEntry[] =>
  HIT_LISTINGS.map((operation) => ({ operation, id: hit.HITId as string, change, at: Date.now() }) as JournalEntry);

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
 * changed and the shared journal applies the change to every listing (see WriteJournal).
 */
export class MTurkWrites {
  constructor(
    readonly upstream: Upstream,
    readonly loaders: MTurkLoaders,
    readonly snapshots: SnapshotCache,
    readonly idempotency: IdempotencyStore,
    /** The subscriptions (src/live): the gateway's own writes publish their events at once. */
    readonly live?: { writesChanged(entries: JournalEntry[]): void },
  ) {}

  send<T>(operation: string, call: (client: MTurkClient) => Promise<T>): Promise<T> {
    return this.upstream.call(operation, call);
  }

  /** After a write: pages read earlier in this request are stale; listings show the change from now on. */
  changed(entries: JournalEntry[], rescan: ListingOperation[] = []): void {
    this.snapshots.record(entries);
    this.live?.writesChanged(entries);
    if (rescan.length) this.snapshots.invalidate(rescan);
    this.loaders.forgetPages();
  }

  /** The HIT as MTurk has it now, read past this request's cache. */
  freshHit(hitId: string): Promise<HIT> {
    return this.loaders.hits.clear(hitId).load(hitId);
  }

  freshAssignment(assignmentId: string): Promise<Assignment> {
    return this.loaders.assignments.clear(assignmentId).load(assignmentId);
  }

  /** A HIT write happened: its listings take the HIT as MTurk now has it (or drop it if it cannot be read). */
  async hitChanged(hitId: string): Promise<void> {
    const hit = await this.freshHit(hitId).catch(() => undefined);
    this.changed(hit ? hitEntries(hit, { kind: "patch", fields: hit }) : [], hit ? [] : HIT_LISTINGS);
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
    const granted =
      typeId && workerId
        ? [
            {
              operation: "ListWorkersWithQualificationType",
              id: qualificationKey(typeId, workerId),
              change: {
                kind: "insert",
                item: {
                  QualificationTypeId: typeId,
                  WorkerId: workerId,
                  IntegerValue,
                  Status: "Granted",
                  GrantTime: new Date(),
                },
              },
              at: Date.now(),
            } as JournalEntry,
          ]
        : [];
    this.changed([
      { operation: "ListQualificationRequests", id, change: { kind: "remove" }, at: Date.now() },
      ...granted,
    ]);
    return result;
  }

  async rejectQualificationRequest(QualificationRequestId: string, Reason?: string): Promise<Applied> {
    const result = await this.send("RejectQualificationRequest", (c) =>
      c.send(new RejectQualificationRequestCommand({ QualificationRequestId, Reason })),
    ).then(
      () => ({ alreadyApplied: false }),
      // MTurk has no read for a decided request: its refusal names the state the request is in.
      (error) => alreadyThere(error, async () => /\bRejected\b/.test((error as Error).message)),
    );
    this.changed([
      {
        operation: "ListQualificationRequests",
        id: QualificationRequestId,
        change: { kind: "remove" },
        at: Date.now(),
      },
    ]);
    return result;
  }

  /** The type a write returned replaces what this request had loaded; listings of types show it. */
  private rememberType(type: QualificationType | undefined) {
    const id = type?.QualificationTypeId;
    if (!type || !id) return type;
    this.loaders.qualificationTypes.clear(id).prime(id, type);
    this.changed([
      { operation: "ListQualificationTypes", id, change: { kind: "patch", fields: type }, at: Date.now() },
    ]);
    return type;
  }

  async createQualificationType(input: CreateQualificationTypeCommandInput) {
    const r = await this.send("CreateQualificationType", (c) => c.send(new CreateQualificationTypeCommand(input)));
    const type = r.QualificationType;
    if (type?.QualificationTypeId)
      this.changed([
        {
          operation: "ListQualificationTypes",
          id: type.QualificationTypeId,
          change: { kind: "insert", item: type },
          at: Date.now(),
        },
      ]);
    return this.rememberType(type);
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
    // Deleting a type rejects its pending requests, which the gateway cannot name: those listings are scanned again.
    this.changed(
      [{ operation: "ListQualificationTypes", id: QualificationTypeId, change: { kind: "remove" }, at: Date.now() }],
      ["ListQualificationRequests"],
    );
  }

  private qualificationChanged(typeId: string, workerId: string, change: JournalEntry["change"]) {
    this.loaders.qualificationScores.clear(qualificationKey(typeId, workerId));
    this.changed([
      { operation: "ListWorkersWithQualificationType", id: qualificationKey(typeId, workerId), change, at: Date.now() },
    ]);
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
    this.qualificationChanged(QualificationTypeId, WorkerId, {
      kind: "insert",
      item: { QualificationTypeId, WorkerId, IntegerValue, Status: "Granted", GrantTime: new Date() },
    });
  }

  async disassociateQualification(QualificationTypeId: string, WorkerId: string, Reason?: string) {
    await this.send("DisassociateQualificationFromWorker", (c) =>
      c.send(new DisassociateQualificationFromWorkerCommand({ QualificationTypeId, WorkerId, Reason })),
    );
    this.qualificationChanged(QualificationTypeId, WorkerId, { kind: "patch", fields: { Status: "Revoked" } });
  }

  async createWorkerBlock(WorkerId: string, Reason: string) {
    await this.send("CreateWorkerBlock", (c) => c.send(new CreateWorkerBlockCommand({ WorkerId, Reason })));
    this.loaders.forgetBlocks();
    this.changed([
      {
        operation: "ListWorkerBlocks",
        id: WorkerId,
        change: { kind: "insert", item: { WorkerId, Reason } },
        at: Date.now(),
      },
    ]);
  }

  async deleteWorkerBlock(WorkerId: string, Reason?: string) {
    await this.send("DeleteWorkerBlock", (c) => c.send(new DeleteWorkerBlockCommand({ WorkerId, Reason })));
    this.loaders.forgetBlocks();
    this.changed([{ operation: "ListWorkerBlocks", id: WorkerId, change: { kind: "remove" }, at: Date.now() }]);
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
    return r.HITTypeId as string;
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
    await this.hitChanged(HITId);
    return result;
  }

  async updateHITReviewStatus(HITId: string, Revert: boolean) {
    await this.send("UpdateHITReviewStatus", (c) => c.send(new UpdateHITReviewStatusCommand({ HITId, Revert })));
    await this.hitChanged(HITId);
  }

  async updateHITTypeOfHIT(HITId: string, HITTypeId: string) {
    await this.send("UpdateHITTypeOfHIT", (c) => c.send(new UpdateHITTypeOfHITCommand({ HITId, HITTypeId })));
    await this.hitChanged(HITId);
  }

  /** DeleteHIT. Deleting again is refused (the HIT is Disposed): a retry succeeds. */
  async deleteHIT(HITId: string): Promise<Applied> {
    const result = await this.send("DeleteHIT", (c) => c.send(new DeleteHITCommand({ HITId }))).then(
      () => ({ alreadyApplied: false }),
      (error) => alreadyThere(error, async () => (await this.freshHit(HITId)).HITStatus === "Disposed"),
    );
    this.loaders.hits.clear(HITId);
    const gone = hitEntries({ HITId }, { kind: "remove" });
    // Its assignments and bonuses are no longer listed; the gateway cannot name them all.
    this.changed(gone, ["ListAssignmentsForHIT", "ListBonusPayments"]);
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
    // The HIT's counts and review state changed too: its listings are scanned again.
    this.changed(
      [
        {
          operation: "ListAssignmentsForHIT",
          id: assignmentId,
          change: { kind: "patch", fields: { AssignmentStatus: status, [time]: new Date() } },
          at: Date.now(),
        },
      ],
      HIT_LISTINGS,
    );
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

export { hitEntries };
