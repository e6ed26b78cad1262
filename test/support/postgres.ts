import { randomBytes } from "node:crypto";
import pg from "pg";

/** Our machines and CI run PostgreSQL at 127.0.0.1:5432 with trust auth (PG_TEST_URL overrides). */
const ADMIN_URL = process.env.PG_TEST_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** Whether PostgreSQL answers; the tests that need it print why they skip when it does not. */
export async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch (error) {
    console.log(`PostgreSQL at ${ADMIN_URL} does not answer (${(error as Error).message}): its tests are skipped.`);
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A database of its own for one test run, dropped at the end: its URL and a way to drop it. */
export async function tempPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `mirror_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: ADMIN_URL });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}
