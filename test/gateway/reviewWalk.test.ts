import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";

/**
 * Review queues lose items while they are walked: a decided request leaves the pending list. A cursor must resume
 * after the last item returned, whatever left the list in between (issue: the 4th to 6th requests were skipped).
 */
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ size: "demo", seed: 4 });
});
afterAll(() => stack.close());

const typeRequests = `query($t: String!, $first: Int, $after: String) {
  qualificationType(qualificationTypeId: $t) {
    requests(first: $first, after: $after) { edges { cursor node { id qualificationRequestId } } pageInfo { hasNextPage endCursor } }
  }
}`;

async function pending(typeId: string): Promise<string[]> {
  const r = await stack.query<any>(
    `query($t: String!) { qualificationType(qualificationTypeId: $t) { requests(first: 1000) { edges { node { qualificationRequestId } } } } }`,
    { t: typeId },
  );
  return r.data.qualificationType.requests.edges.map((e: any) => e.node.qualificationRequestId);
}

const accept = (ids: string[]) =>
  stack.query<any>(
    `mutation($items: [AcceptQualificationRequestInput!]!) { acceptQualificationRequests(input: { items: $items }) { ... on QualificationRequestDecisionsPayload { succeeded failed } } }`,
    { items: ids.map((id) => ({ id })) },
  );

describe("a review walk that decides what it was shown", () => {
  it("the first pages of many types, three accepted, then endCursor: the 4th to 6th requests come next", async () => {
    const listed = await stack.query<any>(
      `{ qualificationTypes(first: 10) { edges { node { qualificationTypeId requests(first: 3) { edges { node { id qualificationRequestId } } pageInfo { endCursor } } } } } }`,
    );
    expect(listed.errors).toBeUndefined();
    const type = listed.data.qualificationTypes.edges
      .map((e: any) => e.node)
      .find((t: any) => t.requests.edges.length === 3);
    const before = await pending(type.qualificationTypeId);
    expect(before.length).toBeGreaterThanOrEqual(9);
    expect(type.requests.edges.map((e: any) => e.node.qualificationRequestId)).toEqual(before.slice(0, 3));

    const decided = await accept(type.requests.edges.map((e: any) => e.node.id));
    expect(decided.data.acceptQualificationRequests).toEqual({ succeeded: 3, failed: 0 });

    const next = await stack.query<any>(typeRequests, {
      t: type.qualificationTypeId,
      first: 3,
      after: type.requests.pageInfo.endCursor,
    });
    expect(next.errors).toBeUndefined();
    expect(next.data.qualificationType.requests.edges.map((e: any) => e.node.qualificationRequestId)).toEqual(
      before.slice(3, 6),
    );
  });

  it("a mid-page edge cursor resumes right after its edge when the edges before it were decided", async () => {
    const fixtures = await stack.control<{ typesWithPendingRequests: string[] }>("GET", "fixtures");
    const typeId = fixtures.typesWithPendingRequests.at(-1) as string;
    const before = await pending(typeId);
    expect(before.length).toBeGreaterThanOrEqual(6);
    const page = (await stack.query<any>(typeRequests, { t: typeId, first: 5 })).data.qualificationType.requests;
    // Decide the first two edges; resume after the second.
    await accept(page.edges.slice(0, 2).map((e: any) => e.node.id));
    const resumed = await stack.query<any>(typeRequests, { t: typeId, first: 3, after: page.edges[1].cursor });
    expect(resumed.data.qualificationType.requests.edges.map((e: any) => e.node.qualificationRequestId)).toEqual(
      before.slice(2, 5),
    );
  });

  it("the last page says no next page, and its endCursor gives an empty page", async () => {
    const fixtures = await stack.control<{ typesWithPendingRequests: string[] }>("GET", "fixtures");
    const typeId = fixtures.typesWithPendingRequests[1] as string;
    const all = await pending(typeId);
    const last = (await stack.query<any>(typeRequests, { t: typeId, first: all.length })).data.qualificationType
      .requests;
    expect(last.pageInfo.hasNextPage).toBe(false);
    const after = await stack.query<any>(typeRequests, { t: typeId, first: 5, after: last.pageInfo.endCursor });
    expect(after.errors).toBeUndefined();
    expect(after.data.qualificationType.requests).toMatchObject({ edges: [], pageInfo: { hasNextPage: false } });
  });

  it("a sorted walk resumes after its last item: decided items leaving the snapshot shift nothing", async () => {
    const sorted = `query($first: Int, $after: String) { qualificationRequests(orderBy: { field: SUBMIT_TIME, direction: DESC }, first: $first, after: $after) { edges { node { id qualificationRequestId } } pageInfo { endCursor } } }`;
    const all = (await stack.query<any>(sorted, { first: 1000 })).data.qualificationRequests.edges.map(
      (e: any) => e.node.qualificationRequestId,
    );
    const first = (await stack.query<any>(sorted, { first: 3 })).data.qualificationRequests;
    await accept(first.edges.map((e: any) => e.node.id));
    const next = await stack.query<any>(sorted, { first: 3, after: first.pageInfo.endCursor });
    expect(next.data.qualificationRequests.edges.map((e: any) => e.node.qualificationRequestId)).toEqual(
      all.slice(3, 6),
    );
  });

  it("a cursor does not depend on the selection: with or without totalCount, the same cursor works", async () => {
    const fixtures = await stack.control<{ typesWithPendingRequests: string[] }>("GET", "fixtures");
    const t = fixtures.typesWithPendingRequests[2] as string;
    const doc = (total: string) =>
      `query($t: String!, $after: String) { qualificationType(qualificationTypeId: $t) { requests(first: 2, after: $after) { ${total} edges { node { qualificationRequestId } } pageInfo { endCursor } } } }`;
    const [plain, withTotal, skipped] = ["", "totalCount", "totalCount @include(if: false)"].map(doc);
    const a = (await stack.query<any>(withTotal as string, { t })).data.qualificationType.requests;
    const b = (await stack.query<any>(plain as string, { t })).data.qualificationType.requests;
    const c = (await stack.query<any>(skipped as string, { t })).data.qualificationType.requests;
    expect(a.pageInfo.endCursor).toBe(b.pageInfo.endCursor);
    expect(c.pageInfo.endCursor).toBe(b.pageInfo.endCursor);
    const fromA = await stack.query<any>(plain as string, { t, after: a.pageInfo.endCursor });
    const fromB = await stack.query<any>(withTotal as string, { t, after: b.pageInfo.endCursor });
    expect(fromA.errors).toBeUndefined();
    expect(fromB.errors).toBeUndefined();
    expect(fromA.data.qualificationType.requests.edges).toEqual(fromB.data.qualificationType.requests.edges);
  });
});
