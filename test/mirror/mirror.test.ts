import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../src/simulator/server.js";
import { tempMirrorDatabase } from "../support/mirror.js";
import { control, type Stack, startStack } from "../support/stack.js";
import { hitWithSubmissions, KEYED_ERRORS, runOk } from "../support/work.js";

/**
 * The durable mirror: what the gateway keeps of the account survives a restart, answers while MTurk does not, and
 * outlives MTurk's own memory of a HIT.
 */

const SORTED = `{
  qualificationRequests(orderBy: { field: SUBMIT_TIME }, first: 5) { totalCount source asOf edges { node { qualificationRequestId } } }
  hits(orderBy: { field: CREATION_TIME, direction: DESC }, first: 5) { totalCount source edges { node { hitId } } }
  workerBlocks(page: { number: 1, size: 5 }) { totalCount }
}`;
const HISTORY = `query($w: String!) { worker(workerId: $w) {
  stats { submitted approved bonusTotal { amount } }
  assignments(first: 50) { totalCount source edges { node { assignmentId hit { hitId status } } } } } }`;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
/** A DATA_DIR that outlives one gateway, so that another can start on the same mirror. */
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "mturk-mirror-restart-"));
  dirs.push(dir);
  return dir;
};

/** A gateway on its own mirror, over an account (simulator) that outlives it. */
async function gatewayOn(simulator: Simulator, dir: string, env: Record<string, string> = {}) {
  return startStack({ simulator, database: await tempMirrorDatabase({ dir }), env });
}

describe("a restart", () => {
  it("is warm: a new gateway on the same mirror answers sorted pages, totals and histories with no call", async () => {
    const dir = dataDir();
    const simulator = await startSimulator({ size: "demo", seed: 31 });
    const first = await gatewayOn(simulator, dir);
    const { submissions } = await hitWithSubmissions(first, 2, "restart-warm");
    const workerId = (submissions[0] as { workerId: string }).workerId;
    const before = await runOk(first, SORTED);
    const history = await runOk(first, HISTORY, { w: workerId });
    expect(history.worker.stats.submitted).toBe(1);
    await first.close();

    const second = await gatewayOn(simulator, dir);
    try {
      const sorted = await second.measured<any>(SORTED);
      expect(sorted.result.errors).toBeUndefined();
      expect(sorted.calls).toEqual([]);
      // No listing is read again; a selected HIT field is MTurk's own GetHIT (always current).
      expect(sorted.result.data).toEqual(before);
      const again = await second.measured<any>(HISTORY, { w: workerId });
      expect(again.calls.map((c) => c.operation)).toEqual(["GetHIT"]);
      expect(again.result.data.worker.stats).toEqual(history.worker.stats);
    } finally {
      await second.close();
      await simulator.close();
    }
  });

  it("keeps idempotency keys: a key reused with other content after a restart pays nothing", async () => {
    const dir = dataDir();
    const simulator = await startSimulator({ size: "demo", seed: 32 });
    const first = await gatewayOn(simulator, dir);
    const { submissions } = await hitWithSubmissions(first, 2, "restart-keys");
    const [a, b] = submissions as [
      { assignmentId: string; workerId: string },
      { assignmentId: string; workerId: string },
    ];
    const PAY = `mutation($i: SendBonusInput!) { sendBonus(input: $i) { __typename ... on BonusPaid { alreadyProcessed } ${KEYED_ERRORS} } }`;
    const paid = await runOk(first, PAY, {
      i: { workerId: a.workerId, assignmentId: a.assignmentId, bonusAmount: "1.00", reason: "r", idempotencyKey: "K1" },
    });
    expect(paid.sendBonus.__typename).toBe("BonusPaid");
    await first.close();
    const second = await gatewayOn(simulator, dir);
    try {
      const bonuses = () => second.simulator.store.bonuses.length;
      const before = bonuses();
      const reused = await runOk(second, PAY, {
        i: {
          workerId: b.workerId,
          assignmentId: b.assignmentId,
          bonusAmount: "5.00",
          reason: "r",
          idempotencyKey: "K1",
        },
      });
      expect(reused.sendBonus.__typename).toBe("IdempotencyKeyConflictError");
      expect(bonuses()).toBe(before);
      const retried = await runOk(second, PAY, {
        i: {
          workerId: a.workerId,
          assignmentId: a.assignmentId,
          bonusAmount: "1.00",
          reason: "r",
          idempotencyKey: "K1",
        },
      });
      expect(retried.sendBonus).toEqual({ __typename: "BonusPaid", alreadyProcessed: true });
      expect(bonuses()).toBe(before);
    } finally {
      await second.close();
      await simulator.close();
    }
  });
});

