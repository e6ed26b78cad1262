import type { Assignment } from "@aws-sdk/client-mturk";
import { sql } from "kysely";
import type { MirrorDb } from "./database.js";
import { type PageRequest, type RowSource, runCount, runPage } from "./listings.js";
import { ASSIGNMENTS, BONUSES, type ListedBonus } from "./rows.js";

/**
 * A worker's history across the account's HITs: MTurk lists work only by HIT, the mirror keeps every HIT's (also
 * after MTurk disposed of the HIT and forgot it), so a worker's assignments, bonuses and stats are one query each.
 */

export interface WorkerAssignmentFilter {
  statuses?: readonly string[] | null;
  hitTypeId?: string | null;
  submittedAfter?: Date | null;
}

const col = (name: string) => sql.ref(name);
/** What MTurk lists of a HIT's work: submitted, approved and rejected assignments. */
const LISTED_WORK = ["Submitted", "Approved", "Rejected"];

const WORKER_ASSIGNMENTS: RowSource<Assignment> = {
  codec: ASSIGNMENTS,
  ids: ["assignment_id", "worker_id"],
  natural: { column: "submit_time", desc: true },
  sorts: {},
  where: (scope: readonly unknown[]) => [
    sql`${col("worker_id")} = ${scope[1]}`,
    sql`${col("status")} in (${sql.join(LISTED_WORK.map((s) => sql`${s}`))})`,
  ],
  filter: (f: WorkerAssignmentFilter) => [
    ...(f.statuses?.length ? [sql`${col("status")} in (${sql.join(f.statuses.map((s) => sql`${s}`))})`] : []),
    ...(f.hitTypeId
      ? [sql`exists (select 1 from hits h where h.hit_id = assignments.hit_id and h.hit_type_id = ${f.hitTypeId})`]
      : []),
    ...(f.submittedAfter ? [sql`${col("submit_time")} >= ${f.submittedAfter.getTime()}`] : []),
  ],
  units: () => ["work"],
};

const WORKER_BONUSES: RowSource<ListedBonus> = {
  codec: BONUSES,
  ids: ["bonus_id"],
  natural: { column: "grant_time", desc: true },
  sorts: {},
  where: (scope: readonly unknown[]) => [sql`${col("worker_id")} = ${scope[1]}`],
  filter: () => [],
  units: () => ["work"],
};

export const workerAssignments = (db: MirrorDb, workerId: string, request: PageRequest) =>
  runPage(db, WORKER_ASSIGNMENTS, ["WorkerAssignments", workerId], request);
export const countWorkerAssignments = (db: MirrorDb, workerId: string, filter?: WorkerAssignmentFilter | null) =>
  runCount(db, WORKER_ASSIGNMENTS, ["WorkerAssignments", workerId], filter);
export const workerBonuses = (db: MirrorDb, workerId: string, request: PageRequest) =>
  runPage(db, WORKER_BONUSES, ["WorkerBonuses", workerId], request);
export const countWorkerBonuses = (db: MirrorDb, workerId: string) =>
  runCount(db, WORKER_BONUSES, ["WorkerBonuses", workerId]);

export interface WorkerStats {
  submitted: number;
  pending: number;
  approved: number;
  rejected: number;
  bonusCents: number;
}

export async function workerStats(db: MirrorDb, workerId: string): Promise<WorkerStats> {
  const counts = await db
    .selectFrom("assignments")
    .select(["status", (eb) => eb.fn.countAll<number | string>().as("n")])
    .where("worker_id", "=", workerId)
    .where("status", "in", LISTED_WORK)
    .groupBy("status")
    .execute();
  const bonus = await db
    .selectFrom("bonus_payments")
    .select((eb) => eb.fn.sum<number | string | null>("amount_cents").as("total"))
    .where("worker_id", "=", workerId)
    .executeTakeFirst();
  const n = (status: string) => Number(counts.find((c) => c.status === status)?.n ?? 0);
  return {
    submitted: n("Submitted") + n("Approved") + n("Rejected"),
    pending: n("Submitted"),
    approved: n("Approved"),
    rejected: n("Rejected"),
    bonusCents: Number(bonus?.total ?? 0),
  };
}
