import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Kysely, sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { openMirrorDatabase } from "../../src/mirror/database.js";
import { up as renameBonusIds } from "../../src/mirror/migrations/003_bonus_ids.js";

/** Migrations over a real SQLite file: what an older gateway wrote is read by this one. */
describe("the mirror's migrations", () => {
  const dir = mkdtempSync(join(tmpdir(), "mirror-migrations-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("003 renames the NUL-joined bonus ids an older gateway wrote, with their item data; others stay", async () => {
    const database = await openMirrorDatabase({ dataDir: dir, account: "migrations" });
    const old = ["3ASSIGN", "AWORKER", "1700000000000", "100", "thanks"].join("\u0000");
    for (const id of [old, "kept|as|it|is"]) {
      await sql`insert into bonus_payments (bonus_id, assignment_id, worker_id, amount_cents) values (${id}, '3ASSIGN', 'AWORKER', 100)`.execute(
        database.db,
      );
      await sql`insert into item_data (kind, id, data) values ('bonus_payments', ${id}, '{}')`.execute(database.db);
    }
    // What the Migrator hands a migration: the database without the tables' types.
    await renameBonusIds(database.db as unknown as Kysely<unknown>);
    const ids = await sql<{ id: string }>`select bonus_id as id from bonus_payments order by bonus_id`.execute(
      database.db,
    );
    const data = await sql<{ id: string }>`select id from item_data order by id`.execute(database.db);
    const renamed = "3ASSIGN|AWORKER|1700000000000|100|thanks";
    expect(ids.rows.map((r) => r.id)).toEqual([renamed, "kept|as|it|is"]);
    expect(data.rows.map((r) => r.id)).toEqual([renamed, "kept|as|it|is"]);
    await database.close();
  });
});
