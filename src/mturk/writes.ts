import { createHash } from "node:crypto";
import {
  AcceptQualificationRequestCommand,
  ApproveAssignmentCommand,
  AssociateQualificationWithWorkerCommand,
  CreateAdditionalAssignmentsForHITCommand,
  CreateHITCommand,
  type CreateHITCommandInput,
  CreateHITTypeCommand,
  type CreateHITTypeCommandInput,
  CreateHITWithHITTypeCommand,
  type CreateHITWithHITTypeCommandInput,
  CreateQualificationTypeCommand,
  type CreateQualificationTypeCommandInput,
  CreateWorkerBlockCommand,
  DeleteHITCommand,
  DeleteQualificationTypeCommand,
  DeleteWorkerBlockCommand,
  DisassociateQualificationFromWorkerCommand,
  type EventType,
  type MTurkClient,
  type NotificationSpecification,
  NotifyWorkersCommand,
  type NotifyWorkersFailureStatus,
  type QualificationType,
  RejectAssignmentCommand,
  RejectQualificationRequestCommand,
  SendBonusCommand,
  SendTestEventNotificationCommand,
  UpdateExpirationForHITCommand,
  UpdateHITReviewStatusCommand,
  UpdateHITTypeOfHITCommand,
  UpdateNotificationSettingsCommand,
  UpdateQualificationTypeCommand,
  type UpdateQualificationTypeCommandInput,
} from "@aws-sdk/client-mturk";
import type { GraphQLError } from "graphql";
import type { Upstream } from "./client.js";
import type { MTurkLoaders } from "./loaders.js";
import type { SnapshotCache } from "./snapshots.js";

/** A write MTurk refused (RequestError, ParameterValidationError, a missing entity): a typed mutation result. */
export class MTurkRequestFailed extends Error {
  constructor(
    message: string,
    readonly operation: string,
    readonly code: string,
    readonly turkErrorCode?: string,
  ) {
    super(message);
  }
}

/** A write that could not reach MTurk after the SDK's retries (only as a bulk item; alone it is a GraphQL error). */
export class UpstreamUnavailable extends Error {
  constructor(
    message: string,
    readonly operation: string,
  ) {
    super(message);
  }
}

/** The UniqueRequestToken MTurk dedupes on (1..64 chars), derived from the client's idempotency key. */
export const requestToken = (operation: string, idempotencyKey: string) =>
  createHash("sha256").update(`${operation}\u0000${idempotencyKey}`).digest("hex");

/** MTurk's reply to a reused token names the HIT it created first. */
const HIT_ID_IN_MESSAGE = /\b(3[A-Z0-9]{29})\b/;

/** The listings each kind of change can alter: their snapshots and this request's pages are dropped. */
const AFFECTS = {
  qualificationRequests: ["ListQualificationRequests"],
  qualificationTypes: ["ListQualificationTypes", "ListQualificationRequests"],
  qualifications: ["ListWorkersWithQualificationType"],
  blocks: ["ListWorkerBlocks"],
  hits: ["ListHITs", "ListReviewableHITs", "ListHITsForQualificationType"],
  assignments: ["ListAssignmentsForHIT", "ListHITs", "ListReviewableHITs", "ListHITsForQualificationType"],
  bonuses: ["ListBonusPayments"],
} as const;

/**
 * Every MTurk write of one GraphQL request. Each maps MTurk's refusal to MTurkRequestFailed, sends a
 * UniqueRequestToken where MTurk takes one, treats "already processed" as the original success, and afterwards
 * drops whatever could now be stale: the request's loaders and pages, and the shared snapshots.
 */
export class MTurkWrites {
  constructor(
    private readonly upstream: Upstream,
    private readonly loaders: MTurkLoaders,
    private readonly snapshots: SnapshotCache,
  ) {}

  private async send<T>(operation: string, call: (client: MTurkClient) => Promise<T>): Promise<T> {
    try {
      return await this.upstream.call(operation, call);
    } catch (error) {
      const code = (error as GraphQLError).extensions?.code;
      if (code === "BAD_USER_INPUT" || code === "NOT_FOUND")
        throw new MTurkRequestFailed(
          (error as Error).message,
          operation,
          String(code),
          (error as GraphQLError).extensions?.turkErrorCode as string | undefined,
        );
      if (code === "UPSTREAM_UNAVAILABLE") throw new UpstreamUnavailable((error as Error).message, operation);
      throw error;
    }
  }

