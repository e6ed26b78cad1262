import type { RetryErrorInfo, RetryStrategyV2, StandardRetryToken } from "@smithy/types";
import { StandardRetryStrategy } from "@smithy/util-retry";

/**
 * The SDK's standard retries (throttling, ServiceFault, transport errors; exponential backoff with jitter), with
 * the retry quota per call instead of per client. A client-wide quota lets one caller's lost answers use up every
 * caller's retries; here each operation invocation has its own, bounded by MTURK_MAX_ATTEMPTS.
 */
export class PerCallRetryStrategy implements RetryStrategyV2 {
  readonly mode = "standard";
  private readonly owners = new WeakMap<StandardRetryToken, StandardRetryStrategy>();

  constructor(private readonly maxAttempts: number) {}

  async acquireInitialRetryToken(scope: string): Promise<StandardRetryToken> {
    const strategy = new StandardRetryStrategy(this.maxAttempts);
    const token = await strategy.acquireInitialRetryToken(scope);
    this.owners.set(token, strategy);
    return token;
  }

  async refreshRetryTokenForRetry(token: StandardRetryToken, errorInfo: RetryErrorInfo): Promise<StandardRetryToken> {
    const strategy = this.owners.get(token) ?? new StandardRetryStrategy(this.maxAttempts);
    const next = await strategy.refreshRetryTokenForRetry(token, errorInfo);
    this.owners.set(next, strategy);
    return next;
  }

  recordSuccess(token: StandardRetryToken): void {
    this.owners.get(token)?.recordSuccess(token);
  }
}
