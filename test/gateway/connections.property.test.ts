import {
  ListQualificationRequestsCommand,
  paginateListAssignmentsForHIT,
  paginateListHITs,
  paginateListQualificationRequests,
  paginateListQualificationTypes,
  paginateListWorkerBlocks,
} from "@aws-sdk/client-mturk";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";

let stack: Stack;
let f: { typesWithPendingRequests: string[]; hitIds: string[] };

beforeAll(async () => {
  stack = await startStack({ size: "demo", seed: 2 });
  f = await stack.control<typeof f>("GET", "fixtures");
});
afterAll(() => stack.close());

async function collect<T>(pages: AsyncIterable<T>, pick: (page: T) => string[]) {
  const ids: string[] = [];
  for await (const page of pages) ids.push(...pick(page));
  return ids;
}

/** A connection under test: its query (with $first/$after), where its connection sits, and the truth from the SDK. */
function connections() {
  const typeId = f.typesWithPendingRequests[0] as string;
  const hitWithWork = f.hitIds.find((_, i) => i % 3 === 1) as string;
  const c = { client: stack.client, pageSize: 100 };
  return [
    {
      name: "qualificationRequests",
      query: `query($first: Int, $after: String) { c: qualificationRequests(first: $first, after: $after) { edges { cursor node { qualificationRequestId } } pageInfo { hasNextPage endCursor } } }`,
      at: (d: any) => d.c,
      id: (n: any) => n.qualificationRequestId,
      truth: () =>
        collect(paginateListQualificationRequests(c, {}), (p) =>
          (p.QualificationRequests ?? []).map((r) => r.QualificationRequestId as string),
        ),
    },
    {
      name: "QualificationType.requests",
      query: `query($first: Int, $after: String) { qualificationType(qualificationTypeId: "${typeId}") { c: requests(first: $first, after: $after) { edges { cursor node { qualificationRequestId } } pageInfo { hasNextPage endCursor } } } }`,
      at: (d: any) => d.qualificationType.c,
      id: (n: any) => n.qualificationRequestId,
      truth: () =>
        collect(paginateListQualificationRequests(c, { QualificationTypeId: typeId }), (p) =>
          (p.QualificationRequests ?? []).map((r) => r.QualificationRequestId as string),
        ),
    },
    {
      name: "hits",
      query: `query($first: Int, $after: String) { c: hits(first: $first, after: $after) { edges { cursor node { hitId } } pageInfo { hasNextPage endCursor } } }`,
      at: (d: any) => d.c,
      id: (n: any) => n.hitId,
      truth: () => collect(paginateListHITs(c, {}), (p) => (p.HITs ?? []).map((h) => h.HITId as string)),
    },
    {
      name: "HIT.assignments",
      query: `query($first: Int, $after: String) { hit(hitId: "${hitWithWork}") { c: assignments(first: $first, after: $after) { edges { cursor node { assignmentId } } pageInfo { hasNextPage endCursor } } } }`,
      at: (d: any) => d.hit.c,
      id: (n: any) => n.assignmentId,
      truth: () =>
        collect(paginateListAssignmentsForHIT(c, { HITId: hitWithWork }), (p) =>
          (p.Assignments ?? []).map((a) => a.AssignmentId as string),
        ),
    },
    {
      name: "qualificationTypes",
      query: `query($first: Int, $after: String) { c: qualificationTypes(first: $first, after: $after) { edges { cursor node { qualificationTypeId } } pageInfo { hasNextPage endCursor } } }`,
      at: (d: any) => d.c,
      id: (n: any) => n.qualificationTypeId,
      truth: () =>
        collect(paginateListQualificationTypes(c, { MustBeRequestable: false, MustBeOwnedByCaller: true }), (p) =>
          (p.QualificationTypes ?? []).map((t) => t.QualificationTypeId as string),
        ),
    },
    {
      name: "workerBlocks",
      query: `query($first: Int, $after: String) { c: workerBlocks(first: $first, after: $after) { edges { cursor node { workerId } } pageInfo { hasNextPage endCursor } } }`,
      at: (d: any) => d.c,
      id: (n: any) => n.workerId,
      truth: () =>
        collect(paginateListWorkerBlocks(c, {}), (p) => (p.WorkerBlocks ?? []).map((b) => b.WorkerId as string)),
    },
  ];
}

