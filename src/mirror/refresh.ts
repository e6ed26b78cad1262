import { type Assignment, type HIT, HITStatus } from "@aws-sdk/client-mturk";
import { sql } from "kysely";
import { isNotFound } from "../mturk/errors.js";
import { distinctIds } from "../mturk/listings.js";
import type { MTurkLoaders } from "../mturk/loaders.js";
import { eachPage, MTURK_MAX_RESULTS, scanAll, type UpstreamPage } from "../mturk/pagination.js";
import type { MirrorDb } from "./database.js";
import {
  ASSIGNMENTS,
  BONUSES,
  bonusId,
  cents,
  HITS,
  itemId,
  type ListedBonus,
  sdkMember,
  workCounters,
} from "./rows.js";
import type { MirrorTables } from "./schema.js";
import { upsertListed } from "./upsert.js";

/**
 * What each sync unit reads from MTurk and how it lands in the mirror. Everything a refresh learns is committed as
 * it goes (a page, or one HIT's work with its sync position, per transaction), so a refresh cut short by a crash or
 * an outage keeps what it read and the next one goes on from there.
 */
export interface RefreshContext {
  db: MirrorDb;
  loaders: MTurkLoaders;
  /** The gateway's own writes win over listings this long (WRITE_JOURNAL_MS). */
  protectMs: number;
  /** Reports how far a long refresh (the work of every HIT) has come. */
  progress?: (done: number, total: number) => void;
  /** HITs whose work a pass reads again although their counters did not change (the longest unread first). */
  rechecks?: number;
}

/** What a pass reads again by default although no counter changed. */
const DEFAULT_RECHECKS = 10;

export const scan = <T>(page: (token: string | undefined) => Promise<UpstreamPage<T>>) =>
  scanAll(page).then((r) => r.items);

/** The HITs as ListHITs has them; a HIT no longer listed is asked for once (GetHIT): disposed, or forgotten. */
export async function refreshHits(ctx: RefreshContext): Promise<void> {
  const { db, loaders } = ctx;
  const started = Date.now();
  // Each page is committed as it arrives (the one NextToken loop: eachPage).
  for await (const { items } of eachPage((token) => loaders.listHITsPage(token, MTURK_MAX_RESULTS)))
    await storeHits(ctx, items, { listed_at: Date.now() });
  const unlisted = await db
    .selectFrom("hits")
    .select("hit_id")
    .where("forgotten", "=", 0)
    .where("status", "<>", "Disposed")
    .where((eb) => eb.or([eb("listed_at", "is", null), eb("listed_at", "<", started)]))
    .execute();
  await Promise.all(unlisted.map(({ hit_id }) => rereadHit(ctx, hit_id)));
}

/** HIT rows and their requirements (ListHITsForQualificationType is answered from these). */
export async function storeHits(ctx: RefreshContext, hits: HIT[], also: Record<string, unknown> = {}) {
  const now = Date.now();
  await ctx.db.transaction().execute(async (trx) => {
    await upsertListed(
      trx,
      HITS,
      hits.map((item) => ({ item, extra: {} })),
      { now, protectMs: ctx.protectMs, also },
    );
    await replaceRequirements(trx, hits);
  });
}

/** The qualification types each HIT requires, as MTurk last gave them. */
export async function replaceRequirements(db: MirrorDb, hits: HIT[]): Promise<void> {
  const ids = hits.map((h) => itemId(h.HITId));
  if (!ids.length) return;
  await db.deleteFrom("hit_requirements").where("hit_id", "in", ids).execute();
  const requirements = hits.flatMap((h) =>
    (h.QualificationRequirements ?? []).map((r) => ({
      hit_id: itemId(h.HITId),
      qualification_type_id: itemId(r.QualificationTypeId),
    })),
  );
  if (requirements.length)
    await db
      .insertInto("hit_requirements")
      .values(requirements)
      .onConflict((c) => c.doNothing())
      .execute();
}

/** GetHIT for a HIT the listing no longer shows: it is kept either way, as MTurk last had it or as Disposed. */
async function rereadHit(ctx: RefreshContext, hitId: string): Promise<void> {
  try {
    const hit = await ctx.loaders.hits.clear(hitId).load(hitId);
    await storeHits(ctx, [hit]);
    if (hit.HITStatus === "Disposed") await markDisposed(ctx.db, hitId, false);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await markDisposed(ctx.db, hitId, true);
  }
}

/** MTurk disposed of the HIT (and, `forgotten`, no longer knows it): its rows stay, as history. */
export async function markDisposed(db: MirrorDb, hitId: string, forgotten: boolean): Promise<void> {
  await db
    .updateTable("hits")
    .set((eb) => ({
      status: "Disposed",
      forgotten: forgotten ? 1 : eb.ref("forgotten"),
      disposed_at: eb.fn.coalesce("disposed_at", sql<number>`${Date.now()}`),
    }))
    .where("hit_id", "=", hitId)
    .execute();
}

