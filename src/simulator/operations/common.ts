import type {
  AssignmentRecord,
  HITRecord,
  QualificationRecord,
  QualificationRequestRecord,
  QualificationTypeRecord,
} from "../model.js";
import type { Store } from "../store.js";
import type { Members } from "../validate.js";

/** What an operation handler sees: the account state and the validated input. */
export type Input = Record<string, unknown>;
export interface Operation {
  members: Members;
  handle(store: Store, input: Input, context: { baseUrl: string }): unknown;
}
export type OperationTable = Record<string, Operation>;

/** Epoch seconds, as MTurk puts timestamps on the wire. */
export const wireTime = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

/**
 * One page of a keyset scan. Items are listed in sequence order and the token records the last sequence number
 * returned, so a scan never skips or repeats an item, even when items are added or removed while it runs.
 */
export function page<T extends { seq: number }>(
  store: Store,
  operation: string,
  filter: unknown,
  items: Iterable<T>,
  input: Input,
): { page: T[]; NextToken?: string } {
  const filterKey = JSON.stringify(filter ?? null);
  const afterSeq = typeof input.NextToken === "string" ? store.openToken(input.NextToken, operation, filterKey) : 0;
  // The 2017 API does not document a default page size; the legacy API's was 10.
  const size = typeof input.MaxResults === "number" ? input.MaxResults : 10;
  const result: T[] = [];
  let more = false;
  for (const item of items) {
    if (item.seq <= afterSeq) continue;
    if (result.length === size) {
      more = true;
      break;
    }
    result.push(item);
  }
  const last = result.at(-1);
  return more && last
    ? { page: result, NextToken: store.sealToken({ operation, filter: filterKey, afterSeq: last.seq }) }
    : { page: result };
}

export function wireHIT(store: Store, hit: HITRecord) {
  const type = store.hitTypes.get(hit.hitTypeId);
  const counts = store.assignmentCounts(hit);
  return {
    HITId: hit.id,
    HITTypeId: hit.hitTypeId,
    HITGroupId: hit.hitGroupId,
    HITLayoutId: hit.hitLayoutId,
    CreationTime: wireTime(hit.creationTime),
    Title: type?.title,
    Description: type?.description,
    Question: hit.question,
    Keywords: type?.keywords,
    HITStatus: store.hitStatus(hit),
    MaxAssignments: hit.maxAssignments,
    Reward: type?.reward,
    AutoApprovalDelayInSeconds: type?.autoApprovalDelayInSeconds,
    Expiration: wireTime(hit.expiration),
    AssignmentDurationInSeconds: type?.assignmentDurationInSeconds,
    RequesterAnnotation: hit.requesterAnnotation,
    QualificationRequirements: type?.qualificationRequirements ?? [],
    HITReviewStatus: hit.reviewStatus,
    NumberOfAssignmentsPending: counts.pending,
    NumberOfAssignmentsAvailable: counts.available,
    NumberOfAssignmentsCompleted: counts.completed,
  };
}

export const wireAssignment = (a: AssignmentRecord) => ({
  AssignmentId: a.id,
  WorkerId: a.workerId,
  HITId: a.hitId,
  AssignmentStatus: a.status,
  AutoApprovalTime: wireTime(a.autoApprovalTime),
  AcceptTime: wireTime(a.acceptTime),
  SubmitTime: wireTime(a.submitTime),
  ApprovalTime: wireTime(a.approvalTime),
  RejectionTime: wireTime(a.rejectionTime),
  Deadline: wireTime(a.deadline),
  Answer: a.answer,
  RequesterFeedback: a.requesterFeedback,
});

export const wireQualificationType = (t: QualificationTypeRecord) => ({
  QualificationTypeId: t.id,
  CreationTime: wireTime(t.creationTime),
  Name: t.name,
  Description: t.description,
  Keywords: t.keywords,
  QualificationTypeStatus: t.status,
  Test: t.test,
  TestDurationInSeconds: t.testDurationInSeconds,
  // Only the owner sees the answer key.
  AnswerKey: t.owner === "caller" ? t.answerKey : undefined,
  RetryDelayInSeconds: t.retryDelayInSeconds,
  IsRequestable: t.owner !== "system" && t.status === "Active",
  AutoGranted: t.autoGranted,
  AutoGrantedValue: t.autoGranted ? (t.autoGrantedValue ?? 1) : undefined,
});

export const wireQualification = (q: QualificationRecord) => ({
  QualificationTypeId: q.typeId,
  WorkerId: q.workerId,
  GrantTime: wireTime(q.grantTime),
  IntegerValue: q.integerValue,
  LocaleValue: q.localeValue,
  Status: q.status,
});

export const wireQualificationRequest = (r: QualificationRequestRecord) => ({
  QualificationRequestId: r.id,
  QualificationTypeId: r.typeId,
  WorkerId: r.workerId,
  Test: r.test,
  Answer: r.answer,
  SubmitTime: wireTime(r.submitTime),
});

export const qualificationKey = (typeId: string, workerId: string) => `${typeId}|${workerId}`;

export function* filter<T>(items: Iterable<T>, keep: (item: T) => boolean): Iterable<T> {
  for (const item of items) if (keep(item)) yield item;
}
