import type { Assignment } from "@aws-sdk/client-mturk";
import type { GatewayContext } from "../context.js";
import type { MirrorCursor } from "../mirror/listings.js";
import { pageConnection } from "../mturk/listing.js";
import { type ConnectionArgs, forwardPageSize } from "../mturk/pagination.js";
import { AssignmentRef, BonusPaymentRef } from "./assignment.js";
import { builder } from "./builder.js";
import { AssignmentStatusEnum, Money, money, pageOf } from "./common.js";
import { connectionResult } from "./connections.js";
import { workerHistoryCost, workerStatsCost } from "./cost.js";
import { WorkerRef } from "./worker.js";

/** A worker's history across the account's HITs, from the mirror (src/mirror/history.ts). */

const WorkerAssignmentFilter = builder.inputType("WorkerAssignmentFilter", {
  description:
    "Which of a worker's assignments (the gateway filters its mirror of the account; MTurk lists work only by HIT).",
  fields: (t) => ({
    statuses: t.field({ type: [AssignmentStatusEnum], description: "Only these AssignmentStatus values." }),
    hitTypeId: t.string({ description: "Only assignments of HITs of this HIT type (HITTypeId)." }),
    submittedAfter: t.field({
      type: "DateTime",
      description: "Only assignments submitted at or after this SubmitTime.",
    }),
  }),
});

interface Stats {
  submitted: number;
  pending: number;
  approved: number;
  rejected: number;
  bonusCents: number;
}

const WorkerStatsRef = builder.objectRef<Stats>("WorkerStats").implement({
  description:
    "A worker's record across the account's HITs, from the gateway's mirror of them (ListHITs, ListAssignmentsForHIT, ListBonusPayments), with the gateway's own reviews and bonuses applied at once.",
  fields: (t) => ({
    submitted: t.exposeInt("submitted", {
      nullable: false,
      description: "Assignments the worker submitted: Submitted, Approved or Rejected (AssignmentStatus).",
    }),
    pending: t.exposeInt("pending", { nullable: false, description: "Assignments awaiting review (Submitted)." }),
    approved: t.exposeInt("approved", { nullable: false, description: "Approved assignments." }),
    rejected: t.exposeInt("rejected", { nullable: false, description: "Rejected assignments." }),
    approvalRate: t.float({
      description: "approved / (approved + rejected), from 0 to 1; null before any review.",
      resolve: (s) => (s.approved + s.rejected ? s.approved / (s.approved + s.rejected) : null),
    }),
    bonusTotal: t.field({
      type: Money,
      nullable: false,
      description: "The sum of the worker's BonusAmount values (SendBonus).",
      resolve: (s) => money((s.bonusCents / 100).toFixed(2)),
    }),
  }),
});

/** Newest first, ties by id; a cursor names its item, so a page resumes after it whatever changed since. */
const historyPage = (ctx: GatewayContext, scope: unknown[], args: ConnectionArgs) => ({
  cursorScope: JSON.stringify(scope),
  after: args.after ? ctx.codec.decode<MirrorCursor>(JSON.stringify(scope), args.after) : undefined,
  count: forwardPageSize(args, ctx.maxPageSize),
});

builder.objectFields(WorkerRef, (t) => ({
  assignments: t.connection(
    {
      type: AssignmentRef,
      description:
        "The worker's assignments on all the account's HITs, newest SubmitTime first, from the gateway's mirror: MTurk lists assignments only by HIT (ListAssignmentsForHIT), so the mirror keeps every HIT's (ListHITs, ListAssignmentsForHIT, ListBonusPayments), also after MTurk disposed of a HIT and forgot it.",
      args: { filter: t.arg({ type: WorkerAssignmentFilter, description: "Statuses, HIT type, submit time." }) },
      complexity: workerHistoryCost,
      resolve: async (worker, args, ctx) => {
        const filter = args.filter ?? null;
        const page = historyPage(ctx, ["WorkerAssignments", worker.workerId, filter], args);
        const answer = await ctx.mirror.workerAssignments(worker.workerId, { ...page, filter }, ctx.waiter);
        return connectionResult(
          pageConnection<Assignment>(ctx.codec, page.cursorScope, answer, {
            previous: page.after !== undefined,
            pageNumber: null,
            count: () => ctx.mirror.countWorkerAssignments(worker.workerId, filter, ctx.waiter).then((c) => c.value),
          }),
        );
      },
    },
    ...pageOf("a worker's assignments"),
  ),
  bonusPayments: t.connection(
    {
      type: BonusPaymentRef,
      description:
        "Bonuses paid to the worker on all the account's HITs, newest GrantTime first, from the gateway's mirror (ListBonusPayments per HIT: MTurk cannot list a worker's bonuses).",
      complexity: workerHistoryCost,
      resolve: async (worker, args, ctx) => {
        const page = historyPage(ctx, ["WorkerBonuses", worker.workerId], args);
        const answer = await ctx.mirror.workerBonuses(worker.workerId, page, ctx.waiter);
        return connectionResult(
          pageConnection(ctx.codec, page.cursorScope, answer, {
            previous: page.after !== undefined,
            pageNumber: null,
            count: () => ctx.mirror.countWorkerBonuses(worker.workerId, ctx.waiter).then((c) => c.value),
          }),
        );
      },
    },
    ...pageOf("a worker's bonus payments"),
  ),
  stats: t.field({
    type: WorkerStatsRef,
    nullable: false,
    description:
      "Counts of the worker's submitted, approved and rejected assignments and the bonuses paid, across the account's HITs (the gateway's mirror).",
    complexity: (_args, ctx) => workerStatsCost(ctx),
    resolve: async (worker, _args, ctx) => (await ctx.mirror.workerStats(worker.workerId, ctx.waiter)).value,
  }),
}));
