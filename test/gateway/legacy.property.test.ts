import { type HIT, paginateListHITs, paginateListQualificationRequests } from "@aws-sdk/client-mturk";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endOfListing, operationsOf, type Stack, startStack } from "../support/stack.js";

type Direction = "ASC" | "DESC";
type Keyed = { id: string; key: string | number | undefined };

/** The legacy semantics, written independently: sort by key (missing last), ties by id ascending. */
function legacySort(items: Keyed[], direction: Direction): string[] {
  return [...items]
    .sort((a, b) => {
      if (a.key !== b.key) {
        if (a.key === undefined) return 1;
        if (b.key === undefined) return -1;
        return (a.key < b.key ? -1 : 1) * (direction === "ASC" ? 1 : -1);
      }
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    })
    .map((x) => x.id);
}

async function allRequests(stack: Stack) {
  const all = [];
  for await (const page of paginateListQualificationRequests({ client: stack.client, pageSize: 100 }, {}))
    all.push(...(page.QualificationRequests ?? []));
  return all;
}

const REQUESTS = `query($orderBy: QualificationRequestOrder, $page: PageInput, $filter: QualificationRequestFilter, $first: Int) {
  qualificationRequests(orderBy: $orderBy, page: $page, filter: $filter, first: $first) {
    totalCount pageNumber pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { qualificationRequestId } }
  }
}`;
const ids = (data: any) => data.qualificationRequests.edges.map((e: any) => e.node.qualificationRequestId);

describe("legacy sorting, page numbers, totals and filters (property tests over random accounts)", () => {
  it("qualificationRequests: sorted order, page N is the N-th slice, totals, filters", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer({ min: 1, max: 10_000 }),
          pending: fc.integer({ min: 0, max: 140 }),
          field: fc.constantFrom("SUBMIT_TIME", "QUALIFICATION_TYPE_ID", "WORKER_ID"),
          direction: fc.constantFrom<Direction>("ASC", "DESC"),
          pageNumber: fc.integer({ min: 1, max: 8 }),
          pageSize: fc.integer({ min: 1, max: 40 }),
          cut: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        async ({ seed, pending, field, direction, pageNumber, pageSize, cut }) => {
          const stack = await startStack({
            size: { qualificationTypes: 6, workers: 60, pendingRequests: pending, hits: 2 },
            seed,
          });
          try {
            const all = await allRequests(stack);
            const keyOf = (r: (typeof all)[number]) =>
              field === "SUBMIT_TIME"
                ? r.SubmitTime?.getTime()
                : field === "QUALIFICATION_TYPE_ID"
                  ? r.QualificationTypeId
                  : r.WorkerId;
            const sorted = legacySort(
              all.map((r) => ({ id: r.QualificationRequestId as string, key: keyOf(r) })),
              direction,
            );
            const orderBy = { field, direction };

            const whole = await stack.query<any>(REQUESTS, { orderBy, first: 1000 });
            expect(whole.errors).toBeUndefined();
            expect(ids(whole.data)).toEqual(sorted);
            expect(whole.data.qualificationRequests.totalCount).toBe(all.length);

            const page = await stack.query<any>(REQUESTS, { orderBy, page: { number: pageNumber, size: pageSize } });
            expect(ids(page.data)).toEqual(sorted.slice((pageNumber - 1) * pageSize, pageNumber * pageSize));
            expect(page.data.qualificationRequests).toMatchObject({
              totalCount: all.length,
              pageNumber,
              pageInfo: { hasNextPage: pageNumber * pageSize < all.length, hasPreviousPage: pageNumber > 1 },
            });

            // Filters equal a filter over the list: submitted after a cut time, and one worker's requests.
            const times = all.map((r) => r.SubmitTime?.getTime() ?? 0).sort((a, b) => a - b);
            const after = new Date(times[Math.floor(cut * times.length)] ?? Date.now());
            const worker = all[Math.floor(cut * all.length)]?.WorkerId ?? "ANOBODY";
            const filtered = await stack.query<any>(REQUESTS, {
              orderBy,
              first: 1000,
              filter: { submittedAfter: after.toISOString(), workerId: worker },
            });
            const expected = sorted.filter((id) => {
              const r = all.find((x) => x.QualificationRequestId === id);
              return (r?.SubmitTime?.getTime() ?? 0) >= after.getTime() && r?.WorkerId === worker;
            });
            expect(ids(filtered.data)).toEqual(expected);
            expect(filtered.data.qualificationRequests.totalCount).toBe(expected.length);

            // Offset cursors walk the sorted list without gaps or repeats.
            const walked: string[] = [];
            let after2: string | null = null;
            for (;;) {
              const step: any = await stack.query<any>(
                `query($orderBy: QualificationRequestOrder, $after: String) { qualificationRequests(orderBy: $orderBy, first: ${pageSize}, after: $after) { pageInfo { hasNextPage endCursor } edges { node { qualificationRequestId } } } }`,
                { orderBy, after: after2 },
              );
              walked.push(...ids(step.data));
              if (!step.data.qualificationRequests.pageInfo.hasNextPage) break;
              after2 = step.data.qualificationRequests.pageInfo.endCursor;
            }
            expect(walked).toEqual(sorted);
          } finally {
            await stack.close();
          }
        },
      ),
      { numRuns: 12 },
    );
  });

  it("hits: ordering by reward, title, creation and expiration, with status filters", async () => {
    const stack = await startStack({ size: "demo", seed: 9 });
    try {
      const all: HIT[] = [];
      for await (const page of paginateListHITs({ client: stack.client, pageSize: 100 }, {}))
        all.push(...(page.HITs ?? []));
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom("REWARD", "TITLE", "CREATION_TIME", "EXPIRATION"),
          fc.constantFrom<Direction>("ASC", "DESC"),
          fc.subarray(["Assignable", "Unassignable", "Reviewable", "Reviewing"]),
          async (field, direction, statuses) => {
            const keyOf = (h: (typeof all)[number]) =>
              field === "REWARD"
                ? Number.parseFloat(h.Reward ?? "0")
                : field === "TITLE"
                  ? h.Title?.toLowerCase()
                  : field === "CREATION_TIME"
                    ? h.CreationTime?.getTime()
                    : h.Expiration?.getTime();
            const keep = all.filter((h) => statuses.length === 0 || statuses.includes(h.HITStatus as string));
            const sorted = legacySort(
              keep.map((h) => ({ id: h.HITId as string, key: keyOf(h) })),
              direction,
            );
            const result = await stack.query<any>(
              `query($o: HITOrder, $f: HITFilter) { hits(orderBy: $o, filter: $f, first: 1000) { totalCount edges { node { hitId } } } }`,
              { o: { field, direction }, f: { statuses } },
            );
            expect(result.errors).toBeUndefined();
            expect(result.data.hits.edges.map((e: any) => e.node.hitId)).toEqual(sorted);
            expect(result.data.hits.totalCount).toBe(sorted.length);
          },
        ),
        { numRuns: 20 },
      );
    } finally {
      await stack.close();
    }
  });
});

