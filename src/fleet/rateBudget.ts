import { setTimeout as sleep } from "node:timers/promises";
import { Counter, type Registry } from "prom-client";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { type RateBudget, TokenBucket } from "../mturk/rateBudget.js";
import type { RedisLink } from "./link.js";

/**
 * rate-limiter-flexible counts whole points in windows of whole seconds. A window of one second holding `rate`
 * points keeps the sustained rate exactly, and any one-second span (it overlaps at most two windows) sees at most
 * 2 × rate calls: within MTurk's token bucket (rate + burst in any second) whenever burst >= rate, as by default.
 * A smaller burst shrinks the window's points so that 2 × points <= rate + burst still holds.
 */
export function fleetWindow(rate: number, burst: number): { points: number; duration: number } {
  if (rate < 1) return { points: 1, duration: Math.ceil(1 / rate) };
  return { points: Math.max(1, Math.floor(Math.min(rate, (rate + burst) / 2))), duration: 1 };
}

/**
 * The account's rate budget, shared by every instance through Redis (RateLimiterRedis: one atomic INCR with expiry
 * per call). A refused call waits `msBeforeNext` and asks again. Takes are queued per instance, so an instance asks
 * Redis one call at a time: its fair scheduler (src/mturk/scheduler.ts) decides whose call each token goes to. While Redis is away, a local token bucket with this
 * instance's share of the budget (1/N of it, N the instances last seen alive) stands in.
 */
export class FleetRateBudget implements RateBudget {
  private readonly limiter: RateLimiterRedis;
  private queue: Promise<void> = Promise.resolve();
  private local?: TokenBucket;
  private readonly takes?: Counter;

  constructor(
    private readonly link: RedisLink,
    private readonly rate: number,
    private readonly burst: number,
    registry?: Registry,
  ) {
    this.limiter = new RateLimiterRedis({
      storeClient: link.redis,
      keyPrefix: link.key("rate"),
      ...fleetWindow(rate, burst),
      rejectIfRedisNotReady: true,
    });
    if (registry)
      this.takes = new Counter({
        name: "gateway_rate_budget_takes_total",
        help: "Upstream attempts let through by the rate budget, by store: redis (the fleet's) or local (fallback).",
        labelNames: ["store"],
        registers: [registry],
      });
  }

  take(cancelled?: () => boolean): Promise<void> {
    // A cancelled request's call leaves its place to the next caller at once.
    const turn = this.queue.then(() => (cancelled?.() ? undefined : this.takeOne(cancelled)));
    this.queue = turn.catch(() => {});
    return turn;
  }

  private async takeOne(cancelled?: () => boolean): Promise<void> {
    for (;;) {
      if (cancelled?.()) return;
      if (!this.link.up) return this.takeLocally(cancelled);
      try {
        await this.limiter.consume("budget");
        this.local = undefined;
        this.takes?.inc({ store: "redis" });
        return;
      } catch (refusal) {
        if (!(refusal instanceof RateLimiterRes)) return this.takeLocally(cancelled);
        await sleep(refusal.msBeforeNext + 1);
      }
    }
  }

  private takeLocally(cancelled?: () => boolean): Promise<void> {
    const share = this.link.fleetSize();
    this.local ??= new TokenBucket(this.rate / share, Math.max(1, Math.floor(this.burst / share)), () =>
      this.takes?.inc({ store: "local" }),
    );
    return this.local.take(cancelled);
  }
}
