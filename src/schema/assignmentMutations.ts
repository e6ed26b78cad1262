import { z } from "zod";
import type { GatewayContext } from "../context.js";
import { sendBonus } from "../mturk/exactlyOnce.js";
import { fingerprint } from "../mturk/idempotency.js";
import type { Applied } from "../mturk/writes.js";
import { AssignmentRef } from "./assignment.js";
import { builder } from "./builder.js";
import { bulkPayload, runBulk } from "./bulk.js";
import { keyedMutationErrors, mutationErrors } from "./errors.js";
import { InputInvalid } from "./inputInvalid.js";
import { feedbackRule, idempotencyKeyRule, mturkId, positiveMoney, workerIdRule } from "./validators.js";
import { WorkerRef } from "./worker.js";

const ReviewedRef = builder
  .objectRef<{ assignmentId: string; alreadyApplied: boolean }>("ReviewedAssignment")
  .implement({
    description: "An assignment after approval or rejection, read again from MTurk.",
    fields: (t) => ({
      alreadyApplied: t.exposeBoolean("alreadyApplied", {
        nullable: false,
        description:
          "True when the assignment already had this status (a retry): MTurk refused to review it again and the gateway read it back.",
      }),
      assignment: t.field({
        type: AssignmentRef,
        nullable: false,
        description: "The assignment as MTurk now has it.",
        resolve: (a) => a.assignmentId,
      }),
    }),
  });

const ApproveInput = builder.inputType("ApproveAssignmentInput", {
  description: "ApproveAssignment: pays the reward. OverrideRejection approves a rejected assignment within 30 days.",
  fields: (t) => ({
    assignmentId: t.string({ required: true, description: "The AssignmentId.", validate: mturkId }),
    requesterFeedback: t.string({
      description: "Shown to the worker (RequesterFeedback), at most 1,024 characters.",
      validate: feedbackRule,
    }),
    overrideRejection: t.boolean({ description: "Approve an assignment you rejected (OverrideRejection)." }),
  }),
});
const RejectInput = builder.inputType("RejectAssignmentInput", {
  description: "RejectAssignment: no reward; the worker sees the feedback.",
  fields: (t) => ({
    assignmentId: t.string({ required: true, description: "The AssignmentId.", validate: mturkId }),
    requesterFeedback: t.string({
      required: true,
      description: "Why (RequesterFeedback, required by MTurk).",
      validate: feedbackRule.min(1),
    }),
  }),
});

/** The assignments a bulk review names: explicit ids, or every submitted assignment of a HIT. */
const bulkTargets = builder.inputType("AssignmentSelection", {
  description: "Which assignments: `assignmentIds`, or every submitted assignment of `hitId` (ListAssignmentsForHIT).",
  fields: (t) => ({
    assignmentIds: t.stringList({ description: "These assignments.", validate: z.array(mturkId) }),
    hitId: t.string({ description: "Every Submitted assignment of this HIT.", validate: mturkId }),
  }),
  validate: z
    .looseObject({ assignmentIds: z.array(z.string()).nullish(), hitId: z.string().nullish() })
    .refine((v) => !!v.assignmentIds !== !!v.hitId, { message: "Give assignmentIds or hitId.", path: ["hitId"] }),
});

const BonusInput = builder.inputType("SendBonusInput", {
  description: "SendBonus: pays a worker extra for an assignment, exactly once per idempotencyKey.",
  fields: (t) => ({
    workerId: t.string({ required: true, description: "The worker.", validate: workerIdRule }),
    assignmentId: t.string({ required: true, description: "The assignment the bonus is for.", validate: mturkId }),
    bonusAmount: t.string({ required: true, description: 'USD, e.g. "1.50".', validate: positiveMoney }),
    reason: t.string({ required: true, description: "Shown to the worker (Reason).", validate: z.string().min(1) }),
    idempotencyKey: t.string({
      description:
        "Your key for this payment (required for sendBonus; in sendBonuses derived from the batch key when omitted).",
      validate: idempotencyKeyRule,
    }),
  }),
});

const BonusPaidRef = builder
  .objectRef<{ workerId: string; assignmentId: string; alreadyProcessed: boolean }>("BonusPaid")
  .implement({
    description: "A bonus that is paid. A retry with the same key pays nothing more and says alreadyProcessed.",
    fields: (t) => ({
      worker: t.field({
        type: WorkerRef,
        nullable: false,
        description: "The worker paid.",
        resolve: (b) => ({ workerId: b.workerId }),
      }),
      assignment: t.field({
        type: AssignmentRef,
        nullable: false,
        description: "The assignment.",
        resolve: (b) => b.assignmentId,
      }),
      alreadyProcessed: t.exposeBoolean("alreadyProcessed", {
        nullable: false,
        description: "True when an earlier attempt with this key had paid it.",
      }),
    }),
  });

type Bonus = {
  workerId: string;
  assignmentId: string;
  bonusAmount: string;
  reason: string;
  idempotencyKey?: string | null;
};

const selectionInput = (name: string, extra: "approve" | "reject") =>
  builder.inputType(name, {
    description:
      extra === "approve" ? "Assignments to approve, with optional feedback." : "Assignments to reject, with feedback.",
    fields: (t) => ({
      select: t.field({ type: bulkTargets, required: true, description: "Which assignments." }),
      requesterFeedback: t.string({
        required: extra === "reject",
        description: "Feedback for every worker, at most 1,024 characters.",
        validate: extra === "reject" ? feedbackRule.min(1) : feedbackRule,
      }) as never,
    }),
  });

type Selection = {
  select: { assignmentIds?: string[] | null; hitId?: string | null };
  requesterFeedback?: string | null;
};

