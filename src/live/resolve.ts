import DataLoader from "dataloader";
import type { GatewayContext } from "../context.js";
import { idOf } from "../mturk/ids.js";
import type { LiveEvent } from "./topics.js";

const isOf = <K extends LiveEvent["type"]>(event: LiveEvent, type: K): event is Extract<LiveEvent, { type: K }> =>
  event.type === type;

/** The subscription's context remembers the event being resolved: its id goes into the result's extensions. */
export interface LiveContext {
  liveEventId?: string;
}

/**
 * The node of an event for one subscriber. A subscription's context lives as long as the subscription, so its
 * loaders forget what earlier events loaded (it may have changed since) and are primed with the event's node and
 * HITs: the node costs no call here, whatever the subscriber selects of it (the one call, if any, was the
 * publisher's, shared by every subscriber).
 */
export function payloadOf<K extends LiveEvent["type"]>(
  event: LiveEvent,
  ctx: GatewayContext & LiveContext,
  type: K,
): Extract<LiveEvent, { type: K }>["data"] {
  const loaders = ctx.loaders;
  for (const value of Object.values(loaders)) if (value instanceof DataLoader) value.clearAll();
  loaders.forgetPages();
  loaders.forgetBlocks();
  for (const hit of event.hits ?? []) if (hit.HITId) loaders.hits.prime(hit.HITId, hit);
  if (event.type === "HIT") {
    const hit = event.data;
    loaders.hits.clear(idOf(hit, "HITId")).prime(idOf(hit, "HITId"), hit);
  } else if (event.type === "Assignment") {
    const a = event.data;
    loaders.assignments.prime(idOf(a, "AssignmentId"), a);
  } else {
    const q = event.data;
    loaders.qualificationRequests.prime(`${q.QualificationTypeId}:${q.QualificationRequestId}`, q);
  }
  ctx.liveEventId = event.id;
  // A topic's events are all of its subscription's type.
  if (!isOf(event, type)) throw new Error(`A ${event.type} event reached a ${type} subscription.`);
  return event.data;
}
