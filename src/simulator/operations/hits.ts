import { alreadyProcessed, expirationIncrementError, requestError } from "../errors.js";
import { change } from "../history.js";
import type { HITRecord, HITTypeRecord } from "../model.js";
import { type Store, toCents } from "../store.js";
import {
  bool,
  entityId,
  idempotencyToken,
  int,
  list,
  maxResults,
  nextToken,
  oneOf,
  opt,
  req,
  timestamp,
} from "../validate.js";
import { filter, listed, newestFirst, operation, type Paging, page, wireHIT } from "./common.js";

import {
  checkQuestion,
  type HitInput,
  hitMembers,
  hitTypeFor,
  hitTypeMembers,
  requireFunds,
  SECONDS_IN_YEAR,
} from "./hitRules.js";

/** CreateHITWithHITType's body, shared with CreateHIT. */
function createHit(store: Store, type: HITTypeRecord, input: HitInput) {
  checkQuestion(input);
  const token = input.UniqueRequestToken;
  const earlier = store.claimRequestToken(token, "CreateHIT");
  if (earlier)
    throw requestError(
      "HitAlreadyExists",
      `There is already a HIT which exists with the same Unique Request Token. The HIT ID is ${earlier.resultId}.`,
    );
  const maxAssignments = input.MaxAssignments ?? 1;
  requireFunds(store, toCents(type.reward), maxAssignments, maxAssignments);
  const now = store.now();
  const hit: HITRecord = {
    id: store.newId(30, "3"),
    seq: store.nextSeq(),
    listedFrom: now,
    hitTypeId: type.id,
    hitGroupId: type.id.replace(/^3/, "3G").slice(0, 30),
    hitLayoutId: input.HITLayoutId,
    creationTime: now,
    question: input.Question,
    maxAssignments,
    createdMaxAssignments: maxAssignments,
    expiration: now + input.LifetimeInSeconds * 1000,
    requesterAnnotation: input.RequesterAnnotation,
    reviewing: false,
    reviewStatus: "NotReviewed",
    assignmentReviewPolicy: input.AssignmentReviewPolicy,
    hitReviewPolicy: input.HITReviewPolicy,
  };
  store.addHit(hit);
  store.recordRequestToken(token, "CreateHIT", hit.id);
  return { HIT: wireHIT(store, hit) };
}

/**
 * A page of the account's HITs that are not Disposed, as `shape` puts each on the wire. ListHITs lists them newest
 * first (a real capture, psiTurk list_hits.pickle); the order of the other HIT listings is not known.
 */
const listHits = (
  store: Store,
  operation: string,
  filterKey: unknown,
  keep: (hit: HITRecord) => boolean,
  input: Paging,
  shape: (hit: HITRecord) => unknown = (h) => wireHIT(store, h),
) => {
  const order = operation === "ListHITs" ? "newestFirst" : "oldestFirst";
  const records = order === "newestFirst" ? newestFirst(store.hits) : store.hits.values();
  const { page: hits, NextToken } = page(
    store,
    operation,
    filterKey,
    listed(store, records, (h) => h.deletedAt === undefined && keep(h)),
    input,
    order,
  );
  return { NextToken, NumResults: hits.length, HITs: hits.map(shape) };
};

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
/** Java's Date.toString in UTC ("Wed Jul 14 20:26:06 UTC 2021"), as MTurk writes ExpireAt into its token. */
function javaDate(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return `${WEEKDAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${two(d.getUTCDate())} ${time} UTC ${d.getUTCFullYear()}`;
}

const paging = opt({ NextToken: nextToken, MaxResults: maxResults });

