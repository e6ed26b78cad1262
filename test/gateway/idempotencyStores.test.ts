import { GetHITCommand, ListBonusPaymentsCommand, paginateListHITs } from "@aws-sdk/client-mturk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { machineRedis } from "../fleet/support.js";
import { type Stack, startStack } from "../support/stack.js";
import { hitWithSubmissions, KEYED_ERRORS, runOk } from "../support/work.js";

/**
 * A key reused for other content is refused, pays nothing and sends nothing, on every store and every keyed write:
 * in memory, and on the fleet's Redis (the one of this machine, 127.0.0.1:6379, under the simulator's own
 * namespace) also after Redis restarted empty (its keys deleted) and after the gateway restarted (its memory gone).
 */
let redisServer: Awaited<ReturnType<typeof machineRedis>>;
beforeAll(async () => {
  redisServer = await machineRedis();
});
afterAll(() => redisServer.stop());
const WRITES = ["SendBonus", "CreateHIT", "CreateHITWithHITType", "CreateAdditionalAssignmentsForHIT"];

const bonusDoc = `mutation($i: SendBonusInput!) { sendBonus(input: $i) { __typename ... on BonusPaid { alreadyProcessed } ${KEYED_ERRORS} } }`;
const batchDoc = `mutation($i: SendBonusesInput!) { sendBonuses(input: $i) { __typename ... on SendBonusesPayload { succeeded failed results { result { alreadyProcessed } error { code message } } } ${KEYED_ERRORS} } }`;
const createDoc = `mutation($i: CreateHITInput!) { createHIT(input: $i) { __typename ... on CreatedHITPayload { alreadyExisted hit { hitId } } ${KEYED_ERRORS} } }`;
const typedDoc = `mutation($i: CreateHITWithHITTypeInput!) { createHITWithHITType(input: $i) { __typename ... on CreatedHITPayload { alreadyExisted hit { hitId } } ${KEYED_ERRORS} } }`;
const extendDoc = `mutation($i: CreateAdditionalAssignmentsForHITInput!) { createAdditionalAssignmentsForHIT(input: $i) { __typename ... on AdditionalAssignmentsPayload { alreadyProcessed } ${KEYED_ERRORS} } }`;
const typeDoc = `mutation($i: CreateHITTypeInput!) { createHITType(input: $i) { ... on OkPayload { hitTypeId } } }`;

const question = "<HTMLQuestion><HTMLContent>x</HTMLContent></HTMLQuestion>";
const hitInput = (title: string, idempotencyKey: string) => ({
  title,
  description: "d",
  reward: "0.10",
  lifetimeInSeconds: 3600,
  assignmentDurationInSeconds: 600,
  question,
  idempotencyKey,
});

type Work = { assignmentId: string; workerId: string };
const bonus = (s: Work, bonusAmount: string, reason = "thanks") => ({ ...s, bonusAmount, reason });

/** Everything the keyed writes of `stack` paid or created so far. */
async function ledger(stack: Stack, assignments: string[], hitIds: string[]) {
  let bonuses = 0;
  for (const a of assignments)
    bonuses += ((await stack.client.send(new ListBonusPaymentsCommand({ AssignmentId: a }))).BonusPayments ?? [])
      .length;
  let hits = 0;
  for await (const page of paginateListHITs({ client: stack.client }, {})) hits += (page.HITs ?? []).length;
  const max: number[] = [];
  for (const id of hitIds)
    max.push((await stack.client.send(new GetHITCommand({ HITId: id }))).HIT?.MaxAssignments ?? 0);
  return { bonuses, hits, max };
}

