import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMirrorDatabase } from "../../src/mirror/database.js";
import { type Simulator, startSimulator } from "../../src/simulator/server.js";
import { postgresAnswers, tempPostgresDatabase } from "../support/postgres.js";
import { type Stack, startStack } from "../support/stack.js";
import { hitWithSubmissions, KEYED_ERRORS, runOk } from "../support/work.js";

/** Two gateways on one PostgreSQL mirror: a fleet reads each part of the account once and sees each other's writes. */
const available = await postgresAnswers();

const SORTED = `{
  qualificationRequests(orderBy: { field: SUBMIT_TIME }, first: 3) { totalCount source edges { node { qualificationRequestId } } }
  hits(orderBy: { field: CREATION_TIME, direction: DESC }, first: 1) { totalCount edges { node { hitId } } }
}`;

describe.skipIf(!available)("two gateways on one PostgreSQL mirror", () => {
  let simulator: Simulator;
  let database: { url: string; drop(): Promise<void> };
  let a: Stack;
  let b: Stack;
  const open = () => openMirrorDatabase({ databaseUrl: database.url, dataDir: "unused", account: "fleet-account" });

  beforeAll(async () => {
    simulator = await startSimulator({ size: "demo", seed: 41 });
    database = await tempPostgresDatabase();
    a = await startStack({ simulator, database: await open() });
    b = await startStack({ simulator, database: await open() });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await simulator?.close();
    await database?.drop();
  });

  it("cold reads on both at once read each listing once, for both", async () => {
    simulator.instrumentation.resetCalls();
    const answers = await Promise.all([a.query<any>(SORTED), b.query<any>(SORTED), a.query<any>(SORTED)]);
    for (const r of answers) expect(r.errors).toBeUndefined();
    expect(answers[1]?.data).toEqual(answers[0]?.data);
    const listed = simulator.instrumentation.calls.filter((c) => c.operation === "ListHITs").length;
    // One refresh of the HITs (pages and the end-of-listing page), not one per gateway.
    expect(listed).toBeLessThanOrEqual(Math.ceil(simulator.store.hits.size / 100) + 1);
  });

  it("a write through A is in B's sorted, counted lists at once, with no call", async () => {
    const before = await runOk(b, SORTED);
    const first = before.qualificationRequests.edges[0].node.qualificationRequestId as string;
    await runOk(
      a,
      `mutation($i: RejectQualificationRequestInput!) { rejectQualificationRequest(input: $i) { __typename } }`,
      {
        i: { qualificationRequestId: first, reason: "fleet" },
      },
    );
    const { hitId } = await hitWithSubmissions(a, 0, "pg-fleet-hit");
    const after = await b.measured<any>(SORTED);
    expect(after.calls).toEqual([]);
    expect(after.result.data.qualificationRequests.totalCount).toBe(before.qualificationRequests.totalCount - 1);
    expect(after.result.data.qualificationRequests.edges[0].node.qualificationRequestId).not.toBe(first);
    expect(after.result.data.hits.totalCount).toBe(before.hits.totalCount + 1);
    expect(after.result.data.hits.edges[0].node.hitId).toBe(hitId);
  });

  it("an idempotency key used on A is refused on B with other content, paying once", async () => {
    const { submissions } = await hitWithSubmissions(a, 2, "pg-fleet-bonus");
    const [x, y] = submissions as [
      { assignmentId: string; workerId: string },
      { assignmentId: string; workerId: string },
    ];
    const PAY = `mutation($i: SendBonusInput!) { sendBonus(input: $i) { __typename ${KEYED_ERRORS} } }`;
    const bonus = (w: { assignmentId: string; workerId: string }, amount: string) => ({
      i: {
        workerId: w.workerId,
        assignmentId: w.assignmentId,
        bonusAmount: amount,
        reason: "r",
        idempotencyKey: "PGK",
      },
    });
    const count = simulator.store.bonuses.length;
    const results = await Promise.all([runOk(a, PAY, bonus(x, "1.00")), runOk(b, PAY, bonus(y, "2.00"))]);
    const kinds = results.map((r) => r.sendBonus.__typename).sort();
    expect(kinds).toEqual(["BonusPaid", "IdempotencyKeyConflictError"]);
    expect(simulator.store.bonuses.length).toBe(count + 1);
  });

  it("keeps the bonuses MTurk lists (their ids are text PostgreSQL accepts): the mirror stays up", async () => {
    const paid = simulator.store.bonuses[0];
    expect(paid).toBeDefined();
    // A worker's stats read the account's work (every HIT's assignments and bonuses) into the mirror.
    const r = await a.query<any>(
      `query($w: String!) { worker(workerId: $w) { stats { submitted } } mirror { available unavailableReason } }`,
      { w: paid?.workerId },
    );
    expect(r.errors).toBeUndefined();
    expect([r.data.mirror.available, r.data.mirror.unavailableReason]).toEqual([true, null]);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query<{ n: string }>("select count(*) as n from bonus_payments");
    await client.end();
    expect(Number(rows[0]?.n)).toBe(simulator.store.bonuses.length);
  });
});

