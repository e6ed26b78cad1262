import type { Qualification } from "@aws-sdk/client-mturk";
import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import type { GatewayContext } from "../context.js";
import { qualificationKey } from "../mturk/loaders.js";
import { builder } from "./builder.js";
import { bulkPayload, runBulk } from "./bulk.js";
import { mutationErrors } from "./errors.js";
import { InputInvalid } from "./inputInvalid.js";
import { feedbackRule } from "./validators.js";
import { QualificationRef, WorkerRef } from "./worker.js";

/** A request named by its global id (which carries its type and worker) or by its raw MTurk id alone. */
interface RequestTarget {
  qualificationRequestId: string;
  qualificationTypeId?: string;
  workerId?: string;
}

function targetOf(input: { id?: string | null; qualificationRequestId?: string | null }, field: string): RequestTarget {
  if (input.id) {
    const { typename, id } = decodeGlobalID(input.id);
    const [qualificationTypeId, qualificationRequestId, workerId] = id.split(":");
    if (typename !== "QualificationRequest" || !qualificationRequestId)
      throw new InputInvalid("Not the global id of a QualificationRequest.", `${field}.id`);
    return { qualificationRequestId, qualificationTypeId, workerId };
  }
  if (input.qualificationRequestId) return { qualificationRequestId: input.qualificationRequestId };
  throw new InputInvalid("Give the request's global id or its qualificationRequestId.", field);
}

interface DecidedRequest extends RequestTarget {
  accepted: boolean;
  alreadyApplied: boolean;
}

const DecidedRequestRef = builder.objectRef<DecidedRequest>("DecidedQualificationRequest").implement({
  description: "A qualification request that was accepted or rejected, with what changed.",
  fields: (t) => ({
    qualificationRequestId: t.exposeString("qualificationRequestId", {
      nullable: false,
      description: "MTurk's QualificationRequestId.",
    }),
    decidedQualificationRequestId: t.id({
      description:
        "The request's global id (it is no longer pending): remove it from cached lists. Null when asked by raw id.",
      resolve: (r) =>
        r.qualificationTypeId && r.workerId
          ? encodeGlobalID("QualificationRequest", `${r.qualificationTypeId}:${r.qualificationRequestId}:${r.workerId}`)
          : null,
    }),
    alreadyApplied: t.exposeBoolean("alreadyApplied", {
      nullable: false,
      description:
        "True when the request had already been decided this way (a retry): MTurk refused to decide it again and the gateway read the state back.",
    }),
    worker: t.field({
      type: WorkerRef,
      description: "The requesting worker (known when the request was named by its global id).",
      resolve: (r) => (r.workerId ? { workerId: r.workerId } : null),
    }),
    qualification: t.field({
      type: QualificationRef,
      description:
        "The Qualification the accept granted (GetQualificationScore, read after the write); null after a reject.",
      resolve: (r, _args, ctx) =>
        r.accepted && r.qualificationTypeId && r.workerId
          ? (ctx.loaders.qualificationScores.load(
              qualificationKey(r.qualificationTypeId, r.workerId),
            ) as Promise<Qualification | null>)
          : null,
    }),
  }),
});

const requestTargetFields = (
  t: PothosSchemaTypes.InputFieldBuilder<
    PothosSchemaTypes.ExtendDefaultTypes<{ Context: GatewayContext }>,
    "InputObject"
  >,
) => ({
  id: t.id({ description: "The QualificationRequest's global id (from `qualificationRequests`)." }),
  qualificationRequestId: t.string({
    description: "Or MTurk's raw QualificationRequestId (the payload then has no worker).",
  }),
});

const AcceptInput = builder.inputType("AcceptQualificationRequestInput", {
  description: "AcceptQualificationRequest: grants the worker the type's Qualification.",
  fields: (t) => ({
    ...requestTargetFields(t as never),
    integerValue: t.int({ description: "The value of the granted Qualification (IntegerValue)." }),
  }),
});
const RejectInput = builder.inputType("RejectQualificationRequestInput", {
  description: "RejectQualificationRequest: refuses the request; the worker sees the reason.",
  fields: (t) => ({
    ...requestTargetFields(t as never),
    reason: t.string({ description: "Shown to the worker (Reason).", validate: feedbackRule }),
  }),
});

