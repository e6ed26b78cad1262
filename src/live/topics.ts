import type { Assignment, HIT, QualificationRequest } from "@aws-sdk/client-mturk";
import { GraphQLError } from "graphql";

/**
 * What a subscription watches. One topic is one poller for the whole fleet and one event log, whatever the number
 * of subscribers: its key names it in memory and in Redis.
 */
export type TopicKind = "qualificationRequests" | "assignmentsOfHit" | "assignmentsOfType" | "hit";

export interface Topic {
  kind: TopicKind;
  /** The MTurk id watched: a QualificationTypeId, HITId or HITTypeId. */
  id: string;
  key: string;
}

const PREFIX: Record<TopicKind, string> = {
  qualificationRequests: "qr",
  assignmentsOfHit: "as-hit",
  assignmentsOfType: "as-type",
  hit: "hit",
};

/** MTurk's ids are short upper-case alphanumerics; anything else is the caller's mistake (and never a Redis key). */
const MTURK_ID = /^[A-Z0-9]{1,64}$/;

export function topic(kind: TopicKind, id: string): Topic {
  if (!MTURK_ID.test(id))
    throw new GraphQLError(`"${id.slice(0, 70)}" is not an MTurk id.`, { extensions: { code: "BAD_USER_INPUT" } });
  return { kind, id, key: `${PREFIX[kind]}:${id}` };
}

/** Where an event came from (a metric label: a fixed set). */
type EventSource = "poll" | "mutation" | "notification";

/** The MTurk entity of an event (Dates kept), what the subscribers' loaders are primed with; `type` names it. */
type Payload =
  | { type: "QualificationRequest"; data: QualificationRequest }
  | { type: "Assignment"; data: Assignment }
  | { type: "HIT"; data: HIT };

/** What every event carries beside its payload. */
interface Envelope {
  topic: string;
  /** HITs to prime too (GetAssignment's, or the listing's): `assignmentSubmitted { hit { … } }` costs no call. */
  hits?: HIT[];
  source: EventSource;
}

/**
 * An event to publish. `once`: published the first time its key is seen on the topic (a new request or a submitted
 * assignment, whichever source sees it first). `state`: published when its fingerprint differs from the topic's last
 * published one (a HIT's status), so that the same state seen by a poll, a mutation and a notification is one event.
 */
export type Publication = Payload &
  Envelope & {
    mode: "once" | "state";
    /** once: the item's id; state: the fingerprint of the state. */
    key: string;
  };

/** A published event: its id orders it within its topic and is what SSE's Last-Event-ID names. */
export type LiveEvent = Payload &
  Envelope & {
    id: string;
    /** When it was published (ms since the epoch). */
    at: number;
  };

/** Event ids are Redis stream ids, "<ms>-<seq>", in memory too: resuming on another instance compares the same. */
export const EVENT_ID = /^\d{1,15}-\d{1,15}$/;

export function compareEventIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split("-").map(Number);
  const [bm = 0, bs = 0] = b.split("-").map(Number);
  return am - bm || as - bs;
}
