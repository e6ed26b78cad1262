import type { Assignment, AssignmentStatus } from "@aws-sdk/client-mturk";
import { type FieldNode, type GraphQLObjectType, type GraphQLResolveInfo, getNamedType, isObjectType } from "graphql";
import { collectSubfields } from "graphql/execution/collectFields.js";
import type { GatewayContext } from "../context.js";
import { distinctIds, listingIds } from "../mturk/listings.js";
import { forwardPageSize } from "../mturk/pagination.js";
import { type IndexedBonus, workerHistory } from "../mturk/workerIndex.js";
import { AssignmentRef, BonusPaymentRef } from "./assignment.js";
import { builder } from "./builder.js";
import { AssignmentStatusEnum, Money, money, pageOf } from "./common.js";
import type { ConnectionResult } from "./connections.js";
import { workerHistoryCost, workerIndexCost } from "./cost.js";
import { WorkerRef } from "./worker.js";

/** A worker's history across the account's HITs, from the worker index (src/mturk/workerIndex.ts). */

const WorkerAssignmentFilter = builder.inputType("WorkerAssignmentFilter", {
  description: "Which of a worker's assignments (the gateway filters the worker index; MTurk lists work only by HIT).",
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
    "A worker's record across the account's HITs, from the worker index (ListHITs, ListAssignmentsForHIT, ListBonusPayments), with the gateway's own reviews and bonuses applied at once.",
  fields: (t) => ({
    submitted: t.exposeInt("submitted", {
      nullable: false,
      description: "Assignments the worker submitted: Submitted, Approved or Rejected (AssignmentStatus).",
    }),
    pending: t.exposeInt("pending", { nullable: false, description: "Assignments awaiting review (Submitted)." }),
    approved: t.exposeInt("approved", { nullable: false, description: "Approved assignments." }),
    rejected: t.exposeInt("rejected", { nullable: false, description: "Rejected assignments." }),
    approvalRate: t.float({
      nullable: true,
      description: "approved / (approved + rejected), from 0 to 1; null before any review.",
      resolve: (s) => (s.approved + s.rejected ? s.approved / (s.approved + s.rejected) : null),
    }),
    bonusTotal: t.field({
      type: Money,
      nullable: false,
      description: "The sum of the worker's BonusAmount values (SendBonus).",
      resolve: (s) => money((s.bonusCents / 100).toFixed(2)) as NonNullable<ReturnType<typeof money>>,
    }),
  }),
});

/** Field names selected under `edges { node { … } }` of a connection being resolved. */
function nodeFieldNames(info: GraphQLResolveInfo): Set<string> {
  const names = new Set<string>();
  const sub = (type: GraphQLObjectType, nodes: readonly FieldNode[]) =>
    collectSubfields(info.schema, info.fragments, info.variableValues, type, nodes);
  const connection = getNamedType(info.returnType);
  if (!isObjectType(connection)) return names;
  const edge = getNamedType(connection.getFields().edges?.type);
  if (!isObjectType(edge)) return names;
  const node = getNamedType(edge.getFields().node?.type);
  if (!isObjectType(node)) return names;
  for (const edges of sub(connection, info.fieldNodes).values())
    if (edges[0]?.name.value === "edges")
      for (const nodes of sub(edge, edges).values())
        if (nodes[0]?.name.value === "node")
          for (const f of sub(node, nodes).values()) names.add(f[0]?.name.value ?? "");
  return names;
}

/** The index keeps no Answer: a page that shows answers loads its assignments (GetAssignment, batched). */
const NEEDS_ANSWER = new Set(["answer", "answers"]);

type Keyed<T> = { item: T; time: number; id: string };
type Cursor = { t: number; i: string };

