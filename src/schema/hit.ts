import { type Assignment, AssignmentStatus, type HIT, type QualificationRequirement } from "@aws-sdk/client-mturk";
import type { GatewayContext } from "../context.js";
import { idOf } from "../mturk/ids.js";
import { type Scope, scopes } from "../mturk/listings.js";
import { type FetchPage, MTURK_MAX_RESULTS } from "../mturk/pagination.js";
import {
  AssignmentRef,
  assignmentListing,
  assignmentListingArgs,
  bonusPages,
  bonusPaymentsField,
} from "./assignment.js";
import { builder } from "./builder.js";
import {
  ActionsGuardedEnum,
  AssignmentStatusEnum,
  ComparatorEnum,
  dateTimeField,
  HITReviewStatusEnum,
  HITStatusEnum,
  idField,
  isEnumValue,
  LocaleRef,
  Money,
  money,
  pageOf,
  ReviewableHITStatusEnum,
  readable,
} from "./common.js";
import { listing, listingArgs, mapNodes, prefetchFirstWindow } from "./connections.js";
import { reviewableCost } from "./cost.js";
import { entityReach, mturkNodeRef } from "./entity.js";
import { qualificationTypeLink } from "./qualificationType.js";
import type { Prefetch } from "./selection.js";

export const HITRef = mturkNodeRef("HIT", "HITId", (ctx) => ctx.loaders.hits);
const QualificationRequirementRef = builder.objectRef<QualificationRequirement>("QualificationRequirement");

/** Fields answerable from a HITId alone, without GetHIT, and the links whose first page can start with the HIT. */
const HIT_ENTITY = {
  fromId: new Set(["id", "hitId", "assignments", "bonusPayments"]),
  links: {
    assignments: (id, args, ctx) =>
      prefetchFirstWindow(args, () =>
        hitAssignments(ctx, id, isStatusList(args.statuses) ? args.statuses : undefined).fetchPage(
          undefined,
          MTURK_MAX_RESULTS,
        ),
      ),
    bonusPayments: (id, args, ctx) => prefetchFirstWindow(args, () => bonusPages(ctx, { hitId: id })(undefined)),
  } satisfies Record<string, Prefetch>,
};
/** A HIT for a root field, and a link to one (GetHIT, batched). */
const hitReach = entityReach<HIT>(HITRef, HIT_ENTITY, (id) => ({ HITId: id }));
const hitOrStub = hitReach.orStub;
export const hitLink = hitReach.link;

const isStatus = isEnumValue(AssignmentStatus);
const isStatusList = (value: unknown): value is AssignmentStatus[] => Array.isArray(value) && value.every(isStatus);

/**
 * A HIT's assignments (ListAssignmentsForHIT), its statuses in one order so that equal filters share a page: the
 * prefetch and the connection ask for the same first page.
 */
function hitAssignments(ctx: GatewayContext, hitId: string, statuses: AssignmentStatus[] | null | undefined) {
  const sorted = statuses?.length ? [...statuses].sort() : undefined;
  const fetchPage: FetchPage<Assignment> = (token, size) =>
    ctx.loaders.listAssignmentsForHITPage(hitId, sorted, token, size);
  return { scope: scopes.assignments(hitId, sorted), fetchPage };
}

