import { AsyncLocalStorage } from "node:async_hooks";
import { setMaxListeners } from "node:events";
import { MTurkClient } from "@aws-sdk/client-mturk";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { GraphQLError } from "graphql";
import pLimit from "p-limit";
import type { Metrics } from "../observability/metrics.js";
import { toUpstreamError } from "./errors.js";
import { UNLIMITED } from "./rateBudget.js";
import { PerCallRetryStrategy } from "./retry.js";
import { type Claim, type Claimant, FairScheduler, UNCLAIMED, type UpstreamClass } from "./scheduler.js";
import type { Leaving, StillRunning, Waiter } from "./sharedWork.js";

/**
 * How a call's place in the rate budget's queue (its claim) reaches the middleware: the call runs inside it (a send
 * option or a command's own field would keep the SDK from reusing its resolved middleware stack).
 */
const claims = new AsyncLocalStorage<Claim>();

/** Spans go to whatever OpenTelemetry provider the host registers (none: no-op). */
const tracer = trace.getTracer("mturk-graphql-gateway");

export interface UpstreamOptions {
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts: number;
  timeoutMs: number;
  /** Every HTTP attempt (retries too) waits for its turn and token here (see createUpstreamBudget). */
  scheduler?: FairScheduler;
  metrics?: Metrics;
}

/**
 * The SDK client: always region us-east-1 (MTurk's only signing region), the SDK's standard retry strategy
 * (throttling and ServiceFault, with backoff), per-call timeouts. A middleware inside the retry loop makes every
 * attempt pass the fair scheduler over the rate budget and counts attempts, retries and throttles.
 */
export function createMTurkClient(options: UpstreamOptions): MTurkClient {
  const client = new MTurkClient({
    region: "us-east-1",
    endpoint: options.endpoint,
    credentials: options.credentials,
    retryStrategy: new PerCallRetryStrategy(options.maxAttempts),
    requestHandler: new NodeHttpHandler({ requestTimeout: options.timeoutMs, connectionTimeout: options.timeoutMs }),
    // The middleware stack is resolved once, not per call (valid: it is not changed after the middleware below).
    cacheMiddleware: true,
  });
  const scheduler = options.scheduler ?? new FairScheduler(UNLIMITED);
  const metrics = options.metrics;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? "").replace(/Command$/, "");
      const claim = claims.getStore();
      await scheduler.take(claim);
      // Its request timed out or its client went away while it waited: it is not sent.
      if (claim?.signal?.aborted)
        throw new GraphQLError("The request was cancelled.", { extensions: { code: "TIMEOUT" } });
      metrics?.upstreamAttempts.inc({ operation });
      const header = (args.request as { headers?: Record<string, string> }).headers?.["amz-sdk-request"] ?? "";
      if (/attempt=([2-9]|\d\d)/.test(header)) metrics?.upstreamRetries.inc({ operation });
      try {
        return await next(args);
      } catch (error) {
        if (error instanceof Error && error.name === "ThrottlingException")
          metrics?.upstreamThrottles.inc({ operation });
        throw error;
      }
    },
    { step: "finalizeRequest", priority: "low", name: "mturkRateBudget" },
  );
  return client;
}

export interface DoorOptions {
  /** How many of its calls run (or wait for the budget) at once. */
  concurrency: number;
  metrics?: Metrics;
  /** Its upstream call budget: a backstop behind the complexity limit. */
  maxCalls?: number;
  /** Whose calls these are, and their class, for the fair scheduler (default: the gateway's own, interactive). */
  claimant?: Claimant;
  class?: UpstreamClass;
}

/**
 * A door to MTurk (one GraphQL request's, one export's, one poll's, one shared work's): every SDK call passes
 * through `call`, which bounds how many run at once, queues them under the door's claimant and class, counts
 * (Prometheus) and traces (OpenTelemetry) them, and turns SDK errors into coded GraphQL errors.
 */
