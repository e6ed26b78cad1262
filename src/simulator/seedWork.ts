import type { AssignmentRecord, HITRecord } from "./model.js";
import { ANSWER_PROLOG, recordKnownAnswerScore } from "./operations/common.js";
import type { Store } from "./store.js";

/** The seeded work: assignments of every status with answers, bonuses and review policy results. */

const answers = new Map<string, string>();
/** One answer document per text, shared by every assignment that gives it (a huge seed holds 200,000). */
export const answerXml = (text: string) => {
  let xml = answers.get(text);
  if (!xml) {
    xml = `${ANSWER_PROLOG}<QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"><Answer><QuestionIdentifier>q1</QuestionIdentifier><FreeText>${text}</FreeText></Answer></QuestionFormAnswers>`;
    answers.set(text, xml);
  }
  return xml;
};
export function seedAssignments(
  store: Store,
  hit: HITRecord,
  type: { assignmentDurationInSeconds: number; autoApprovalDelayInSeconds: number; reward: string },
  workerIds: string[],
  full = false,
) {
  const r = store.random;
  const now = store.now();
  const workers = new Set<string>();
  // A full HIT has all its assignments but a couple taken; otherwise any number of them.
  const n = Math.min(workerIds.length, full ? hit.maxAssignments - r.int(1, 2) : r.int(0, hit.maxAssignments));
  for (let k = 0; k < n; k += 1) {
    const workerId = r.pick(workerIds);
    if (workers.has(workerId)) continue;
    workers.add(workerId);
    const acceptTime = Math.min(now - 120_000, hit.creationTime + r.int(60, 86_400) * 1000);
    const status = seededStatus(r.next(), hit.expiration > now);
    const submitTime = Math.min(now - 60_000, acceptTime + r.int(30, type.assignmentDurationInSeconds) * 1000);
    const submitted = status === "Approved" || status === "Submitted" || status === "Rejected";
    const a: AssignmentRecord = {
      id: store.newId(30, "3"),
      seq: store.nextSeq(),
      hitId: hit.id,
      workerId,
      status,
      acceptTime,
      deadline:
        status === "Accepted"
          ? now + type.assignmentDurationInSeconds * 1000
          : acceptTime + type.assignmentDurationInSeconds * 1000,
      submitTime: submitted ? submitTime : undefined,
      // Submitted work waits for review: its auto-approval lies ahead of the seeding time.
      autoApprovalTime: submitted
        ? Math.max(submitTime + type.autoApprovalDelayInSeconds * 1000, now + 86_400_000)
        : undefined,
      approvalTime: status === "Approved" ? Math.min(now, submitTime + 3_600_000) : undefined,
      rejectionTime: status === "Rejected" ? Math.min(now, submitTime + 3_600_000) : undefined,
      answer: submitted ? answerXml(r.pick(["cat", "dog", "yes", "no", "blue"])) : undefined,
      requesterFeedback: status === "Rejected" ? "Answers did not match the instructions." : undefined,
    };
    store.addAssignment(a);
    seedBonusAndReview(store, hit, a, submitted);
  }
}

/** 40 % approved, 25 % submitted, 10 % rejected, then accepted (while the HIT lasts), returned or abandoned. */
const seededStatus = (roll: number, open: boolean): AssignmentRecord["status"] =>
  roll < 0.4
    ? "Approved"
    : roll < 0.65
      ? "Submitted"
      : roll < 0.75
        ? "Rejected"
        : roll < 0.85 && open
          ? "Accepted"
          : roll < 0.9
            ? "Returned"
            : "Abandoned";

/** A bonus for one approved assignment in five; a review policy's result for submitted work. */
function seedBonusAndReview(store: Store, hit: HITRecord, a: AssignmentRecord, submitted: boolean) {
  const r = store.random;
  if (a.status === "Approved" && r.chance(0.2)) {
    store.bonuses.push({
      seq: store.nextSeq(),
      workerId: a.workerId,
      assignmentId: a.id,
      hitId: hit.id,
      amountCents: r.int(10, 200),
      reason: "Thanks for the careful work.",
      grantTime: (a.approvalTime ?? store.now()) + 60_000,
    });
  }
  if (submitted && hit.assignmentReviewPolicy) recordKnownAnswerScore(store, hit.id, a.id, "q1", () => r.int(0, 100));
}
