import type { RateBudget } from "../mturk/rateBudget.js";

/** A take that waits longer than this (on average, recently) means callers queue for MTurk's budget. */
const TIGHT_WAIT_MS = 50;
/** Waits older than this no longer count: an idle budget is not tight. */
const MEMORY_MS = 10_000;

/**
 * The rate budget, measured: every upstream attempt passes through it, and how long a take waits says whether the
 * budget is tight. The subscription pollers read it and poll less often while it is, leaving the budget to requests.
 */
export class BudgetPressure implements RateBudget {
  private averageWaitMs = 0;
  private lastTake = 0;

  constructor(private readonly inner: RateBudget) {}

  async take(cancelled?: () => boolean): Promise<void> {
    const start = performance.now();
    // Passed on: a call nobody waits for leaves its place in the queue and takes no token.
    await this.inner.take(cancelled);
    const waited = performance.now() - start;
    this.averageWaitMs = this.averageWaitMs * 0.8 + waited * 0.2;
    this.lastTake = Date.now();
  }

  tight(): boolean {
    return Date.now() - this.lastTake < MEMORY_MS && this.averageWaitMs > TIGHT_WAIT_MS;
  }
}

export interface Pressure {
  tight(): boolean;
}

export const NO_PRESSURE: Pressure = { tight: () => false };
