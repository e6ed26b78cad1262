import { accessSync, constants, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Kysely, type Migration, type MigrationProvider, Migrator, PostgresDialect, SqliteDialect } from "kysely";
import type pg from "pg";
import { messageOf } from "../mturk/errors.js";
import * as initial from "./migrations/001_initial.js";
import * as listingCounts from "./migrations/002_listing_counts.js";
import * as bonusIds from "./migrations/003_bonus_ids.js";
import type { MirrorTables } from "./schema.js";

export type MirrorDb = Kysely<MirrorTables>;

/** The one versioned set of migrations, for SQLite and PostgreSQL alike (Kysely's schema builder is neutral). */
const MIGRATIONS: Record<string, Migration> = {
  "001_initial": initial,
  "002_listing_counts": listingCounts,
  "003_bonus_ids": bonusIds,
};
const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/** A start-up failure of the mirror: one line an operator can act on (the process stops with it). */
export class MirrorStartError extends Error {}

export interface MirrorDatabase {
  db: MirrorDb;
  kind: "sqlite" | "postgres";
  /** Where the data lives, for the start-up banner (no password). */
  where: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL (a fleet shares it); else SQLite in dataDir. */
  databaseUrl?: string;
  dataDir: string;
  /** The MTurk account the mirror belongs to: a database holds one account. */
  account: string;
  /** The SQLite file's name; `fresh` deletes it first (the embedded simulator starts from its seed every time). */
  fileName?: string;
  fresh?: boolean;
}

/** Opens (creating if needed) the mirror's database, runs its migrations and checks whose account it holds. */
export async function openMirrorDatabase(options: OpenOptions): Promise<MirrorDatabase> {
  const opened = options.databaseUrl ? await openPostgres(options.databaseUrl) : openSqlite(options);
  try {
    await migrate(opened.db);
    await claimAccount(opened, options.account);
  } catch (error) {
    await opened.close().catch(() => {});
    throw error;
  }
  return opened;
}

/** An empty mirror in memory: for the gateway while its database fails, and for listings that are not the account's. */
export async function openScratchDatabase(): Promise<MirrorDatabase> {
  const database = new Database(":memory:");
  const db = new Kysely<MirrorTables>({ dialect: new SqliteDialect({ database }) });
  await migrate(db);
  return { db, kind: "sqlite", where: "memory", close: () => db.destroy() };
}

function openSqlite(options: OpenOptions): MirrorDatabase {
  const dir = options.dataDir;
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new MirrorStartError(`DATA_DIR ${dir} is not a writable directory (${messageOf(error)}).`);
  }
  const file = join(dir, options.fileName ?? "mirror.sqlite");
  if (options.fresh) for (const suffix of ["", "-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
  let database: Database.Database;
  try {
    database = new Database(file);
    // WAL: readers never wait for the sync's writes; a committed transaction survives a killed process.
    database.pragma("journal_mode = WAL");
    database.pragma("synchronous = NORMAL");
    database.pragma("busy_timeout = 5000");
    // ANALYZE (run after a first read of the account, see store.ts) samples this many rows per index: milliseconds.
    database.pragma("analysis_limit = 1000");
    // A file that is not a database (or a damaged header) fails here, not at the first request.
    database.prepare("select count(*) as n from sqlite_master").get();
  } catch (error) {
    throw new MirrorStartError(
      `The mirror's database ${file} cannot be opened (${messageOf(error)}): move it aside to start a new mirror.`,
    );
  }
  const db = new Kysely<MirrorTables>({ dialect: new SqliteDialect({ database }) });
  return { db, kind: "sqlite", where: file, close: () => db.destroy() };
}

/** PostgreSQL's int8 (bigint) as a JavaScript number: the mirror's times and cents fit in 2^53. */
const INT8 = 20;

async function openPostgres(url: string): Promise<MirrorDatabase> {
  const where = redact(url);
  // Loaded only for DATABASE_URL: a gateway on SQLite never reads pg's modules at start.
  const { default: pg } = await import("pg");
  const types = {
    getTypeParser: (oid: number, format?: "text" | "binary") =>
      oid === INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as "text"),
  };
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000, types } as pg.PoolConfig);
  // An idle client's error (the server restarted) must not end the process: the next query reconnects.
  pool.on("error", () => {});
  try {
    await pool.query("select 1");
  } catch (error) {
    await pool.end().catch(() => {});
    throw new MirrorStartError(`DATABASE_URL ${where} does not answer (${messageOf(error)}).`);
  }
  const db = new Kysely<MirrorTables>({ dialect: new PostgresDialect({ pool }) });
  return { db, kind: "postgres", where, close: () => db.destroy() };
}

async function migrate(db: Kysely<MirrorTables>): Promise<void> {
  // On PostgreSQL the migrator holds an advisory lock: instances starting together migrate once.
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "the mirror's migrations";
    throw new MirrorStartError(`Migration ${failed} failed: ${messageOf(error)}`);
  }
}

/** A database holds the mirror of one MTurk account: another account's is refused, never mixed. */
async function claimAccount(opened: MirrorDatabase, account: string): Promise<void> {
  const { db } = opened;
  await db
    .insertInto("mirror_meta")
    .values({ key: "account", value: account })
    .onConflict((c) => c.doNothing())
    .execute();
  const row = await db.selectFrom("mirror_meta").select("value").where("key", "=", "account").executeTakeFirst();
  if (row?.value !== account)
    throw new MirrorStartError(
      `${opened.where} holds the mirror of another MTurk account (${row?.value}, not ${account}): give this account a database of its own.`,
    );
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable URL)";
  }
}
