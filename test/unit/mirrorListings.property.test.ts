import type { HIT } from "@aws-sdk/client-mturk";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MirrorDatabase, openScratchDatabase } from "../../src/mirror/database.js";
import { type MirrorCursor, mirrorCount, mirrorPage } from "../../src/mirror/listings.js";
import { HITS } from "../../src/mirror/rows.js";
import { upsertListed } from "../../src/mirror/upsert.js";

/**
 * The mirror's listings as pure queries over an in-memory SQLite: any order, direction, filter and page size walks
 * every item once, in the order the README promises (missing values last in either direction, ties by id), page N
 * is the N-th slice, and the count is the filtered list's length.
 */
let mirror: MirrorDatabase;
beforeAll(async () => {
  mirror = await openScratchDatabase();
});
afterAll(() => mirror.close());

const STATUSES = ["Assignable", "Unassignable", "Reviewable", "Reviewing"] as const;
const FIELDS = { CREATION_TIME: "CreationTime", EXPIRATION: "Expiration", TITLE: "Title", REWARD: "Reward" } as const;

const hitArb = (i: number) =>
  fc.record({
    HITId: fc.constant(`H${String(i).padStart(4, "0")}`),
    HITStatus: fc.constantFrom(...STATUSES),
    Title: fc.option(fc.constantFrom("alpha", "Beta", "gamma", "Delta"), { nil: undefined }),
    Reward: fc.option(fc.constantFrom("0.10", "0.25", "1.00"), { nil: undefined }),
    CreationTime: fc.option(
      fc.integer({ min: 0, max: 5 }).map((s) => new Date(s * 1000)),
      { nil: undefined },
    ),
    Expiration: fc.option(
      fc.integer({ min: 0, max: 3 }).map((s) => new Date(s * 1000)),
      { nil: undefined },
    ),
  });

const accountArb = fc
  .integer({ min: 0, max: 40 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => hitArb(i))));

/** The README's order: the key (missing last in either direction), then the id ascending. */
function reference(hits: HIT[], field: keyof typeof FIELDS, desc: boolean) {
  const value = (h: HIT): number | string | undefined => {
    const v = h[FIELDS[field]];
    if (v === undefined) return undefined;
    if (v instanceof Date) return v.getTime();
    return field === "TITLE" ? String(v).toLowerCase() : field === "REWARD" ? Math.round(Number(v) * 100) : String(v);
  };
  return [...hits].sort((a, b) => {
    const [va, vb] = [value(a), value(b)];
    if (va !== vb) {
      if (va === undefined) return 1;
      if (vb === undefined) return -1;
      return (va < vb ? -1 : 1) * (desc ? -1 : 1);
    }
    return (a.HITId as string) < (b.HITId as string) ? -1 : 1;
  });
}

async function load(hits: HIT[]) {
  await mirror.db.deleteFrom("hits").execute();
  await mirror.db.deleteFrom("item_data").execute();
  await upsertListed(
    mirror.db,
    HITS,
    hits.map((item) => ({ item, extra: {} })),
    { now: Date.now(), protectMs: 0, also: { forgotten: 0 } },
  );
}

describe("the mirror's listings", () => {
  it("walk every item once in order, whatever the order, direction, filter and page size", async () => {
    await fc.assert(
      fc.asyncProperty(
        accountArb,
        fc.constantFrom(...(Object.keys(FIELDS) as (keyof typeof FIELDS)[])),
        fc.boolean(),
        fc.subarray([...STATUSES]),
        fc.integer({ min: 1, max: 7 }),
        async (hits, field, desc, statuses, size) => {
          await load(hits);
          const filter = statuses.length ? { statuses } : undefined;
          const kept = filter ? hits.filter((h) => statuses.includes(h.HITStatus as never)) : hits;
          const expected = reference(kept, field, desc).map((h) => h.HITId);
          const orderBy = { field, direction: desc ? ("DESC" as const) : ("ASC" as const) };
          const seen: string[] = [];
          let after: MirrorCursor | undefined;
          for (let guard = 0; guard < 100; guard += 1) {
            const page = await mirrorPage<HIT>(mirror.db, ["ListHITs"], { orderBy, filter, after, count: size });
            seen.push(...page.items.map((h) => h.HITId as string));
            if (!page.more) break;
            after = page.cursors.at(-1);
          }
          expect(seen).toEqual(expected);
          expect(await mirrorCount(mirror.db, ["ListHITs"], filter)).toBe(expected.length);
          const third = await mirrorPage<HIT>(mirror.db, ["ListHITs"], {
            orderBy,
            filter,
            offset: 2 * size,
            count: size,
          });
          expect(third.items.map((h) => h.HITId)).toEqual(expected.slice(2 * size, 3 * size));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("a cursor resumes after its item however many items before it left the list", async () => {
    await fc.assert(
      fc.asyncProperty(accountArb, fc.integer({ min: 1, max: 5 }), fc.array(fc.nat()), async (hits, size, leaving) => {
        await load(hits);
        const orderBy = { field: "TITLE", direction: "ASC" as const };
        const first = await mirrorPage<HIT>(mirror.db, ["ListHITs"], { orderBy, count: size });
        const cursor = first.cursors.at(-1);
        if (!cursor) return;
        const order = reference(hits, "TITLE", false).map((h) => h.HITId as string);
        const shown = new Set(first.items.map((h) => h.HITId as string));
        // Some of the shown items and of the ones before them leave (decided, deleted).
        const gone = new Set(leaving.map((n) => order[n % order.length] as string).filter((id) => shown.has(id)));
        await load(hits.filter((h) => !gone.has(h.HITId as string)));
        const next = await mirrorPage<HIT>(mirror.db, ["ListHITs"], { orderBy, after: cursor, count: size });
        const rest = order.filter((id) => !shown.has(id)).slice(0, size);
        expect(next.items.map((h) => h.HITId)).toEqual(rest);
      }),
      { numRuns: 60 },
    );
  });
});
