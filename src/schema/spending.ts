import type { Assignment, HIT } from "@aws-sdk/client-mturk";
import type { GatewayContext } from "../context.js";
import { type Estimate, estimate, fromCents, sumEstimates, toCents } from "../money/fees.js";
import { badInput, isNotFound } from "../mturk/errors.js";
import { idOf } from "../mturk/ids.js";
import { scopes } from "../mturk/listings.js";
import { builder } from "./builder.js";
import { Money, money } from "./common.js";
import { listing } from "./connections.js";
import { HITRef } from "./hit.js";
import { InputInvalid } from "./inputInvalid.js";
import type { Types } from "./mutation.js";
import { idempotencyKeyRule } from "./validators.js";

/** Cost before paying: estimates, HIT.cost, and the dry runs of the money mutations (nothing is written). */

const CostEstimateRef = builder.objectRef<Estimate>("CostEstimate").implement({
  description:
    "What work costs on MTurk: rewards, bonuses and MTurk's fee (20 % of rewards and bonuses, another 20 % of rewards on a HIT with 10 or more assignments (MaxAssignments), at least $0.01 per assignment and per bonus), as ApproveAssignment and SendBonus draw it.",
  fields: (t) => ({
    assignments: t.exposeInt("assignments", { nullable: false, description: "Assignments whose Reward is counted." }),
    rewards: t.field({
      type: Money,
      nullable: false,
      description: "Reward × assignments.",
      resolve: (e) => cents(e.rewards),
    }),
    bonuses: t.field({
      type: Money,
      nullable: false,
      description: "The BonusAmount values.",
      resolve: (e) => cents(e.bonuses),
    }),
    fee: t.field({ type: Money, nullable: false, description: "MTurk's commission.", resolve: (e) => cents(e.fee) }),
    total: t.field({
      type: Money,
      nullable: false,
      description: "Rewards, bonuses and fee: what the account pays.",
      resolve: (e) => cents(e.total),
    }),
  }),
});

const cents = (value: number) => money(fromCents(value));

/**
 * A money mutation's answer to `dryRun: true`. A class the errors plugin can tell apart: it is one more member of
 * the mutation's result union (the payload and the errors are the others), so clients that never ask for a dry
 * run see no change.
 */
export class DryRun extends Error {
  constructor(
    readonly cost: Estimate,
    readonly availableCents: number,
  ) {
    super("dry run");
  }
}

builder.objectType(DryRun, {
  name: "DryRunCost",
  // It shows the account's balance: reading it needs `read`, as accountBalance does.
  authScopes: { read: true },
  description:
    "What a money mutation would cost, computed instead of running it (dryRun: true): no write was sent to MTurk, only reads (GetAccountBalance, GetHIT, GetAssignment, ListHITs, ListAssignmentsForHIT). The balance follows ApproveAssignment and SendBonus drawing rewards and bonuses with their fee, as the simulator does; MTurk itself reserves a HIT's rewards when CreateHIT runs.",
  isTypeOf: (value) => value instanceof DryRun,
  fields: (t) => ({
    cost: t.expose("cost", {
      type: CostEstimateRef,
      nullable: false,
      description: "Rewards, bonuses, MTurk's fee and total.",
    }),
    availableBalance: t.field({
      type: Money,
      nullable: false,
      description: "The AvailableBalance now (GetAccountBalance).",
      resolve: (d) => cents(d.availableCents),
    }),
    balanceAfter: t.field({
      type: Money,
      nullable: false,
      description: "The AvailableBalance once the cost is drawn (negative: MTurk would refuse with InsufficientFunds).",
      resolve: (d) => cents(d.availableCents - d.cost.total),
    }),
    sufficientFunds: t.boolean({
      nullable: false,
      description: "Whether the AvailableBalance covers the cost.",
      resolve: (d) => d.availableCents >= d.cost.total,
    }),
  }),
});

/** The members of an idempotent money mutation's input: its key (required) and `dryRun`. */
export const keyAndDryRun = (t: PothosSchemaTypes.InputFieldBuilder<Types, "InputObject">, keyDescription: string) => ({
  idempotencyKey: t.string({ required: true, description: keyDescription, validate: idempotencyKeyRule }),
  dryRun: dryRunField(t),
});

/** The `dryRun` member of a money mutation's input. */
export const dryRunField = (t: PothosSchemaTypes.InputFieldBuilder<Types, "InputObject">) =>
  t.boolean({
    defaultValue: false,
    description:
      "True: send no write to MTurk; answer with a DryRunCost (the cost and the balance after, from GetAccountBalance and reads). Default false.",
  });

async function preview(ctx: GatewayContext, cost: Estimate): Promise<DryRun> {
  const balance = await ctx.loaders.accountBalance();
  return new DryRun(cost, toCents(balance.AvailableBalance ?? "0"));
}

const hitCost = (hit: HIT, assignments = hit.MaxAssignments ?? 1) =>
  estimate({ rewardCents: toCents(hit.Reward ?? "0"), assignments, maxAssignments: hit.MaxAssignments ?? 1 });

/** CreateHIT: every assignment approved. */
export const dryRunCreateHIT = (ctx: GatewayContext, input: { reward: string; maxAssignments?: number | null }) =>
  preview(ctx, estimate({ rewardCents: toCents(input.reward), maxAssignments: input.maxAssignments ?? 1 }));