/** Whether a HIT may have listed work: MTurk lists only submitted, approved and rejected assignments. */
export function hitHasWork(hit: HIT): boolean {
  const { MaxAssignments: max, NumberOfAssignmentsAvailable: open, NumberOfAssignmentsPending: pending } = hit;
  if (max === undefined || open === undefined || pending === undefined) return true;
  return (hit.NumberOfAssignmentsCompleted ?? 1) > 0 || max - open - pending > 0;
}

/** A HIT's row's counters: what ListHITs says of its work. */
type CounterColumns = Pick<
  MirrorTables["hits"],
  "hit_id" | "status" | "max_assignments" | "pending" | "available" | "completed"
>;

/** A HIT as its row's counters give it. */
const countersOf = (row: CounterColumns): HIT => ({
  HITId: row.hit_id,
  HITStatus: sdkMember(HITStatus, row.status),
  MaxAssignments: row.max_assignments ?? undefined,
  NumberOfAssignmentsPending: row.pending ?? undefined,
  NumberOfAssignmentsAvailable: row.available ?? undefined,
  NumberOfAssignmentsCompleted: row.completed ?? undefined,
});

/**
 * HITs whose work must be read again: never read, counters changed since (a submission, a review, an extension), or
 * rows that disagree with the counters (a crash between two writes); and `rechecks` more whose work was read longest
 * ago, for what changes no counter (a bonus paid or a rejection overridden by another tool).
 */
async function hitsToRead(db: MirrorDb, rechecks: number): Promise<{ dirty: HIT[]; oldest: HIT[] }> {
  const { rows } = await sql<
    CounterColumns & {
      work_synced: string | null;
      bad: number;
    }
  >`
    select h.hit_id, h.status, h.max_assignments, h.pending, h.available, h.completed, h.work_synced, h.work_synced_at,
      case when coalesce(h.completed, 0) <> coalesce(c.reviewed, 0)
        or coalesce(h.max_assignments, 0) - coalesce(h.available, 0) - coalesce(h.pending, 0) - coalesce(h.completed, 0)
           <> coalesce(c.submitted, 0)
      then 1 else 0 end as bad
    from hits h
    left join (
      select hit_id,
        sum(case when status in ('Approved', 'Rejected') then 1 else 0 end) as reviewed,
        sum(case when status = 'Submitted' then 1 else 0 end) as submitted
      from assignments group by hit_id
    ) c on c.hit_id = h.hit_id
    where h.forgotten = 0 and h.status <> 'Disposed'
    order by h.work_synced_at is not null, h.work_synced_at`.execute(db);
  // What the counters say is all a pass needs of a HIT (its data stays in item_data).
  const withWork = rows.map((row) => ({ row, hit: countersOf(row) })).filter(({ hit }) => hitHasWork(hit));
  const changed = ({ row, hit }: (typeof withWork)[number]) =>
    row.work_synced !== workCounters(hit) || (row.work_synced !== null && Number(row.bad) === 1);
  return {
    dirty: withWork.filter(changed).map(({ hit }) => hit),
    oldest: withWork
      .filter((w) => !changed(w))
      .slice(0, rechecks)
      .map(({ hit }) => hit),
  };
}

/** Every dirty HIT's assignments and bonuses, each HIT committed with its sync position. */
export async function refreshWork(ctx: RefreshContext): Promise<void> {
  await readWorkOf(ctx, (await hitsToRead(ctx.db, 0)).dirty);
}

/** The work of the HITs read longest ago although their counters did not change (the "recheck" unit). */
export async function recheckWork(ctx: RefreshContext): Promise<void> {
  await readWorkOf(ctx, (await hitsToRead(ctx.db, ctx.rechecks ?? DEFAULT_RECHECKS)).oldest);
}

async function readWorkOf(ctx: RefreshContext, dirty: HIT[], concurrency = 4): Promise<void> {
  let done = 0;
  ctx.progress?.(0, dirty.length);
  const queue = [...dirty];
  await Promise.all(
    Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let hit = queue.shift(); hit; hit = queue.shift()) {
        // A HIT MTurk still lists but no longer has (its listing lags its deletion or disposal) keeps its rows.
        await refreshHitWork(ctx, hit).catch(async (error: unknown) => {
          if (!isNotFound(error)) throw error;
          await markDisposed(ctx.db, itemId(hit.HITId), true);
        });
        done += 1;
        ctx.progress?.(done, dirty.length);
      }
    }),
  );
}

