import type { Kysely } from "kysely";

/**
 * A listing's count by status reads the index alone: counting HITs of some statuses that MTurk still lists
 * (`status in (…) and forgotten = 0`) read every matching row of the table before (about 6 ms at 20,000 HITs).
 * @public Kysely's Migrator calls it through the migration list in database.ts.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex("hits_listed_by_status").on("hits").columns(["status", "forgotten"]).execute();
}