describe("while MTurk is down", () => {
  let stack: Stack;
  let workerId: string;
  let before: any;
  beforeAll(async () => {
    stack = await startStack({ size: "demo", seed: 33, env: { MTURK_MAX_ATTEMPTS: "1", MIRROR_MAX_AGE_MS: "50" } });
    const { submissions } = await hitWithSubmissions(stack, 1, "outage");
    workerId = (submissions[0] as { workerId: string }).workerId;
    before = { sorted: await runOk(stack, SORTED), history: await runOk(stack, HISTORY, { w: workerId }) };
    await stack.control("PUT", "faults", { serviceFaultRate: 1 });
    await new Promise((r) => setTimeout(r, 100));
  });
  afterAll(() => stack.close());

  it("sorted pages, totals and histories answer from the mirror with their age, never an error", async () => {
    const sorted = await stack.query<any>(SORTED);
    expect(sorted.errors).toBeUndefined();
    expect(sorted.data.qualificationRequests.source).toBe("MIRROR");
    expect(sorted.data.qualificationRequests.totalCount).toBe(before.sorted.qualificationRequests.totalCount);
    expect(Date.parse(sorted.data.qualificationRequests.asOf)).toBeLessThan(Date.now() - 100);
    const history = await stack.query<any>(HISTORY, { w: workerId });
    expect(history.errors).toBeUndefined();
    expect(history.data.worker.stats).toEqual(before.history.worker.stats);
  });

  it("a plain walk goes on from the mirror", async () => {
    const walk = await stack.query<any>(
      `{ hits(first: 3) { source edges { node { hitId } } pageInfo { hasNextPage endCursor } } }`,
    );
    expect(walk.errors).toBeUndefined();
    expect(walk.data.hits.source).toBe("MIRROR");
    expect(walk.data.hits.edges).toHaveLength(3);
    const next = await stack.query<any>(
      `query($a: String) { hits(first: 3, after: $a) { source edges { node { hitId } } } }`,
      {
        a: walk.data.hits.pageInfo.endCursor,
      },
    );
    expect(next.errors).toBeUndefined();
    const ids = [...walk.data.hits.edges, ...next.data.hits.edges].map((e: any) => e.node.hitId);
    expect(new Set(ids).size).toBe(6);
  });

  it("a gateway that starts while MTurk is down serves what the mirror holds", async () => {
    const dir = dataDir();
    const simulator = await startSimulator({ size: "demo", seed: 34 });
    const up = await gatewayOn(simulator, dir);
    const seen = await runOk(up, SORTED);
    await up.close();
    await control(simulator, "PUT", "faults", { serviceFaultRate: 1 });
    const cold = await gatewayOn(simulator, dir, { MTURK_MAX_ATTEMPTS: "1", MIRROR_MAX_AGE_MS: "0" });
    try {
      const sorted = await cold.query<any>(SORTED);
      expect(sorted.errors).toBeUndefined();
      expect(sorted.data.hits.totalCount).toBe(seen.hits.totalCount);
      expect(sorted.data.hits.source).toBe("MIRROR");
    } finally {
      await cold.close();
      await simulator.close();
    }
  });
});

describe("history outlives MTurk", () => {
  it("a HIT MTurk forgot stays readable: hit(hitId), node(id), the worker's history and an export, status Disposed", async () => {
    const stack = await startStack({ size: "demo", seed: 35 });
    try {
      const { hitId, submissions } = await hitWithSubmissions(stack, 1, "forgotten", 1);
      const work = submissions[0] as { assignmentId: string; workerId: string };
      await runOk(stack, `mutation($a: String!) { approveAssignment(input: { assignmentId: $a }) { __typename } }`, {
        a: work.assignmentId,
      });
      // The mirror holds the HIT's work once any read needed it.
      expect((await runOk(stack, HISTORY, { w: work.workerId })).worker.stats.approved).toBe(1);
      const { id } = (await runOk(stack, `query($h: String!) { hit(hitId: $h) { id } }`, { h: hitId })).hit;
      await runOk(stack, `mutation($h: String!) { deleteHIT(input: { hitId: $h }) { __typename } }`, { h: hitId });
      // 121 days on, MTurk answers HITDoesNotExist for it and for its assignment.
      await stack.control("POST", "clock/advance", { seconds: 121 * 86_400 });
      const gone = await stack.client
        .send(new (await import("@aws-sdk/client-mturk")).GetHITCommand({ HITId: hitId }))
        .catch((e: Error) => e);
      expect((gone as { TurkErrorCode?: string }).TurkErrorCode).toBe("AWS.MechanicalTurk.HITDoesNotExist");

      const read = await runOk(
        stack,
        `query($h: String!, $id: ID!) { hit(hitId: $h) { hitId status title } node(id: $id) { ... on HIT { status } } }`,
        {
          h: hitId,
          id,
        },
      );
      expect(read.hit).toMatchObject({ hitId, status: "Disposed", title: "Rate sentences" });
      expect(read.node.status).toBe("Disposed");
      const history = await runOk(stack, HISTORY, { w: work.workerId });
      expect(history.worker.stats.approved).toBe(1);
      expect(history.worker.assignments.edges[0].node.hit).toEqual({ hitId, status: "Disposed" });
      const assignment = await runOk(
        stack,
        `query($a: String!) { assignment(assignmentId: $a) { status hit { status } } }`,
        {
          a: work.assignmentId,
        },
      );
      expect(assignment.assignment).toEqual({ status: "Approved", hit: { status: "Disposed" } });
      const exported = await stack.yoga.fetch(`http://gateway.test/exports/assignments.csv?hitId=${hitId}`);
      expect(exported.status, await exported.clone().text()).toBe(200);
      expect(await exported.text()).toContain(work.assignmentId);
    } finally {
      await stack.close();
    }
  });
});
