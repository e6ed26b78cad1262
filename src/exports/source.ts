import {
  type Assignment,
  type AssignmentStatus,
  GetHITCommand,
  type HIT,
  ListAssignmentsForHITCommand,
  ListHITsCommand,
} from "@aws-sdk/client-mturk";
import type { MirrorCursor } from "../mirror/listings.js";
import type { Mirror } from "../mirror/mirror.js";
import { hitHasWork } from "../mirror/refresh.js";
import type { Upstream } from "../mturk/client.js";
import { isNotFound } from "../mturk/errors.js";
import { idOf } from "../mturk/ids.js";
import { scopes } from "../mturk/listings.js";
import { directPages, eachPage, firstSight, MTURK_MAX_RESULTS } from "../mturk/pagination.js";

/** What an export reads: one HIT, or every HIT of a HIT type; optionally only some assignment statuses. */
export interface ExportTarget {
  hitId?: string;
  hitTypeId?: string;
  statuses?: AssignmentStatus[];
}

/** One page of a HIT's assignments, as MTurk returned it. */
export interface ExportPage {
  hit: HIT;
  assignments: Assignment[];
}

/**
 * Where an export reads: the mirror when it holds the HIT's work fresher than MIRROR_MAX_AGE_MS (no MTurk call), or
 * when MTurk no longer knows the HIT (disposed of after 120 days); otherwise MTurk, page by page, the mirror keeping
 * each page as it passes.
 */
export async function exportSource(
  upstream: Upstream,
  mirror: Mirror | undefined,
  target: ExportTarget,
): Promise<AsyncGenerator<ExportPage>> {
  const units = target.hitId ? [`assignments:${target.hitId}`] : ["work"];
  if (mirror && (await mirror.isFresh(units))) {
    const fromMirror = await mirrorExportPages(mirror, target, upstream);
    if (fromMirror) return fromMirror;
  }
  const live = exportPages(upstream, target, mirror);
  let first: IteratorResult<ExportPage>;
  try {
    first = await live.next();
  } catch (error) {
    const remembered = isNotFound(error) && mirror ? await mirrorExportPages(mirror, target, upstream) : undefined;
    if (!remembered) throw error;
    return remembered;
  }
  const head = first;
  return (async function* () {
    if (!head.done) yield head.value;
    yield* live;
  })();
}

/** The export's pages from the mirror, 100 assignments a page, as MTurk lists them; undefined without its HIT. */
async function mirrorExportPages(
  mirror: Mirror,
  target: ExportTarget,
  upstream: Upstream,
): Promise<AsyncGenerator<ExportPage> | undefined> {
  const hitIds = target.hitId
    ? [target.hitId]
    : target.hitTypeId
      ? (await mirror.hitsOfTypes([target.hitTypeId], upstream)).value
      : [];
  const first = hitIds[0] && (await mirror.hit(hitIds[0]));
  if (!first) return undefined;
  return (async function* () {
    for (const hitId of hitIds) {
      const hit = hitId === first.HITId ? first : await mirror.hit(hitId);
      if (!hit) continue;
      const scope = scopes.assignments(hitId, target.statuses);
      let after: MirrorCursor | undefined;
      for (;;) {
        const { value } = await mirror.listingPage<Assignment>(scope, { after, count: MTURK_MAX_RESULTS }, true);
        yield { hit, assignments: value.items };
        if (!value.more) break;
        after = value.cursors.at(-1);
      }
    }
  })();
}

/**
 * The export's pages, read one at a time as the consumer asks (no read-ahead, nothing kept): memory stays that of
 * one page of HITs and one page of assignments, whatever the number of assignments. Straight to the SDK, not
 * through a request's loaders, whose caches would keep every page.
 */
async function* exportPages(upstream: Upstream, target: ExportTarget, mirror?: Mirror): AsyncGenerator<ExportPage> {
  for await (const hit of hitsOf(upstream, target)) {
    if (!hitHasWork(hit)) {
      yield { hit, assignments: [] };
      continue;
    }
    const started = Date.now();
    const pages = eachPage(
      directPages(
        upstream,
        "ListAssignmentsForHIT",
        (c, NextToken) =>
          c.send(
            new ListAssignmentsForHITCommand({
              HITId: hit.HITId,
              AssignmentStatuses: target.statuses,
              NextToken,
              MaxResults: MTURK_MAX_RESULTS,
            }),
          ),
        (r) => r.Assignments,
      ),
    );
    try {
      for await (const { items: assignments, last } of pages) {
        // The mirror keeps what passes; a HIT read whole (every status) is fresh in it as of the export's start.
        await mirror?.observeWork(hit, assignments, last && !target.statuses ? started : undefined);
        yield { hit, assignments };
      }
    } catch (error) {
      // A HIT of the type listed, yet gone (deleted or aged out while listings lag): it has no rows.
      if (!(target.hitTypeId && isNotFound(error))) throw error;
    }
  }
}

async function* hitsOf(upstream: Upstream, target: ExportTarget): AsyncGenerator<HIT> {
  if (target.hitId) {
    const hitId = target.hitId;
    const r = await upstream.call("GetHIT", (c) => c.send(new GetHITCommand({ HITId: hitId })));
    if (r.HIT) yield r.HIT;
    return;
  }
  // ListHITs lists newest first: a HIT created during the export pushes the next page on, repeating a HIT.
  const fresh = firstSight<HIT>((hit) => idOf(hit, "HITId"));
  const pages = eachPage(
    directPages(
      upstream,
      "ListHITs",
      (c, NextToken) => c.send(new ListHITsCommand({ NextToken, MaxResults: MTURK_MAX_RESULTS })),
      (r) => r.HITs,
    ),
  );
  for await (const page of pages)
    for (const hit of page.items) if (hit.HITTypeId === target.hitTypeId && fresh(hit)) yield hit;
}