/** Reviews the selected assignments one call each (within the concurrency limit), with a result per assignment. */
async function reviewMany(
  ctx: GatewayContext,
  input: Selection,
  review: (assignmentId: string, feedback: string | undefined) => Promise<Applied>,
) {
  const ids = input.select.assignmentIds ?? (await ctx.loaders.submittedAssignmentIds(input.select.hitId as string));
  return runBulk(
    ids,
    (id) => id,
    async (id) => ({ assignmentId: id, ...(await review(id, input.requesterFeedback ?? undefined)) }),
  );
}

builder.mutationFields((t) => ({
  approveAssignment: t.field({
    authScopes: { pay: true },
    type: ReviewedRef,
    description: "Approves a submitted assignment and pays its reward (ApproveAssignment).",
    errors: mutationErrors,
    args: { input: t.arg({ type: ApproveInput, required: true, description: "The assignment." }) },
    resolve: async (_root, { input }, ctx) => ({
      assignmentId: input.assignmentId,
      ...(await ctx.writes.approveAssignment(
        input.assignmentId,
        input.requesterFeedback ?? undefined,
        input.overrideRejection ?? undefined,
      )),
    }),
  }),
  rejectAssignment: t.field({
    authScopes: { write: true },
    type: ReviewedRef,
    description: "Rejects a submitted assignment (RejectAssignment).",
    errors: mutationErrors,
    args: { input: t.arg({ type: RejectInput, required: true, description: "The assignment and why." }) },
    resolve: async (_root, { input }, ctx) => ({
      assignmentId: input.assignmentId,
      ...(await ctx.writes.rejectAssignment(input.assignmentId, input.requesterFeedback)),
    }),
  }),
  approveAssignments: t.field({
    authScopes: { pay: true },
    type: bulkPayload("ApproveAssignments", "a bulk approval", "assignmentId", ReviewedRef),
    description:
      "Approves many assignments (ApproveAssignment each, within the concurrency limit): by ids, or every submitted assignment of a HIT.",
    errors: mutationErrors,
    args: {
      input: t.arg({
        type: selectionInput("ApproveAssignmentsInput", "approve"),
        required: true,
        description: "Which, and the feedback.",
      }),
    },
    resolve: (_root, { input }, ctx) =>
      reviewMany(ctx, input as unknown as Selection, (id, feedback) => ctx.writes.approveAssignment(id, feedback)),
  }),
  rejectAssignments: t.field({
    authScopes: { write: true },
    type: bulkPayload("RejectAssignments", "a bulk rejection", "assignmentId", ReviewedRef),
    description: "Rejects many assignments (RejectAssignment each): by ids, or every submitted assignment of a HIT.",
    errors: mutationErrors,
    args: {
      input: t.arg({
        type: selectionInput("RejectAssignmentsInput", "reject"),
        required: true,
        description: "Which, and why.",
      }),
    },
    resolve: (_root, { input }, ctx) =>
      reviewMany(ctx, input as unknown as Selection, (id, feedback) =>
        ctx.writes.rejectAssignment(id, feedback as string),
      ),
  }),
  sendBonus: t.field({
    authScopes: { pay: true },
    type: BonusPaidRef,
    description:
      "Pays a bonus (SendBonus) exactly once per idempotencyKey: a retry, even after a lost response, pays nothing more.",
    errors: keyedMutationErrors,
    args: { input: t.arg({ type: BonusInput, required: true, description: "The bonus." }) },
    resolve: async (_root, { input }, ctx) => {
      if (!input.idempotencyKey) throw new InputInvalid("sendBonus needs an idempotencyKey.", "input.idempotencyKey");
      const { alreadyProcessed } = await sendBonus(
        ctx.writes,
        {
          WorkerId: input.workerId,
          AssignmentId: input.assignmentId,
          BonusAmount: input.bonusAmount,
          Reason: input.reason,
        },
        input.idempotencyKey,
      );
      return { workerId: input.workerId, assignmentId: input.assignmentId, alreadyProcessed };
    },
  }),
  sendBonuses: t.field({
    authScopes: { pay: true },
    type: bulkPayload("SendBonuses", "a bulk bonus payment", "assignmentId", BonusPaidRef),
    description:
      "Pays many bonuses (SendBonus each, within the concurrency limit), each exactly once: an item's key is its own idempotencyKey or the batch key with the item's worker, assignment, amount and reason.",
    errors: keyedMutationErrors,
    args: {
      input: t.arg({
        type: builder.inputType("SendBonusesInput", {
          description: "The bonuses to pay.",
          fields: (f) => ({
            idempotencyKey: f.string({
              required: true,
              description: "The batch's key: retrying the batch pays nothing twice.",
              validate: idempotencyKeyRule,
            }),
            items: f.field({ type: [BonusInput], required: true, description: "One entry per bonus." }),
          }),
        }),
        required: true,
        description: "The bonuses.",
      }),
    },
    resolve: (_root, { input }, ctx) =>
      runBulk(
        input.items as Bonus[],
        (b) => b.assignmentId,
        async (b) => {
          // A structured digest, so that no two different items (of this batch or another) share a key.
          const key =
            b.idempotencyKey ??
            fingerprint([input.idempotencyKey, b.workerId, b.assignmentId, b.bonusAmount, b.reason]);
          const { alreadyProcessed } = await sendBonus(
            ctx.writes,
            { WorkerId: b.workerId, AssignmentId: b.assignmentId, BonusAmount: b.bonusAmount, Reason: b.reason },
            key,
          );
          return { workerId: b.workerId, assignmentId: b.assignmentId, alreadyProcessed };
        },
      ),
  }),
}));