export const hitOperations = {
  CreateHITType: operation({
    members: hitTypeMembers,
    handle: (store, input) => ({ HITTypeId: hitTypeFor(store, input).id }),
  }),

  CreateHIT: operation({
    members: { ...hitTypeMembers, ...hitMembers },
    handle: (store, input) => {
      // Checked before the HIT type is made, so a bad question leaves no stray type behind.
      checkQuestion(input);
      return createHit(store, hitTypeFor(store, input), input);
    },
  }),

  CreateHITWithHITType: operation({
    members: { ...req({ HITTypeId: entityId }), ...hitMembers },
    handle(store, input) {
      const type = store.hitTypes.get(input.HITTypeId);
      if (!type) throw requestError("HITTypeDoesNotExist", `HIT type ${input.HITTypeId} does not exist.`);
      return createHit(store, type, input);
    },
  }),

  GetHIT: operation({
    members: req({ HITId: entityId }),
    // A deleted HIT reads as Disposed for 120 days.
    handle: (store, input) => ({ HIT: wireHIT(store, store.knownHit(input.HITId)) }),
  }),

  ListHITs: operation({
    members: paging,
    handle: (store, input) => listHits(store, "ListHITs", null, () => true, input),
  }),

  ListReviewableHITs: operation({
    members: { ...opt({ HITTypeId: entityId, Status: oneOf("Reviewable", "Reviewing") }), ...paging },
    handle(store, input) {
      const status = input.Status ?? "Reviewable";
      const typeId = input.HITTypeId;
      return listHits(
        store,
        "ListReviewableHITs",
        [typeId, status],
        (h) => (typeId === undefined || h.hitTypeId === typeId) && store.hitStatus(h) === status,
        input,
        // MTurk returns only the HIT ids here (aws/aws-sdk-js#2522).
        (h) => ({ HITId: h.id }),
      );
    },
  }),

  ListHITsForQualificationType: operation({
    members: { ...req({ QualificationTypeId: entityId }), ...paging },
    handle(store, input) {
      const typeId = input.QualificationTypeId;
      if (!store.qualificationTypes.has(typeId))
        throw requestError("QualificationTypeDoesNotExist", `Qualification type ${typeId} does not exist.`);
      return listHits(
        store,
        "ListHITsForQualificationType",
        typeId,
        (h) =>
          !!store.hitTypes.get(h.hitTypeId)?.qualificationRequirements.some((r) => r.QualificationTypeId === typeId),
        input,
      );
    },
  }),

  UpdateExpirationForHIT: operation({
    members: req({ HITId: entityId, ExpireAt: timestamp }),
    handle(store, input) {
      const hit = store.liveHit(input.HITId);
      // MTurk keeps whole seconds: a fraction of ExpireAt is dropped.
      const expireAt = Math.floor(input.ExpireAt) * 1000;
      // MTurk de-duplicates on the HIT and ExpireAt (to the second) for 24 hours (Dallinger#3109).
      const token = `${hit.id}${javaDate(expireAt)}`;
      const earlier = store.claimRequestToken(token, "UpdateExpirationForHIT");
      if (earlier) throw alreadyProcessed(store.switches.duplicateError, token, earlier.resultId);
      const now = store.now();
      if (expireAt > now) {
        // The service applies an increment on the current expiration, limited to 60 s .. 1 year (aws-sdk-java#1817).
        const increment = Math.trunc((expireAt - hit.expiration) / 1000);
        if (increment < 60 || increment > SECONDS_IN_YEAR) throw expirationIncrementError(increment);
      }
      // A time in the past expires the HIT now: the only way to cancel one.
      change(hit, { expiration: expireAt > now ? expireAt : Math.min(hit.expiration, now) }, now);
      store.scheduleDisposal(hit);
      store.recordRequestToken(token, "UpdateExpirationForHIT", store.newId(36));
      return {};
    },
  }),

  UpdateHITReviewStatus: operation({
    members: { ...req({ HITId: entityId }), ...opt({ Revert: bool }) },
    handle(store, input) {
      const hit = store.liveHit(input.HITId);
      const status = store.hitStatus(hit);
      const revert = input.Revert === true;
      const expected = revert ? "Reviewing" : "Reviewable";
      if (status !== expected)
        throw requestError(
          "InvalidHITState",
          `This HIT is currently in the state '${status}'. This operation can be called with a status of: ${expected}`,
        );
      hit.reviewing = !revert;
      return {};
    },
  }),

  UpdateHITTypeOfHIT: operation({
    members: req({ HITId: entityId, HITTypeId: entityId }),
    handle(store, input) {
      const hit = store.liveHit(input.HITId);
      if (!store.hitTypes.has(input.HITTypeId))
        throw requestError("HITTypeDoesNotExist", `HIT type ${input.HITTypeId} does not exist.`);
      hit.hitTypeId = input.HITTypeId;
      return {};
    },
  }),

  CreateAdditionalAssignmentsForHIT: operation({
    members: {
      ...req({ HITId: entityId, NumberOfAdditionalAssignments: int(1, 1_000_000) }),
      ...opt({ UniqueRequestToken: idempotencyToken }),
    },
    handle(store, input) {
      const hit = store.liveHit(input.HITId);
      const token = input.UniqueRequestToken;
      const earlier = store.claimRequestToken(token, "CreateAdditionalAssignmentsForHIT");
      if (token !== undefined && earlier)
        throw alreadyProcessed(store.switches.duplicateError, token, earlier.resultId);
      const extra = input.NumberOfAdditionalAssignments;
      if (hit.createdMaxAssignments < 10 && hit.maxAssignments + extra >= 10)
        throw requestError(
          "InvalidMaximumAssignmentsIncrease",
          "This HIT was created with fewer than 10 assignments and cannot be extended to 10 or more.",
        );
      const reward = toCents(store.hitTypes.get(hit.hitTypeId)?.reward ?? "0");
      requireFunds(store, reward, extra, hit.maxAssignments + extra);
      hit.maxAssignments += extra;
      store.recordRequestToken(token, "CreateAdditionalAssignmentsForHIT", store.newId(36));
      return {};
    },
  }),

  DeleteHIT: operation({
    members: req({ HITId: entityId }),
    handle(store, input) {
      // A Disposed HIT is found, and refused as being in the state 'Disposed' (boto3#2226).
      const hit = store.knownHit(input.HITId);
      const status = store.hitStatus(hit);
      if (status !== "Reviewable" && status !== "Reviewing")
        throw requestError(
          "InvalidHITState",
          `This HIT is currently in the state '${status}'. This operation can be called with a status of: Reviewing, Reviewable`,
        );
      if (store.assignmentCounts(hit).submitted > 0)
        throw requestError(
          "InvalidHITState",
          "This HIT has assignments that are submitted and not yet approved or rejected.",
        );
      change(hit, { deletedAt: store.now() }, store.now());
      store.scheduleDisposal(hit);
      return {};
    },
  }),

  ListReviewPolicyResultsForHIT: operation({
    members: {
      ...req({ HITId: entityId }),
      ...opt({
        PolicyLevels: list(oneOf("Assignment", "HIT")),
        RetrieveActions: bool,
        RetrieveResults: bool,
      }),
      ...paging,
    },
    handle(store, input) {
      const hit = store.liveHit(input.HITId);
      const levels = input.PolicyLevels ?? ["Assignment", "HIT"];
      const { page: results, NextToken } = page(
        store,
        "ListReviewPolicyResultsForHIT",
        [hit.id, levels],
        filter(store.reviewResults, (r) => r.hitId === hit.id && levels.includes(r.level)),
        input,
      );
      const report = (level: string) => {
        const mine = results.filter((r) => r.level === level);
        return {
          ReviewResults: input.RetrieveResults === true ? mine.map((r) => r.result) : undefined,
          ReviewActions: input.RetrieveActions === true ? mine.flatMap((r) => (r.action ? [r.action] : [])) : undefined,
        };
      };
      return {
        HITId: hit.id,
        AssignmentReviewPolicy: levels.includes("Assignment") ? hit.assignmentReviewPolicy : undefined,
        HITReviewPolicy: levels.includes("HIT") ? hit.hitReviewPolicy : undefined,
        AssignmentReviewReport: levels.includes("Assignment") ? report("Assignment") : undefined,
        HITReviewReport: levels.includes("HIT") ? report("HIT") : undefined,
        NextToken,
      };
    },
  }),
};