export class Upstream implements Waiter {
  private readonly limit: ReturnType<typeof pLimit>;
  /** Aborted by cancel(): the door's queued calls leave the scheduler's queue. */
  private readonly gone = new AbortController();
  private calls = 0;
  private cancelled?: GraphQLError;
  private readonly maxCalls: number;
  /** Whose calls these are (the fair scheduler's queue). */
  readonly claimant: Claimant;
  private readonly class: UpstreamClass;
  private readonly leaving = new Set<(how: Leaving) => StillRunning | undefined>();
  /** What its calls cost: attempts let through (retries too) and their time in the queue. */
  readonly usage = { attempts: 0, queueMs: 0 };

  constructor(
    readonly client: MTurkClient,
    private readonly options: DoorOptions,
  ) {
    this.limit = pLimit(options.concurrency);
    // Each of its calls waiting in the scheduler's queue listens for the abort (retries too).
    setMaxListeners(2 * options.concurrency + 10, this.gone.signal);
    this.maxCalls = options.maxCalls ?? Number.POSITIVE_INFINITY;
    this.claimant = options.claimant ?? UNCLAIMED.claimant;
    this.class = options.class ?? "interactive";
  }

  /**
   * Stops the door's calls: queued ones are never sent. Those in flight finish within MTURK_TIMEOUT_MS (an abort
   * signal per call would keep the SDK from reusing its resolved middleware stack, a cost on every call). Shared
   * work it waited for is told how it left (`how`); what still runs says so in the answer (its retry hint).
   */
  cancel(reason: string, how: Leaving = "gone"): StillRunning | undefined {
    if (this.cancelled) return undefined;
    this.cancelled = new GraphQLError(reason, { extensions: { code: "TIMEOUT" } });
    this.gone.abort();
    let running: StillRunning | undefined;
    for (const listener of [...this.leaving]) {
      const answer = listener(how);
      if (answer && answer.retryAfterMs > (running?.retryAfterMs ?? 0)) running = answer;
    }
    this.leaving.clear();
    return running;
  }

  /** As a waiter for shared work (src/mturk/sharedWork.ts): told when this door is cancelled, and how. */
  onLeave(listener: (how: Leaving) => StillRunning | undefined): () => void {
    this.leaving.add(listener);
    return () => this.leaving.delete(listener);
  }

  call<T>(operation: string, send: (client: MTurkClient) => Promise<T>): Promise<T> {
    if (this.cancelled) return Promise.reject(this.cancelled);
    this.calls += 1;
    if (this.calls > this.maxCalls)
      return Promise.reject(
        new GraphQLError(`The request needs more than ${this.maxCalls} MTurk calls (MAX_UPSTREAM_CALLS).`, {
          extensions: { code: "QUERY_TOO_COMPLEX", kind: "upstream calls", maxUpstreamCalls: this.maxCalls },
        }),
      );
    const metrics = this.options.metrics;
    return this.limit(() =>
      tracer.startActiveSpan(
        `MTurk ${operation}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            "rpc.system": "aws-api",
            "rpc.service": "MTurk",
            "rpc.method": operation,
            "mturk.queue.class": this.class,
          },
        },
        async (span) => {
          if (this.cancelled) throw this.cancelled;
          const stop = metrics?.upstreamDuration.startTimer({ operation });
          let queued = 0;
          const claim: Claim = {
            claimant: this.claimant,
            class: this.class,
            signal: this.gone.signal,
            granted: (waitMs) => {
              queued += waitMs;
              this.usage.attempts += 1;
              this.usage.queueMs += waitMs;
              span.addEvent("rate budget token", { "mturk.queue.wait_ms": Math.round(waitMs) });
            },
          };
          try {
            const result = await claims.run(claim, () => send(this.client));
            metrics?.upstreamCalls.inc({ operation, outcome: "ok" });
            return result;
          } catch (error) {
            if (this.cancelled) throw this.cancelled;
            const mapped = toUpstreamError(error, operation);
            metrics?.upstreamCalls.inc({ operation, outcome: String(mapped.extensions.code) });
            span.setStatus({ code: SpanStatusCode.ERROR, message: String(mapped.extensions.code) });
            throw mapped;
          } finally {
            span.setAttribute("mturk.queue.wait_ms", Math.round(queued));
            stop?.();
            span.end();
          }
        },
      ),
    );
  }
}
