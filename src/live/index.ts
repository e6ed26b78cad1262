import type { MTurkClient } from "@aws-sdk/client-mturk";
import type { Logger } from "pino";
import type { GatewayConfig } from "../config.js";
import type { RedisLink } from "../fleet/link.js";
import type { Metrics } from "../observability/metrics.js";
import type { Coordination } from "./coordination.js";
import { LiveHub } from "./hub.js";
import { FleetSubscriptionLimit, type SubscriptionLimit } from "./limits.js";
import { type LiveLog, MemoryLiveLog } from "./log.js";
import type { Pressure } from "./pressure.js";
import { RedisCoordination } from "./redisLease.js";
import { RedisLiveLog } from "./redisLog.js";

/**
 * How long an item's key is remembered to drop duplicates: longer than any SNS retry of a message, and than any
 * poller restart that could see the same item as new again (its state lives 10 minutes).
 */
const DEDUPE_MS = 24 * 60 * 60_000;

export interface LiveOptions {
  config: GatewayConfig;
  client: MTurkClient;
  metrics?: Metrics;
  logger?: Logger;
  /** The rate budget's pressure (src/live/pressure.ts): pollers slow down while it is tight. */
  pressure?: Pressure;
  /** A fleet's event log (src/live/redisLog.ts), leases (src/live/redisLease.ts) and subscription limit; in memory without. */
  fleet?: { log: LiveLog; coordination: Coordination; limit: SubscriptionLimit };
  /** Origins trusted for SNS certificates besides SNS_CERT_ORIGINS (the embedded simulator's). */
  certificateOrigins?: string[];
}

/** The fleet's subscriptions on Redis: one event log (streams) and one poller per topic (leases). */
export function fleetLive(link: RedisLink, config: GatewayConfig) {
  return {
    limit: new FleetSubscriptionLimit(link, config.MAX_SUBSCRIPTIONS_PER_PRINCIPAL),
    log: new RedisLiveLog(link, { size: config.SUBSCRIPTION_LOG_SIZE, dedupeMs: DEDUPE_MS }),
    coordination: new RedisCoordination(link),
  };
}

/** The subscriptions' hub as the configuration says. */
export function createLiveHub(options: LiveOptions): LiveHub {
  const { config } = options;
  return new LiveHub({
    client: options.client,
    log: options.fleet?.log ?? new MemoryLiveLog({ size: config.SUBSCRIPTION_LOG_SIZE, dedupeMs: DEDUPE_MS }),
    coordination: options.fleet?.coordination,
    limit: options.fleet?.limit,
    pollMs: config.subscriptionPollMs,
    lingerMs: config.SUBSCRIPTION_LINGER_MS,
    logSize: config.SUBSCRIPTION_LOG_SIZE,
    maxPerPrincipal: config.MAX_SUBSCRIPTIONS_PER_PRINCIPAL,
    concurrency: config.MTURK_MAX_CONCURRENCY,
    defaultWeight: config.UPSTREAM_DEFAULT_WEIGHT,
    pressure: options.pressure,
    metrics: options.metrics,
    logger: options.logger,
    certificateOrigins: options.certificateOrigins,
  });
}
