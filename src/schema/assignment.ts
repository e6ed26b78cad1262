import type { Assignment, BonusPayment } from "@aws-sdk/client-mturk";
import { z } from "zod";
import type { GatewayContext } from "../context.js";
import { fileUploadUrl } from "../mturk/fileUploads.js";
import { idOf } from "../mturk/ids.js";
import { type Scope, scopes } from "../mturk/listings.js";
import { type FetchPage, MTURK_MAX_RESULTS } from "../mturk/pagination.js";
import { builder } from "./builder.js";
import { AssignmentStatusEnum, dateTimeField, idField, Money, money, pageOf, readable } from "./common.js";
import { listing, listingArgs, prefetchFirstWindow } from "./connections.js";
import { entityReach, mturkNodeRef } from "./entity.js";
import { hitLink } from "./hit.js";
import type { Types } from "./mutation.js";
import type { Prefetch } from "./selection.js";
import { workerLink } from "./worker.js";

export const AssignmentRef = mturkNodeRef("Assignment", "AssignmentId", (ctx) => ctx.loaders.assignments);
export const BonusPaymentRef = builder.objectRef<BonusPayment>("BonusPayment");

/** Fields answerable from an AssignmentId alone, without GetAssignment. */
const ASSIGNMENT = {
  fromId: new Set(["id", "assignmentId", "bonusPayments", "fileUploadUrl"]),
  links: {
    bonusPayments: (id, args, ctx) => prefetchFirstWindow(args, () => bonusPages(ctx, { assignmentId: id })(undefined)),
  } satisfies Record<string, Prefetch>,
};
/** An assignment for a root field, and a link to one (GetAssignment, batched). */
const assignmentReach = entityReach<Assignment>(AssignmentRef, ASSIGNMENT, (id) => ({ AssignmentId: id }));
const assignmentOrStub = assignmentReach.orStub;
export const assignmentLink = assignmentReach.link;

AssignmentRef.implement({
  ...readable,
  description:
    "A worker's work on a HIT (MTurk's Assignment), fetched with GetAssignment and listed by ListAssignmentsForHIT.",
  fields: (t) => ({
    assignmentId: idField(t, "AssignmentId"),
    workerId: t.exposeString("WorkerId", { description: "The worker's id." }),
    hitId: t.exposeString("HITId", { description: "The HIT's id." }),
    status: t.expose("AssignmentStatus", {
      type: AssignmentStatusEnum,
      description: "Submitted, Approved or Rejected (AssignmentStatus).",
    }),
    autoApprovalTime: dateTimeField(
      t,
      "AutoApprovalTime",
      "When MTurk approves it unless reviewed first (AutoApprovalTime).",
    ),
    acceptTime: dateTimeField(t, "AcceptTime", "When the worker accepted the HIT (AcceptTime)."),
    submitTime: dateTimeField(t, "SubmitTime", "When the worker submitted (SubmitTime)."),
    approvalTime: dateTimeField(t, "ApprovalTime", "When it was approved (ApprovalTime)."),
    rejectionTime: dateTimeField(t, "RejectionTime", "When it was rejected (RejectionTime)."),
    deadline: dateTimeField(t, "Deadline", "When the worker's time runs out (Deadline)."),
    answer: t.exposeString("Answer", { description: "The worker's answers as QuestionFormAnswers XML (Answer)." }),
    fileUploadUrl: t.string({
      description:
        "A temporary URL (valid 60 s, MTurk says) of the file the worker uploaded for a FileUploadAnswer question (GetFileUploadURL, one call each time it is read; MTurk marks the operation pending deprecation).",
      args: {
        questionIdentifier: t.arg.string({
          required: true,
          description: "The QuestionIdentifier of the FileUploadAnswer (the answer with an uploadedFileKey).",
          validate: z.string().min(1),
        }),
      },
      // One GetFileUploadURL, as a Get.
      complexity: 1,
      resolve: (a, args, ctx) => fileUploadUrl(ctx.loaders.upstream, idOf(a, "AssignmentId"), args.questionIdentifier),
    }),
    requesterFeedback: t.exposeString("RequesterFeedback", {
      description: "The feedback given on review (RequesterFeedback).",
    }),
    worker: workerLink(t, "The worker who did it.", (a) => idOf(a, "WorkerId")),
    hit: hitLink(t, "The HIT (GetHIT, batched; free when the HIT was already read in this request).", (a) =>
      idOf(a, "HITId"),
    ),
    bonusPayments: bonusPaymentsField(
      t,
      "Bonuses paid for this assignment (ListBonusPayments with AssignmentId).",
      (a) => ({
        assignmentId: idOf(a, "AssignmentId"),
      }),
    ),
  }),
});

