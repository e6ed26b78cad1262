import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import type { GatewayConfig } from "../config.js";
import { useGraphQLSSESingleConnection } from "./graphqlSse.js";
import type { LiveHub } from "./hub.js";
import { NotificationReceiver } from "./notifications.js";
import { SnsVerifier } from "./sns.js";
import { useLiveEventIds, useSSEEventIds, useUnservedSubscriptions } from "./sse.js";
import { useWhoami } from "./whoami.js";

/**
 * The subscriptions' yoga plugins: event ids in results, SSE `id:` lines, graphql-sse's single-connection mode
 * (not with persisted operations: it would run documents yoga's persisted-operations check never sees), and
 * POST /notifications/sns.
 */
export function livePlugins(hub: LiveHub, config: GatewayConfig, logger?: Logger): Plugin[] {
  const verifier = new SnsVerifier({
    origins: [...config.SNS_CERT_ORIGINS, ...(hub.options.certificateOrigins ?? [])],
    topics: config.SNS_TOPIC_ARNS ?? [],
  });
  return [
    useWhoami(),
    useLiveEventIds(),
    useSSEEventIds(),
    ...(config.PERSISTED_OPERATIONS_FILE ? [] : [useGraphQLSSESingleConnection()]),
    new NotificationReceiver(hub, verifier, logger).plugin(),
    // Last of the result processors' choices: a subscription no transport took is ended, not left open.
    useUnservedSubscriptions(),
  ];
}
