import type { QualificationRequest } from "@aws-sdk/client-mturk";
import { tokenConnection } from "../context.js";
import { builder } from "./builder.js";
import { pageOf } from "./common.js";
import { QualificationTypeRef, qualificationTypeOrStub } from "./qualificationType.js";
import { WorkerRef } from "./worker.js";

/** Its id names the type too: MTurk can find a request only by listing its type's pending requests. */
export const qualificationRequestKey = (r: QualificationRequest) =>
  `${r.QualificationTypeId}:${r.QualificationRequestId}`;

export const QualificationRequestRef = builder.objectRef<QualificationRequest>("QualificationRequest");

builder.node(QualificationRequestRef, {
  description:
    "A worker's pending request for a qualification (MTurk's QualificationRequest), from ListQualificationRequests. MTurk has no Get for one: `node(id)` scans its type's pending requests.",
  id: { resolve: (r) => qualificationRequestKey(r) },
  loadMany: (ids: string[], ctx) => ids.map((id) => ctx.loaders.qualificationRequests.load(id)),
  fields: (t) => ({
    qualificationRequestId: t.string({
      nullable: false,
      description: "MTurk's QualificationRequestId, for AcceptQualificationRequest or RejectQualificationRequest.",
      resolve: (parent) => parent.QualificationRequestId as string,
    }),
    qualificationTypeId: t.exposeString("QualificationTypeId", { description: "The requested type's id." }),
    workerId: t.exposeString("WorkerId", { description: "The requesting worker's id." }),
    test: t.exposeString("Test", { description: "The test (QuestionForm) as the worker saw it, if the type has one." }),
    answer: t.exposeString("Answer", {
      description: "The worker's answers (QuestionFormAnswers), if the type has a test.",
    }),
    submitTime: t.expose("SubmitTime", {
      type: "DateTime",
      description: "When the worker submitted the request or the test answers (SubmitTime).",
    }),
    qualificationType: t.field({
      type: QualificationTypeRef,
      description: "The requested type (GetQualificationType, batched and cached per request).",
      resolve: (r, _args, _ctx, info) => qualificationTypeOrStub(info, r.QualificationTypeId as string),
    }),
    worker: t.field({
      type: WorkerRef,
      description: "The requesting worker.",
      resolve: (r) => ({ workerId: r.WorkerId as string }),
    }),
  }),
});

builder.queryFields((t) => ({
  qualificationRequests: t.connection(
    {
      type: QualificationRequestRef,
      description:
        "Pending qualification requests (ListQualificationRequests): of one type, or of all the requester's types when qualificationTypeId is omitted.",
      args: {
        qualificationTypeId: t.arg.string({ description: "Only requests for this type (QualificationTypeId)." }),
      },
      resolve: (_root, args, ctx) => {
        const typeId = args.qualificationTypeId ?? undefined;
        return tokenConnection(ctx, ["ListQualificationRequests", typeId], args, (token, size) =>
          ctx.loaders.qualificationRequestsPage(typeId, token, size),
        );
      },
    },
    ...pageOf("qualification requests"),
  ),
}));
