import { ListBonusPaymentsCommand, MTurkClient } from "@aws-sdk/client-mturk";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../src/simulator/server.js";
import { postgresAnswers, tempPostgresDatabase } from "../support/postgres.js";
import { control, endOfListing } from "../support/stack.js";
import { KEYED_ERRORS } from "../support/work.js";
import {
  eventually,
  type GatewayProcess,
  gatewayEnv,
  type RedisServer,
  redisMissing,
  startGateway,
  startRedis,
} from "./support.js";

/**
 * Three gateway processes (`src/main.ts`) on one MTurk account (one simulator), one PostgreSQL mirror and one Redis:
 * the mirror's reads of MTurk, cursors, the gateway's writes and idempotency records are the fleet's, and Redis going
 * away degrades what it shares without an error.
 */
const missing = redisMissing() ?? ((await postgresAnswers()) ? undefined : "PostgreSQL does not answer");
if (missing) console.warn(`Skipping test/fleet: ${missing}`);

const sortedCount = `{ qualificationRequests(orderBy: { field: SUBMIT_TIME }) { totalCount } }`;
const sortedPage = `query($after: String, $first: Int) { qualificationRequests(orderBy: { field: SUBMIT_TIME }, first: $first, after: $after) { totalCount edges { node { qualificationRequestId } } pageInfo { endCursor } } }`;
const newestHits = `{ hits(orderBy: { field: CREATION_TIME, direction: DESC }, first: 1) { totalCount edges { node { hitId } } } }`;
const createHit = `mutation($i: CreateHITInput!) { createHIT(input: $i) { __typename ... on CreatedHITPayload { hit { hitId } } ${KEYED_ERRORS} } }`;
const bonus = `mutation($i: SendBonusInput!) { sendBonus(input: $i) { __typename ... on BonusPaid { alreadyProcessed } ${KEYED_ERRORS} } }`;
const typeRequestsCount = `query($t: String!) { qualificationType(qualificationTypeId: $t) { requests(orderBy: { field: SUBMIT_TIME }) { totalCount } } }`;

const hitInput = (key: string) => ({
  title: "Fleet HIT",
  description: "Made through one instance",
  reward: "0.50",
  lifetimeInSeconds: 3600,
  assignmentDurationInSeconds: 600,
  maxAssignments: 3,
  question: "<HTMLQuestion><HTMLContent>x</HTMLContent></HTMLQuestion>",
  idempotencyKey: key,
});

/** The value of a Prometheus counter line, 0 when absent. */
const counter = (metrics: string, line: string) =>
  Number(
    metrics
      .split("\n")
      .find((l) => l.startsWith(line))
      ?.split(" ")
      .pop() ?? 0,
  );
const budgetTakes = async (g: GatewayProcess, store: "redis" | "local") =>
  counter(await g.metrics(), `gateway_rate_budget_takes_total{store="${store}"}`);