BonusPaymentRef.implement({
  ...readable,
  description: "A bonus paid to a worker for an assignment (MTurk's BonusPayment, from ListBonusPayments).",
  fields: (t) => ({
    workerId: t.exposeString("WorkerId", { description: "The worker paid." }),
    assignmentId: t.exposeString("AssignmentId", { description: "The assignment the bonus is for." }),
    bonusAmount: t.field({
      type: Money,
      description: "The amount paid (BonusAmount).",
      resolve: (b) => money(b.BonusAmount),
    }),
    reason: t.exposeString("Reason", { description: "The reason given to the worker (Reason)." }),
    grantTime: dateTimeField(t, "GrantTime", "When it was paid (GrantTime)."),
    worker: workerLink(t, "The worker paid.", (b) => idOf(b, "WorkerId")),
    assignment: assignmentLink(t, "The assignment (GetAssignment, batched).", (b) => idOf(b, "AssignmentId")),
  }),
});

const assignmentOrderArgs = listingArgs("Assignment", {
  SUBMIT_TIME: "When the work was submitted.",
  ACCEPT_TIME: "When the worker accepted the HIT.",
  WORKER_ID: "The worker's id.",
  STATUS: "The assignment status.",
});

const AssignmentFilter = builder.inputType("AssignmentFilter", {
  description: "Filters MTurk cannot apply upstream; the gateway applies them to its mirror of the listing.",
  fields: (t) => ({ workerId: t.string({ description: "Only this worker's assignments." }) }),
});

/** Ordering, page and filter arguments of assignment connections. */
export const assignmentListingArgs = builder.args((t) => ({
  ...assignmentOrderArgs,
  filter: t.field({ type: AssignmentFilter, description: "Worker filter." }),
}));

export function assignmentListing(
  ctx: GatewayContext,
  args: Parameters<typeof listing>[1] & { filter?: { workerId?: string | null } | null },
  scope: Scope,
  fetchPage: FetchPage<Assignment>,
) {
  return listing<Assignment>(ctx, args, {
    scope,
    fetchPage,
    filter: args.filter,
  });
}

/** Ordering and page arguments of bonus payment connections. */
const bonusListingArgs = listingArgs("BonusPayment", {
  GRANT_TIME: "When the bonus was paid.",
  AMOUNT: "The amount.",
  WORKER_ID: "The worker's id.",
});

type BonusesOf = { hitId?: string; assignmentId?: string };

/** The pages of a HIT's or an assignment's bonuses: the prefetch and the connection ask for the same first page. */
export const bonusPages =
  (ctx: GatewayContext, of: BonusesOf) =>
  (token: string | undefined, size = MTURK_MAX_RESULTS) =>
    ctx.loaders.listBonusPaymentsPage(of, token, size);

/** The `bonusPayments` connection of a HIT or an assignment: ListBonusPayments with its id. */
export function bonusPaymentsField<P>(
  t: PothosSchemaTypes.ObjectFieldBuilder<Types, P>,
  description: string,
  of: (parent: P) => BonusesOf,
) {
  return t.connection(
    {
      type: BonusPaymentRef,
      description,
      args: bonusListingArgs,
      resolve: (parent, args, ctx) => bonusListing(ctx, args, of(parent)),
    },
    ...pageOf("bonus payments"),
  );
}

/** Bonuses of a HIT or of an assignment (ListBonusPayments needs one of them). */
function bonusListing(ctx: GatewayContext, args: Parameters<typeof listing>[1], of: BonusesOf) {
  return listing<BonusPayment>(ctx, args, { scope: scopes.bonuses(of), fetchPage: bonusPages(ctx, of) });
}

builder.queryFields((t) => ({
  assignment: t.field({
    type: AssignmentRef,
    description:
      "One assignment by AssignmentId (GetAssignment, which also primes its HIT); null with NOT_FOUND when missing.",
    args: { assignmentId: t.arg.string({ required: true, description: "MTurk's AssignmentId." }) },
    resolve: (_root, args, ctx, info) => assignmentOrStub(info, ctx, args.assignmentId),
  }),
}));