/** Uses every keyed write once with key `k`-something, and returns what a reuse of each with other content sends. */
async function firstUses(stack: Stack, k: string) {
  const { hitId, submissions } = await hitWithSubmissions(stack, 3, `${k}-work`);
  const [a, b, c] = submissions as [Work, Work, Work];
  const typeId = (
    await runOk(stack, typeDoc, {
      i: { title: `${k} type`, description: "d", reward: "0.20", assignmentDurationInSeconds: 600 },
    })
  ).createHITType.hitTypeId as string;
  const used = {
    sendBonus: [bonusDoc, { i: { ...bonus(a, "1.00"), idempotencyKey: `${k}-bonus` } }],
    sendBonuses: [batchDoc, { i: { idempotencyKey: `${k}-batch`, items: [bonus(b, "0.50"), bonus(c, "0.70")] } }],
    createHIT: [createDoc, { i: hitInput(`${k} hit`, `${k}-hit`) }],
    createHITWithHITType: [
      typedDoc,
      { i: { hitTypeId: typeId, lifetimeInSeconds: 3600, question, idempotencyKey: `${k}-typed` } },
    ],
    createAdditionalAssignmentsForHIT: [
      extendDoc,
      { i: { hitId, numberOfAdditionalAssignments: 2, idempotencyKey: `${k}-extend` } },
    ],
  } as const;
  for (const [doc, variables] of Object.values(used)) await runOk(stack, doc, variables);
  const { hitId: otherHit } = await hitWithSubmissions(stack, 0, `${k}-other`, 2);
  const reused = {
    sendBonus: [bonusDoc, { i: { ...bonus(a, "9.00"), idempotencyKey: `${k}-bonus` } }],
    // Other items under the batch's key: one of the first batch's and a new one.
    sendBonuses: [batchDoc, { i: { idempotencyKey: `${k}-batch`, items: [bonus(b, "0.50"), bonus(a, "3.00")] } }],
    createHIT: [createDoc, { i: { ...hitInput(`${k} hit`, `${k}-hit`), reward: "5.00" } }],
    createHITWithHITType: [
      typedDoc,
      { i: { hitTypeId: typeId, lifetimeInSeconds: 3600, question: `${question} `, idempotencyKey: `${k}-typed` } },
    ],
    createAdditionalAssignmentsForHIT: [
      extendDoc,
      { i: { hitId: otherHit, numberOfAdditionalAssignments: 2, idempotencyKey: `${k}-extend` } },
    ],
  } as const;
  return { reused, assignments: [a, b, c].map((s) => s.assignmentId), hitIds: [hitId, otherHit] };
}

/** Every reuse answers IdempotencyKeyConflictError, sends no write to MTurk and changes nothing it holds. */
async function expectAllRefused(stack: Stack, uses: Awaited<ReturnType<typeof firstUses>>) {
  const before = await ledger(stack, uses.assignments, uses.hitIds);
  const answers: Record<string, string> = {};
  const writes: string[] = [];
  for (const [name, [doc, variables]] of Object.entries(uses.reused)) {
    const { result, calls } = await stack.measured<any>(doc, variables);
    answers[name] = result.data?.[name]?.__typename ?? JSON.stringify(result.errors);
    writes.push(...calls.map((c) => c.operation).filter((o) => WRITES.includes(o)));
  }
  expect(answers).toEqual(Object.fromEntries(Object.keys(uses.reused).map((n) => [n, "IdempotencyKeyConflictError"])));
  expect(writes).toEqual([]);
  expect(await ledger(stack, uses.assignments, uses.hitIds)).toEqual(before);
}

describe("a key reused for other content, without Redis (the mirror's records)", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ size: "empty", seed: 21 });
  });
  afterAll(() => stack.close());

  it("is refused by every keyed write, sendBonuses' batch key included", async () => {
    await expectAllRefused(stack, await firstUses(stack, "mem"));
  });

  it("is refused after the gateway restarted: the records are the mirror's, on disk", async () => {
    const uses = await firstUses(stack, "restarted-alone");
    await stack.restartGateway();
    await expectAllRefused(stack, uses);
  });
});

describe("a key reused for other content, with Redis", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ size: "empty", seed: 22, redisUrl: redisServer.url });
  });
  afterAll(() => stack.close());

  it("is refused with the fleet's records", async () => {
    await expectAllRefused(stack, await firstUses(stack, "shared"));
  });

  it("is refused after Redis restarted empty: the record this instance holds wins over a fresh Redis claim", async () => {
    const uses = await firstUses(stack, "emptied");
    expect(await stack.forgetRedis()).toBeGreaterThanOrEqual(5);
    await expectAllRefused(stack, uses);
  });

  it("is refused by another instance (a restarted gateway) from Redis's records", async () => {
    const uses = await firstUses(stack, "restarted");
    await stack.restartGateway();
    await expectAllRefused(stack, uses);
  });
});