/** Newest first, ties by id; a cursor resumes after its (time, id), whatever changed in the list since. */
function keysetPage<T, N>(
  ctx: GatewayContext,
  scope: unknown[],
  list: Keyed<T>[],
  args: { first?: number | null; after?: string | null; last?: number | null; before?: string | null },
  node: (item: T) => N,
  at: number,
): ConnectionResult<N> {
  const sorted = [...list].sort((a, b) => b.time - a.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const key = JSON.stringify(scope);
  const size = forwardPageSize(args, ctx.maxPageSize);
  let start = 0;
  if (args.after) {
    const c = ctx.codec.decode<Cursor>(key, args.after);
    start = sorted.findIndex((k) => k.time < c.t || (k.time === c.t && k.id > c.i));
    if (start < 0) start = sorted.length;
  }
  const page = sorted.slice(start, start + size);
  const cursor = (k: Keyed<T>) => ctx.codec.encode(key, { t: k.time, i: k.id } satisfies Cursor);
  const first = page[0];
  const last = page.at(-1);
  return {
    edges: page.map((k) => ({ node: node(k.item), cursor: cursor(k) })),
    pageInfo: {
      hasNextPage: start + page.length < sorted.length,
      hasPreviousPage: start > 0,
      startCursor: first ? cursor(first) : null,
      endCursor: last ? cursor(last) : null,
    },
    totalCount: sorted.length,
    pageNumber: null,
    asOf: new Date(at),
  };
}

builder.objectFields(WorkerRef, (t) => ({
  assignments: t.connection(
    {
      type: AssignmentRef,
      description:
        "The worker's assignments on all the account's HITs, newest SubmitTime first, from the worker index: MTurk lists assignments only by HIT (ListAssignmentsForHIT), so the gateway indexes every HIT's (ListHITs, ListAssignmentsForHIT, ListBonusPayments; one build shared for WORKER_INDEX_TTL_MS). Selecting answers reads each assignment (GetAssignment).",
      args: { filter: t.arg({ type: WorkerAssignmentFilter, description: "Statuses, HIT type, submit time." }) },
      complexity: workerHistoryCost,
      resolve: async (worker, args, ctx, info) => {
        const { assignments, at } = await workerHistory(ctx, worker.workerId);
        const f = args.filter;
        const kept = assignments.filter(
          ({ assignment: a, hit }) =>
            (!f?.statuses?.length || f.statuses.includes(a.AssignmentStatus as AssignmentStatus)) &&
            (!f?.hitTypeId || hit.HITTypeId === f.hitTypeId) &&
            (!f?.submittedAfter || (a.SubmitTime?.getTime() ?? 0) >= f.submittedAfter.getTime()),
        );
        const load = [...nodeFieldNames(info)].some((name) => NEEDS_ANSWER.has(name));
        const scope = ["WorkerAssignments", worker.workerId, f ?? null];
        const keyed = kept.map(({ assignment }) => ({
          item: assignment,
          time: assignment.SubmitTime?.getTime() ?? 0,
          id: assignment.AssignmentId as string,
        }));
        return keysetPage(
          ctx,
          scope,
          keyed,
          args,
          (a: Assignment): Assignment | string => (load ? (a.AssignmentId as string) : a),
          at,
        );
      },
    },
    ...pageOf("a worker's assignments"),
  ),
  bonusPayments: t.connection(
    {
      type: BonusPaymentRef,
      description:
        "Bonuses paid to the worker on all the account's HITs, newest GrantTime first, from the worker index (ListBonusPayments per HIT: MTurk cannot list a worker's bonuses).",
      complexity: workerHistoryCost,
      resolve: async (worker, args, ctx) => {
        const { bonuses, at } = await workerHistory(ctx, worker.workerId);
        const ids = distinctIds(bonuses, listingIds.ListBonusPayments);
        const keyed = bonuses.map((b, i) => ({ item: b, time: b.GrantTime?.getTime() ?? 0, id: ids[i] as string }));
        return keysetPage(ctx, ["WorkerBonuses", worker.workerId], keyed, args, (b: IndexedBonus) => b, at);
      },
    },
    ...pageOf("a worker's bonus payments"),
  ),
  stats: t.field({
    type: WorkerStatsRef,
    nullable: false,
    description:
      "Counts of the worker's submitted, approved and rejected assignments and the bonuses paid, across the account's HITs (the worker index).",
    complexity: (_args, ctx) => workerIndexCost(ctx),
    resolve: async (worker, _args, ctx) => {
      const { assignments, bonuses } = await workerHistory(ctx, worker.workerId);
      const count = (status: string) => assignments.filter((a) => a.assignment.AssignmentStatus === status).length;
      return {
        submitted: assignments.length,
        pending: count("Submitted"),
        approved: count("Approved"),
        rejected: count("Rejected"),
        bonusCents: bonuses.reduce((sum, b) => sum + Math.round(Number.parseFloat(b.BonusAmount ?? "0") * 100), 0),
      };
    },
  }),
}));
