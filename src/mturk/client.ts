import { MTurkClient } from "@aws-sdk/client-mturk";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { GraphQLError } from "graphql";
import pLimit from "p-limit";
import type { Metrics } from "../observability/metrics.js";
import { toUpstreamError } from "./errors.js";
import { type RateBudget, UNLIMITED } from "./rateBudget.js";
import { PerCallRetryStrategy } from "./retry.js";

/** Where a command carries its request's cancellation to the rate-budget middleware. */
const CANCELLED = Symbol("cancelled");

/** Spans go to whatever OpenTelemetry provider the host registers (none: no-op). */
const tracer = trace.getTracer("mturk-graphql-gateway");

export interface UpstreamOptions {
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts: number;
  timeoutMs: number;
  /** Every HTTP attempt (retries too) takes a token first. */
  budget?: RateBudget;
  metrics?: Metrics;
}

/**
 * The SDK client: always region us-east-1 (MTurk's only signing region), the SDK's standard retry strategy
 * (throttling and ServiceFault, with backoff), per-call timeouts. A middleware inside the retry loop makes every
 * attempt pass the rate budget and counts attempts, retries and throttles.
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
  const budget = options.budget ?? UNLIMITED;
  const metrics = options.metrics;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? "").replace(/Command$/, "");
      const cancelled = (args.input as { [CANCELLED]?: () => boolean } | undefined)?.[CANCELLED];
      await budget.take(cancelled);
      // Its request timed out or its client went away while it waited: it is not sent.
      if (cancelled?.()) throw new GraphQLError("The request was cancelled.", { extensions: { code: "TIMEOUT" } });
      metrics?.upstreamAttempts.inc({ operation });
      const header = (args.request as { headers?: Record<string, string> }).headers?.["amz-sdk-request"] ?? "";
      if (/attempt=([2-9]|\d\d)/.test(header)) metrics?.upstreamRetries.inc({ operation });
      try {
        return await next(args);
      } catch (error) {
        if ((error as Error).name === "ThrottlingException") metrics?.upstreamThrottles.inc({ operation });
        throw error;
      }
    },
    { step: "finalizeRequest", priority: "low", name: "mturkRateBudget" },
  );
  return client;
}

/**
 * The one door to MTurk for one GraphQL request: every SDK call passes through `call`, which bounds how many run
 * at once, counts (Prometheus) and traces (OpenTelemetry) them, and turns SDK errors into coded GraphQL errors.
 */
export class Upstream {
  private readonly limit: ReturnType<typeof pLimit>;
  /** The client, tagging each command with this request's cancellation for the rate budget's queue. */
  private readonly tagged: MTurkClient;
  private calls = 0;
  private cancelled?: GraphQLError;

  constructor(
    readonly client: MTurkClient,
    concurrency: number,
    private readonly metrics?: Metrics,
    /** The request's upstream call budget: a backstop behind the complexity limit. */
    private readonly maxCalls = Number.POSITIVE_INFINITY,
  ) {
    this.limit = pLimit(concurrency);
    const isCancelled = () => this.cancelled !== undefined;
    // A property of the command's input, not a send option: options would keep the SDK from reusing its stack.
    this.tagged = {
      send: (command: { input: object }) => {
        Object.defineProperty(command.input, CANCELLED, { value: isCancelled, enumerable: false });
        return client.send(command as never);
      },
    } as unknown as MTurkClient;
  }

  /**
   * Stops the request's calls: queued ones are never sent. Those in flight finish within MTURK_TIMEOUT_MS (an abort
   * signal per call would keep the SDK from reusing its resolved middleware stack, a cost on every call).
   */
  cancel(reason: string): void {
    this.cancelled ??= new GraphQLError(reason, { extensions: { code: "TIMEOUT" } });
  }

  call<T>(operation: string, send: (client: MTurkClient) => Promise<T>): Promise<T> {
    if (this.cancelled) return Promise.reject(this.cancelled);
    this.calls += 1;
    if (this.calls > this.maxCalls)
      return Promise.reject(
        new GraphQLError(`The request needs more than ${this.maxCalls} MTurk calls (MAX_UPSTREAM_CALLS).`, {
          extensions: { code: "QUERY_TOO_COMPLEX", kind: "upstream calls" },
        }),
      );
    return this.limit(() =>
      tracer.startActiveSpan(
        `MTurk ${operation}`,
        {
          kind: SpanKind.CLIENT,
          attributes: { "rpc.system": "aws-api", "rpc.service": "MTurk", "rpc.method": operation },
        },
        async (span) => {
          if (this.cancelled) throw this.cancelled;
          const stop = this.metrics?.upstreamDuration.startTimer({ operation });
          try {
            const result = await send(this.tagged);
            this.metrics?.upstreamCalls.inc({ operation, outcome: "ok" });
            return result;
          } catch (error) {
            if (this.cancelled) throw this.cancelled;
            const mapped = toUpstreamError(error, operation);
            this.metrics?.upstreamCalls.inc({ operation, outcome: String(mapped.extensions.code) });
            span.setStatus({ code: SpanStatusCode.ERROR, message: String(mapped.extensions.code) });
            throw mapped;
          } finally {
            stop?.();
            span.end();
          }
        },
      ),
    );
  }
}