describe.each([{ store: "memory" }, { store: "Redis" }])("a sendBonuses batch key ($store)", ({ store }) => {
  let stack: Stack;
  let work: Work[];
  beforeAll(async () => {
    stack = await startStack({ size: "empty", seed: 23, redisUrl: store === "Redis" ? redisServer.url : undefined });
    work = (await hitWithSubmissions(stack, 4, "batch-work")).submissions;
  });
  afterAll(() => stack.close());

  const paid = async () =>
    (
      await ledger(
        stack,
        work.map((w) => w.assignmentId),
        [],
      )
    ).bonuses;
  const batch = async (idempotencyKey: string, items: unknown[]) =>
    (await runOk(stack, batchDoc, { i: { idempotencyKey, items } })).sendBonuses;

  it("retried with its items reordered, or with some of them, pays nothing more; with others it is refused", async () => {
    const [a, b, c, d] = work as [Work, Work, Work, Work];
    const items = [bonus(a, "1.00"), bonus(b, "1.10"), bonus(c, "1.20")];
    expect((await batch("B1", items)).succeeded).toBe(3);
    expect(await paid()).toBe(3);
    const reordered = await batch("B1", [items[2], items[0], items[1]]);
    expect(reordered.results.map((r: any) => r.result.alreadyProcessed)).toEqual([true, true, true]);
    // A retry of the items that failed (or of any of the batch's items) is the same batch.
    const subset = await batch("B1", [items[1]]);
    expect(subset.results.map((r: any) => r.result.alreadyProcessed)).toEqual([true]);
    expect((await batch("B1", [...items, bonus(d, "1.30")])).__typename).toBe("IdempotencyKeyConflictError");
    expect((await batch("B1", [{ ...items[0], reason: "other" }])).__typename).toBe("IdempotencyKeyConflictError");
    expect(await paid()).toBe(3);
  });

  it("is one key with sendBonus's keys: a key used for one cannot be used for the other", async () => {
    const [a, b] = work as [Work, Work];
    const single = await runOk(stack, bonusDoc, { i: { ...bonus(a, "2.00"), idempotencyKey: "K1" } });
    expect(single.sendBonus.__typename).toBe("BonusPaid");
    expect((await batch("K1", [bonus(a, "2.00")])).__typename).toBe("IdempotencyKeyConflictError");
    expect((await batch("K2", [bonus(b, "2.00")])).succeeded).toBe(1);
    const reused = await runOk(stack, bonusDoc, { i: { ...bonus(b, "2.00"), idempotencyKey: "K2" } });
    expect(reused.sendBonus.__typename).toBe("IdempotencyKeyConflictError");
    // An item's own key is a sendBonus key.
    const own = await batch("K3", [{ ...bonus(b, "2.50"), idempotencyKey: "K1" }]);
    expect(own.results[0].error.code).toBe("IDEMPOTENCY_KEY_CONFLICT");
    expect(await paid()).toBe(5);
  });

  it("items that share a key pay once, however MTurk answers the token's reuse", async () => {
    const [, , c] = work as [Work, Work, Work];
    await stack.control("PUT", "switches", { duplicateError: "opaque" });
    try {
      const items = [
        bonus(c, "3"),
        bonus(c, "3.00"),
        { ...bonus(c, "4.00"), idempotencyKey: "own" },
        { ...bonus(c, "4.00"), idempotencyKey: "own" },
      ];
      const { result, calls } = await stack.measured<any>(batchDoc, { i: { idempotencyKey: "B2", items } });
      const same = result.data?.sendBonuses;
      // One call per key: the copies wait for it (no reused token for MTurk to answer, no read-back).
      expect(calls.map((c) => c.operation)).toEqual(["SendBonus", "SendBonus"]);
      expect(same.results.map((r: any) => r.result?.alreadyProcessed ?? r.error.code)).toEqual([
        false,
        true,
        false,
        true,
      ]);
    } finally {
      await stack.control("PUT", "switches", { duplicateError: "DuplicateRequest" });
    }
    expect(await paid()).toBe(7);
  });
});
