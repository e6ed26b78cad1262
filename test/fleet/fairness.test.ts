import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../src/security/auth.js";
import type { CallRecord } from "../../src/simulator/instrumentation.js";
import { type Simulator, startSimulator } from "../../src/simulator/server.js";
import {
  type GatewayProcess,
  gatewayEnv,
  type RedisServer,
  redisMissing,
  startGateway,
  startRedis,
} from "./support.js";

/**
 * Two instances on one Redis rate budget (5 calls/s for both): each queues its callers fairly and asks Redis for one
 * token at a time, so a flood on one instance neither holds that instance's other keys nor the other instance.
 */
const missing = redisMissing();
const KEYS = { flood: "fleet-flood-key-0123", victim: "fleet-victim-key-0123" };
const NODES = `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`;
const BALANCE = `{ accountBalance { availableBalance { formatted } } }`;
const unknownHitIds = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => Buffer.from(`HIT:3NOSUCH${tag}${String(i).padStart(6, "0")}`).toString("base64"));

describe.skipIf(!!missing)("fair shares across a fleet", () => {
  let simulator: Simulator;
  let redis: RedisServer;
  let a: GatewayProcess;
  let b: GatewayProcess;

  beforeAll(async () => {
    simulator = await startSimulator({ size: "tiny", seed: 11 });
    redis = await startRedis();
    const env = {
      ...gatewayEnv(simulator, redis),
      MTURK_RATE_PER_SECOND: "5",
      MTURK_RATE_BURST: "5",
      AUTH_API_KEYS: JSON.stringify(
        Object.entries(KEYS).map(([name, key]) => ({ name, sha256: hashApiKey(key), scopes: ["read"] })),
      ),
    };
    [a, b] = await Promise.all([startGateway(env), startGateway(env)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    await simulator?.close();
  });

  const post = (g: GatewayProcess, key: string, query: string, variables = {}, signal?: AbortSignal) =>
    fetch(`${g.url()}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": key },
      body: JSON.stringify({ query, variables }),
      signal,
    })
      .then((r) => r.json() as Promise<{ errors?: unknown[]; extensions?: { cost?: { queueMs?: number } } }>)
      .catch(() => undefined);

  it("a victim's read on the flooded instance gets its next token; on the other, one within two windows", async () => {
    const calls = () => simulator.instrumentation.calls;
    simulator.instrumentation.resetCalls();
    const flood = new AbortController();
    // 60 GetHITs queued on A: 12 s of the fleet's budget.
    const flooding = [1, 2, 3].map((n) =>
      post(a, KEYS.flood, NODES, { ids: unknownHitIds(20, `FLEET${n}`) }, flood.signal),
    );
    while (calls().length < 6) await new Promise((resolve) => setTimeout(resolve, 20));
    for (const [instance, gateway] of [
      ["A", a],
      ["B", b],
    ] as const) {
      const victim = await post(gateway, KEYS.victim, BALANCE);
      expect(victim?.errors, instance).toBeUndefined();
      // Counted from when the victim's call asked for its token (its queueMs before the call), not from when the test
      // sent the request: a loaded machine may take a while to parse it, and the flood's calls go on meanwhile.
      const queueMs = victim?.extensions?.cost?.queueMs ?? Number.NaN;
      const own = calls().findLast((c) => c.operation === "GetAccountBalance");
      const asked = (own?.start ?? Number.NaN) - queueMs;
      // The flood's calls only: the mirror's background sync on both instances shares the budget too.
      const floods = (c: CallRecord) => c.operation === "GetHIT" && JSON.stringify(c.input).includes("NOSUCHFLEET");
      const before = calls().filter((c) => floods(c) && c.start > asked && c.start <= (own?.start ?? 0)).length;
      console.log(
        `fleet fairness: on ${instance} the victim waited ${queueMs} ms, behind ${before} of the flood's calls`,
      );
      // A's scheduler gives it A's next token (one of the flood's may be on its way already): at most one of the flood's. Between instances it is
      // first come: B asks Redis beside A, which asks again as soon as a token is granted; within two windows (10).
      expect(before, instance).toBeLessThanOrEqual(instance === "A" ? 1 : 10);
    }
    flood.abort();
    await Promise.all(flooding);
  }, 30_000);
});