HITRef.implement({
  ...readable,
  description:
    "A HIT (MTurk's HIT), fetched with GetHIT and listed by ListHITs, ListReviewableHITs and ListHITsForQualificationType.",
  fields: (t) => ({
    hitId: idField(t, "HITId"),
    hitTypeId: t.exposeString("HITTypeId", {
      description: "The HIT type (HITTypeId): the shared title, reward and requirements.",
    }),
    hitGroupId: t.exposeString("HITGroupId", { description: "The group workers see the HIT in (HITGroupId)." }),
    hitLayoutId: t.exposeString("HITLayoutId", {
      description: "The layout the question came from (HITLayoutId), if any.",
    }),
    creationTime: dateTimeField(t, "CreationTime", "When the HIT was created (CreationTime)."),
    title: t.exposeString("Title", { description: "The HIT's Title." }),
    description: t.exposeString("Description", { description: "The HIT's Description." }),
    question: t.exposeString("Question", {
      description: "The Question XML (QuestionForm, ExternalQuestion or HTMLQuestion).",
    }),
    keywords: t.exposeString("Keywords", { description: "Comma-separated Keywords." }),
    status: t.expose("HITStatus", { type: HITStatusEnum, description: "The HITStatus." }),
    maxAssignments: t.exposeInt("MaxAssignments", { description: "How many workers may work on it (MaxAssignments)." }),
    reward: t.field({
      type: Money,
      description: "What each approved assignment pays (Reward), with the legacy FormattedPrice.",
      resolve: (h) => money(h.Reward),
    }),
    autoApprovalDelayInSeconds: t.exposeInt("AutoApprovalDelayInSeconds", {
      description: "Seconds after submission until MTurk approves automatically (AutoApprovalDelayInSeconds).",
    }),
    expiration: dateTimeField(t, "Expiration", "When the HIT stops being available (Expiration)."),
    assignmentDurationInSeconds: t.exposeInt("AssignmentDurationInSeconds", {
      description: "Seconds a worker has to finish (AssignmentDurationInSeconds).",
    }),
    requesterAnnotation: t.exposeString("RequesterAnnotation", {
      description: "The requester's private note (RequesterAnnotation).",
    }),
    qualificationRequirements: t.field({
      type: [QualificationRequirementRef],
      description: "What a worker must hold to work on it (QualificationRequirements), each with its type linked.",
      resolve: (h) => h.QualificationRequirements ?? [],
    }),
    reviewStatus: t.expose("HITReviewStatus", {
      type: HITReviewStatusEnum,
      description: "The HITReviewStatus.",
    }),
    numberOfAssignmentsPending: t.exposeInt("NumberOfAssignmentsPending", {
      description: "Assignments accepted and being worked on (NumberOfAssignmentsPending).",
    }),
    numberOfAssignmentsAvailable: t.exposeInt("NumberOfAssignmentsAvailable", {
      description: "Assignments still open to workers (NumberOfAssignmentsAvailable).",
    }),
    numberOfAssignmentsCompleted: t.exposeInt("NumberOfAssignmentsCompleted", {
      description: "Assignments approved or rejected (NumberOfAssignmentsCompleted).",
    }),
  }),
});

/** A HIT's links: its assignments and bonuses. */
builder.objectFields(HITRef, (t) => ({
  assignments: t.connection(
    {
      type: AssignmentRef,
      description: "Submitted, approved and rejected assignments of this HIT (ListAssignmentsForHIT).",
      args: {
        statuses: t.arg({
          type: [AssignmentStatusEnum],
          description: "Only assignments in these statuses (AssignmentStatuses); all three by default.",
        }),
        ...assignmentListingArgs,
      },
      resolve: (hit, args, ctx) => {
        const { scope, fetchPage } = hitAssignments(ctx, idOf(hit, "HITId"), args.statuses);
        return assignmentListing(ctx, args, scope, fetchPage);
      },
    },
    ...pageOf("assignments"),
  ),
  bonusPayments: bonusPaymentsField(
    t,
    "Bonuses paid for this HIT's assignments (ListBonusPayments with HITId).",
    (hit) => ({
      hitId: idOf(hit, "HITId"),
    }),
  ),
}));

