import type { Plugin } from "graphql-yoga";
import { useLiveEventIds, useSSEEventIds } from "./sse.js";

/** The subscriptions' yoga plugins: event ids in results and SSE `id:` lines. */
export function livePlugins(): Plugin[] {
  return [useLiveEventIds(), useSSEEventIds()];
}
