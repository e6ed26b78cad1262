import { setTimeout as sleep } from "node:timers/promises";

/**
 * MTurk's rate budget: every upstream HTTP attempt of the process (retries included) takes one token first, so
 * many concurrent queries queue here instead of being throttled by MTurk. An interface, so that a shared budget
 * (for example one in Redis for several instances) can replace the local bucket.
 */
export interface RateBudget {
  /** Waits for a token. A caller that no longer wants it (`cancelled`) takes none and does not wait. */
  take(cancelled?: () => boolean): Promise<void>;
}

export const UNLIMITED: RateBudget = { take: async () => {} };

/** A local token bucket: `ratePerSecond` tokens a second, at most `burst` saved up; callers are served in order. */
export class TokenBucket implements RateBudget {
  private tokens: number;
  private last = performance.now();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    /** Told of every token given out (for metrics). */
    private readonly onTake?: () => void,
  ) {
    this.tokens = burst;
  }

  private refill() {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
  }

  take(cancelled?: () => boolean): Promise<void> {
    const turn = this.queue.then(async () => {
      // A cancelled request's call leaves its place to the next caller at once.
      if (cancelled?.()) return;
      this.refill();
      if (this.tokens < 1) {
        await sleep(((1 - this.tokens) / this.ratePerSecond) * 1000);
        this.refill();
        // Cancelled while it waited for the token: the token stays for the next caller.
        if (cancelled?.()) return;
      }
      this.tokens -= 1;
      this.onTake?.();
    });
    this.queue = turn;
    return turn;
  }
}
