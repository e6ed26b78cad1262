import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CursorCodec } from "../../src/mturk/cursors.js";
import { type FetchPage, resolveTokenConnection } from "../../src/mturk/pagination.js";

/**
 * The cursor algorithm against an in-memory listing under each model of MTurk's NextToken that nobody outside AWS
 * can rule out: keyset positions, absolute offsets, page numbers (offset = page x MaxResults), with or without a
 * token on the last page. No HTTP: milliseconds per walk.
 */
type Model = "keyset" | "offset" | "page";
interface Item {
  id: string;
  seq: number;
}

/** Where a new item goes: at the end, or first (ListHITs lists newest first). */
type Order = "oldestFirst" | "newestFirst";

function listing(model: Model, tokenOnLastPage: boolean, order: Order = "oldestFirst") {
  let seq = 0;
  const items: Item[] = [];
  const add = () => {
    seq += 1;
    if (order === "newestFirst") items.unshift({ id: `I${seq}`, seq });
    else items.push({ id: `I${seq}`, seq });
  };
  const follows = (item: Item, after: number) => (order === "newestFirst" ? item.seq < after : item.seq > after);
  let calls = 0;
  const fetchPage: FetchPage<Item> = async (token, size) => {
    calls += 1;
    let start: number;
    if (token === undefined) start = 0;
    else if (model === "keyset") {
      const after = Number(token);
      start = items.findIndex((i) => follows(i, after));
      if (start < 0) start = items.length;
    } else if (model === "offset") start = Number(token);
    else start = Number(token) * size;
    const page = items.slice(start, start + size);
    const more = start + size < items.length;
    const last = page.at(-1);
    const next =
      model === "keyset"
        ? String(last?.seq ?? token ?? 0)
        : model === "offset"
          ? String(start + page.length)
          : String(Number(token ?? 0) + 1);
    return { items: page, nextToken: page.length && (more || tokenOnLastPage) ? next : undefined };
  };
  return { items, add, fetchPage, calls: () => calls };
}

const codec = new CursorCodec("unit-test-secret-0123456789");
const idOf = (i: Item) => i.id;

async function page(source: ReturnType<typeof listing>, first: number, after: string | null) {
  const c = await resolveTokenConnection({
    codec,
    scope: "test",
    args: { first, after },
    maxPageSize: 1000,
    source: { fetchPage: source.fetchPage, idOf },
  });
  return {
    ids: c.edges.map((e) => e.node.id),
    cursors: await Promise.all(c.edges.map((e) => e.cursor)),
    hasNextPage: await c.pageInfo.hasNextPage,
    endCursor: await c.pageInfo.endCursor,
  };
}

const models = fc.constantFrom<Model>("keyset", "offset", "page");
const orders = fc.constantFrom<Order>("oldestFirst", "newestFirst");
const step = fc.record({
  first: fc.integer({ min: 1, max: 130 }),
  // Which returned items of this page are decided (removed) before the next page.
  decide: fc.array(fc.nat(), { maxLength: 20 }),
  inserts: fc.integer({ min: 0, max: 5 }),
  midPage: fc.option(fc.nat(), { nil: undefined }),
});

describe("token cursors under every NextToken model", () => {
  it("a walk that decides items it was shown and sees inserts returns every item exactly once", async () => {
    await fc.assert(
      fc.asyncProperty(
        models,
        fc.boolean(),
        orders,
        fc.integer({ min: 0, max: 400 }),
        fc.array(step, { minLength: 1, maxLength: 30 }),
        async (model, tokenOnLastPage, order, size, steps) => {
          const source = listing(model, tokenOnLastPage, order);
          for (let i = 0; i < size; i += 1) source.add();
          const original = source.items.map(idOf);
          const seen: string[] = [];
          let after: string | null = null;
          for (let s = 0; ; s += 1) {
            const st = steps[s % steps.length] as (typeof steps)[number];
            const p = await page(source, st.first, after);
            // A mid-page cursor returns only the edges up to it; the rest come again on the next page.
            const cut = st.midPage !== undefined && p.ids.length ? st.midPage % p.ids.length : p.ids.length - 1;
            const taken = p.ids.slice(0, cut + 1);
            seen.push(...taken);
            for (const k of st.decide) {
              const id = taken[k % Math.max(1, taken.length)];
              const at = source.items.findIndex((i) => i.id === id);
              if (at >= 0) source.items.splice(at, 1);
            }
            // Inserts stop at some point, or a walk of small pages never reaches a growing end.
            for (let i = 0; i < st.inserts && s < 40; i += 1) source.add();
            if (!p.ids.length) break;
            if (cut === p.ids.length - 1 && !p.hasNextPage) break;
            after = cut === p.ids.length - 1 ? p.endCursor : (p.cursors[cut] as string);
            if (s > 2000) throw new Error("the walk does not end");
          }
          // Exactly once: no duplicates, and every item present at the start was returned.
          expect(new Set(seen).size).toBe(seen.length);
          for (const id of original) expect(seen).toContain(id);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("when another tool also removes items not yet shown, every item that stays is still returned", async () => {
    await fc.assert(
      fc.asyncProperty(
        models,
        fc.boolean(),
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 60 }), fc.array(fc.nat(), { maxLength: 8 })), {
          minLength: 1,
          maxLength: 20,
        }),
        async (model, tokenOnLastPage, size, steps) => {
          const source = listing(model, tokenOnLastPage);
          for (let i = 0; i < size; i += 1) source.add();
          const removed = new Set<string>();
          const seen = new Set<string>();
          const original = source.items.map(idOf);
          let after: string | null = null;
          for (let s = 0; s < 5000; s += 1) {
            const [first, removals] = steps[s % steps.length] as [number, number[]];
            const p = await page(source, first, after);
            for (const id of p.ids) seen.add(id);
            for (const k of removals) {
              const victim = source.items[k % Math.max(1, source.items.length)];
              if (victim) {
                removed.add(victim.id);
                source.items.splice(source.items.indexOf(victim), 1);
              }
            }
            if (!p.hasNextPage) break;
            after = p.endCursor;
          }
          for (const id of original) if (!removed.has(id)) expect(seen.has(id)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("hasNextPage is false at the end even with a token on the last page, and the end cursor gives an empty page", async () => {
    for (const model of ["keyset", "offset", "page"] as const) {
      const source = listing(model, true);
      for (let i = 0; i < 100; i += 1) source.add();
      const all = await page(source, 100, null);
      expect(all.hasNextPage).toBe(false);
      const empty = await page(source, 10, all.endCursor);
      expect(empty.ids).toEqual([]);
      expect(empty.hasNextPage).toBe(false);
    }
  });

  it("a walk without changes costs one call per 100 items, plus one to learn the end", async () => {
    const source = listing("keyset", false);
    for (let i = 0; i < 250; i += 1) source.add();
    let after: string | null = null;
    for (;;) {
      const p = await page(source, 10, after);
      if (!p.hasNextPage) break;
      after = p.endCursor;
    }
    // 25 pages of 10 read 3 windows of 100; each page re-reads its window once (a new request each time).
    expect(source.calls()).toBeLessThanOrEqual(25 + 3);
  });
});
