import {
  type Assignment,
  GetHITCommand,
  type HIT,
  ListAssignmentsForHITCommand,
  ListHITsCommand,
  ListQualificationRequestsCommand,
  type QualificationRequest,
} from "@aws-sdk/client-mturk";
import type { Upstream } from "../mturk/client.js";
import { isNotFound } from "../mturk/errors.js";
import { answered, idOf } from "../mturk/ids.js";
import { directPages, firstSight, MTURK_MAX_RESULTS, type PageReader, scanAll } from "../mturk/pagination.js";
import type { Publication, Topic, TopicKind } from "./topics.js";

/** A poll's result: the state the next poll is compared with (plain JSON: it may be kept in Redis), and the changes. */
interface Observation<S = unknown> {
  state: S;
  publications: Publication[];
}

/**
 * How one kind of topic is polled: `observe` reads MTurk and compares with the previous state. Without one (the
 * first poll, the baseline) it publishes nothing: a subscription announces what happens after it starts.
 */
export type Watch<S = unknown> = (upstream: Upstream, topic: Topic, previous: S | undefined) => Promise<Observation<S>>;

/** The most pages one poll reads of a listing (10,000 items): a poll must not turn into an unbounded scan. */
const MAX_PAGES = 100;

/** Up to MAX_PAGES pages of a listing, straight from MTurk. */
async function scan<T>(read: PageReader<T>): Promise<T[]> {
  let pages = 0;
  const { items } = await scanAll(read, () => pages++ < MAX_PAGES);
  return items;
}

const listAssignments = (upstream: Upstream, HITId: string) =>
  scan(
    directPages(
      upstream,
      "ListAssignmentsForHIT",
      (c, NextToken) => c.send(new ListAssignmentsForHITCommand({ HITId, NextToken, MaxResults: MTURK_MAX_RESULTS })),
      (r) => r.Assignments,
    ),
  );

const getHit = async (upstream: Upstream, HITId: string) =>
  answered((await upstream.call("GetHIT", (c) => c.send(new GetHITCommand({ HITId })))).HIT, "GetHIT");

const submitted = (topic: Topic, a: Assignment, hits: HIT[] | undefined, source: Publication["source"]) =>
  ({
    topic: topic.key,
    type: "Assignment",
    mode: "once",
    key: idOf(a, "AssignmentId"),
    data: a,
    hits,
    source,
  }) satisfies Publication;

/** New pending requests of a type: one ListQualificationRequests scan per poll. */
const qualificationRequests: Watch<{ ids: string[] }> = async (upstream, topic, previous) => {
  const items = await scan(
    directPages(
      upstream,
      "ListQualificationRequests",
      (c, NextToken) =>
        c.send(
          new ListQualificationRequestsCommand({
            QualificationTypeId: topic.id,
            NextToken,
            MaxResults: MTURK_MAX_RESULTS,
          }),
        ),
      (r) => r.QualificationRequests,
    ),
  );
  const state = { ids: items.map((q) => idOf(q, "QualificationRequestId")) };
  if (!previous) return { state, publications: [] };
  const known = new Set(previous.ids);
  const fresh = items.filter((q: QualificationRequest) => !known.has(idOf(q, "QualificationRequestId")));
  return {
    state,
    publications: fresh.map((q) => ({
      topic: topic.key,
      type: "QualificationRequest",
      mode: "once",
      key: idOf(q, "QualificationRequestId"),
      data: q,
      source: "poll",
    })),
  };
};

/** Newly submitted assignments of a HIT: one ListAssignmentsForHIT scan per poll (and one GetHIT when some are new). */
const assignmentsOfHit: Watch<{ ids: string[] }> = async (upstream, topic, previous) => {
  const items = await listAssignments(upstream, topic.id);
  const state = { ids: items.map((a) => idOf(a, "AssignmentId")) };
  if (!previous) return { state, publications: [] };
  const known = new Set(previous.ids);
  const fresh = items.filter((a) => !known.has(idOf(a, "AssignmentId")));
  const hits = fresh.length ? [await getHit(upstream, topic.id)] : undefined;
  return { state, publications: fresh.map((a) => submitted(topic, a, hits, "poll")) };
};

/** Assignments submitted so far: those not available and not being worked on (returned ones become available). */
const submittedSoFar = (h: HIT) =>
  (h.MaxAssignments ?? 0) - (h.NumberOfAssignmentsAvailable ?? 0) - (h.NumberOfAssignmentsPending ?? 0);

