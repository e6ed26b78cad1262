import type { Qualification } from "@aws-sdk/client-mturk";
import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import type { GatewayContext } from "../context.js";
import { qualificationKey } from "../mturk/loaders.js";
import { builder } from "./builder.js";
import { itemsInput } from "./bulk.js";
import { InputInvalid } from "./inputInvalid.js";
import { defineBulkMutation, defineMutation, retryFlag } from "./mutation.js";
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
  decidedAt: number;
}

/** MTurk's clock and ours may differ by this much. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * The Qualification an accept granted, read from MTurk. A global id carries its type and worker, and a client can
 * forge them: they are believed only when that worker now holds that type's qualification, granted by this accept.
 */
async function granted(r: DecidedRequest, ctx: GatewayContext): Promise<Qualification | null> {
  if (!r.accepted || !r.qualificationTypeId || !r.workerId) return null;
  const held = await ctx.loaders.qualificationScores
    .load(qualificationKey(r.qualificationTypeId, r.workerId))
    .catch(() => null);
  if (held?.Status !== "Granted") return null;
  const grantedAt = held.GrantTime?.getTime() ?? 0;
  return r.alreadyApplied || grantedAt >= r.decidedAt - CLOCK_SKEW_MS ? held : null;
}
/** The worker and type of the id: checked for an accept; for a reject MTurk has nothing to check them with. */
const trusted = async (r: DecidedRequest, ctx: GatewayContext) =>
  !!r.workerId && !!r.qualificationTypeId && (!r.accepted || (await granted(r, ctx)) !== null);

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
      resolve: async (r, _args, ctx) =>
        (await trusted(r, ctx))
          ? encodeGlobalID("QualificationRequest", `${r.qualificationTypeId}:${r.qualificationRequestId}:${r.workerId}`)
          : null,
    }),
    alreadyApplied: retryFlag(
      t,
      "alreadyApplied",
      "True when the request had already been decided this way (a retry): MTurk refused to decide it again and the gateway read the state back.",
    ),
    worker: t.field({
      type: WorkerRef,
      description:
        "The requesting worker, when the request was named by its global id (for an accept: checked against the Qualification MTurk granted).",
      resolve: async (r, _args, ctx) => ((await trusted(r, ctx)) ? { workerId: r.workerId as string } : null),
    }),
    qualification: t.field({
      type: QualificationRef,
      description:
        "The Qualification the accept granted (GetQualificationScore, read after the write); null after a reject.",
      resolve: (r, _args, ctx) => granted(r, ctx),
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

const AcceptQualificationRequestInput = builder.inputType("AcceptQualificationRequestInput", {
  description: "AcceptQualificationRequest: grants the worker the type's Qualification.",
  fields: (t) => ({
    ...requestTargetFields(t as never),
    integerValue: t.int({ description: "The value of the granted Qualification (IntegerValue)." }),
  }),
});
const RejectQualificationRequestInput = builder.inputType("RejectQualificationRequestInput", {
  description: "RejectQualificationRequest: refuses the request; the worker sees the reason.",
  fields: (t) => ({
    ...requestTargetFields(t as never),
    reason: t.string({ description: "Shown to the worker (Reason).", validate: feedbackRule }),
  }),
});

type Decision = { accept: true; integerValue?: number | null } | { accept: false; reason?: string | null };

async function decide(ctx: GatewayContext, target: RequestTarget, decision: Decision): Promise<DecidedRequest> {
  const decidedAt = Date.now();
  const { alreadyApplied } = decision.accept
    ? await ctx.writes.acceptQualificationRequest(target, decision.integerValue ?? undefined)
    : await ctx.writes.rejectQualificationRequest(target.qualificationRequestId, decision.reason ?? undefined);
  return { ...target, accepted: decision.accept, alreadyApplied, decidedAt };
}

const AcceptQualificationRequestsInput = itemsInput(
  "AcceptQualificationRequestsInput",
  "The requests to accept.",
  AcceptQualificationRequestInput,
  "One entry per request.",
);
const RejectQualificationRequestsInput = itemsInput(
  "RejectQualificationRequestsInput",
  "The requests to reject.",
  RejectQualificationRequestInput,
  "One entry per request.",
);

type AcceptItem = { id?: string | null; qualificationRequestId?: string | null; integerValue?: number | null };
type RejectItem = { id?: string | null; qualificationRequestId?: string | null; reason?: string | null };
const accept = (ctx: GatewayContext, item: AcceptItem, field: string) =>
  decide(ctx, targetOf(item, field), { accept: true, integerValue: item.integerValue });
const reject = (ctx: GatewayContext, item: RejectItem, field: string) =>
  decide(ctx, targetOf(item, field), { accept: false, reason: item.reason });
/** Bulk items with their input path, so that a bad id names its item. */
const numbered = <T>(items: T[]) => items.map((item, i) => ({ item, field: `input.items.${i}` }));

defineMutation("acceptQualificationRequest", {
  description:
    "Accepts a pending qualification request (AcceptQualificationRequest) and returns the granted Qualification and the worker.",
  scopes: { write: true },
  input: AcceptQualificationRequestInput,
  inputDescription: "Which request, and the value to grant.",
  payload: DecidedRequestRef,
  resolve: (input, ctx) => accept(ctx, input, "input"),
});
defineMutation("rejectQualificationRequest", {
  description: "Rejects a pending qualification request (RejectQualificationRequest).",
  scopes: { write: true },
  input: RejectQualificationRequestInput,
  inputDescription: "Which request, and why.",
  payload: DecidedRequestRef,
  resolve: (input, ctx) => reject(ctx, input, "input"),
});
/** The bulk accept and the bulk reject: the same shape, one payload type. */
function defineBulkDecision<I extends { id?: string | null; qualificationRequestId?: string | null }>(
  name: string,
  description: string,
  input: Parameters<typeof defineBulkMutation<{ items: I[] }, { item: I; field: string }, DecidedRequest>>[1]["input"],
  decideOne: (ctx: GatewayContext, item: I, field: string) => Promise<DecidedRequest>,
) {
  defineBulkMutation(name, {
    description,
    what: "a bulk accept or reject",
    scopes: { write: true },
    input,
    inputDescription: "The requests, one entry each.",
    keyName: "qualificationRequestId",
    payloadName: "QualificationRequestDecisions",
    result: DecidedRequestRef,
    items: (i) => numbered(i.items),
    count: (i) => i.items.length,
    key: ({ item, field }) => targetOf(item, field).qualificationRequestId,
    run: ({ item, field }, ctx) => decideOne(ctx, item, field),
  });
}
defineBulkDecision(
  "acceptQualificationRequests",
  "Accepts many qualification requests (AcceptQualificationRequest each, within the concurrency limit), with a result per item.",
  AcceptQualificationRequestsInput,
  accept,
);
defineBulkDecision(
  "rejectQualificationRequests",
  "Rejects many qualification requests (RejectQualificationRequest each), with a result per item.",
  RejectQualificationRequestsInput,
  reject,
);