/** CreateHITWithHITType: MTurk cannot read a HIT type; its Reward is read from one of its HITs (ListHITs). */
export async function dryRunCreateHITWithHITType(
  ctx: GatewayContext,
  input: { hitTypeId: string; maxAssignments?: number | null },
) {
  const hits = await listing<HIT>(
    ctx,
    { first: 1 },
    {
      scope: scopes.hits(),
      fetchPage: (token, size) => ctx.loaders.listHITsPage(token, size),
      filter: { hitTypeIds: [input.hitTypeId] },
    },
  );
  const reward = hits.edges[0]?.node.Reward;
  if (reward === undefined)
    throw new InputInvalid(
      "MTurk has no read for a HIT type and none of its HITs is listed: price it with estimateCost.",
      "input.hitTypeId",
    );
  return preview(ctx, estimate({ rewardCents: toCents(reward), maxAssignments: input.maxAssignments ?? 1 }));
}

/** CreateAdditionalAssignmentsForHIT: the new assignments at the HIT's reward and new MaxAssignments. */
export async function dryRunAdditionalAssignments(ctx: GatewayContext, hitId: string, extra: number) {
  const hit = await ctx.writes.freshHit(hitId);
  const max = (hit.MaxAssignments ?? 1) + extra;
  if ((hit.MaxAssignments ?? 1) < 10 && max >= 10)
    throw new InputInvalid(
      "MTurk refuses to take a HIT created with fewer than 10 assignments to 10 or more.",
      "input.numberOfAdditionalAssignments",
    );
  return preview(ctx, estimate({ rewardCents: toCents(hit.Reward ?? "0"), assignments: extra, maxAssignments: max }));
}

/** SendBonus: each amount and its fee. */
export const dryRunBonuses = (ctx: GatewayContext, amounts: string[]) =>
  preview(ctx, estimate({ bonusCents: amounts.map(toCents) }));

/**
 * ApproveAssignment: a submitted assignment (or a rejected one with overrideRejection) pays its HIT's reward; any
 * other is already paid or cannot be approved, and costs nothing. Missing assignments cost nothing either.
 */
export async function dryRunApprovals(ctx: GatewayContext, assignmentIds: string[], override = false) {
  const loaded = await ctx.loaders.assignments.loadMany(assignmentIds);
  const payable: Assignment[] = [];
  for (const a of loaded) {
    if (a instanceof Error) {
      if (!isNotFound(a)) throw a;
    } else if (a.AssignmentStatus === "Submitted" || (override && a.AssignmentStatus === "Rejected")) payable.push(a);
  }
  // GetAssignment returned each HIT too: these loads are answered from the request's cache.
  const hits = await ctx.loaders.hits.loadMany([...new Set(payable.map((a) => idOf(a, "HITId")))]);
  const byId = new Map(hits.flatMap((h) => (h instanceof Error ? [] : [[idOf(h, "HITId"), h] as const])));
  const costs = payable.flatMap((a) => {
    const hit = byId.get(idOf(a, "HITId"));
    return hit ? [hitCost(hit, 1)] : [];
  });
  return preview(ctx, sumEstimates(costs));
}

builder.objectFields(HITRef, (t) => ({
  cost: t.field({
    type: CostEstimateRef,
    description:
      "What the HIT costs when every assignment (MaxAssignments) is approved at its Reward, with MTurk's fee (GetHIT). Bonuses are not included: see bonusPayments.",
    resolve: (hit: HIT) => (hit.Reward === undefined ? null : hitCost(hit)),
  }),
}));

const EstimateCostInput = builder.inputType("EstimateCostInput", {
  description: "Work to price as CreateHIT (Reward, MaxAssignments) and SendBonus (BonusAmount) would charge it.",
  fields: (t) => ({
    reward: t.string({ description: 'Reward per assignment in USD, e.g. "0.25" (Reward).' }),
    maxAssignments: t.int({ defaultValue: 1, description: "Assignments of the HIT (MaxAssignments); default 1." }),
    bonuses: t.stringList({ description: 'Bonus amounts in USD, e.g. ["0.50"] (BonusAmount of SendBonus).' }),
  }),
});

const MONEY = /^\d{1,7}(\.\d{0,2})?$/;

builder.queryFields((t) => ({
  estimateCost: t.field({
    type: CostEstimateRef,
    nullable: false,
    description:
      "The cost of a HIT's rewards and of bonuses with MTurk's fee, before creating or paying anything (no MTurk call; CreateHIT, ApproveAssignment and SendBonus charge it).",
    args: { input: t.arg({ type: EstimateCostInput, required: true, description: "The work to price." }) },
    resolve: (_root, { input }) => {
      const amounts = [input.reward ?? "0", ...(input.bonuses ?? [])];
      if (!amounts.every((a) => MONEY.test(a))) throw badMoney();
      const max = input.maxAssignments ?? 1;
      if (!Number.isInteger(max) || max < 1 || max > 1_000_000)
        throw badMoney("maxAssignments must be 1 to 1,000,000.");
      return estimate({
        rewardCents: toCents(input.reward ?? "0"),
        maxAssignments: max,
        bonusCents: (input.bonuses ?? []).map(toCents),
      });
    },
  }),
}));

const badMoney = (message = "Amounts are USD with at most 2 decimals, e.g. 0.25.") =>
  badInput(message, { argument: "input" });
