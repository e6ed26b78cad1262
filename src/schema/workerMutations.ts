import type { InputObjectRef } from "@pothos/core";
import { z } from "zod";
import type { GatewayContext } from "../context.js";
import { builder } from "./builder.js";
import { itemsInput } from "./bulk.js";
import { type InputFields, idInput, workerIdInput } from "./common.js";
import { InputInvalid } from "./inputInvalid.js";
import { defineBulkMutation, defineMutation, type Types } from "./mutation.js";
import { workerIdRule } from "./validators.js";
import { type WorkerShape, workerChangeFields } from "./worker.js";

/** A worker a write changed; its `block` and qualifications are read after the write. */
const WorkerChangeRef = builder.objectRef<WorkerShape & { qualificationTypeId?: string }>("WorkerChange").implement({
  description: "A worker after a write: read `block` or `qualification` to see the new state.",
  fields: (t) =>
    workerChangeFields(
      t,
      "The worker's Qualification of the type the write changed (GetQualificationScore after the write).",
    ),
});

const CreateWorkerBlockInput = builder.inputType("CreateWorkerBlockInput", {
  description: "CreateWorkerBlock: the worker can no longer work on your HITs.",
  fields: (t) => ({
    workerId: workerIdInput(t),
    reason: t.string({
      required: true,
      description: "Why (Reason, required by MTurk; not shown to the worker).",
      validate: z.string().min(1),
    }),
  }),
});
const DeleteWorkerBlockInput = builder.inputType("DeleteWorkerBlockInput", {
  description: "DeleteWorkerBlock: lifts a block (unblocking a worker who is not blocked succeeds).",
  fields: (t) => ({
    workerId: workerIdInput(t),
    reason: t.string({ description: "Why the block is lifted (Reason)." }),
  }),
});
/** Which Qualification a write changes: your type's and the worker's. */
const heldQualificationFields = (t: InputFields) => ({
  qualificationTypeId: idInput(t, "Your type's id."),
  workerId: workerIdInput(t),
});
const AssociateQualificationWithWorkerInput = builder.inputType("AssociateQualificationWithWorkerInput", {
  description: "AssociateQualificationWithWorker: grants a Qualification of your type directly.",
  fields: (t) => ({
    ...heldQualificationFields(t),
    integerValue: t.int({ description: "The value (IntegerValue)." }),
    sendNotification: t.boolean({ description: "Tell the worker by e-mail (SendNotification)." }),
  }),
});
const DisassociateQualificationFromWorkerInput = builder.inputType("DisassociateQualificationFromWorkerInput", {
  description: "DisassociateQualificationFromWorker: revokes a worker's Qualification of your type.",
  fields: (t) => ({
    ...heldQualificationFields(t),
    reason: t.string({ description: "Shown to the worker (Reason)." }),
  }),
});

const NotifyFailureRef = builder
  .objectRef<{ WorkerId?: string; NotifyWorkersFailureCode?: string; NotifyWorkersFailureMessage?: string }>(
    "NotifyWorkersFailure",
  )
  .implement({
    description: "A worker MTurk could not notify (NotifyWorkersFailureStatus).",
    fields: (t) => ({
      workerId: t.exposeString("WorkerId", { description: "The worker." }),
      code: t.exposeString("NotifyWorkersFailureCode", { description: "SoftFailure (retry may work) or HardFailure." }),
      message: t.exposeString("NotifyWorkersFailureMessage", { description: "MTurk's explanation." }),
    }),
  });

const NotifyPayload = builder
  .objectRef<{ notified: number; failures: { WorkerId?: string }[]; chunks: number }>("NotifyWorkersPayload")
  .implement({
    description: "The result of NotifyWorkers over any number of workers, sent in chunks of 100.",
    fields: (t) => ({
      notifiedCount: t.exposeInt("notified", {
        nullable: false,
        description: "Workers MTurk accepted the message for.",
      }),
      failures: t.field({
        type: [NotifyFailureRef],
        nullable: false,
        description: "Workers not reached, with MTurk's reason.",
        resolve: (p) => p.failures,
      }),
      upstreamCalls: t.exposeInt("chunks", {
        nullable: false,
        description: "NotifyWorkers calls made (one per 100 workers).",
      }),
    }),
  });

const NOTIFY_CHUNK = 100;

const NotifyWorkersInput = builder.inputType("NotifyWorkersInput", {
  description: "The message and its recipients.",
  fields: (t) => ({
    subject: t.string({
      required: true,
      description: "Subject, at most 200 characters.",
      validate: z.string().min(1).max(200),
    }),
    messageText: t.string({
      required: true,
      description: "Text, at most 4,096 characters.",
      validate: z.string().min(1).max(4096),
    }),
    workerIds: t.stringList({
      required: true,
      description: "Recipients; duplicates are sent once.",
      validate: z.array(workerIdRule).min(1),
    }),
  }),
});

const block = async (ctx: GatewayContext, input: { workerId: string; reason: string }) => {
  await ctx.writes.createWorkerBlock(input.workerId, input.reason);
  return { workerId: input.workerId };
};
const unblock = async (ctx: GatewayContext, input: { workerId: string; reason?: string | null }) => {
  await ctx.writes.deleteWorkerBlock(input.workerId, input.reason ?? undefined);
  return { workerId: input.workerId };
};

