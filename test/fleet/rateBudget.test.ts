import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

/** MTURK_RATE_PER_SECOND and MTURK_RATE_BURST hold for the fleet, not per instance. */
const missing = redisMissing();
if (missing) console.warn(`Skipping test/fleet: ${missing}`);

const RATE = 5;
const BURST = 5;
// A plain walk of 1,000 requests: 10 ListQualificationRequests pages, never shared; four of them make 40 calls.
const walk = `{ qualificationRequests(first: 1000) { edges { node { qualificationRequestId } } } }`;

/** The most calls whose start falls in one window of `ms`, over every window starting at a call. */
export function busiestWindow(calls: CallRecord[], ms: number): number {
  const starts = calls.map((c) => c.start).sort((x, y) => x - y);
  let most = 0;
  let first = 0;
  for (let last = 0; last < starts.length; last += 1) {
    while ((starts[last] as number) - (starts[first] as number) >= ms) first += 1;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

describe.skipIf(!!missing)("the fleet's rate budget", () => {
  let simulator: Simulator;
  let redis: RedisServer;
  let gateways: GatewayProcess[] = [];

  beforeAll(async () => {
    simulator = await startSimulator({ size: "large", seed: 3 });
    redis = await startRedis();
    const env = {
      ...gatewayEnv(simulator, redis),
      MTURK_RATE_PER_SECOND: String(RATE),
      MTURK_RATE_BURST: String(BURST),
      // 120 calls at 5 a second take about 24 s: the reads wait for the budget, they must not time out.
      REQUEST_TIMEOUT_MS: "60000",
    };
    gateways = await Promise.all([0, 1, 2].map(() => startGateway(env)));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await redis?.stop();
    await simulator?.close();
  });

  it(`3 instances reading 40 calls each: no second of the call log has more than ${RATE} + ${BURST} calls`, async () => {
    simulator.instrumentation.resetCalls();
    const started = performance.now();
    const results = await Promise.all(gateways.flatMap((g) => Array.from({ length: 4 }, () => g.query(walk))));
    const seconds = (performance.now() - started) / 1000;
    for (const r of results) {
      expect(r.errors).toBeUndefined();
      expect((r.data as any).qualificationRequests.edges).toHaveLength(1000);
    }
    const calls = simulator.instrumentation.calls.filter((c) => c.operation === "ListQualificationRequests");
    expect(calls).toHaveLength(120);
    expect(calls.every((c) => c.outcome === "ok")).toBe(true);
    const busiest = busiestWindow(calls, 1000);
    console.log(
      `fleet rate budget: 120 calls in ${seconds.toFixed(1)} s (${(120 / seconds).toFixed(2)}/s); busiest second: ${busiest} calls`,
    );
    expect(busiest).toBeLessThanOrEqual(RATE + BURST);
  }, 60_000);
});
