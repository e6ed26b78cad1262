import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMirrorDatabase } from "../../src/mirror/database.js";
import { type Simulator, startSimulator } from "../../src/simulator/server.js";
import { eventually, gatewayEnv, startGateway } from "../fleet/support.js";
import { control } from "../support/stack.js";

/**
 * The mirror as `npm start` runs it (src/main.ts in a process of its own): a bad DATA_DIR, database or migration
 * stops the start with one line; a process killed mid-sync loses nothing and goes on where it stopped.
 */

let simulator: Simulator;
beforeAll(async () => {
  simulator = await startSimulator({ size: "demo", seed: 51 });
});
afterAll(() => simulator?.close());

const tempDir = () => mkdtempSync(join(tmpdir(), "mturk-mirror-process-"));

/** Runs src/main.ts to its end (it must not start): exit code and what it printed on stderr. */
function failedStart(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        PORT: "0",
        HOST: "127.0.0.1",
        ...gatewayEnv(simulator),
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

const oneLine = (stderr: string) => stderr.trim().split("\n").filter(Boolean);

describe("a start the mirror cannot serve stops with one line", () => {
  it("DATA_DIR that is not a writable directory", async () => {
    const file = join(tempDir(), "a-file");
    writeFileSync(file, "x");
    const { code, stderr } = await failedStart({ DATA_DIR: join(file, "data") });
    expect(code).toBe(1);
    expect(oneLine(stderr)).toHaveLength(1);
    expect(stderr).toMatch(/^DATA_DIR .* is not a writable directory/);
  });

  it("a corrupt database file", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "mirror.sqlite"), "this is not a database, just text that fills the header".repeat(40));
    const { code, stderr } = await failedStart({ DATA_DIR: dir });
    expect(code).toBe(1);
    expect(oneLine(stderr)).toHaveLength(1);
    expect(stderr).toMatch(/cannot be opened .*move it aside/);
  });

  it("an unreachable DATABASE_URL, without its password", async () => {
    const { code, stderr } = await failedStart({ DATABASE_URL: "postgres://gateway:s3cret@127.0.0.1:1/mirror" });
    expect(code).toBe(1);
    expect(oneLine(stderr)).toHaveLength(1);
    expect(stderr).toMatch(/^DATABASE_URL postgres:\/\/gateway:\*\*\*@127\.0\.0\.1:1\/mirror does not answer/);
    expect(stderr).not.toContain("s3cret");
  });

  it("a migration that fails (a database from a newer gateway)", async () => {
    const dir = tempDir();
    const database = new Database(join(dir, "mirror.sqlite"));
    database.exec(
      `create table kysely_migration (name varchar(255) not null primary key, timestamp varchar(255) not null);
       insert into kysely_migration values ('999_from_the_future', '2030-01-01');`,
    );
    database.close();
    const { code, stderr } = await failedStart({ DATA_DIR: dir });
    expect(code).toBe(1);
    expect(oneLine(stderr)).toHaveLength(1);
    expect(stderr).toMatch(/^Migration .* failed: /);
  });

  it("the mirror of another MTurk account", async () => {
    const dir = tempDir();
    const other = await openMirrorDatabase({ dataDir: dir, account: "mturk-gateway:0123456789abcdef" });
    await other.close();
    const { code, stderr } = await failedStart({ DATA_DIR: dir });
    expect(code).toBe(1);
    expect(oneLine(stderr)).toHaveLength(1);
    expect(stderr).toMatch(/holds the mirror of another MTurk account/);
  });
});

describe("a gateway killed (SIGKILL) in the middle of its first sync", () => {
  it("loses nothing and goes on where it stopped: no HIT's work is read twice but those in flight", async () => {
    const dir = tempDir();
    const env = {
      ...gatewayEnv(simulator),
      DATA_DIR: dir,
      LOG_LEVEL: "info",
      MIRROR_SYNC_INTERVAL_MS: "600000",
      MIRROR_RECHECKS_PER_PASS: "0",
    };
    await control(simulator, "PUT", "latency", { fixedMs: 40, jitterMs: 0 });
    simulator.instrumentation.resetCalls();
    const STATUS = `{ mirror { phase done total percent } }`;
    const gateway = await startGateway(env);
    try {
      let total = 0;
      await eventually(
        async () => {
          const { mirror } = await gateway.data(STATUS);
          total = mirror.total;
          return mirror.phase === "FIRST_SYNC" && mirror.total > 0 && mirror.done >= mirror.total / 3;
        },
        30_000,
        "a third of the first sync",
      );
      await gateway.kill();
      const workReads = () =>
        simulator.instrumentation.calls
          .filter((c) => c.operation === "ListAssignmentsForHIT")
          .map((c) => (c.input as { HITId: string }).HITId);
      const before = new Set(workReads());
      const count = workReads().length;
      await gateway.restart();
      await eventually(async () => (await gateway.data(STATUS)).mirror.phase === "IDLE", 60_000, "the sync to end");
      const after = workReads().slice(count);
      const again = new Set(after.filter((hitId) => before.has(hitId)));
      // At most the HITs in flight when it was killed (the sync reads four at a time) are read again.
      expect(again.size).toBeLessThanOrEqual(4);
      expect(new Set([...before, ...after]).size).toBe(total);
    } finally {
      await gateway.stop();
      await control(simulator, "PUT", "latency", { fixedMs: 0, jitterMs: 0 });
    }
  }, 120_000);
});
