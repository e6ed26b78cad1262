import type { Assignment, HIT, QualificationRequest } from "@aws-sdk/client-mturk";
import DataLoader from "dataloader";
import type { GatewayContext } from "../context.js";
import { idOf } from "../mturk/ids.js";
import type { LiveEvent } from "./topics.js";

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
export function payloadOf<T>(event: LiveEvent, ctx: GatewayContext & LiveContext): T {
  const loaders = ctx.loaders;
  for (const value of Object.values(loaders)) if (value instanceof DataLoader) value.clearAll();
  loaders.forgetPages();
  loaders.forgetBlocks();
  for (const hit of (event.hits ?? []) as HIT[]) if (hit.HITId) loaders.hits.prime(hit.HITId, hit);
  if (event.type === "HIT") {
    const hit = event.data as HIT;
    loaders.hits.clear(idOf(hit, "HITId")).prime(idOf(hit, "HITId"), hit);
  } else if (event.type === "Assignment") {
    const a = event.data as Assignment;
    loaders.assignments.prime(idOf(a, "AssignmentId"), a);
  } else {
    const q = event.data as QualificationRequest;
    loaders.qualificationRequests.prime(`${q.QualificationTypeId}:${q.QualificationRequestId}`, q);
  }
  ctx.liveEventId = event.id;
  return event.data as T;
}
