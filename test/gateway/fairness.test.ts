import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../src/security/auth.js";
import { ASSIGNMENT_SUBMITTED, HIT_CHANGED, sse, waitFor } from "../live/support.js";
import { type GraphQLResponse, type Stack, startStack } from "../support/stack.js";

/**
 * MTurk's rate budget shared fairly, through the production budget path (createUpstreamBudget, as npm start builds
 * it): calls nobody waits for any more take no token, and are never sent.
 */
const unknownHitIds = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => Buffer.from(`HIT:3NOSUCH${tag}${String(i).padStart(6, "0")}`).toString("base64"));
const NODES = `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`;
const BALANCE = `{ accountBalance { availableBalance { formatted } } }`;

/** A counter's value in the /metrics text (0 when absent). */
const counter = (text: string, name: string) =>
  Number(new RegExp(`^${name.replace(/[{}"]/g, "\\$&")} (\\d+)`, "m").exec(text)?.[1] ?? 0);

/** A query as the API key `key`; `signal` lets its client abandon it (undefined then). */
const post = (
  stack: Stack,
  document: string,
  variables: Record<string, unknown> = {},
  options: { key?: string; signal?: AbortSignal } = {},
): Promise<GraphQLResponse | undefined> =>
  stack
    .query(document, variables, { headers: options.key ? { "x-api-key": options.key } : {}, signal: options.signal })
    .catch(() => undefined);

const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
};

const KEYS = { flood: "flood-key-0123456789", victim: "victim-key-0123456789" };
const apiKeys = (weights: Partial<Record<keyof typeof KEYS, number>> = {}) =>
  JSON.stringify(
    Object.entries(KEYS).map(([name, key]) => ({
      name,
      sha256: hashApiKey(key),
      scopes: ["read"],
      ...(weights[name as keyof typeof KEYS] ? { weight: weights[name as keyof typeof KEYS] } : {}),
    })),
  );

/** 5 calls/s with a burst of 1: every call waits its turn. */
const AT_5_PER_SECOND = { MTURK_RATE_PER_SECOND: "5", MTURK_RATE_BURST: "1" };
/** A demo stack at 5 calls/s with the two keys, and `env`. */
const budgetedStack = (seed: number, env: Record<string, string> = {}) =>
  startStack({ size: "demo", seed, env: { ...AT_5_PER_SECOND, AUTH_API_KEYS: apiKeys(), ...env } });

/** The victim key's read now: how many other calls went out after it asked and before its `operation` (0: the next). */
async function victimOffset(stack: Stack, document: string, operation: string): Promise<number> {
  const sentBefore = stack.simulator.instrumentation.calls.length;
  const victim = await post(stack, document, {}, { key: KEYS.victim });
  expect(victim?.errors, JSON.stringify(victim?.errors)).toBeUndefined();
  return stack.simulator.instrumentation.calls.findIndex((c) => c.operation === operation) - sentBefore;
}

describe("cancellation through the production budget path", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ size: "demo", seed: 61, env: AT_5_PER_SECOND });
  });
  afterAll(() => stack.close());

  it("an aborted request's queued calls take no token and are never sent", async () => {
    stack.simulator.instrumentation.resetCalls();
    const before = counter(await stack.metrics(), "gateway_rate_budget_local_takes_total");
    await stack.abandoned(NODES, { ids: unknownHitIds(20, "ABORT") }, 100);
    const victim = await stack.query(BALANCE);
    expect(victim.errors).toBeUndefined();
    const sent = stack.simulator.instrumentation.calls;
    const aborted = sent.filter((c) => c.operation === "GetHIT").length;
    // The burst's token and the one refilled while it waited: the rest were queued when the client left.
    expect(aborted).toBeLessThanOrEqual(2);
    const takes = counter(await stack.metrics(), "gateway_rate_budget_local_takes_total") - before;
    expect(takes).toBe(sent.length);
  });
});

describe("fair shares between keys", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await budgetedStack(62);
  });
  afterAll(() => stack.close());

  it("a victim's one call runs before the flood's queued calls", async () => {
    const calls = () => stack.simulator.instrumentation.calls;
    stack.simulator.instrumentation.resetCalls();
    const flood = new AbortController();
    // Three requests of 20 unknown ids from one key: 60 GetHITs queued, 12 s of the budget.
    const flooding = [1, 2, 3].map((n) =>
      post(stack, NODES, { ids: unknownHitIds(20, `FLOOD${n}`) }, { key: KEYS.flood, signal: flood.signal }),
    );
    await until(() => calls().length >= 2);
    const offset = await victimOffset(stack, BALANCE, "GetAccountBalance");
    flood.abort();
    await Promise.all(flooding);
    // Served by the next token or the one after (the flood's call may be granted as the victim arrives).
    expect(offset).toBeGreaterThanOrEqual(0);
    expect(offset).toBeLessThanOrEqual(1);
  });

  it("one key's 60 scans queued do not hold another key's scan: its first call is the next sent", async () => {
    const calls = () => stack.simulator.instrumentation.calls;
    stack.simulator.instrumentation.resetCalls();
    const flood = new AbortController();
    // Each HIT's assignments sorted: a scan of its own (ListAssignmentsForHIT) for each of 20 HITs, three times.
    const scans = (skip: number) =>
      `{ hits(page: { number: ${skip}, size: 20 }) { edges { node { assignments(first: 1, orderBy: { field: SUBMIT_TIME }) { totalCount } } } } }`;
    const flooding = [1, 2, 3].map((n) => post(stack, scans(n), {}, { key: KEYS.flood, signal: flood.signal }));
    await until(() => calls().filter((c) => c.operation === "ListAssignmentsForHIT").length >= 2);
    const offset = await victimOffset(
      stack,
      `{ workerBlocks(first: 3, orderBy: { field: WORKER_ID }) { totalCount } }`,
      "ListWorkerBlocks",
    );
    flood.abort();
    await Promise.all(flooding);
    expect(offset).toBeLessThanOrEqual(1);
  });
});

