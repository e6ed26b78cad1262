import {
  type Assignment,
  type AssignmentStatus,
  GetHITCommand,
  type HIT,
  ListAssignmentsForHITCommand,
  ListHITsCommand,
} from "@aws-sdk/client-mturk";
import type { Upstream } from "../mturk/client.js";
import { isNotFound } from "../mturk/errors.js";
import { firstSight, MTURK_MAX_RESULTS } from "../mturk/pagination.js";
import { hitHasWork } from "../mturk/workerIndex.js";

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
 * The export's pages, read one at a time as the consumer asks (no read-ahead, nothing kept): memory stays that of
 * one page of HITs and one page of assignments, whatever the number of assignments. Straight to the SDK, not
 * through a request's loaders, whose caches would keep every page.
 */
export async function* exportPages(upstream: Upstream, target: ExportTarget): AsyncGenerator<ExportPage> {
  for await (const hit of hitsOf(upstream, target)) {
    if (!hitHasWork(hit)) {
      yield { hit, assignments: [] };
      continue;
    }
    let token: string | undefined;
    do {
      const NextToken = token;
      const page = await upstream
        .call("ListAssignmentsForHIT", (c) =>
          c.send(
            new ListAssignmentsForHITCommand({
              HITId: hit.HITId,
              AssignmentStatuses: target.statuses,
              NextToken,
              MaxResults: MTURK_MAX_RESULTS,
            }),
          ),
        )
        .catch((error) => {
          // A HIT of the type listed, yet gone (deleted or aged out while listings lag): it has no rows.
          if (target.hitTypeId && isNotFound(error)) return undefined;
          throw error;
        });
      if (!page) break;
      const assignments = page.Assignments ?? [];
      yield { hit, assignments };
      // An empty page ends a listing even with a token (MTurk may send one on its last page).
      token = assignments.length ? page.NextToken : undefined;
    } while (token);
  }
}

async function* hitsOf(upstream: Upstream, target: ExportTarget): AsyncGenerator<HIT> {
  if (target.hitId) {
    const hitId = target.hitId;
    const r = await upstream.call("GetHIT", (c) => c.send(new GetHITCommand({ HITId: hitId })));
    if (r.HIT) yield r.HIT;
    return;
  }
  let token: string | undefined;
  // ListHITs lists newest first: a HIT created during the export pushes the next page on, repeating a HIT.
  const fresh = firstSight<HIT>((hit) => hit.HITId as string);
  do {
    const NextToken = token;
    const page = await upstream.call("ListHITs", (c) =>
      c.send(new ListHITsCommand({ NextToken, MaxResults: MTURK_MAX_RESULTS })),
    );
    const hits = page.HITs ?? [];
    for (const hit of hits) if (hit.HITTypeId === target.hitTypeId && fresh(hit)) yield hit;
    token = hits.length ? page.NextToken : undefined;
  } while (token);
}