describe.skipIf(!!missing)("three gateway processes, one MTurk account, one PostgreSQL mirror, one Redis", () => {
  let simulator: Simulator;
  let redis: RedisServer;
  let gateways: GatewayProcess[];
  let a: GatewayProcess;
  let b: GatewayProcess;
  let c: GatewayProcess;
  let sdk: MTurkClient;
  let database: { url: string; drop(): Promise<void> };

  beforeAll(async () => {
    simulator = await startSimulator({ size: "large", seed: 11 });
    redis = await startRedis();
    database = await tempPostgresDatabase();
    const env = {
      ...gatewayEnv(simulator, redis),
      DATABASE_URL: database.url,
      // The mirror stays fresh for the whole file: what a write changes must come from the shared mirror, not a read.
      MIRROR_MAX_AGE_MS: "600000",
      MIRROR_SYNC_INTERVAL_MS: "0",
      // A budget high enough not to slow anything, so that every call passes the fleet's bucket.
      MTURK_RATE_PER_SECOND: "1000",
      MTURK_RATE_BURST: "1000",
    };
    gateways = await Promise.all([0, 1, 2].map(() => startGateway(env)));
    [a, b, c] = gateways as [GatewayProcess, GatewayProcess, GatewayProcess];
    sdk = new MTurkClient({ region: "us-east-1", endpoint: simulator.url, credentials: simulator.credentials });
  }, 60_000);

  afterAll(async () => {
    sdk?.destroy();
    await Promise.all((gateways ?? []).map((g) => g.stop()));
    await redis?.stop();
    await simulator?.close();
    await database?.drop();
  });

  const calls = (operation: string) => simulator.instrumentation.calls.filter((x) => x.operation === operation);
  /** Upstream attempts the three instances let through their rate budget, from Redis or from a local bucket. */
  const takes = async (store: "redis" | "local") =>
    (await Promise.all(gateways.map((g) => budgetTakes(g, store)))).reduce((x, y) => x + y);

  it("30 concurrent identical sorted queries over 3 instances read the listing once", async () => {
    simulator.instrumentation.resetCalls();
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (gateways[i % 3] as GatewayProcess).data(sortedCount)),
    );
    for (const r of results) expect(r.qualificationRequests.totalCount).toBe(10_000);
    const scans = calls("ListQualificationRequests").length;
    console.log(`fleet scan dedupe: ${scans} ListQualificationRequests calls for 30 queries on 3 instances`);
    expect(scans).toBeLessThanOrEqual(Math.ceil(10_000 / 100) + endOfListing(simulator));
    for (const g of gateways)
      expect(await g.ready()).toMatchObject({ status: "ready", mirror: { database: "postgres" } });
  });

  it("Redis too slow to answer for a while (DEBUG SLEEP past the command timeout): the waiting instances wait, one scan", async () => {
    const { typesWithPendingRequests } = await control<{ typesWithPendingRequests: string[] }>(
      simulator,
      "GET",
      "fixtures",
    );
    // A type no other test reads: no instance holds its snapshot.
    const type = typesWithPendingRequests[2] as string;
    // Slow pages: the scan outlasts Redis's nap, so the others are waiting for it while Redis does not answer.
    await control(simulator, "PUT", "latency", { fixedMs: 250, jitterMs: 0 });
    const admin = new Redis(redis.url);
    try {
      simulator.instrumentation.resetCalls();
      const queries = Promise.all(gateways.map((g) => g.data(typeRequestsCount, { t: type })));
      await new Promise((resolve) => setTimeout(resolve, 400));
      await admin.call("DEBUG", "SLEEP", "1.3");
      const results = await queries;
      const total = results[0].qualificationType.requests.totalCount as number;
      for (const r of results) expect(r.qualificationType.requests.totalCount).toBe(total);
      const scans = calls("ListQualificationRequests").length;
      console.log(`slow Redis: ${scans} ListQualificationRequests calls for 3 instances (${total} requests)`);
      expect(total).toBeGreaterThan(500);
      expect(scans).toBeLessThanOrEqual(Math.ceil(total / 100) + endOfListing(simulator));
    } finally {
      admin.disconnect();
      await control(simulator, "PUT", "latency", { fixedMs: 0, jitterMs: 0 });
    }
  }, 30_000);

  it("a cursor from instance A continues on instance B, and on A after A restarts", async () => {
    const ten = await a.data(sortedPage, { first: 10 });
    const ids = ten.qualificationRequests.edges.map((e: any) => e.node.qualificationRequestId);
    const five = await a.data(sortedPage, { first: 5 });
    const cursor = five.qualificationRequests.pageInfo.endCursor as string;
    const onB = await b.data(sortedPage, { first: 5, after: cursor });
    expect(onB.qualificationRequests.edges.map((e: any) => e.node.qualificationRequestId)).toEqual(ids.slice(5));
    // A token cursor (a plain walk over NextToken) too.
    const walk = `query($after: String) { qualificationRequests(first: 3, after: $after) { edges { node { qualificationRequestId } } pageInfo { endCursor } } }`;
    const walked = await a.data(walk);
    const walkCursor = walked.qualificationRequests.pageInfo.endCursor as string;
    const walkOnC = await c.data(walk, { after: walkCursor });
    expect(walkOnC.qualificationRequests.edges).toHaveLength(3);

    await a.restart();
    const again = await a.data(sortedPage, { first: 5, after: cursor });
    expect(again.qualificationRequests.edges.map((e: any) => e.node.qualificationRequestId)).toEqual(ids.slice(5));
    expect((await a.data(walk, { after: walkCursor })).qualificationRequests.edges).toEqual(
      walkOnC.qualificationRequests.edges,
    );
  }, 30_000);

  it("a write through A is in B's sorted, counted lists on B's next request", async () => {
    const before = await b.data(sortedPage, { first: 1 });
    const total = before.qualificationRequests.totalCount as number;
    const first = before.qualificationRequests.edges[0].node.qualificationRequestId as string;
    const hitsBefore = await b.data(newestHits);

    const rejected = await a.data(
      `mutation($i: RejectQualificationRequestInput!) { rejectQualificationRequest(input: $i) { __typename } }`,
      { i: { qualificationRequestId: first, reason: "fleet test" } },
    );
    expect(rejected.rejectQualificationRequest.__typename).toBe("DecidedQualificationRequest");
    const created = await a.data(createHit, { i: hitInput("fleet-write") });
    const hitId = created.createHIT.hit.hitId as string;

    simulator.instrumentation.resetCalls();
    const after = await b.data(sortedPage, { first: 1 });
    expect(after.qualificationRequests.totalCount).toBe(total - 1);
    expect(after.qualificationRequests.edges[0].node.qualificationRequestId).not.toBe(first);
    const hitsAfter = await b.data(newestHits);
    expect(hitsAfter.hits.totalCount).toBe(hitsBefore.hits.totalCount + 1);
    expect(hitsAfter.hits.edges[0].node.hitId).toBe(hitId);
    // From the fleet's mirror: B read nothing again.
    expect(calls("ListQualificationRequests")).toHaveLength(0);
    expect(calls("ListHITs")).toHaveLength(0);
  });

  it("an idempotency key used on A is refused on B with other content; one payment", async () => {
    const created = await a.data(createHit, { i: hitInput("fleet-bonus-hit") });
    const hitId = created.createHIT.hit.hitId as string;
    const { workerId } = await control<{ workerId: string }>(simulator, "POST", "workers", {});
    const { assignment } = await control<{ assignment: { AssignmentId: string } }>(
      simulator,
      "POST",
      `hits/${hitId}/accept`,
      { workerId },
    );
    await control(simulator, "POST", `assignments/${assignment.AssignmentId}/submit`, { answer: "<a/>" });
    const input = {
      workerId,
      assignmentId: assignment.AssignmentId,
      bonusAmount: "1.00",
      reason: "thanks",
      idempotencyKey: "K",
    };
    simulator.instrumentation.resetCalls();
    expect((await a.data(bonus, { i: input })).sendBonus).toEqual({ __typename: "BonusPaid", alreadyProcessed: false });
    const other = await b.data(bonus, { i: { ...input, bonusAmount: "2.00" } });
    expect(other.sendBonus).toMatchObject({ __typename: "IdempotencyKeyConflictError", idempotencyKey: "K" });
    // Refused from the fleet's record, before any call: MTurk saw one SendBonus.
    expect(calls("SendBonus")).toHaveLength(1);
    const paid = await sdk.send(new ListBonusPaymentsCommand({ AssignmentId: assignment.AssignmentId }));
    expect(paid.BonusPayments).toHaveLength(1);
  });

  it("Redis stopped: requests keep succeeding on fallbacks; restarted: the bucket is shared again, reads stay one", async () => {
    const { typesWithPendingRequests } = await control<{ typesWithPendingRequests: string[] }>(
      simulator,
      "GET",
      "fixtures",
    );
    const [duringType, afterType] = typesWithPendingRequests as [string, string];
    const cursor = (await a.data(sortedPage, { first: 5 })).qualificationRequests.pageInfo.endCursor as string;
    await redis.stop();
    await eventually(async () => (await a.ready()).status === "degraded", 5_000, "A reports the outage");
    simulator.instrumentation.resetCalls();
    const localBefore = await takes("local");
    for (const g of gateways) {
      expect((await g.data(sortedCount)).qualificationRequests.totalCount).toBeGreaterThan(9_000);
      expect(
        (await g.data(typeRequestsCount, { t: duringType })).qualificationType.requests.totalCount,
      ).toBeGreaterThan(0);
      const ready = await g.ready();
      expect(ready.status).toBe("degraded");
      expect(ready.degraded).toMatch(/Redis unreachable/);
    }
    const created = await b.data(createHit, { i: hitInput("fleet-during-outage") });
    expect(created.createHIT.__typename).toBe("CreatedHITPayload");
    // Every upstream call meanwhile went through a local bucket.
    expect((await takes("local")) - localBefore).toBe(simulator.instrumentation.calls.length);

    await redis.start();
    for (const g of gateways)
      await eventually(async () => (await g.ready()).status === "ready", 10_000, "sharing resumes");
    const [redisBefore, localBefore2] = [await takes("redis"), await takes("local")];
    simulator.instrumentation.resetCalls();
    const results = await Promise.all(
      Array.from({ length: 9 }, (_, i) =>
        (gateways[i % 3] as GatewayProcess).data(typeRequestsCount, { t: afterType }),
      ),
    );
    const total = results[0].qualificationType.requests.totalCount as number;
    for (const r of results) expect(r.qualificationType.requests.totalCount).toBe(total);
    const scans = calls("ListQualificationRequests").length;
    console.log(
      `after Redis restarted: ${scans} ListQualificationRequests calls for 9 queries on 3 instances (${total} requests)`,
    );
    expect(scans).toBeLessThanOrEqual(Math.ceil(total / 100) + endOfListing(simulator));
    // Every call of the scan took from the fleet's bucket in Redis again, none from a local one.
    expect((await takes("redis")) - redisBefore).toBeGreaterThanOrEqual(scans);
    expect(await takes("local")).toBe(localBefore2);

    // Redis came back empty: the running instances wrote their cursor secret back, so a new process gets it too.
    await c.restart();
    expect((await c.data(sortedPage, { first: 5, after: cursor })).qualificationRequests.edges).toHaveLength(5);
  }, 40_000);
});