describe("a request's queueing, visible", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ size: "demo", seed: 67, env: AT_5_PER_SECOND });
  });
  afterAll(() => stack.close());

  it("extensions.cost gives the price, the calls sent and their wait; /metrics the wait per class", async () => {
    const result = await stack.query(NODES, { ids: unknownHitIds(3, "COST") });
    const cost = result.extensions?.cost;
    expect(cost?.upstreamCalls).toBe(3);
    expect(cost?.price).toBeGreaterThanOrEqual(3);
    // One token at a time, 200 ms apart: the second and third waited.
    expect(cost?.queueMs).toBeGreaterThan(0);
    const metrics = await stack.metrics();
    expect(counter(metrics, 'gateway_upstream_queue_wait_seconds_count{class="interactive",key="other"}')).toBe(3);
  });
});

describe("caps and shares per key", () => {
  let stack: Stack;
  let hitTypeId: string;
  beforeAll(async () => {
    stack = await budgetedStack(63, { SUBSCRIPTION_POLL_MS: "200" });
    const hits = await post(stack, `{ hits(first: 1) { edges { node { hitTypeId } } } }`, {}, { key: KEYS.victim });
    hitTypeId = (hits?.data as any)?.hits.edges[0].node.hitTypeId;
  });
  afterAll(() => stack.close());

  const exportOf = (key: string) =>
    Promise.resolve(
      stack.yoga.fetch(`http://gateway.test/exports/assignments.csv?hitTypeId=${hitTypeId}`, {
        headers: { "x-api-key": key },
      }),
    );

  it("a key has at most MAX_EXPORTS_PER_KEY (2) exports streaming; one more is refused until one ends", async () => {
    const running = [await exportOf(KEYS.flood), await exportOf(KEYS.flood)];
    expect(running.map((r) => r.status)).toEqual([200, 200]);
    stack.simulator.instrumentation.resetCalls();
    const refused = await exportOf(KEYS.flood);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as any).errors[0].extensions.code).toBe("TOO_MANY_EXPORTS");
    expect(stack.simulator.instrumentation.calls).toHaveLength(0);
    // Another key's export is not the flood's to refuse.
    const other = await exportOf(KEYS.victim);
    expect(other.status).toBe(200);
    await other.body?.cancel();
    await running[0]?.body?.cancel();
    const again = await exportOf(KEYS.flood);
    expect(again.status).toBe(200);
    await Promise.all([again, running[1]].map((r) => r?.body?.cancel()));
  });

  it("queues a subscription's polls under its subscriber's key, class live", async () => {
    const stream = sse(
      (url, init) => stack.yoga.fetch(url, init),
      "http://gateway.test/graphql",
      HIT_CHANGED,
      { h: "3NOSUCHHITFORAPOLL" },
      { "x-api-key": KEYS.victim },
    );
    const waited = async () =>
      counter(await stack.metrics(), 'gateway_upstream_queue_wait_seconds_count{class="live",key="victim"}');
    await waitFor(async () => (await waited()) > 0, 10_000, "a poll under the victim's key");
    await stream.close();
    expect(await stack.metrics()).not.toMatch(/gateway_upstream_queue_wait_seconds_count\{class="live",key="flood"\}/);
  });
});

describe("lingering subscriptions", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await budgetedStack(68, { SUBSCRIPTION_POLL_MS: "200", SUBSCRIPTION_LINGER_MS: "60000" });
  });
  afterAll(() => stack.close());

  it("20 pollers of random HIT types lingering for one key: another key's read is still the next call", async () => {
    const calls = () => stack.simulator.instrumentation.calls;
    const streams = Array.from({ length: 20 }, (_, i) =>
      sse(
        (url, init) => stack.yoga.fetch(url, init),
        "http://gateway.test/graphql",
        ASSIGNMENT_SUBMITTED,
        { ht: `3RANDOMTYPE${String(i).padStart(5, "0")}` },
        { "x-api-key": KEYS.flood },
      ),
    );
    await until(() => calls().filter((c) => c.operation === "ListHITs").length >= 5);
    // Their clients leave; the pollers linger, each polling ListHITs every 200 ms: 100 calls a second wanted.
    await Promise.all(streams.map((s) => s.close()));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await victimOffset(stack, BALANCE, "GetAccountBalance")).toBeLessThanOrEqual(1);
  });
});