describe("snapshots of several types at once", () => {
  it("totals are exact even when the first pages of several types come from one shared scan", async () => {
    // 3 types with about 120 pending requests each: the unfiltered scan (4 pages) fits the budget of 6 types.
    const stack = await startStack({
      size: { qualificationTypes: 6, workers: 400, pendingRequests: 360, hits: 2 },
      seed: 2,
    });
    try {
      const all = await allRequests(stack);
      const result = await stack.query<any>(
        `{ qualificationTypes(first: 10) { edges { node { qualificationTypeId requests(orderBy: { field: SUBMIT_TIME }, first: 1) { totalCount } } } } }`,
      );
      expect(result.errors).toBeUndefined();
      for (const edge of result.data.qualificationTypes.edges) {
        const expected = all.filter((r) => r.QualificationTypeId === edge.node.qualificationTypeId).length;
        expect(edge.node.requests.totalCount).toBe(expected);
      }
      expect(
        Math.max(...result.data.qualificationTypes.edges.map((e: any) => e.node.requests.totalCount)),
      ).toBeGreaterThan(100);
    } finally {
      await stack.close();
    }
  });
});

describe("the mirror behind sorted lists", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ size: "demo", seed: 3, env: { MIRROR_MAX_AGE_MS: "400" } });
  });
  afterAll(() => stack.close());

  it("a plain first/after walk pages over NextToken with no full scan", async () => {
    const { calls } = await stack.measured(`{ qualificationRequests(first: 5) { edges { cursor } } }`);
    expect(calls).toHaveLength(1);
    // Every token read asks for 100: a token is followed with the size that made it (see pagination.ts).
    expect(calls[0]?.input).toEqual({ MaxResults: 100 });
  });

  it("concurrent identical requests share one scan; inside the window the same query costs no call", async () => {
    await new Promise((r) => setTimeout(r, 450));
    await stack.control("PUT", "latency", { fixedMs: 20, jitterMs: 0 });
    stack.simulator.instrumentation.resetCalls();
    const document = `{ qualificationRequests(orderBy: { field: SUBMIT_TIME }, page: { number: 2, size: 50 }) { totalCount edges { cursor } } }`;
    const results = await Promise.all(Array.from({ length: 5 }, () => stack.query<any>(document)));
    expect(results.every((r) => r.data?.qualificationRequests.totalCount === 300)).toBe(true);
    // 300 pending requests: one scan is 3 pages (and the empty page after the last), not 15.
    expect(operationsOf(stack.simulator.instrumentation.calls)).toEqual(
      Array(3 + endOfListing(stack.simulator)).fill("ListQualificationRequests"),
    );
    const again = await stack.measured(document);
    expect(again.calls).toHaveLength(0);
    await stack.control("PUT", "latency", { fixedMs: 0, jitterMs: 0 });
  });

  it("past MIRROR_MAX_AGE_MS a read waits for the listing's refresh: new items show, asOf moves on", async () => {
    const document = `{ qualificationRequests(orderBy: { field: SUBMIT_TIME, direction: DESC }, first: 1) { totalCount asOf edges { node { workerId } } } }`;
    // Past the age of what earlier tests read: this read refreshes, the next ones are within the age.
    await new Promise((r) => setTimeout(r, 450));
    const before = await stack.query<any>(document);
    const fixtures = await stack.control<{ typesWithPendingRequests: string[] }>("GET", "fixtures");
    const { workerId } = await stack.control<{ workerId: string }>("POST", "workers", {});
    await stack.control("POST", `workers/${workerId}/qualification-requests`, {
      qualificationTypeId: fixtures.typesWithPendingRequests[0],
    });
    // Within the age: the mirror answers, with no call.
    const cached = await stack.measured<any>(document);
    expect(cached.calls).toEqual([]);
    expect(cached.result.data.qualificationRequests.totalCount).toBe(before.data.qualificationRequests.totalCount);
    await new Promise((r) => setTimeout(r, 450));
    const fresh = await stack.measured<any>(document);
    expect(fresh.calls.length).toBeGreaterThan(0);
    expect(fresh.result.data.qualificationRequests.totalCount).toBe(before.data.qualificationRequests.totalCount + 1);
    expect(fresh.result.data.qualificationRequests.edges[0].node.workerId).toBe(workerId);
    expect(Date.parse(fresh.result.data.qualificationRequests.asOf)).toBeGreaterThan(
      Date.parse(cached.result.data.qualificationRequests.asOf),
    );
  });

  it("refuses page with first/after, a page number below 1, and a cursor of another ordering", async () => {
    const cases = [
      `{ hits(page: { number: 1, size: 5 }, first: 5) { totalCount } }`,
      `{ hits(page: { number: 0, size: 5 }) { totalCount } }`,
      `{ hits(page: { number: 1, size: 5000 }) { totalCount } }`,
    ];
    for (const document of cases) {
      const result = await stack.query(document);
      expect(result.errors?.[0]?.extensions?.code, document).toBe("BAD_USER_INPUT");
    }
    const byTitle = await stack.query<any>(`{ hits(orderBy: { field: TITLE }, first: 2) { pageInfo { endCursor } } }`);
    const other = await stack.query(
      `query($a: String) { hits(orderBy: { field: REWARD }, first: 2, after: $a) { totalCount } }`,
      {
        a: byTitle.data.hits.pageInfo.endCursor,
      },
    );
    expect(other.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("declares full-scan cost to the complexity limit and refuses unbounded scans before any call", async () => {
    const { result, calls } = await stack.measured(
      `{ hits(first: 1000) { edges { node { assignments(first: 100, orderBy: { field: SUBMIT_TIME }) { totalCount } } } } }`,
    );
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", kind: "complexity" });
    expect(calls).toHaveLength(0);
    const fine = await stack.query(
      `{ hits(first: 10) { totalCount edges { node { assignments(first: 10) { edges { cursor } } } } } }`,
    );
    expect(fine.errors).toBeUndefined();
  });
});
