import { z } from "zod";
import type { GatewayContext } from "../context.js";
import { canonicalAmount } from "../money/fees.js";
import { claimBonusBatch, sendBonus } from "../mturk/exactlyOnce.js";
import { fingerprint } from "../mturk/idempotency.js";
import { assignmentLink } from "./assignment.js";
import { builder } from "./builder.js";
import { idInput, workerIdInput } from "./common.js";
import { defineBulkMutation, defineMutation, retryFlag, type Types } from "./mutation.js";
import { dryRunApprovals, dryRunBonuses, dryRunField, keyAndDryRun } from "./spending.js";
import { feedbackRule, idempotencyKeyRule, mturkId, positiveMoney } from "./validators.js";
import { workerLink } from "./worker.js";

const ReviewedRef = builder
  .objectRef<{ assignmentId: string; alreadyApplied: boolean }>("ReviewedAssignment")
  .implement({
    description: "An assignment after approval or rejection, read again from MTurk.",
    fields: (t) => ({
      alreadyApplied: retryFlag(
        t,
        "alreadyApplied",
        "True when the assignment already had this status (a retry): MTurk refused to review it again and the gateway read it back.",
      ),
      assignment: assignmentLink(t, "The assignment as MTurk now has it.", (a) => a.assignmentId, false),
    }),
  });

const ApproveAssignmentInput = builder.inputType("ApproveAssignmentInput", {
  description: "ApproveAssignment: pays the reward. OverrideRejection approves a rejected assignment within 30 days.",
  fields: (t) => ({
    assignmentId: idInput(t, "The AssignmentId."),
    requesterFeedback: t.string({
      description: "Shown to the worker (RequesterFeedback), at most 1,024 characters.",
      validate: feedbackRule,
    }),
    overrideRejection: t.boolean({ description: "Approve an assignment you rejected (OverrideRejection)." }),
    dryRun: dryRunField(t),
  }),
});
const RejectAssignmentInput = builder.inputType("RejectAssignmentInput", {
  description: "RejectAssignment: no reward; the worker sees the feedback.",
  fields: (t) => ({
    assignmentId: idInput(t, "The AssignmentId."),
    requesterFeedback: t.string({
      required: true,
      description: "Why (RequesterFeedback, required by MTurk).",
      validate: feedbackRule.min(1),
    }),
  }),
});

/** The assignments a bulk review names: explicit ids, or every submitted assignment of a HIT. */
const AssignmentSelection = builder.inputType("AssignmentSelection", {
  // Exactly one of the two (GraphQL's @oneOf).
  isOneOf: true,
  description: "Which assignments: `assignmentIds`, or every submitted assignment of `hitId` (ListAssignmentsForHIT).",
  fields: (t) => ({
    assignmentIds: t.stringList({ description: "These assignments.", validate: z.array(mturkId) }),
    hitId: t.string({ description: "Every Submitted assignment of this HIT.", validate: mturkId }),
  }),
});

/** What a bonus is: SendBonus's WorkerId, AssignmentId, BonusAmount and Reason. */
const bonusFields = (t: PothosSchemaTypes.InputFieldBuilder<Types, "InputObject">) => ({
  workerId: workerIdInput(t, "The worker."),
  assignmentId: idInput(t, "The assignment the bonus is for."),
  bonusAmount: t.string({ required: true, description: 'USD, e.g. "1.50".', validate: positiveMoney }),
  reason: t.string({ required: true, description: "Shown to the worker (Reason).", validate: z.string().min(1) }),
});
const SendBonusInput = builder.inputType("SendBonusInput", {
  description: "SendBonus: pays a worker extra for an assignment, exactly once per idempotencyKey.",
  fields: (t) => ({
    ...bonusFields(t),
    ...keyAndDryRun(t, "Your key for this payment: a retry with it pays nothing more."),
  }),
});
const SendBonusesItemInput = builder.inputType("SendBonusesItemInput", {
  description: "One bonus of sendBonuses (SendBonus); it follows the batch's dryRun.",
  fields: (t) => ({
    ...bonusFields(t),
    idempotencyKey: t.string({
      description:
        "This bonus's own key, if it has one (a sendBonus key); when omitted, a digest of the batch key with the worker, assignment, amount and reason.",
      validate: idempotencyKeyRule,
    }),
  }),
});