describe.skipIf(!available)("a PostgreSQL mirror that fails at run time", () => {
  it("reads go to MTurk (source MTURK), money is refused with nothing sent, and both recover when it answers", async () => {
    const database = await tempPostgresDatabase();
    const name = new URL(database.url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: database.url.replace(`/${name}`, "/test") });
    await admin.connect();
    const stack = await startStack({
      size: "demo",
      seed: 42,
      database: await openMirrorDatabase({ databaseUrl: database.url, dataDir: "unused", account: "down" }),
    });
    try {
      const { submissions } = await hitWithSubmissions(stack, 1, "pg-down");
      const work = submissions[0] as { assignmentId: string; workerId: string };
      expect((await runOk(stack, SORTED)).qualificationRequests.source).toBe("MIRROR");
      // The database refuses every connection.
      await admin.query(`alter database ${name} allow_connections false`);
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1`, [name]);
      const sorted = await stack.query<any>(SORTED);
      expect(sorted.errors).toBeUndefined();
      expect(sorted.data.qualificationRequests.source).toBe("MTURK");
      const sends = stack.simulator.store.bonuses.length;
      const paid = await runOk(
        stack,
        `mutation($i: SendBonusInput!) { sendBonus(input: $i) { __typename ... on MirrorUnavailableError { retryable message } } }`,
        {
          i: {
            workerId: work.workerId,
            assignmentId: work.assignmentId,
            bonusAmount: "1.00",
            reason: "r",
            idempotencyKey: "D1",
          },
        },
      );
      expect(paid.sendBonus).toMatchObject({ __typename: "MirrorUnavailableError", retryable: true });
      expect(stack.simulator.store.bonuses.length).toBe(sends);
      const status = await runOk(stack, `{ mirror { available unavailableReason } }`);
      expect(status.mirror.available).toBe(false);
      // It answers again: within the probe's period, reads and money use it once more.
      await admin.query(`alter database ${name} allow_connections true`);
      let back = false;
      for (let i = 0; i < 80 && !back; i += 1) {
        await new Promise((r) => setTimeout(r, 100));
        back = (await runOk(stack, `{ mirror { available } }`)).mirror.available;
      }
      expect(back).toBe(true);
      const again = await runOk(stack, `mutation($i: SendBonusInput!) { sendBonus(input: $i) { __typename } }`, {
        i: {
          workerId: work.workerId,
          assignmentId: work.assignmentId,
          bonusAmount: "1.00",
          reason: "r",
          idempotencyKey: "D1",
        },
      });
      expect(again.sendBonus.__typename).toBe("BonusPaid");
      expect(stack.simulator.store.bonuses.length).toBe(sends + 1);
    } finally {
      await stack.close();
      await admin.query(`alter database ${name} allow_connections true`).catch(() => {});
      await admin.end();
      await database.drop();
    }
  }, 30_000);
});
