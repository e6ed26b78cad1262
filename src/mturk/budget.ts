import { Counter, type Registry } from "prom-client";
import type { GatewayConfig } from "../config.js";
import { BudgetPressure } from "../live/pressure.js";
import { type RateBudget, TokenBucket, UNLIMITED } from "./rateBudget.js";

/**
 * MTurk's rate budget as the gateway runs it, built in one place for `npm start` (src/main.ts) and the test stack
 * (test/support/stack.ts): a test cannot pass on a simpler queue than production's. `budget` goes to
 * createMTurkClient; `pressure` to the subscriptions' pollers; `useFleet` swaps in the fleet's budget (src/fleet)
 * once Redis is set up, which needs the client first.
 */
export function createUpstreamBudget(config: GatewayConfig, registry?: Registry) {
  const takes = registry
    ? new Counter({
        name: "gateway_rate_budget_local_takes_total",
        help: "Tokens this instance's own token bucket gave out (each lets one upstream attempt through).",
        registers: [registry],
      })
    : undefined;
  let inner: RateBudget =
    config.ratePerSecond > 0
      ? new TokenBucket(config.ratePerSecond, config.MTURK_RATE_BURST, () => takes?.inc())
      : UNLIMITED;
  // Measured: subscription pollers slow down while callers wait for the budget.
  const pressure = new BudgetPressure({ take: (cancelled) => inner.take(cancelled) });
  return {
    budget: pressure as RateBudget,
    pressure,
    useFleet(budget: RateBudget) {
      inner = budget;
    },
  };
}