const BonusPaidRef = builder
  .objectRef<{ workerId: string; assignmentId: string; alreadyProcessed: boolean }>("BonusPaid")
  .implement({
    description: "A bonus that is paid. A retry with the same key pays nothing more and says alreadyProcessed.",
    fields: (t) => ({
      worker: workerLink(t, "The worker paid.", (b) => b.workerId, false),
      assignment: assignmentLink(t, "The assignment.", (b) => b.assignmentId, false),
      alreadyProcessed: retryFlag(t, "alreadyProcessed", "True when an earlier attempt with this key had paid it."),
    }),
  });

const ApproveAssignmentsInput = builder.inputType("ApproveAssignmentsInput", {
  description: "Assignments to approve, with optional feedback.",
  fields: (t) => ({
    select: t.field({ type: AssignmentSelection, required: true, description: "Which assignments." }),
    requesterFeedback: t.string({
      description: "Feedback for every worker, at most 1,024 characters.",
      validate: feedbackRule,
    }),
    dryRun: dryRunField(t),
  }),
});
const RejectAssignmentsInput = builder.inputType("RejectAssignmentsInput", {
  description: "Assignments to reject, with feedback.",
  fields: (t) => ({
    select: t.field({ type: AssignmentSelection, required: true, description: "Which assignments." }),
    requesterFeedback: t.string({
      required: true,
      description: "Feedback for every worker, at most 1,024 characters.",
      validate: feedbackRule.min(1),
    }),
  }),
});
const SendBonusesInput = builder.inputType("SendBonusesInput", {
  description: "The bonuses to pay.",
  fields: (t) => ({
    ...keyAndDryRun(t, "The batch's key: retrying the batch pays nothing twice."),
    items: t.field({ type: [SendBonusesItemInput], required: true, description: "One entry per bonus." }),
  }),
});

/** The assignments a bulk review names: its ids, or every submitted assignment of its HIT. */
const selected = (ctx: GatewayContext, select: Selection) =>
  select.assignmentIds ?? ctx.loaders.submittedAssignmentIds(select.hitId as string);

const approve = async (ctx: GatewayContext, id: string, feedback?: string | null, override?: boolean | null) => ({
  assignmentId: id,
  ...(await ctx.writes.approveAssignment(id, feedback ?? undefined, override ?? undefined)),
});
const reject = async (ctx: GatewayContext, id: string, feedback: string) => ({
  assignmentId: id,
  ...(await ctx.writes.rejectAssignment(id, feedback)),
});

type Bonus = { workerId: string; assignmentId: string; bonusAmount: string; reason: string };
/** A sendBonuses item's key: its own, or a structured digest (no two different items, of any batch, share one). */
const bonusKey = (batchKey: string, b: Bonus & { idempotencyKey?: string | null }) =>
  b.idempotencyKey ?? fingerprint([batchKey, b.workerId, b.assignmentId, canonicalAmount(b.bonusAmount), b.reason]);
const toBonusInput = (b: Bonus) => ({
  WorkerId: b.workerId,
  AssignmentId: b.assignmentId,
  BonusAmount: b.bonusAmount,
  Reason: b.reason,
});
async function payBonus(ctx: GatewayContext, b: Bonus, key: string) {
  const { alreadyProcessed } = await sendBonus(ctx.writes, toBonusInput(b), key);
  return { workerId: b.workerId, assignmentId: b.assignmentId, alreadyProcessed };
}

