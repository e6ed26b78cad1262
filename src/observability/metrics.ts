import { Counter, Histogram, Registry } from "prom-client";

/** The gateway's own Prometheus metrics, beside those of yoga's Prometheus plugin, in one registry per gateway. */
export function createMetrics() {
  const registry = new Registry();
  return {
    registry,
    upstreamCalls: new Counter({
      name: "mturk_upstream_calls_total",
      help: "MTurk operations called, by operation and outcome (ok or the extensions.code of the failure).",
      labelNames: ["operation", "outcome"],
      registers: [registry],
    }),
    upstreamAttempts: new Counter({
      name: "mturk_upstream_attempts_total",
      help: "HTTP attempts to MTurk, retries included, by operation.",
      labelNames: ["operation"],
      registers: [registry],
    }),
    upstreamRetries: new Counter({
      name: "mturk_upstream_retries_total",
      help: "Attempts that were SDK retries, by operation.",
      labelNames: ["operation"],
      registers: [registry],
    }),
    upstreamThrottles: new Counter({
      name: "mturk_upstream_throttles_total",
      help: "ThrottlingException answers from MTurk, by operation.",
      labelNames: ["operation"],
      registers: [registry],
    }),
    upstreamDuration: new Histogram({
      name: "mturk_upstream_duration_seconds",
      help: "Time of MTurk operations including SDK retries and the rate budget's wait.",
      labelNames: ["operation"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    snapshotRequests: new Counter({
      name: "gateway_snapshot_requests_total",
      help: "Full-listing snapshot lookups: hit (cached), shared (joined a scan in flight), miss (new scan), fleet (another instance's scan, from Redis).",
      labelNames: ["result"],
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
