import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import type { GatewayConfig } from "../config.js";
import type { LiveHub } from "./hub.js";
import { NotificationReceiver } from "./notifications.js";
import { SnsVerifier } from "./sns.js";
import { useLiveEventIds, useSSEEventIds } from "./sse.js";

const list = (text: string | undefined) =>
  (text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/** The subscriptions' yoga plugins: event ids in results, SSE `id:` lines, and POST /notifications/sns. */
export function livePlugins(hub: LiveHub, config: GatewayConfig, logger?: Logger): Plugin[] {
  const verifier = new SnsVerifier({
    origins: [...list(config.SNS_CERT_ORIGINS), ...(hub.options.certificateOrigins ?? [])],
    topics: list(config.SNS_TOPIC_ARNS),
  });
  return [useLiveEventIds(), useSSEEventIds(), new NotificationReceiver(hub, verifier, logger).plugin()];
}
