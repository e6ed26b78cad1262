import type { QualificationRequest } from "@aws-sdk/client-mturk";
import type { GatewayContext } from "../context.js";
import { idOf } from "../mturk/ids.js";
import { scopes } from "../mturk/listings.js";
import { builder } from "./builder.js";
import { dateTimeField, idField, pageOf, readable } from "./common.js";
import { listing, listingArgs } from "./connections.js";
import { qualificationTypeLink } from "./qualificationType.js";
import { workerLink } from "./worker.js";

/**
 * Its id names the type and the worker too: MTurk can find a request only by listing its type's pending requests,
 * and accepting one by its id can then answer with the worker and the granted qualification.
 */
const qualificationRequestKey = (r: QualificationRequest) =>
  `${r.QualificationTypeId}:${r.QualificationRequestId}:${r.WorkerId}`;

export const QualificationRequestRef = builder.objectRef<QualificationRequest>("QualificationRequest");

builder.node(QualificationRequestRef, {
  ...readable,
  description:
    "A worker's pending request for a qualification (MTurk's QualificationRequest), from ListQualificationRequests. MTurk has no Get for one: `node(id)` scans its type's pending requests.",
  id: { resolve: (r) => qualificationRequestKey(r) },
  loadMany: (ids: string[], ctx) =>
    ids.map((id) => ctx.loaders.qualificationRequests.load(id.split(":").slice(0, 2).join(":"))),
  fields: (t) => ({
    qualificationRequestId: idField(
      t,
      "QualificationRequestId",
      "MTurk's QualificationRequestId, for AcceptQualificationRequest or RejectQualificationRequest.",
    ),
    qualificationTypeId: t.exposeString("QualificationTypeId", { description: "The requested type's id." }),
    workerId: t.exposeString("WorkerId", { description: "The requesting worker's id." }),
    test: t.exposeString("Test", { description: "The test (QuestionForm) as the worker saw it, if the type has one." }),
    answer: t.exposeString("Answer", {
      description: "The worker's answers (QuestionFormAnswers), if the type has a test.",
    }),
    submitTime: dateTimeField(
      t,
      "SubmitTime",
      "When the worker submitted the request or the test answers (SubmitTime).",
    ),
    qualificationType: qualificationTypeLink(
      t,
      "The requested type (GetQualificationType, batched and cached per request).",
      (r) => idOf(r, "QualificationTypeId"),
    ),
    worker: workerLink(t, "The requesting worker.", (r) => idOf(r, "WorkerId")),
  }),
});

const requestOrderArgs = listingArgs(
  "QualificationRequest",
  {
    SUBMIT_TIME: "When the request was submitted (legacy SortProperty SubmitTime, the legacy default).",
    QUALIFICATION_TYPE_ID: "The requested type's id (legacy SortProperty QualificationTypeId).",
    WORKER_ID: "The requesting worker's id.",
  },
  { page: true, sort: true },
);

const QualificationRequestFilter = builder.inputType("QualificationRequestFilter", {
  description: "Filters MTurk cannot apply upstream; the gateway applies them in its mirror of the account.",
  fields: (t) => ({
    submittedAfter: t.field({ type: "DateTime", description: "Only requests submitted at or after this time." }),
    submittedBefore: t.field({ type: "DateTime", description: "Only requests submitted before this time." }),
    workerId: t.string({ description: "Only this worker's requests." }),
  }),
});

/** Ordering, page and filter arguments of every connection of pending requests. */
export const requestListingArgs = builder.args((t) => ({
  ...requestOrderArgs,
  filter: t.field({ type: QualificationRequestFilter, description: "Submit-time and worker filters." }),
}));

/** The listing of pending requests of one type, or of all the caller's types. */
export function pendingRequests(
  ctx: GatewayContext,
  typeId: string | undefined,
  args: Parameters<typeof listing>[1] & {
    filter?: { submittedAfter?: Date | null; submittedBefore?: Date | null; workerId?: string | null } | null;
  },
) {
  return listing<QualificationRequest>(ctx, args, {
    scope: scopes.requests(typeId),
    fetchPage: (token, size) => ctx.loaders.qualificationRequestsPage(typeId, token, size),
    // Scans and continued walks read the type's own listing: the shared first-page strategy gives no NextToken.
    scanPage: (token, size) => ctx.loaders.listQualificationRequestsPage(typeId, token, size),
    filter: args.filter,
  });
}

builder.queryFields((t) => ({
  qualificationRequests: t.connection(
    {
      type: QualificationRequestRef,
      description:
        "Pending qualification requests (ListQualificationRequests): of one type, or of all the requester's types when qualificationTypeId is omitted.",
      args: {
        qualificationTypeId: t.arg.string({ description: "Only requests for this type (QualificationTypeId)." }),
        ...requestListingArgs,
      },
      resolve: (_root, args, ctx) => pendingRequests(ctx, args.qualificationTypeId ?? undefined, args),
    },
    ...pageOf("qualification requests"),
  ),
}));
