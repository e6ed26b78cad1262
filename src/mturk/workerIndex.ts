import type { Assignment, BonusPayment, HIT } from "@aws-sdk/client-mturk";
import { GraphQLError } from "graphql";
import type { GatewayContext } from "../context.js";
import { scopes } from "./listings.js";
import { MTURK_MAX_RESULTS, scanAll, type UpstreamPage } from "./pagination.js";

/**
 * The worker index: every assignment and bonus of the account's HITs, so that a worker's history across HITs costs
 * no call. MTurk lists work only by HIT, so it is built like a snapshot (ListHITs, then ListAssignmentsForHIT and
 * ListBonusPayments per HIT that has work), kept in the SnapshotCache as one entry (shared by requests, and by the
 * fleet with REDIS_URL; bounded by SNAPSHOT_MAX_ITEMS; WORKER_INDEX_TTL_MS), and brought up to date with the
 * gateway's own writes through the WriteJournal when read: reviews patch statuses, bonuses appear, deleted HITs go.
 */
export const WORKER_INDEX_SCOPE = ["WorkerIndex"] as const;
export const DEFAULT_WORKER_INDEX = { ttlMs: 300_000, maxCalls: 5000 };

/** What the index keeps of a HIT: what a worker's history filters and shows. */
type HitSummary = Pick<HIT, "HITId" | "HITTypeId" | "Title" | "Reward" | "MaxAssignments">;
/** A bonus names its assignment only; the index adds the HIT it was listed under. */
export type IndexedBonus = BonusPayment & { HITId?: string };
/** Flat items, so that the cache's item bound counts them: HITs, assignments (without their Answer), bonuses. */
type IndexItem = { h: HitSummary } | { a: Assignment } | { b: IndexedBonus };

export interface WorkerHistory {
  /** The worker's assignments with the gateway's writes applied, each with its HIT's summary. */
  assignments: { assignment: Assignment; hit: HitSummary }[];
  bonuses: IndexedBonus[];
  /** When the index read MTurk (the gateway's writes since are applied). */
  at: number;
}

const indexSettings = (ctx: GatewayContext) => ctx.limits.workerIndex ?? DEFAULT_WORKER_INDEX;

const tooLarge = (maxCalls: number) =>
  new GraphQLError(
    `Indexing the account's work needs more than ${maxCalls} MTurk calls (WORKER_INDEX_MAX_CALLS): raise it to use a worker's history.`,
    { extensions: { code: "QUERY_TOO_COMPLEX", kind: "worker index" } },
  );

/** Whether a HIT may have listed work: MTurk lists only submitted, approved and rejected assignments. */
export function hitHasWork(hit: HIT): boolean {
  const { MaxAssignments: max, NumberOfAssignmentsAvailable: open, NumberOfAssignmentsPending: pending } = hit;
  if (max === undefined || open === undefined || pending === undefined) return true;
  return (hit.NumberOfAssignmentsCompleted ?? 1) > 0 || max - open - pending > 0;
}

/** One build: every page counts against the budget before it is asked for, so no call goes past it. */
async function buildIndex(ctx: GatewayContext): Promise<IndexItem[]> {
  const { maxCalls } = indexSettings(ctx);
  let calls = 0;
  const budgeted =
    <T>(page: (token: string | undefined) => Promise<UpstreamPage<T>>) =>
    (token: string | undefined) => {
      calls += 1;
      if (calls > maxCalls) return Promise.reject(tooLarge(maxCalls));
      return page(token);
    };
  const scan = <T>(page: (token: string | undefined) => Promise<UpstreamPage<T>>) =>
    scanAll(budgeted(page)).then((r) => r.items);
  const hits = await scan((token) => ctx.loaders.listHITsPage(token, MTURK_MAX_RESULTS));
  const items: IndexItem[] = [];
  await Promise.all(
    hits.map(async (hit) => {
      const id = hit.HITId as string;
      const summary = {
        HITId: id,
        HITTypeId: hit.HITTypeId,
        Title: hit.Title,
        Reward: hit.Reward,
        MaxAssignments: hit.MaxAssignments,
      };
      items.push({ h: summary });
      if (!hitHasWork(hit)) return;
      const [assignments, bonuses] = await Promise.all([
        scan((token) => ctx.loaders.listAssignmentsForHITPage(id, undefined, token, MTURK_MAX_RESULTS)),
        scan((token) => ctx.loaders.listBonusPaymentsPage({ hitId: id }, token, MTURK_MAX_RESULTS)),
      ]);
      // Answers stay out: they can be large, and a history rarely shows them (GetAssignment reads them).
      for (const { Answer: _answer, ...a } of assignments) items.push({ a });
      for (const b of bonuses) items.push({ b: { ...b, HITId: id } });
    }),
  );
  return items;
}

interface Grouped {
  hits: Map<string, HitSummary>;
  byWorker: Map<string, { assignments: Assignment[]; bonuses: IndexedBonus[] }>;
}

/** Grouped once per build (a snapshot's items array is the same object until the next build). */
const groupedBuilds = new WeakMap<object, Grouped>();

function grouped(items: IndexItem[]): Grouped {
  let found = groupedBuilds.get(items);
  if (found) return found;
  found = { hits: new Map(), byWorker: new Map() };
  const of = (workerId: string) => {
    let entry = found?.byWorker.get(workerId);
    if (!entry) {
      entry = { assignments: [], bonuses: [] };
      found?.byWorker.set(workerId, entry);
    }
    return entry;
  };
  for (const item of items) {
    if ("h" in item) found.hits.set(item.h.HITId as string, item.h);
    else if ("a" in item) of(item.a.WorkerId as string).assignments.push(item.a);
    else of(item.b.WorkerId as string).bonuses.push(item.b);
  }
  groupedBuilds.set(items, found);
  return found;
}

/** A worker's history from the index (built now if none is fresh), with the gateway's writes since applied. */
export async function workerHistory(ctx: GatewayContext, workerId: string): Promise<WorkerHistory> {
  // Shared work in the background class: a build that outlasts the request goes on for the next one.
  const { items, at } = await ctx.snapshots.read<IndexItem>(WORKER_INDEX_SCOPE, () => buildIndex(ctx), {
    ttlMs: indexSettings(ctx).ttlMs,
    waiter: ctx.waiter,
    class: "background",
  });
  const { hits, byWorker } = grouped(items);
  const mine = byWorker.get(workerId) ?? { assignments: [], bonuses: [] };
  const journal = ctx.snapshots.journal;
  const assignments: WorkerHistory["assignments"] = [];
  const bonusesOf = new Map<string, IndexedBonus[]>();
  for (const b of mine.bonuses)
    bonusesOf.set(b.AssignmentId as string, [...(bonusesOf.get(b.AssignmentId as string) ?? []), b]);
  const bonuses: IndexedBonus[] = [];
  for (const listed of mine.assignments) {
    const indexedHit = hits.get(listed.HITId as string);
    // A HIT the gateway deleted is gone from the journal's ListHITs; another HIT type is patched in.
    const hit = indexedHit && journal.apply<HitSummary>(scopes.hits(), [indexedHit], false)[0];
    const assignment = journal.apply<Assignment>(scopes.assignments(listed.HITId as string), [listed], false)[0];
    if (!hit || !assignment) continue;
    assignments.push({ assignment, hit });
    const id = assignment.AssignmentId as string;
    // Bonuses the gateway paid since the build are the journal's inserts for this assignment.
    bonuses.push(...journal.apply<IndexedBonus>(scopes.bonuses({ assignmentId: id }), bonusesOf.get(id) ?? []));
  }
  return { assignments, bonuses, at };
}
