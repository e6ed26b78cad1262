import { requestError } from "./errors.js";
import type { AssignmentRecord } from "./model.js";
import { ANSWER_PROLOG, mturkAnswerXml } from "./operations/common.js";
import type { Store } from "./store.js";

/**
 * The worker side in bulk, for exports and benchmarks: `count` new workers each submit an assignment of a HIT, as
 * if each had accepted and submitted it (POST /_simulator/hits/:id/submissions {count, answers?}). Answers are
 * cycled from `answers`, or numbered free-text answers to q1 and q2. Records are made directly: a HIT with
 * 100,000 assignments must not take the quadratic path of one accept (which checks the HIT's assignments) each.
 */
export function bulkSubmissions(store: Store, hitId: string, count: number, answers?: string[]) {
  store.tick();
  const hit = store.liveHit(hitId);
  const counts = store.assignmentCounts(hit);
  if (!Number.isInteger(count) || count < 1 || count > counts.available)
    throw requestError("HITNotAssignable", `HIT ${hitId} has ${counts.available} assignments available.`);
  const type = store.hitTypes.get(hit.hitTypeId);
  const now = store.now();
  const ids: string[] = [];
  const given = answers?.map(mturkAnswerXml);
  for (let i = 0; i < count; i += 1) {
    const workerId = store.newId(14, "A");
    store.workers.set(workerId, { id: workerId, locale: { Country: "US" }, adult: true });
    const acceptTime = now - 60_000;
    const a: AssignmentRecord = {
      id: store.assignmentIdFor(hit.id),
      seq: store.nextSeq(),
      listedFrom: now,
      hitId: hit.id,
      workerId,
      status: "Submitted",
      acceptTime,
      deadline: acceptTime + (type?.assignmentDurationInSeconds ?? 3600) * 1000,
      submitTime: now,
      autoApprovalTime: now + (type?.autoApprovalDelayInSeconds ?? 2_592_000) * 1000,
      answer: given?.length ? given[i % given.length] : numberedAnswer(i),
    };
    store.addAssignment(a);
    ids.push(a.id);
  }
  return { hitId, submitted: count, firstAssignmentId: ids[0], lastAssignmentId: ids.at(-1) };
}

const numberedAnswer = (i: number) =>
  `${ANSWER_PROLOG}<QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"><Answer><QuestionIdentifier>q1</QuestionIdentifier><FreeText>answer ${i}</FreeText></Answer><Answer><QuestionIdentifier>q2</QuestionIdentifier><SelectionIdentifier>${i % 2 ? "yes" : "no"}</SelectionIdentifier></Answer></QuestionFormAnswers>`;