defineMutation("approveAssignment", {
  description: "Approves a submitted assignment and pays its reward (ApproveAssignment).",
  scopes: { write: true, pay: true },
  input: ApproveAssignmentInput,
  inputDescription: "The assignment.",
  payload: ReviewedRef,
  resolve: (input, ctx) => approve(ctx, input.assignmentId, input.requesterFeedback, input.overrideRejection),
  dryRun: (input, ctx) => dryRunApprovals(ctx, [input.assignmentId], input.overrideRejection ?? false),
});
defineMutation("rejectAssignment", {
  description: "Rejects a submitted assignment (RejectAssignment).",
  scopes: { write: true },
  input: RejectAssignmentInput,
  inputDescription: "The assignment and why.",
  payload: ReviewedRef,
  resolve: (input, ctx) => reject(ctx, input.assignmentId, input.requesterFeedback),
});
type Selection = { assignmentIds?: string[] | null; hitId?: string | null };

/** What the bulk reviews share: their items are a selection's assignments (its ids, or a HIT's submitted ones). */
const reviewedBySelection = {
  keyName: "assignmentId",
  result: ReviewedRef,
  items: (input: { select: Selection }, ctx: GatewayContext) => selected(ctx, input.select),
  listed: (input: { select: Selection }) => !input.select.assignmentIds,
  count: (input: { select: Selection }) => input.select.assignmentIds?.length ?? null,
  key: (id: string) => id,
} as const;

defineBulkMutation("approveAssignments", {
  description:
    "Approves many assignments (ApproveAssignment each, within the concurrency limit): by ids, or every submitted assignment of a HIT.",
  what: "a bulk approval",
  scopes: { write: true, pay: true },
  input: ApproveAssignmentsInput,
  inputDescription: "Which, and the feedback.",
  ...reviewedBySelection,
  run: (id, ctx, input) => approve(ctx, id, input.requesterFeedback),
  dryRun: (_input, ctx, ids) => dryRunApprovals(ctx, ids),
});
defineBulkMutation("rejectAssignments", {
  description: "Rejects many assignments (RejectAssignment each): by ids, or every submitted assignment of a HIT.",
  what: "a bulk rejection",
  scopes: { write: true },
  input: RejectAssignmentsInput,
  inputDescription: "Which, and why.",
  ...reviewedBySelection,
  run: (id, ctx, input) => reject(ctx, id, input.requesterFeedback),
});
defineMutation("sendBonus", {
  description:
    "Pays a bonus (SendBonus) exactly once per idempotencyKey: a retry, even after a lost response, pays nothing more.",
  scopes: { write: true, pay: true },
  input: SendBonusInput,
  inputDescription: "The bonus.",
  payload: BonusPaidRef,
  keyed: true,
  resolve: (input, ctx) => payBonus(ctx, input, input.idempotencyKey),
  dryRun: (input, ctx) => dryRunBonuses(ctx, [input.bonusAmount]),
});
defineBulkMutation("sendBonuses", {
  description:
    "Pays many bonuses (SendBonus each, within the concurrency limit), each exactly once: an item's key is its own idempotencyKey or a digest of the batch key with the item's worker, assignment, amount and reason.",
  what: "a bulk bonus payment",
  scopes: { write: true, pay: true },
  input: SendBonusesInput,
  inputDescription: "The bonuses.",
  keyName: "assignmentId",
  result: BonusPaidRef,
  items: (input) => input.items,
  count: (input) => input.items.length,
  key: (b) => b.assignmentId,
  claim: (input, ctx, items) =>
    claimBonusBatch(
      ctx.writes,
      input.idempotencyKey,
      items.map((b) => ({ key: bonusKey(input.idempotencyKey, b), bonus: toBonusInput(b) })),
    ),
  run: (b, ctx, input) => payBonus(ctx, b, bonusKey(input.idempotencyKey, b)),
  // Items that share a key are paid once: so are they counted.
  dryRun: (input, ctx) => {
    const byKey = new Map<string, string>();
    for (const b of input.items) {
      const key = bonusKey(input.idempotencyKey, b);
      if (!byKey.has(key)) byKey.set(key, b.bonusAmount);
    }
    return dryRunBonuses(ctx, [...byKey.values()]);
  },
});
