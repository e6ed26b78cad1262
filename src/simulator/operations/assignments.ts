import { requestError } from "../errors.js";
import { change } from "../history.js";
import {
  type AssignmentRecord,
  type QualificationRequirementInput,
  qualificationKey,
  type WorkerRecord,
} from "../model.js";
import { DAY_MS, type Store } from "../store.js";
import { bool, entityId, list, maxResults, nextToken, oneOf, opt, req, str } from "../validate.js";
import { listed, mturkAnswerXml, operation, page, recordKnownAnswerScore, wireAssignment, wireHIT } from "./common.js";
import { SYSTEM_LOCALE_TYPE_ID } from "./hitRules.js";

const SUBMITTED_STATES = ["Submitted", "Approved", "Rejected"] as const;
const SUBMITTED = new Set<string>(SUBMITTED_STATES);

/** An assignment the requester can see: submitted at least once, on a HIT that still exists. */
function visibleAssignment(store: Store, assignmentId: string): AssignmentRecord {
  store.tick();
  const a = store.assignments.get(assignmentId);
  const hit = a && store.hits.get(a.hitId);
  if (!a || !hit || hit.deletedAt !== undefined || !SUBMITTED.has(a.status))
    throw requestError("AssignmentDoesNotExist", `Assignment ${assignmentId} does not exist.`);
  return a;
}

const invalidState = (a: AssignmentRecord, allowed: string) =>
  requestError(
    "InvalidAssignmentState",
    `This operation can be called with a status of: ${allowed} (assignment ${a.id} is ${a.status})`,
  );

/** The value a system qualification has for a worker, or the worker's own Qualification of a custom type. */
function workerValue(store: Store, worker: WorkerRecord, typeId: string) {
  switch (typeId) {
    case SYSTEM_LOCALE_TYPE_ID:
      return { locale: worker.locale };
    case "00000000000000000060":
      return { integer: worker.adult ? 1 : 0 };
    case "000000000000000000L0":
    case "00000000000000000040": {
      const mine = [...store.assignments.values()].filter((a) => a.workerId === worker.id);
      const approved = mine.filter((a) => a.status === "Approved").length;
      const decided = approved + mine.filter((a) => a.status === "Rejected").length;
      return {
        integer: typeId === "00000000000000000040" ? approved : decided ? Math.round((approved / decided) * 100) : 100,
      };
    }
    default: {
      const q = store.qualifications.get(qualificationKey(typeId, worker.id));
      return q?.status === "Granted" ? { integer: q.integerValue ?? 1 } : undefined;
    }
  }
}

/** Whether a worker meets one QualificationRequirement. */
function meetsRequirement(store: Store, worker: WorkerRecord, r: QualificationRequirementInput): boolean {
  const value = workerValue(store, worker, r.QualificationTypeId);
  if (r.Comparator === "Exists") return value !== undefined;
  if (r.Comparator === "DoesNotExist") return value === undefined;
  if (!value) return false;
  if (value.locale) {
    const matches = (r.LocaleValues ?? []).some(
      (l) => l.Country === value.locale.Country && (!l.Subdivision || l.Subdivision === value.locale.Subdivision),
    );
    return r.Comparator === "EqualTo" || r.Comparator === "In" ? matches : !matches;
  }
  const v = value.integer ?? 0;
  const ints = r.IntegerValues ?? [];
  const first = ints[0] ?? 0;
  switch (r.Comparator) {
    case "LessThan":
      return v < first;
    case "LessThanOrEqualTo":
      return v <= first;
    case "GreaterThan":
      return v > first;
    case "GreaterThanOrEqualTo":
      return v >= first;
    case "EqualTo":
      return v === first;
    case "NotEqualTo":
      return v !== first;
    case "In":
      return ints.includes(v);
    default:
      return !ints.includes(v);
  }
}

/** The worker side: a worker accepts a HIT, which opens an assignment with a deadline. */
export function workerAcceptsHit(store: Store, hitId: string, workerId: string): AssignmentRecord {
  store.tick();
  const worker = store.knownWorker(workerId);
  const hit = store.liveHit(hitId);
  if (store.hitStatus(hit) !== "Assignable") throw requestError("HITNotAssignable", `HIT ${hitId} is not assignable.`);
  if (store.blocks.has(workerId)) throw requestError("WorkerBlocked", "The worker is blocked by this requester.");
  if ((store.assignmentsByHit.get(hit.id) ?? []).some((a) => a.workerId === workerId && a.status !== "Returned"))
    throw requestError("AssignmentAlreadyExists", "The worker already worked on this HIT.");
  const type = store.hitTypes.get(hit.hitTypeId);
  for (const r of type?.qualificationRequirements ?? [])
    if (!meetsRequirement(store, worker, r))
      throw requestError("QualificationRequirementNotMet", `The worker does not meet ${r.QualificationTypeId}.`);
  const now = store.now();
  const assignment: AssignmentRecord = {
    // A returned or abandoned assignment's id goes to the next worker (psiTurk#184, breadboard#202).
    id: store.assignmentIdFor(hit.id),
    seq: store.nextSeq(),
    hitId: hit.id,
    workerId,
    status: "Accepted",
    acceptTime: now,
    deadline: now + (type?.assignmentDurationInSeconds ?? 3600) * 1000,
  };
  store.addAssignment(assignment);
  return assignment;
}

