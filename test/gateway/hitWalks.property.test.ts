import {
  CreateHITCommand,
  DeleteHITCommand,
  paginateListHITs,
  UpdateExpirationForHITCommand,
} from "@aws-sdk/client-mturk";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";
import { listingSwitches, walkConnection } from "../support/walk.js";

/**
 * ListHITs lists newest first (a real capture): a HIT created during a walk goes before every position, so with
 * offset or page tokens it pushes the rest of the listing one place on. Walks through the gateway under every
 * switch, with HITs created between pages and others deleted by another tool: a HIT listed for the whole walk is
 * returned, exactly once when nothing is deleted. Full scans (snapshots, exports) list each HIT once.
 */
let stack: Stack;
const SEED = { qualificationTypes: 2, workers: 30, pendingRequests: 0, hits: 150 };
const QUESTION = "<HTMLQuestion><HTMLContent>x</HTMLContent><FrameHeight>400</FrameHeight></HTMLQuestion>";

beforeAll(async () => {
  stack = await startStack({ size: SEED, seed: 21 });
});
afterAll(() => stack.close());

const createHit = async (Title = "Walked") =>
  (
    await stack.client.send(
      new CreateHITCommand({
        Title,
        Description: "d",
        Reward: "0.05",
        LifetimeInSeconds: 3600,
        AssignmentDurationInSeconds: 600,
        Question: QUESTION,
      }),
    )
  ).HIT?.HITId as string;

/** The account's HITs as another tool sees them (the SDK's paginator). */
async function listedNow(): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of paginateListHITs({ client: stack.client, pageSize: 100 }, {}))
    ids.push(...(page.HITs ?? []).map((h) => h.HITId as string));
  return ids;
}

const walkDoc = `query($first: Int, $after: String) {
  hits(first: $first, after: $after) { edges { cursor node { hitId } } pageInfo { hasNextPage endCursor } }
}`;

const switches = listingSwitches;
const step = fc.record({
  first: fc.integer({ min: 1, max: 120 }),
  midPage: fc.option(fc.nat(), { nil: undefined }),
  creations: fc.integer({ min: 0, max: 3 }),
  deletions: fc.array(fc.nat(), { maxLength: 2 }),
});
type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;

let seed = 21;
/** A fresh account per run, with a few expired HITs without work that another tool can delete. */
async function reset(s: Record<string, unknown>): Promise<string[]> {
  seed += 1;
  await stack.control("POST", "reset", { seed, size: SEED });
  await stack.control("PUT", "switches", { ...s, listLagSeconds: 0 });
  const deletable: string[] = [];
  for (let i = 0; i < 6; i += 1) {
    const hitId = await createHit("Deletable");
    await stack.client.send(new UpdateExpirationForHITCommand({ HITId: hitId, ExpireAt: new Date(0) }));
    deletable.push(hitId);
  }
  // The listing lags from here on: the deletable HITs are listed before the walk.
  await stack.control("POST", "clock/advance", { seconds: 120 });
  await stack.control("PUT", "switches", s);
  return deletable;
}

async function walk(steps: Step[], deletable: string[]) {
  const deleted = new Set<string>();
  const nodes = await walkConnection<Step, { hitId: string }>(
    stack,
    walkDoc,
    {},
    (d) => d.hits,
    steps,
    async (st, _taken, s) => {
      if (s < 20) for (let i = 0; i < st.creations; i += 1) await createHit();
      for (const k of st.deletions) {
        const victim = deletable[k % deletable.length] as string;
        if (deleted.has(victim)) continue;
        deleted.add(victim);
        await stack.client.send(new DeleteHITCommand({ HITId: victim }));
      }
    },
  );
  return { seen: nodes.map((n) => n.hitId), deleted };
}

describe("walks over ListHITs (newest first) while HITs are created and deleted", () => {
  it("HITs created between pages: every HIT listed at the start exactly once", async () => {
    await fc.assert(
      fc.asyncProperty(switches, fc.array(step, { minLength: 1, maxLength: 10 }), async (s, steps) => {
        await reset(s);
        const before = await listedNow();
        const { seen } = await walk(
          steps.map((st) => ({ ...st, deletions: [] })),
          [],
        );
        expect(new Set(seen).size, "no HIT twice").toBe(seen.length);
        for (const id of before) expect(seen, "every HIT listed at the start").toContain(id);
      }),
      { numRuns: 14 },
    );
  });

  it("another tool deletes HITs too: every HIT listed for the whole walk at least once", async () => {
    await fc.assert(
      fc.asyncProperty(switches, fc.array(step, { minLength: 1, maxLength: 10 }), async (s, steps) => {
        const deletable = await reset(s);
        const before = await listedNow();
        const { seen, deleted } = await walk(steps, deletable);
        const shown = new Set(seen);
        for (const id of before) if (!deleted.has(id)) expect(shown.has(id), id).toBe(true);
      }),
      { numRuns: 10 },
    );
  });
});

describe("full scans of ListHITs while HITs are created", () => {
  it("a snapshot (sorted, counted) lists each HIT once", async () => {
    await stack.control("POST", "reset", { seed: 40, size: SEED });
    await stack.control("PUT", "switches", { paging: "offset", tokenOnLastPage: true, listLagSeconds: 0 });
    const before = await listedNow();
    await stack.control("PUT", "latency", { fixedMs: 300, jitterMs: 0 });
    const scan = stack.query<any>(
      `{ hits(orderBy: { field: CREATION_TIME, direction: DESC }, first: 500) { totalCount edges { node { hitId } } } }`,
    );
    // Between the scan's first page and its second (each answered 300 ms after it arrives).
    await new Promise((r) => setTimeout(r, 150));
    await Promise.all([createHit(), createHit()]);
    const result = await scan;
    await stack.control("PUT", "latency", { fixedMs: 0, jitterMs: 0 });
    expect(result.errors).toBeUndefined();
    const ids = result.data.hits.edges.map((e: any) => e.node.hitId as string);
    expect(new Set(ids).size, "no HIT twice").toBe(ids.length);
    expect(result.data.hits.totalCount).toBe(ids.length);
    for (const id of before) expect(ids).toContain(id);
  });

  it("an export of a HIT type lists each assignment once", async () => {
    await stack.control("POST", "reset", { seed: 41, size: "empty" });
    await stack.control("PUT", "switches", { paging: "offset", tokenOnLastPage: true, listLagSeconds: 0 });
    const made: string[] = [];
    for (let i = 0; i < 101; i += 1) made.push(await createHit("Exported"));
    // Newest first: the two oldest HITs are the first page's last and the second page's only one.
    for (const hitId of made.slice(0, 2)) await stack.control("POST", `hits/${hitId}/submissions`, { count: 1 });
    const hitTypeId = stack.simulator.store.hits.get(made[0] as string)?.hitTypeId as string;
    const response = await stack.yoga.fetch(`http://gateway.test/exports/assignments.jsonl?hitTypeId=${hitTypeId}`);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const chunks: Uint8Array[] = [];
    const first = await reader.read();
    if (first.value) chunks.push(first.value);
    // The export has read ListHITs' first page: a new HIT pushes the second page one place on.
    await createHit("Other");
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
    const rows = Buffer.concat(chunks)
      .toString("utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { AssignmentId?: string; HITId?: string });
    const assignments = rows.map((r) => r.AssignmentId).filter(Boolean);
    expect(assignments).toHaveLength(2);
    expect(new Set(assignments).size).toBe(2);
  });
});
