import { Counter, Gauge, type Registry } from "prom-client";

/** The subscriptions' metrics; every label comes from a fixed set (topic kinds, sources, results). */
/** `collect` refreshes the pollers' gauges when /metrics is scraped. */
export function createLiveMetrics(registry: Registry, collect?: () => void) {
  return {
    subscriptions: new Gauge({
      name: "gateway_live_subscriptions",
      help: "Subscriptions open on this instance.",
      registers: [registry],
    }),
    pollers: new Gauge({
      name: "gateway_live_pollers",
      help: "Watched topics on this instance, by kind, and whether this instance leads their poll (fleet lease).",
      labelNames: ["kind", "role"],
      registers: [registry],
      collect: () => collect?.(),
    }),
    polls: new Counter({
      name: "gateway_live_polls_total",
      help: "Polls of watched topics, by kind and pace (slowed: the rate budget was tight), and outcome.",
      labelNames: ["kind", "pace", "outcome"],
      registers: [registry],
    }),
    pollInterval: new Gauge({
      name: "gateway_live_poll_interval_seconds",
      help: "The longest current poll interval of a kind of topic (above SUBSCRIPTION_POLL_MS while the rate budget is tight).",
      labelNames: ["kind"],
      registers: [registry],
      collect: () => collect?.(),
    }),
    events: new Counter({
      name: "gateway_live_events_total",
      help: "Events offered to the log, by source and result (published, or duplicate: dropped).",
      labelNames: ["source", "result"],
      registers: [registry],
    }),
    notifications: new Counter({
      name: "gateway_live_notifications_total",
      help: "SNS deliveries to /notifications/sns, by result (accepted, duplicate, confirmed, refused, ignored, overflow).",
      labelNames: ["result"],
      registers: [registry],
    }),
  };
}
export type LiveMetrics = ReturnType<typeof createLiveMetrics>;
