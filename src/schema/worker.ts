import type { Qualification, WorkerBlock } from "@aws-sdk/client-mturk";
import { badInput } from "../mturk/errors.js";
import { idOf } from "../mturk/ids.js";
import { scopes } from "../mturk/listings.js";
import { qualificationKey } from "../mturk/loaders.js";
import { builder } from "./builder.js";
import { dateTimeField, LocaleRef, pageOf, QualificationStatusEnum, readable } from "./common.js";
import { listing, listingArgs } from "./connections.js";
import type { Types } from "./mutation.js";
import { qualificationTypeLink } from "./qualificationType.js";

export interface WorkerShape {
  workerId: string;
}

const WORKER_ID = /^A[A-Z0-9]{1,63}$/;

export const WorkerRef = builder.objectRef<WorkerShape>("Worker");
export const QualificationRef = builder.objectRef<Qualification>("Qualification");
const WorkerBlockRef = builder.objectRef<WorkerBlock>("WorkerBlock");

/** A link to a worker: MTurk has no worker lookup, so the WorkerId is the whole Worker. */
export const workerLink = <P>(
  t: PothosSchemaTypes.ObjectFieldBuilder<Types, P>,
  description: string,
  workerIdOf: (parent: P) => string,
  nullable = true,
) => t.field({ type: WorkerRef, nullable, description, resolve: (p) => ({ workerId: workerIdOf(p) }) });

/** A worker a write changed or granted to, with its Qualification of the type read after the write. */
export const workerChangeFields = <P extends WorkerShape & { qualificationTypeId?: string }>(
  t: PothosSchemaTypes.ObjectFieldBuilder<Types, P>,
  qualificationDescription: string,
) => ({
  worker: workerLink(t, "The worker.", (w) => w.workerId, false),
  qualification: qualificationLink(t, qualificationDescription, (w) => w),
});

/** A link to a worker's Qualification of a type (GetQualificationScore, batched); null where there is none. */
const qualificationLink = <P>(
  t: PothosSchemaTypes.ObjectFieldBuilder<Types, P>,
  description: string,
  heldOf: (parent: P) => { qualificationTypeId?: string; workerId: string },
) =>
  t.field({
    type: QualificationRef,
    description,
    resolve: (p, _args, ctx) => {
      const { qualificationTypeId, workerId } = heldOf(p);
      return qualificationTypeId
        ? ctx.loaders.qualificationScores.load(qualificationKey(qualificationTypeId, workerId))
        : null;
    },
  });

builder.node(WorkerRef, {
  ...readable,
  description:
    "An MTurk worker, known by WorkerId. MTurk has no worker lookup: a worker has no profile, and MTurk cannot list a worker's assignments, bonuses or qualifications across HITs and types. The gateway's mirror of the account answers assignments, bonusPayments and stats across the account's HITs (disposed of ones too); qualifications are asked from the qualification type.",
  id: { resolve: (w) => w.workerId },
  loadOne: (id) => (WORKER_ID.test(id) ? { workerId: id } : null),
  fields: (t) => ({
    workerId: t.exposeString("workerId", { nullable: false, description: "MTurk's WorkerId." }),
    qualification: t.field({
      type: QualificationRef,
      description:
        "The worker's Qualification of a type (GetQualificationScore), null when the worker holds none. A revoked one has status Revoked and no integerValue, localeValue or grantTime: MTurk scores only granted qualifications (the edges of qualificationType.workers(status: Revoked) carry what was revoked). Many workers asked about one type are served by a ListWorkersWithQualificationType scan when that costs fewer calls, with the same answers.",
      args: { qualificationTypeId: t.arg.string({ required: true, description: "The type's QualificationTypeId." }) },
      resolve: (w, args, ctx) =>
        ctx.loaders.qualificationScores.load(qualificationKey(args.qualificationTypeId, w.workerId)),
    }),
    block: t.field({
      type: WorkerBlockRef,
      // One ListWorkerBlocks scan per request, however many workers ask.
      complexity: (_args, ctx) => ctx.limits.scanCost,
      description:
        "The requester's block of this worker, or null (from one ListWorkerBlocks scan per request: MTurk has no per-worker lookup).",
      resolve: (w, _args, ctx) => ctx.loaders.workerBlock(w.workerId),
    }),
  }),
});

QualificationRef.implement({
  ...readable,
  description: "A worker's Qualification of a type (GetQualificationScore, ListWorkersWithQualificationType).",
  fields: (t) => ({
    qualificationTypeId: t.exposeString("QualificationTypeId", { description: "The type's id." }),
    workerId: t.exposeString("WorkerId", { description: "The worker's id." }),
    integerValue: t.exposeInt("IntegerValue", { description: "The qualification's value (IntegerValue)." }),
    localeValue: t.expose("LocaleValue", { type: LocaleRef, description: "The locale value (LocaleValue), if any." }),
    grantTime: dateTimeField(t, "GrantTime", "When it was granted (GrantTime)."),
    status: t.expose("Status", {
      type: QualificationStatusEnum,
      description: "Granted or Revoked (Status).",
    }),
    qualificationType: qualificationTypeLink(t, "The type (GetQualificationType, batched).", (q) =>
      idOf(q, "QualificationTypeId"),
    ),
    worker: workerLink(t, "The worker holding it.", (q) => idOf(q, "WorkerId")),
  }),
});

WorkerBlockRef.implement({
  ...readable,
  description: "A worker the requester blocked (MTurk's WorkerBlock, from ListWorkerBlocks).",
  fields: (t) => ({
    workerId: t.exposeString("WorkerId", { description: "The blocked worker's id." }),
    reason: t.exposeString("Reason", {
      description: "Why the worker was blocked (Reason), as given to CreateWorkerBlock.",
    }),
    worker: workerLink(t, "The blocked worker.", (b) => idOf(b, "WorkerId")),
  }),
});

const workerBlockArgs = listingArgs("WorkerBlock", { WORKER_ID: "The blocked worker's id." });

builder.queryFields((t) => ({
  worker: t.field({
    type: WorkerRef,
    description: "A worker by WorkerId. MTurk cannot confirm a worker exists; a malformed id is BAD_USER_INPUT.",
    args: {
      workerId: t.arg.string({ required: true, description: "MTurk's WorkerId (A followed by letters/digits)." }),
    },
    resolve: (_root, args) => {
      if (!WORKER_ID.test(args.workerId))
        throw badInput(`"${args.workerId}" is not a WorkerId (it must match ^A[A-Z0-9]+$).`);
      return { workerId: args.workerId };
    },
  }),
  workerBlocks: t.connection(
    {
      type: WorkerBlockRef,
      description: "Workers the requester has blocked (ListWorkerBlocks).",
      args: workerBlockArgs,
      resolve: (_root, args, ctx) =>
        listing<WorkerBlock>(ctx, args, {
          scope: scopes.blocks(),
          fetchPage: (token, size) => ctx.loaders.listWorkerBlocksPage(token, size),
        }),
    },
    ...pageOf("worker blocks"),
  ),
}));