  private changed(kinds: (keyof typeof AFFECTS)[]) {
    const operations = new Set(kinds.flatMap((kind) => AFFECTS[kind]));
    this.snapshots.invalidate((key) => [...operations].some((op) => key.startsWith(`["${op}"`)));
    this.loaders.forgetPages();
  }

  async acceptQualificationRequest(QualificationRequestId: string, IntegerValue?: number) {
    await this.send("AcceptQualificationRequest", (c) =>
      c.send(new AcceptQualificationRequestCommand({ QualificationRequestId, IntegerValue })),
    );
    this.loaders.qualificationRequests.clearAll();
    this.loaders.qualificationScores.clearAll();
    this.changed(["qualificationRequests", "qualifications"]);
  }

  async rejectQualificationRequest(QualificationRequestId: string, Reason?: string) {
    await this.send("RejectQualificationRequest", (c) =>
      c.send(new RejectQualificationRequestCommand({ QualificationRequestId, Reason })),
    );
    this.loaders.qualificationRequests.clearAll();
    this.changed(["qualificationRequests"]);
  }

  /** The type a write returned replaces what this request had loaded; listings of types are dropped. */
  private rememberType(type: QualificationType | undefined) {
    if (type?.QualificationTypeId)
      this.loaders.qualificationTypes.clear(type.QualificationTypeId).prime(type.QualificationTypeId, type);
    this.changed(["qualificationTypes"]);
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
    this.changed(["qualificationTypes", "qualificationRequests"]);
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
    this.loaders.qualificationScores.clearAll();
    this.changed(["qualifications"]);
  }

  async disassociateQualification(QualificationTypeId: string, WorkerId: string, Reason?: string) {
    await this.send("DisassociateQualificationFromWorker", (c) =>
      c.send(new DisassociateQualificationFromWorkerCommand({ QualificationTypeId, WorkerId, Reason })),
    );
    this.loaders.qualificationScores.clearAll();
    this.changed(["qualifications"]);
  }

  async createWorkerBlock(WorkerId: string, Reason: string) {
    await this.send("CreateWorkerBlock", (c) => c.send(new CreateWorkerBlockCommand({ WorkerId, Reason })));
    this.loaders.forgetBlocks();
    this.changed(["blocks"]);
  }

