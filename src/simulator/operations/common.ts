import { type Tracked, viewAt } from "../history.js";
import type {
  AssignmentRecord,
  HITRecord,
  QualificationRecord,
  QualificationRequestRecord,
  QualificationRequirementInput,
  QualificationTypeRecord,
} from "../model.js";
import type { Store } from "../store.js";
import type { Cursor } from "../tokens.js";
import type { InputOf, Members } from "../validate.js";

/** An operation: its model members, and its handler, which sees the account state and the input they validated. */
interface Operation<M extends Members = Members> {
  members: M;
  handle(store: Store, input: InputOf<M>, context: { baseUrl: string }): unknown;
}
/** One operation, its handler's input typed by its members. */
export const operation = <M extends Members>(op: Operation<M>) => op;
export type OperationTable = Record<string, Operation>;
/** The paging members of a List operation. */
export interface Paging {
  NextToken?: string;
  MaxResults?: number;
}

/** Epoch seconds, as MTurk puts timestamps on the wire: whole seconds (an ExpireAt sent with a fraction loses it). */
export const wireTime = (ms: number | undefined) => (ms === undefined ? undefined : Math.floor(ms / 1000));

/**
 * One page of a List operation, the single place where paging is decided. Items come in sequence (creation)
 * order, or newest first (`order`, as ListHITs). The NextToken seals the walk's position in the mode of the
 * `paging` switch when the walk started, so flipping the switch mid-walk does not break a walk under way:
 * - keyset: the last sequence number returned; a walk never skips or repeats, whatever is added or removed;
 * - offset: the next absolute offset in the current list; removals before it shift the next page (and, newest
 *   first, so do additions: a new item repeats the previous page's last one);
 * - page: the next page number, read with the MaxResults of the call that uses it.
 * With `tokenOnLastPage` the last non-empty page also carries a token; an empty page never does.
 */
export function page<T extends { seq: number }>(
  store: Store,
  operation: string,
  filter: unknown,
  items: Iterable<T>,
  input: Paging,
  order: "oldestFirst" | "newestFirst" = "oldestFirst",
): { page: T[]; NextToken?: string } {
  const scope = store.tokens.scope(operation, filter);
  const newest = order === "newestFirst";
  const cursor: Cursor =
    typeof input.NextToken === "string"
      ? store.tokens.open(input.NextToken, scope, operation)
      : {
          mode: store.switches.paging,
          at: newest && store.switches.paging === "keyset" ? Number.POSITIVE_INFINITY : 0,
        };
  // Documented sample responses show 10 results when MaxResults is omitted.
  const size = typeof input.MaxResults === "number" ? input.MaxResults : 10;
  const skip = cursor.mode === "offset" ? cursor.at : cursor.mode === "page" ? cursor.at * size : 0;
  const result: T[] = [];
  let more = false;
  let index = 0;
  for (const item of items) {
    if (cursor.mode === "keyset" ? (newest ? item.seq >= cursor.at : item.seq <= cursor.at) : index++ < skip) continue;
    if (result.length === size) {
      more = true;
      break;
    }
    result.push(item);
  }
  const last = result.at(-1);
  if (!last || (!more && !store.switches.tokenOnLastPage)) return { page: result };
  const next = cursor.mode === "keyset" ? last.seq : cursor.mode === "offset" ? skip + result.length : cursor.at + 1;
  return { page: result, NextToken: store.tokens.seal(scope, { mode: cursor.mode, at: next }) };
}

/**
 * The records a List operation sees: with the listLagSeconds switch, each as it was that many seconds ago (not
 * yet created ones left out); Get operations read the records themselves.
 */
export function* listed<T extends Tracked<T>>(
  store: Store,
  records: Iterable<T>,
  keep: (record: T) => boolean = () => true,
): Iterable<T> {
  const lag = store.switches.listLagSeconds;
  if (lag <= 0) {
    yield* filter(records, keep);
    return;
  }
  const cutoff = store.now() - lag * 1000;
  for (const record of records) {
    const view = viewAt(record, cutoff);
    if (view && keep(view)) yield view;
  }
}

/** MTurk echoes a requirement with ActionsGuarded "Accept" and RequiredToPreview false when neither was sent. */
function wireRequirement(r: QualificationRequirementInput): QualificationRequirementInput {
  if (r.ActionsGuarded === undefined && r.RequiredToPreview === undefined)
    return { ...r, ActionsGuarded: "Accept", RequiredToPreview: false };
  if (r.RequiredToPreview === undefined) return { ...r, RequiredToPreview: false };
  return r;
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
    QualificationRequirements: (type?.qualificationRequirements ?? []).map(wireRequirement),
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

/** The prolog of every Answer MTurk returns (psiTurk's captured replies). */
export const ANSWER_PROLOG = '<?xml version="1.0" encoding="ASCII"?>';
const escapeText = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * Answer XML as MTurk returns it: its own prolog, and in ASCII, every other character as a numeric character
 * reference (`&#233;`, one per code point). CDATA sections become character data first: ASCII cannot hold them.
 */
export function mturkAnswerXml(xml: string): string {
  if (!xml.trim()) return xml;
  const body = xml
    .replace(/^\s*<\?xml[^>]*\?>/, "")
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, (_, text: string) => escapeText(text))
    .replace(/[\u{80}-\u{10FFFF}]/gu, (c) => `&#${c.codePointAt(0)};`);
  return `${ANSWER_PROLOG}${body}`;
}

/** A review policy's synthetic result for a submitted assignment: a known-answer score (drawn after its id). */
export function recordKnownAnswerScore(
  store: Store,
  hitId: string,
  assignmentId: string,
  questionId: string,
  score: () => number,
) {
  store.reviewResults.push({
    seq: store.nextSeq(),
    hitId,
    level: "Assignment",
    result: {
      ActionId: store.newId(30),
      SubjectId: assignmentId,
      SubjectType: "Assignment",
      QuestionId: questionId,
      Key: "KnownAnswerScore",
      Value: String(score()),
    },
  });
}

export function* filter<T>(items: Iterable<T>, keep: (item: T) => boolean): Iterable<T> {
  for (const item of items) if (keep(item)) yield item;
}

/** Records of a map in reverse insertion (creation) order. */
export function* newestFirst<T>(records: Map<string, T>): Iterable<T> {
  yield* [...records.values()].reverse();
}