QualificationRequirementRef.implement({
  ...readable,
  description: "A requirement a worker must meet for a HIT (MTurk's QualificationRequirement).",
  fields: (t) => ({
    qualificationTypeId: t.exposeString("QualificationTypeId", {
      description: "The required type's id (system or custom).",
    }),
    comparator: t.expose("Comparator", {
      type: ComparatorEnum,
      description: "How the worker's value is compared (Comparator).",
    }),
    integerValues: t.exposeIntList("IntegerValues", { description: "The values compared against (IntegerValues)." }),
    localeValues: t.expose("LocaleValues", {
      type: [LocaleRef],
      description: "Locales compared against (LocaleValues).",
    }),
    requiredToPreview: t.exposeBoolean("RequiredToPreview", {
      description: "Deprecated by MTurk in favour of actionsGuarded.",
    }),
    actionsGuarded: t.expose("ActionsGuarded", {
      type: ActionsGuardedEnum,
      description: "What a worker without it cannot do (ActionsGuarded).",
    }),
    qualificationType: qualificationTypeLink(
      t,
      "The required type (GetQualificationType, batched; system types resolve too).",
      (r) => idOf(r, "QualificationTypeId"),
    ),
  }),
});

const hitOrderArgs = listingArgs(
  "HIT",
  {
    CREATION_TIME: "When the HIT was created.",
    EXPIRATION: "When the HIT expires.",
    TITLE: "The title (case-insensitive).",
    REWARD: "The reward per assignment.",
  },
  { page: true },
);

const HITFilter = builder.inputType("HITFilter", {
  description: "Filters MTurk cannot apply upstream; the gateway applies them in its mirror of the account.",
  fields: (t) => ({
    statuses: t.field({ type: [HITStatusEnum], description: "Only HITs in one of these HITStatus values." }),
    reviewStatuses: t.field({
      type: [HITReviewStatusEnum],
      description: "Only HITs in one of these HITReviewStatus values.",
    }),
  }),
});

/** Ordering, page and filter arguments of every HIT connection. */
export const hitListingArgs = builder.args((t) => ({
  ...hitOrderArgs,
  filter: t.field({ type: HITFilter, description: "Status and review-status filters." }),
}));

/** A HIT connection over one of MTurk's HIT listings. */
export function hitListing(
  ctx: GatewayContext,
  args: Parameters<typeof listing>[1] & {
    filter?: { statuses?: string[] | null; reviewStatuses?: string[] | null } | null;
  },
  scope: Scope,
  fetchPage: FetchPage<HIT>,
) {
  return listing<HIT>(ctx, args, { scope, fetchPage, filter: args.filter });
}

builder.queryFields((t) => ({
  hit: t.field({
    type: HITRef,
    description: "One HIT by HITId (GetHIT); null with a NOT_FOUND error when it does not exist or was deleted.",
    args: { hitId: t.arg.string({ required: true, description: "MTurk's HITId." }) },
    resolve: (_root, args, ctx, info) => hitOrStub(info, ctx, args.hitId),
  }),
  hits: t.connection(
    {
      type: HITRef,
      description: "All the requester's HITs but deleted ones (ListHITs).",
      args: hitListingArgs,
      resolve: (_root, args, ctx) =>
        hitListing(ctx, args, scopes.hits(), (token, size) => ctx.loaders.listHITsPage(token, size)),
    },
    ...pageOf("HITs"),
  ),
  reviewableHits: t.connection(
    {
      type: HITRef,
      description: "HITs that are Reviewable (default) or Reviewing, optionally of one HIT type (ListReviewableHITs).",
      args: {
        hitTypeId: t.arg.string({ description: "Only HITs of this HIT type (HITTypeId)." }),
        status: t.arg({ type: ReviewableHITStatusEnum, description: "Reviewable (default) or Reviewing (Status)." }),
        ...hitListingArgs,
      },
      complexity: reviewableCost,
      resolve: async (_root, args, ctx) => {
        const filter = {
          hitTypeId: args.hitTypeId ?? undefined,
          status: args.status ?? undefined,
        };
        // MTurk lists reviewable HITs as ids only: a walk's edges load theirs (GetHIT, batched) when their fields
        // are asked for; sorted and filtered pages come whole from the mirror.
        const connection = await hitListing(ctx, args, scopes.reviewableHits(filter), (token, size) =>
          ctx.loaders.listReviewableHITsPage(filter, token, size),
        );
        return mapNodes(connection, (hit): HIT | string => (hit.HITStatus === undefined ? idOf(hit, "HITId") : hit));
      },
    },
    ...pageOf("HITs"),
  ),
}));