describe("Relay connections over NextToken", () => {
  it("random page sizes walk each connection, one request per page, seeing every item exactly once", async () => {
    for (const connection of connections()) {
      const truth = await connection.truth();
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 150 }), { minLength: 1, maxLength: 8 }), async (sizes) => {
          const seen: string[] = [];
          let after: string | null = null;
          for (let i = 0; ; i += 1) {
            const first = sizes[i % sizes.length] as number;
            const result = await stack.query(connection.query, { first, after });
            expect(result.errors, connection.name).toBeUndefined();
            const page = connection.at(result.data);
            seen.push(...page.edges.map((e: any) => connection.id(e.node)));
            expect(page.edges.length).toBeLessThanOrEqual(first);
            // hasNextPage is exact: true exactly when items remain.
            expect(page.pageInfo.hasNextPage, connection.name).toBe(seen.length < truth.length);
            if (!page.pageInfo.hasNextPage) break;
            // Any edge's cursor resumes right after it; use a random one of the page now and then.
            after = page.pageInfo.endCursor;
          }
          expect(seen, connection.name).toEqual(truth);
        }),
        { numRuns: 8 },
      );
    }
  });

  it("a cursor from the middle of a page resumes right after its edge, also in a later request", async () => {
    const connection = connections()[0] as ReturnType<typeof connections>[number];
    const truth = await connection.truth();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 60 }),
        fc.nat(),
        fc.integer({ min: 1, max: 40 }),
        async (first, pick, next) => {
          const page = connection.at((await stack.query(connection.query, { first })).data);
          const index = pick % page.edges.length;
          const resumed = connection.at(
            (await stack.query(connection.query, { first: next, after: page.edges[index].cursor })).data,
          );
          expect(resumed.edges.map((e: any) => connection.id(e.node))).toEqual(
            truth.slice(index + 1, index + 1 + next),
          );
        },
      ),
      { numRuns: 25 },
    );
  });

  it("first above 100 pages upstream; first at the exact total says no next page", async () => {
    const total = (await stack.client.send(new ListQualificationRequestsCommand({ MaxResults: 100 }))).NumResults;
    expect(total).toBe(100);
    const { result, calls } = await stack.measured(
      `{ qualificationRequests(first: 250) { edges { node { qualificationRequestId } } pageInfo { hasNextPage } } }`,
    );
    expect((result.data as any).qualificationRequests.edges).toHaveLength(250);
    expect(calls.map((c) => c.operation)).toEqual([
      "ListQualificationRequests",
      "ListQualificationRequests",
      "ListQualificationRequests",
    ]);
    const all = await stack.query(
      `{ qualificationRequests(first: 300) { edges { cursor } pageInfo { hasNextPage } } }`,
    );
    expect((all.data as any).qualificationRequests.pageInfo.hasNextPage).toBe(false);
    const short = await stack.query(`{ qualificationRequests(first: 299) { pageInfo { hasNextPage } } }`);
    expect((short.data as any).qualificationRequests.pageInfo.hasNextPage).toBe(true);
  });

  it("refuses backward paging, oversized pages and forged or foreign cursors with BAD_USER_INPUT", async () => {
    const page = (await stack.query<any>(`{ hits(first: 2) { pageInfo { endCursor } } }`)).data?.hits.pageInfo
      .endCursor;
    const cases: [string, string][] = [
      [`{ hits(last: 5) { edges { cursor } } }`, "last"],
      [`{ hits(first: 5, before: "${page}") { edges { cursor } } }`, "before"],
      [`{ hits(first: 5000) { edges { cursor } } }`, "first"],
      [`{ hits(first: -1) { edges { cursor } } }`, "first"],
      [`{ hits(first: 5, after: "not-a-cursor") { edges { cursor } } }`, "after"],
      [`{ hits(first: 5, after: "${page.slice(0, -3)}abc") { edges { cursor } } }`, "after"],
      [`{ qualificationRequests(first: 5, after: "${page}") { edges { cursor } } }`, "after"],
    ];
    for (const [document, argument] of cases) {
      const result = await stack.query(document);
      expect(result.errors?.[0]?.extensions, document).toMatchObject({ code: "BAD_USER_INPUT", argument });
      expect(JSON.stringify(result)).not.toMatch(/stack|at [A-Za-z]+ \(/);
    }
  });
});
