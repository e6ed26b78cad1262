import type { Kysely } from "kysely";

type Db = Kysely<unknown>;
type Index = readonly [name: string, columns: readonly string[]];

/** Every row says when MTurk last confirmed it and what the gateway's own write set (see schema.ts). */
const confirmed = <T extends { addColumn: (n: string, t: "bigint" | "text") => T }>(t: T) =>
  t.addColumn("confirmed_at", "bigint").addColumn("written_at", "bigint").addColumn("overlay", "text");

async function indexes(db: Db, table: string, list: readonly Index[]) {
  for (const [name, columns] of list)
    await db.schema
      .createIndex(name)
      .on(table)
      .columns([...columns])
      .execute();
}

async function hits(db: Db) {
  await confirmed(
    db.schema
      .createTable("hits")
      .addColumn("hit_id", "text", (c) => c.primaryKey())
      .addColumn("hit_type_id", "text")
      .addColumn("status", "text")
      .addColumn("review_status", "text")
      .addColumn("creation_time", "bigint")
      .addColumn("expiration", "bigint")
      .addColumn("title_lower", "text")
      .addColumn("reward_cents", "bigint")
      .addColumn("max_assignments", "integer")
      .addColumn("pending", "integer")
      .addColumn("available", "integer")
      .addColumn("completed", "integer")
      .addColumn("work_synced", "text")
      .addColumn("work_synced_at", "bigint")
      .addColumn("listed_at", "bigint")
      .addColumn("disposed_at", "bigint")
      .addColumn("forgotten", "integer", (c) => c.notNull().defaultTo(0)),
  ).execute();
  await indexes(db, "hits", [
    ["hits_by_creation", ["creation_time", "hit_id"]],
    ["hits_by_expiration", ["expiration", "hit_id"]],
    ["hits_by_title", ["title_lower", "hit_id"]],
    ["hits_by_reward", ["reward_cents", "hit_id"]],
    ["hits_by_type", ["hit_type_id", "creation_time"]],
    ["hits_by_status", ["status", "creation_time"]],
  ]);
  await db.schema
    .createTable("hit_requirements")
    .addColumn("hit_id", "text", (c) => c.notNull())
    .addColumn("qualification_type_id", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("hit_requirements_pk", ["hit_id", "qualification_type_id"])
    .execute();
  await indexes(db, "hit_requirements", [["hit_requirements_by_type", ["qualification_type_id", "hit_id"]]]);
}

async function work(db: Db) {
  await confirmed(
    db.schema
      .createTable("assignments")
      .addColumn("assignment_id", "text", (c) => c.notNull())
      .addColumn("worker_id", "text", (c) => c.notNull())
      .addColumn("hit_id", "text", (c) => c.notNull())
      .addColumn("status", "text")
      .addColumn("accept_time", "bigint")
      .addColumn("submit_time", "bigint")
      .addColumn("approval_time", "bigint")
      .addColumn("rejection_time", "bigint")
      .addColumn("auto_approval_time", "bigint")
      .addColumn("deadline", "bigint")
      .addColumn("answer", "text")
      .addColumn("requester_feedback", "text")
      .addPrimaryKeyConstraint("assignments_pk", ["assignment_id", "worker_id"]),
  ).execute();
  await indexes(db, "assignments", [
    ["assignments_by_hit", ["hit_id", "submit_time"]],
    ["assignments_by_worker", ["worker_id", "submit_time"]],
  ]);
  await confirmed(
    db.schema
      .createTable("bonus_payments")
      .addColumn("bonus_id", "text", (c) => c.primaryKey())
      .addColumn("hit_id", "text")
      .addColumn("assignment_id", "text", (c) => c.notNull())
      .addColumn("worker_id", "text", (c) => c.notNull())
      .addColumn("amount_cents", "bigint", (c) => c.notNull())
      .addColumn("reason", "text")
      .addColumn("grant_time", "bigint"),
  ).execute();
  await indexes(db, "bonus_payments", [
    ["bonuses_by_worker", ["worker_id", "grant_time"]],
    ["bonuses_by_hit", ["hit_id", "grant_time"]],
    ["bonuses_by_assignment", ["assignment_id", "grant_time"]],
  ]);
}

async function qualificationTypes(db: Db) {
  await confirmed(
    db.schema
      .createTable("qualification_types")
      .addColumn("qualification_type_id", "text", (c) => c.primaryKey())
      .addColumn("name_lower", "text")
      .addColumn("status", "text")
      .addColumn("creation_time", "bigint")
      .addColumn("is_requestable", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("owned", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("deleted_at", "bigint"),
  ).execute();
  await confirmed(
    db.schema
      .createTable("qualification_requests")
      .addColumn("qualification_request_id", "text", (c) => c.primaryKey())
      .addColumn("qualification_type_id", "text", (c) => c.notNull())
      .addColumn("worker_id", "text", (c) => c.notNull())
      .addColumn("submit_time", "bigint")
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("decided_at", "bigint"),
  ).execute();
  await indexes(db, "qualification_requests", [
    ["requests_by_type", ["status", "qualification_type_id", "submit_time"]],
    ["requests_by_time", ["status", "submit_time"]],
    ["requests_by_worker", ["worker_id", "submit_time"]],
  ]);
  await confirmed(
    db.schema
      .createTable("qualifications")
      .addColumn("qualification_type_id", "text", (c) => c.notNull())
      .addColumn("worker_id", "text", (c) => c.notNull())
      .addColumn("status", "text")
      .addColumn("integer_value", "bigint")
      .addColumn("grant_time", "bigint")
      .addPrimaryKeyConstraint("qualifications_pk", ["qualification_type_id", "worker_id"]),
  ).execute();
  await indexes(db, "qualifications", [["qualifications_by_type", ["qualification_type_id", "status", "grant_time"]]]);
}

/**
 * Items as MTurk sent them (JSON), apart from the rows: a HIT's Question or a request's Answer makes a row wide, and
 * SQLite reads whole rows to sort and count (20,000 HITs with their data: 30 ms a count; without: 1.5 ms).
 */
async function itemData(db: Db) {
  await db.schema
    .createTable("item_data")
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("data", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("item_data_pk", ["kind", "id"])
    .execute();
}

async function accountState(db: Db) {
  await confirmed(
    db.schema
      .createTable("worker_blocks")
      .addColumn("worker_id", "text", (c) => c.primaryKey())
      .addColumn("reason", "text")
      .addColumn("present", "integer", (c) => c.notNull().defaultTo(1)),
  ).execute();
  await db.schema
    .createTable("idempotency_keys")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("operation", "text", (c) => c.notNull())
    .addColumn("fingerprint", "text", (c) => c.notNull())
    .addColumn("first_attempt_at", "bigint", (c) => c.notNull())
    .addColumn("details", "text")
    .addColumn("request_token", "text", (c) => c.notNull())
    .addColumn("claim", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("sync_units")
    .addColumn("unit", "text", (c) => c.primaryKey())
    .addColumn("synced_at", "bigint")
    .addColumn("lease_holder", "text")
    .addColumn("lease_until", "bigint")
    .addColumn("progress", "text")
    .execute();
  await db.schema
    .createTable("mirror_meta")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("value", "text", (c) => c.notNull())
    .execute();
}

/**
 * The first version of the mirror: every table and the indexes its listings, history and sync read.
 * @public Kysely's Migrator calls it through the migration list in database.ts.
 */
export async function up(db: Db): Promise<void> {
  for (const create of [hits, work, qualificationTypes, itemData, accountState]) await create(db);
}