function openAssignment(store: Store, assignmentId: string): AssignmentRecord {
  store.tick();
  const a = store.assignments.get(assignmentId);
  if (!a) throw requestError("AssignmentDoesNotExist", `Assignment ${assignmentId} does not exist.`);
  if (a.status !== "Accepted") throw invalidState(a, "Accepted");
  return a;
}

/** The worker side: submit answers; auto-approval is scheduled and an assignment review policy records a result. */
export function workerSubmitsAssignment(store: Store, assignmentId: string, answer: string): AssignmentRecord {
  const a = openAssignment(store, assignmentId);
  const hit = store.liveHit(a.hitId);
  const now = store.now();
  const delay = store.hitTypes.get(hit.hitTypeId)?.autoApprovalDelayInSeconds ?? 0;
  change(
    a,
    { status: "Submitted", submitTime: now, answer: mturkAnswerXml(answer), autoApprovalTime: now + delay * 1000 },
    now,
  );
  store.watchDeadline(a);
  if (hit.assignmentReviewPolicy) recordKnownAnswerScore(store, hit.id, a.id, "Q1", () => answer.length % 101);
  return a;
}

/** The worker side: return (gives the slot back) or abandon (lets the deadline pass) an accepted assignment. */
export function workerLeavesAssignment(store: Store, assignmentId: string, how: "Returned" | "Abandoned") {
  const a = openAssignment(store, assignmentId);
  change(a, { status: how }, store.now());
  store.watchDeadline(a);
  store.releaseAssignmentId(a);
  return a;
}

export const assignmentOperations = {
  GetAssignment: operation({
    members: req({ AssignmentId: entityId }),
    handle(store, input) {
      const a = visibleAssignment(store, input.AssignmentId);
      return { Assignment: wireAssignment(a), HIT: wireHIT(store, store.liveHit(a.hitId)) };
    },
  }),

  ListAssignmentsForHIT: operation({
    members: {
      ...req({ HITId: entityId }),
      ...opt({ NextToken: nextToken, MaxResults: maxResults, AssignmentStatuses: list(oneOf(...SUBMITTED_STATES)) }),
    },
    handle(store, input) {
      store.tick();
      const hit = store.liveHit(input.HITId);
      const statuses: readonly string[] = input.AssignmentStatuses ?? SUBMITTED_STATES;
      const { page: assignments, NextToken } = page(
        store,
        "ListAssignmentsForHIT",
        [hit.id, [...statuses].sort()],
        listed(store, store.assignmentsByHit.get(hit.id) ?? [], (a) => statuses.includes(a.status)),
        input,
      );
      return { NextToken, NumResults: assignments.length, Assignments: assignments.map(wireAssignment) };
    },
  }),

  ApproveAssignment: operation({
    members: {
      ...req({ AssignmentId: entityId }),
      ...opt({ RequesterFeedback: str({ max: 1024 }), OverrideRejection: bool }),
    },
    handle(store, input) {
      const a = visibleAssignment(store, input.AssignmentId);
      const overriding = input.OverrideRejection === true && a.status === "Rejected";
      if (a.status !== "Submitted" && !overriding) throw invalidState(a, "Submitted");
      if (overriding && store.now() - (a.submitTime ?? 0) > 30 * DAY_MS)
        throw requestError(
          "InvalidAssignmentState",
          "A rejection can be overridden only within 30 days of submission.",
        );
      store.approve(a, store.now(), input.RequesterFeedback);
      return {};
    },
  }),

  RejectAssignment: operation({
    members: req({ AssignmentId: entityId, RequesterFeedback: str({ max: 1024 }) }),
    handle(store, input) {
      const a = visibleAssignment(store, input.AssignmentId);
      if (a.status !== "Submitted") throw invalidState(a, "Submitted");
      const now = store.now();
      change(a, { status: "Rejected", rejectionTime: now, requesterFeedback: input.RequesterFeedback }, now);
      store.watchDeadline(a);
      return {};
    },
  }),

  GetFileUploadURL: operation({
    members: req({ AssignmentId: entityId, QuestionIdentifier: str({ min: 1 }) }),
    handle(store, input, { baseUrl }) {
      const a = visibleAssignment(store, input.AssignmentId);
      const expires = Math.floor(store.now() / 1000) + 60;
      return {
        FileUploadURL: `${baseUrl}/_simulator/files/${a.id}/${encodeURIComponent(input.QuestionIdentifier)}?Expires=${expires}`,
      };
    },
  }),
};