type Decision = { accept: true; integerValue?: number | null } | { accept: false; reason?: string | null };

async function decide(ctx: GatewayContext, target: RequestTarget, decision: Decision): Promise<DecidedRequest> {
  const { alreadyApplied } = decision.accept
    ? await ctx.writes.acceptQualificationRequest(target, decision.integerValue ?? undefined)
    : await ctx.writes.rejectQualificationRequest(target.qualificationRequestId, decision.reason ?? undefined);
  return { ...target, accepted: decision.accept, alreadyApplied };
}

const BulkDecisionPayload = bulkPayload(
  "QualificationRequestDecisions",
  "a bulk accept or reject",
  "qualificationRequestId",
  DecidedRequestRef,
);

builder.mutationFields((t) => ({
  acceptQualificationRequest: t.field({
    authScopes: { write: true },
    type: DecidedRequestRef,
    description:
      "Accepts a pending qualification request (AcceptQualificationRequest) and returns the granted Qualification and the worker.",
    errors: mutationErrors,
    args: {
      input: t.arg({ type: AcceptInput, required: true, description: "Which request, and the value to grant." }),
    },
    resolve: (_root, { input }, ctx) =>
      decide(ctx, targetOf(input, "input"), { accept: true, integerValue: input.integerValue }),
  }),
  rejectQualificationRequest: t.field({
    authScopes: { write: true },
    type: DecidedRequestRef,
    description: "Rejects a pending qualification request (RejectQualificationRequest).",
    errors: mutationErrors,
    args: { input: t.arg({ type: RejectInput, required: true, description: "Which request, and why." }) },
    resolve: (_root, { input }, ctx) => decide(ctx, targetOf(input, "input"), { accept: false, reason: input.reason }),
  }),
  acceptQualificationRequests: t.field({
    authScopes: { write: true },
    type: BulkDecisionPayload,
    description:
      "Accepts many qualification requests (AcceptQualificationRequest each, within the concurrency limit), with a result per item.",
    errors: mutationErrors,
    args: {
      input: t.arg({
        type: builder.inputType("AcceptQualificationRequestsInput", {
          description: "The requests to accept.",
          fields: (f) => ({
            items: f.field({ type: [AcceptInput], required: true, description: "One entry per request." }),
          }),
        }),
        required: true,
        description: "The requests to accept.",
      }),
    },
    resolve: (_root, { input }, ctx) => {
      const targets = input.items.map((item, i) => ({ item, target: targetOf(item, `input.items.${i}`) }));
      return runBulk(
        targets,
        (x) => x.target.qualificationRequestId,
        ({ item, target }) => decide(ctx, target, { accept: true, integerValue: item.integerValue }),
      );
    },
  }),
  rejectQualificationRequests: t.field({
    authScopes: { write: true },
    type: BulkDecisionPayload,
    description: "Rejects many qualification requests (RejectQualificationRequest each), with a result per item.",
    errors: mutationErrors,
    args: {
      input: t.arg({
        type: builder.inputType("RejectQualificationRequestsInput", {
          description: "The requests to reject.",
          fields: (f) => ({
            items: f.field({ type: [RejectInput], required: true, description: "One entry per request." }),
          }),
        }),
        required: true,
        description: "The requests to reject.",
      }),
    },
    resolve: (_root, { input }, ctx) => {
      const targets = input.items.map((item, i) => ({ item, target: targetOf(item, `input.items.${i}`) }));
      return runBulk(
        targets,
        (x) => x.target.qualificationRequestId,
        ({ item, target }) => decide(ctx, target, { accept: false, reason: item.reason }),
      );
    },
  }),
}));
