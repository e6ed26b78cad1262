import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../src/simulator/server.js";
import { type GatewayProcess, gatewayEnv, startGateway } from "../fleet/support.js";
import { control } from "../support/stack.js";
import { REQUEST_SUBMITTED, sse, waitFor } from "./support.js";

/**
 * A gateway process (src/main.ts) whose rate budget cannot keep up with its poll interval: the poller slows down
 * (up to 8 times its interval), says so in /metrics, and still delivers.
 */
describe("subscriptions under a tight rate budget", () => {
  let simulator: Simulator;
  let gateway: GatewayProcess;
  beforeAll(async () => {
    simulator = await startSimulator({ size: "tiny", seed: 9 });
    gateway = await startGateway({
      ...gatewayEnv(simulator),
      MTURK_RATE_PER_SECOND: "2",
      MTURK_RATE_BURST: "1",
      SUBSCRIPTION_POLL_MS: "100",
    });
  }, 60_000);
  afterAll(async () => {
    await gateway.stop();
    await simulator.close();
  });

  it("polls less often while callers wait for the budget, and metrics show it", async () => {
    const fixtures = await control<any>(simulator, "GET", "fixtures");
    const type = (fixtures.qualificationTypeIds as string[]).find(
      (t) => !fixtures.autoGrantedTypeIds.includes(t) && !fixtures.inactiveTypeIds.includes(t),
    ) as string;
    const stream = sse(fetch, `${gateway.url()}/graphql`, REQUEST_SUBMITTED, { t: type });
    const interval = async () =>
      Number(
        /gateway_live_poll_interval_seconds\{kind="qualificationRequests"\} ([\d.]+)/.exec(
          await gateway.metrics(),
        )?.[1] ?? 0,
      );
    await waitFor(async () => (await interval()) >= 0.4, 15_000, "the poll interval to grow");
    expect(await gateway.metrics()).toMatch(
      /gateway_live_polls_total\{kind="qualificationRequests",pace="slowed",outcome="ok"\} [1-9]/,
    );
    const { workerId } = await control<{ workerId: string }>(simulator, "POST", "workers", {});
    await control(simulator, "POST", `workers/${workerId}/qualification-requests`, { qualificationTypeId: type });
    await stream.until(1, 10_000);
    await stream.close();
  }, 40_000);
});