/**
 * A block write to one worker and its bulk form (one write per listed worker, within the concurrency limit), with
 * a WorkerChange each.
 */
function defineBlockWrite<I extends { workerId: string }>(options: {
  /** What it does to a worker. */
  verb: "block" | "unblock";
  single: { name: string; description: string; inputDescription: string };
  bulk: { name: string; description: string };
  input: InputObjectRef<Types, I>;
  write: (ctx: GatewayContext, item: I) => Promise<WorkerShape>;
}) {
  const { verb, single, bulk, input, write } = options;
  defineMutation(single.name, {
    description: single.description,
    scopes: { write: true },
    input,
    inputDescription: single.inputDescription,
    payload: WorkerChangeRef,
    resolve: (item, ctx) => write(ctx, item),
  });
  const bulkInput = itemsInput(
    `${bulk.name.charAt(0).toUpperCase()}${bulk.name.slice(1)}Input`,
    `The workers to ${verb}.`,
    input,
    "One entry per worker.",
  );
  defineBulkMutation(bulk.name, {
    description: bulk.description,
    what: `a bulk ${verb}`,
    scopes: { write: true },
    input: bulkInput,
    inputDescription: `The workers to ${verb}.`,
    keyName: "workerId",
    result: WorkerChangeRef,
    items: (i) => i.items,
    count: (i) => i.items.length,
    key: (item) => item.workerId,
    run: (item, ctx) => write(ctx, item),
  });
}
defineBlockWrite({
  verb: "block",
  single: {
    name: "createWorkerBlock",
    description: "Blocks a worker (CreateWorkerBlock).",
    inputDescription: "Who and why.",
  },
  bulk: {
    name: "blockWorkers",
    description:
      "Blocks many workers (CreateWorkerBlock each, within the concurrency limit), with a result per worker.",
  },
  input: CreateWorkerBlockInput,
  write: block,
});
defineBlockWrite({
  verb: "unblock",
  single: {
    name: "deleteWorkerBlock",
    description: "Unblocks a worker (DeleteWorkerBlock).",
    inputDescription: "Who.",
  },
  bulk: {
    name: "unblockWorkers",
    description: "Unblocks many workers (DeleteWorkerBlock each), with a result per worker.",
  },
  input: DeleteWorkerBlockInput,
  write: unblock,
});
/** A write to a worker's Qualification of one type: the payload reads it again (GetQualificationScore). */
function defineQualificationWrite<I extends { qualificationTypeId: string; workerId: string }>(
  name: string,
  options: Pick<Parameters<typeof defineMutation<I, unknown>>[1], "description" | "inputDescription"> & {
    input: InputObjectRef<Types, I>;
    write: (input: I, ctx: GatewayContext) => Promise<void>;
  },
) {
  defineMutation(name, {
    ...options,
    scopes: { write: true },
    payload: WorkerChangeRef,
    resolve: async (input, ctx) => {
      await options.write(input, ctx);
      return { workerId: input.workerId, qualificationTypeId: input.qualificationTypeId };
    },
  });
}
defineQualificationWrite("associateQualificationWithWorker", {
  description: "Grants a worker a Qualification of your type (AssociateQualificationWithWorker).",
  input: AssociateQualificationWithWorkerInput,
  inputDescription: "The type, the worker, the value.",
  write: (input, ctx) =>
    ctx.writes.associateQualification(
      input.qualificationTypeId,
      input.workerId,
      input.integerValue ?? undefined,
      input.sendNotification ?? undefined,
    ),
});
defineQualificationWrite("disassociateQualificationFromWorker", {
  description: "Revokes a worker's Qualification of your type (DisassociateQualificationFromWorker).",
  input: DisassociateQualificationFromWorkerInput,
  inputDescription: "The type and the worker.",
  write: (input, ctx) =>
    ctx.writes.disassociateQualification(input.qualificationTypeId, input.workerId, input.reason ?? undefined),
});
defineMutation("notifyWorkers", {
  description:
    "Sends a message to any number of workers (NotifyWorkers, in chunks of MTurk's limit of 100). MTurk reaches only workers whose work you approved or rejected; the others come back as failures.",
  scopes: { write: true },
  input: NotifyWorkersInput,
  inputDescription: "The message and its recipients.",
  payload: NotifyPayload,
  complexity: (input) => ({ field: Math.ceil(new Set(input.workerIds).size / NOTIFY_CHUNK) + 1, multiplier: 1 }),
  resolve: async (input, ctx) => {
    const workers = [...new Set(input.workerIds)];
    if (workers.length > ctx.limits.maxBulkItems)
      throw new InputInvalid(
        `notifyWorkers takes at most ${ctx.limits.maxBulkItems} workers (MAX_BULK_ITEMS).`,
        "input.workerIds",
      );
    const chunks = Array.from({ length: Math.ceil(workers.length / NOTIFY_CHUNK) }, (_, i) =>
      workers.slice(i * NOTIFY_CHUNK, (i + 1) * NOTIFY_CHUNK),
    );
    const failures = (
      await Promise.all(chunks.map((chunk) => ctx.writes.notifyWorkers(input.subject, input.messageText, chunk)))
    ).flat();
    return { notified: workers.length - failures.length, failures, chunks: chunks.length };
  },
});
