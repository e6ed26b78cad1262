import { type Kysely, sql } from "kysely";

/**
 * A listed bonus's id joined its parts with NUL, which PostgreSQL's text refuses (the first bonus took a PostgreSQL
 * mirror down): ids are joined with "|" now (BONUS_ID_SEPARATOR), and a SQLite mirror's older ids are renamed so
 * that the next listing finds its rows instead of adding each bonus again.
 * @public Kysely's Migrator calls it through the migration list in database.ts.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const { rows } = await sql<{ bonus_id: string }>`select bonus_id from bonus_payments`.execute(db);
  for (const { bonus_id: old } of rows) {
    if (!old.includes("\u0000")) continue;
    const renamed = old.replaceAll("\u0000", "|");
    await sql`update bonus_payments set bonus_id = ${renamed} where bonus_id = ${old}`.execute(db);
    await sql`update item_data set id = ${renamed} where kind = 'bonus_payments' and id = ${old}`.execute(db);
  }
}
