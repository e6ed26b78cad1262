import { Counter, type Registry } from "prom-client";
import type { GatewayConfig } from "../config.js";
import { TokenBucket, UNLIMITED } from "./rateBudget.js";
import { FairScheduler } from "./scheduler.js";

/**
 * MTurk's rate budget as the gateway runs it, built in one place for `npm start` (src/main.ts) and the test stack
 * (test/support/stack.ts): a test cannot pass on a simpler queue than production's. The fair scheduler hands out
 * the local token bucket's tokens (createMTurkClient takes it; the subscriptions' pollers read its pressure);
 * `useBudget` swaps in the fleet's budget (src/fleet) once Redis is set up, which needs the client first.
 */
export function createUpstreamBudget(config: GatewayConfig, registry?: Registry): FairScheduler {
  const takes = registry
    ? new Counter({
        name: "gateway_rate_budget_local_takes_total",
        help: "Tokens this instance's own token bucket gave out (each lets one upstream attempt through).",
        registers: [registry],
      })
    : undefined;
  const bucket =
    config.ratePerSecond > 0
      ? new TokenBucket(config.ratePerSecond, config.MTURK_RATE_BURST, () => takes?.inc())
      : UNLIMITED;
  return new FairScheduler(bucket, registry);
}