  async deleteWorkerBlock(WorkerId: string, Reason?: string) {
    await this.send("DeleteWorkerBlock", (c) => c.send(new DeleteWorkerBlockCommand({ WorkerId, Reason })));
    this.loaders.forgetBlocks();
    this.changed(["blocks"]);
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
   * CreateHIT or CreateHITWithHITType, exactly once per idempotency key: a retry that MTurk answers with
   * HitAlreadyExists is the original success, and the HIT it names is returned.
   */
  async createHIT(
    input: (CreateHITCommandInput | CreateHITWithHITTypeCommandInput) & { HITTypeId?: string },
    idempotencyKey: string,
  ): Promise<{ hitId: string; alreadyExisted: boolean }> {
    const operation = input.HITTypeId ? "CreateHITWithHITType" : "CreateHIT";
    const UniqueRequestToken = requestToken("CreateHIT", idempotencyKey);
    try {
      const r = await this.send(operation, (c) =>
        input.HITTypeId
          ? c.send(
              new CreateHITWithHITTypeCommand({ ...(input as CreateHITWithHITTypeCommandInput), UniqueRequestToken }),
            )
          : c.send(new CreateHITCommand({ ...(input as CreateHITCommandInput), UniqueRequestToken })),
      );
      const hit = r.HIT;
      const hitId = hit?.HITId as string;
      if (hit) this.loaders.hits.clear(hitId).prime(hitId, hit);
      this.changed(["hits"]);
      return { hitId, alreadyExisted: false };
    } catch (error) {
      const existing =
        error instanceof MTurkRequestFailed && error.turkErrorCode === "AWS.MechanicalTurk.HitAlreadyExists"
          ? HIT_ID_IN_MESSAGE.exec(error.message)?.[1]
          : undefined;
      if (!existing) throw error;
      this.changed(["hits"]);
      return { hitId: existing, alreadyExisted: true };
    }
  }

  /** A write whose reuse of a token MTurk answers with DuplicateRequest: that answer is the original success. */
  private async once(send: () => Promise<unknown>): Promise<{ alreadyProcessed: boolean }> {
    try {
      await send();
      return { alreadyProcessed: false };
    } catch (error) {
      if (error instanceof MTurkRequestFailed && error.turkErrorCode === "AWS.MechanicalTurk.DuplicateRequest")
        return { alreadyProcessed: true };
      throw error;
    }
  }

  async createAdditionalAssignments(HITId: string, NumberOfAdditionalAssignments: number, idempotencyKey: string) {
    const UniqueRequestToken = requestToken("CreateAdditionalAssignmentsForHIT", idempotencyKey);
    const result = await this.once(() =>
      this.send("CreateAdditionalAssignmentsForHIT", (c) =>
        c.send(
          new CreateAdditionalAssignmentsForHITCommand({ HITId, NumberOfAdditionalAssignments, UniqueRequestToken }),
        ),
      ),
    );
    this.forgetHit(HITId);
    return result;
  }

  async sendBonus(
    input: { WorkerId: string; AssignmentId: string; BonusAmount: string; Reason: string },
    idempotencyKey: string,
  ) {
    const UniqueRequestToken = requestToken("SendBonus", idempotencyKey);
    const result = await this.once(() =>
      this.send("SendBonus", (c) => c.send(new SendBonusCommand({ ...input, UniqueRequestToken }))),
    );
    this.changed(["bonuses"]);
    return result;
  }

  private forgetHit(hitId: string) {
    this.loaders.hits.clear(hitId);
    this.changed(["hits"]);
  }

  async updateExpirationForHIT(HITId: string, ExpireAt: Date) {
    await this.send("UpdateExpirationForHIT", (c) => c.send(new UpdateExpirationForHITCommand({ HITId, ExpireAt })));
    this.forgetHit(HITId);
  }

  async updateHITReviewStatus(HITId: string, Revert: boolean) {
    await this.send("UpdateHITReviewStatus", (c) => c.send(new UpdateHITReviewStatusCommand({ HITId, Revert })));
    this.forgetHit(HITId);
  }

  async updateHITTypeOfHIT(HITId: string, HITTypeId: string) {
    await this.send("UpdateHITTypeOfHIT", (c) => c.send(new UpdateHITTypeOfHITCommand({ HITId, HITTypeId })));
    this.forgetHit(HITId);
  }

  async deleteHIT(HITId: string) {
    await this.send("DeleteHIT", (c) => c.send(new DeleteHITCommand({ HITId })));
    this.forgetHit(HITId);
    this.changed(["assignments"]);
  }

  async approveAssignment(AssignmentId: string, RequesterFeedback?: string, OverrideRejection?: boolean) {
    await this.send("ApproveAssignment", (c) =>
      c.send(new ApproveAssignmentCommand({ AssignmentId, RequesterFeedback, OverrideRejection })),
    );
    this.forgetAssignment(AssignmentId);
  }

  async rejectAssignment(AssignmentId: string, RequesterFeedback: string) {
    await this.send("RejectAssignment", (c) =>
      c.send(new RejectAssignmentCommand({ AssignmentId, RequesterFeedback })),
    );
    this.forgetAssignment(AssignmentId);
  }

  private forgetAssignment(assignmentId: string) {
    this.loaders.assignments.clear(assignmentId);
    this.loaders.hits.clearAll();
    this.changed(["assignments"]);
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

/** Runs items with per-item results; concurrency is the request's upstream limit. */
export async function eachItem<I, R>(items: I[], run: (item: I, index: number) => Promise<R>) {
  return Promise.all(
    items.map(async (item, index) => {
      try {
        return { index, item, result: await run(item, index) };
      } catch (error) {
        if (error instanceof MTurkRequestFailed || error instanceof UpstreamUnavailable) return { index, item, error };
        throw error;
      }
    }),
  );
}
