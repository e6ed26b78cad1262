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
    mirrorReads: new Counter({
      name: "gateway_mirror_reads_total",
      help: "Reads of the mirror, by result: fresh (younger than MIRROR_MAX_AGE_MS), refreshed (waited for a refresh), stale (a refresh failed: answered with its age), offline (MTurk down: answered as it is).",
      labelNames: ["result"],
      registers: [registry],
    }),
    mirrorRefreshes: new Counter({
      name: "gateway_mirror_refreshes_total",
      help: "Refreshes of the mirror's units from MTurk, by kind of unit (hits, work, recheck, requests, types, blocks, assignments, bonuses, qualifications, search) and outcome (ok, failed).",
      labelNames: ["unit", "outcome"],
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