/** One HIT's assignments and bonuses, committed with the counters they were read at (its sync position). */
async function refreshHitWork(ctx: RefreshContext, hit: HIT): Promise<void> {
  const id = itemId(hit.HITId);
  const [assignments, bonuses] = await Promise.all([
    listedAssignmentsOf(ctx, hit),
    scan((token) => ctx.loaders.listBonusPaymentsPage({ hitId: id }, token, MTURK_MAX_RESULTS)),
  ]);
  const now = Date.now();
  await ctx.db.transaction().execute(async (trx) => {
    await storeAssignmentsIn(trx, ctx.protectMs, assignments, now);
    await storeBonusesIn(
      trx,
      ctx.protectMs,
      bonuses.map((b) => ({ ...b, HITId: id })),
      now,
    );
    await trx
      .updateTable("hits")
      .set({ work_synced: workCounters(hit), work_synced_at: now })
      .where("hit_id", "=", id)
      .execute();
  });
}

/**
 * A HIT's listed assignments (submitted, approved, rejected): as many as its counters say (max − available −
 * pending), so the scan stops there instead of reading the empty page MTurk ends a listing with. Should MTurk list
 * fewer, the scan goes on to that page; more, and the counters moved, so the next pass reads the HIT again.
 */
async function listedAssignmentsOf(ctx: RefreshContext, hit: HIT): Promise<Assignment[]> {
  const id = itemId(hit.HITId);
  const { MaxAssignments: max, NumberOfAssignmentsAvailable: open, NumberOfAssignmentsPending: pending } = hit;
  const expected = max === undefined || open === undefined || pending === undefined ? undefined : max - open - pending;
  let read = 0;
  const { items } = await scanAll(
    async (token) => {
      const page = await ctx.loaders.listAssignmentsForHITPage(id, undefined, token, MTURK_MAX_RESULTS);
      read += page.items.length;
      return page;
    },
    () => expected === undefined || read < expected || read === 0,
  );
  return items;
}

export async function storeAssignmentsIn(db: MirrorDb, protectMs: number, items: Assignment[], now = Date.now()) {
  await upsertListed(
    db,
    ASSIGNMENTS,
    items.map((item) => ({ item, extra: {} })),
    { now, protectMs },
  );
}

/** Two records of one payment: the gateway's (its own clock) and MTurk's listing of it (MTurk's GrantTime). */
const samePayment = (listed: ListedBonus, written: ListedBonus) =>
  listed.AssignmentId === written.AssignmentId &&
  listed.WorkerId === written.WorkerId &&
  (listed.Reason ?? "") === (written.Reason ?? "") &&
  cents(listed.BonusAmount) === cents(written.BonusAmount) &&
  Math.abs((listed.GrantTime?.getTime() ?? 0) - (written.GrantTime?.getTime() ?? 0)) < SAME_PAYMENT_MS;
const SAME_PAYMENT_MS = 10 * 60_000;

/**
 * Listed bonuses. A bonus the gateway paid was recorded with its own clock's time; once MTurk lists it (with
 * MTurk's GrantTime) the gateway's row gives way to MTurk's, so that one payment is never shown twice.
 */
async function storeBonusesIn(db: MirrorDb, protectMs: number, listed: ListedBonus[], now = Date.now()) {
  if (!listed.length) return;
  // Alike bonuses of one second are as many rows as MTurk lists.
  const keys = distinctIds(listed, bonusId);
  const bonuses = listed.map((b, i) => ({ ...b, BonusKey: keys[i] }));
  const ids = [...new Set(bonuses.map((b) => itemId(b.AssignmentId)))];
  const written = await db
    .selectFrom("bonus_payments")
    .selectAll()
    .where("written_at", "is not", null)
    .where("assignment_id", "in", ids)
    .execute();
  const listedIds = new Set(bonuses.map(bonusId));
  const replaced = written
    .filter((row) => !listedIds.has(row.bonus_id))
    .filter((row) => bonuses.some((b) => samePayment(b, BONUSES.item(row))))
    .map((row) => row.bonus_id);
  if (replaced.length) await db.deleteFrom("bonus_payments").where("bonus_id", "in", replaced).execute();
  await upsertListed(
    db,
    BONUSES,
    bonuses.map((item) => ({ item, extra: {} })),
    { now, protectMs },
  );
}

/** One HIT's assignments (a listing of them is asked and the mirror's are too old). */
export async function refreshAssignmentsOf(ctx: RefreshContext, hitId: string): Promise<void> {
  const items = await scan((token) =>
    ctx.loaders.listAssignmentsForHITPage(hitId, undefined, token, MTURK_MAX_RESULTS),
  );
  await storeAssignmentsIn(ctx.db, ctx.protectMs, items);
}

export async function refreshBonuses(ctx: RefreshContext, of: { hitId?: string; assignmentId?: string }) {
  const items = await scan((token) => ctx.loaders.listBonusPaymentsPage(of, token, MTURK_MAX_RESULTS));
  const hitOf = of.hitId;
  await storeBonusesIn(
    ctx.db,
    ctx.protectMs,
    items.map((b) => ({ ...b, HITId: hitOf ?? undefined })),
  );
}