interface TypeState {
  /** When the baseline was read: a HIT's assignments submitted before it are not news. */
  since: number;
  counts: Record<string, number>;
  seen: Record<string, string[]>;
}

/**
 * Newly submitted assignments of a HIT type. MTurk cannot list a type's HITs or assignments: one ListHITs scan per
 * poll finds the type's HITs whose submitted count grew, and only those are listed (ListAssignmentsForHIT).
 */
const assignmentsOfType: Watch<TypeState> = async (upstream, topic, previous) => {
  const started = Date.now();
  const all = await scan(
    directPages(
      upstream,
      "ListHITs",
      (c, NextToken) => c.send(new ListHITsCommand({ NextToken, MaxResults: MTURK_MAX_RESULTS })),
      (r) => r.HITs,
    ),
  );
  // A HIT listed twice (pushed on by one created during the scan) counts once.
  const hits = all.filter((h) => h.HITTypeId === topic.id).filter(firstSight((h) => idOf(h, "HITId")));
  const counts = Object.fromEntries(hits.map((h) => [idOf(h, "HITId"), submittedSoFar(h)]));
  if (!previous) return { state: { since: started, counts, seen: {} }, publications: [] };
  const seen: Record<string, string[]> = {};
  const grown = hits.filter((h) => (counts[idOf(h, "HITId")] ?? 0) > (previous.counts[idOf(h, "HITId")] ?? 0));
  for (const h of hits) {
    const kept = previous.seen[idOf(h, "HITId")];
    if (kept) seen[idOf(h, "HITId")] = kept;
  }
  const lists = await Promise.all(
    grown.map((h) =>
      listAssignments(upstream, idOf(h, "HITId")).catch((error) => {
        // Listed, yet gone (deleted or aged out while listings lag): it has no work; the type's others still do.
        if (isNotFound(error)) return [];
        throw error;
      }),
    ),
  );
  const publications: Publication[] = [];
  grown.forEach((hit, i) => {
    const id = idOf(hit, "HITId");
    const known = new Set(previous.seen[id] ?? []);
    let found = 0;
    for (const a of lists[i] ?? []) {
      // Only what was submitted since the baseline is news. MTurk's SubmitTime is a whole second, so a submit is
      // known to be older only when that whole second ended before the baseline.
      const old = (a.SubmitTime?.getTime() ?? 0) + 1000 <= previous.since;
      if (known.has(idOf(a, "AssignmentId")) || old) continue;
      found += 1;
      publications.push(submitted(topic, a, [hit], "poll"));
    }
    seen[id] = (lists[i] ?? []).map((a) => idOf(a, "AssignmentId"));
    // MTurk's listings may lag its counts: growth the listing does not show yet is looked for again next poll.
    counts[id] = Math.min(counts[id] ?? 0, (previous.counts[id] ?? 0) + found);
  });
  return { state: { since: previous.since, counts, seen }, publications };
};

/** What `hitStatusChanged` reports a change of: status, review status, expiration and assignment counts. */
function hitFingerprint(h: HIT): string {
  return JSON.stringify([
    h.HITStatus,
    h.HITReviewStatus,
    h.Expiration ? new Date(h.Expiration).getTime() : null,
    h.MaxAssignments,
    h.NumberOfAssignmentsPending,
    h.NumberOfAssignmentsAvailable,
    h.NumberOfAssignmentsCompleted,
  ]);
}

export const hitChange = (topicKey: string, hit: HIT, source: Publication["source"]): Publication => ({
  topic: topicKey,
  type: "HIT",
  mode: "state",
  key: hitFingerprint(hit),
  data: hit,
  source,
});

/** A HIT's state: one GetHIT per poll. */
const hit: Watch<{ fingerprint: string }> = async (upstream, topic, previous) => {
  const current = await getHit(upstream, topic.id);
  const state = { fingerprint: hitFingerprint(current) };
  const changed = previous && previous.fingerprint !== state.fingerprint;
  return { state, publications: changed ? [hitChange(topic.key, current, "poll")] : [] };
};

/** The watch of each kind of topic (states are opaque to the poller: what one poll returns, the next receives). */
export const WATCHES = {
  qualificationRequests,
  assignmentsOfHit,
  assignmentsOfType,
  hit,
} as unknown as Record<TopicKind, Watch<unknown>>;
