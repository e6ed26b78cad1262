import { readFileSync } from "node:fs";
import { ApolloClient, gql, HttpLink, InMemoryCache } from "@apollo/client";
import { Defer20220824Handler } from "@apollo/client/incremental";
import { relayStylePagination } from "@apollo/client/utilities";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";

let stack: Stack;
let uri: string;

beforeAll(async () => {
  stack = await startStack({ size: "demo", seed: 1 });
  ({ url: uri } = await stack.listen());
});
afterAll(() => stack.close());

/** docs/clients.md → Apollo Client: the configuration this gateway needs, as given there. */
const possibleTypes = JSON.parse(
  readFileSync(new URL("../../clients/possibleTypes.json", import.meta.url), "utf8"),
) as Record<string, string[]>;
function apollo(options: { possibleTypes?: boolean } = {}) {
  return new ApolloClient({
    link: new HttpLink({ uri }),
    cache: new InMemoryCache({
      possibleTypes: options.possibleTypes === false ? undefined : possibleTypes,
      typePolicies: {
        Query: {
          fields: {
            // Key arguments: those that change the list; first/after/page do not (they are pages of it).
            hits: relayStylePagination(["orderBy", "filter"]),
            qualificationRequests: relayStylePagination(["orderBy", "filter"]),
            qualificationTypes: relayStylePagination(["orderBy"]),
          },
        },
        QualificationType: { fields: { requests: relayStylePagination(["orderBy", "filter"]) } },
        HIT: { fields: { assignments: relayStylePagination(["statuses", "orderBy", "filter"]) } },
      },
    }),
    // @defer and @stream in the format yoga sends (graphql-js 17 alpha 2, deferSpec=20220824).
    incrementalHandler: new Defer20220824Handler(),
  });
}

const EXPIRE = gql`
  mutation Expire($hitId: String!) {
    expireHIT(input: { hitId: $hitId }) {
      ... on HITPayload { hit { id status } }
      ... on MutationError { message }
    }
  }
`;

describe("Apollo Client", () => {
  it("needs possibleTypes for `... on MutationError` (clients/possibleTypes.json, generated from the schema)", async () => {
    const withTypes = await apollo().mutate({
      mutation: EXPIRE,
      variables: { hitId: "NOSUCHHIT00000000000000000000" },
    });
    const result = (withTypes.data as { expireHIT: { __typename: string; message?: string } }).expireHIT;
    expect(result.__typename).toBe("MTurkRequestError");
    expect(result.message).toMatch(/HIT/);
    // Without it Apollo cannot match the interface fragment and drops its fields without a word.
    const without = await apollo({ possibleTypes: false }).mutate({
      mutation: EXPIRE,
      variables: { hitId: "NOSUCHHIT00000000000000000000" },
    });
    expect((without.data as { expireHIT: { message?: string } }).expireHIT.message).toBeUndefined();
  });

  it("merges pages with relayStylePagination (key arguments: orderBy and filter, never first or after)", async () => {
    const client = apollo();
    const HITS = gql`
      query Hits($after: String) { hits(first: 10, after: $after) { edges { cursor node { id hitId } } pageInfo { hasNextPage endCursor } } }
    `;
    const first = await client.query({ query: HITS });
    const { endCursor } = (first.data as { hits: { pageInfo: { endCursor: string } } }).hits.pageInfo;
    const watch = client.watchQuery({ query: HITS });
    const subscription = watch.subscribe(() => {});
    await watch.fetchMore({ variables: { after: endCursor } });
    subscription.unsubscribe();
    const merged = client.readQuery({ query: HITS }) as { hits: { edges: { node: { hitId: string } }[] } };
    expect(merged.hits.edges).toHaveLength(20);
    expect(new Set(merged.hits.edges.map((e) => e.node.hitId)).size).toBe(20);
  });

  it("evicts a decided request from cached lists (the payload's decidedQualificationRequestId)", async () => {
    const client = apollo();
    const PENDING = gql`{ qualificationRequests(first: 5) { edges { node { id qualificationRequestId } } } }`;
    const before = (await client.query({ query: PENDING })).data as {
      qualificationRequests: { edges: { node: { id: string } }[] };
    };
    const decided = before.qualificationRequests.edges[0]?.node.id as string;
    await client.mutate({
      mutation: gql`
        mutation Accept($id: ID!) {
          acceptQualificationRequest(input: { id: $id, integerValue: 1 }) {
            ... on DecidedQualificationRequest { decidedQualificationRequestId }
            ... on MutationError { message }
          }
        }
      `,
      variables: { id: decided },
      update(cache, { data }) {
        const id = (data as { acceptQualificationRequest: { decidedQualificationRequestId?: string } })
          .acceptQualificationRequest.decidedQualificationRequestId;
        if (id) {
          cache.evict({ id: cache.identify({ __typename: "QualificationRequest", id }) });
          cache.gc();
        }
      },
    });
    const after = client.readQuery({ query: PENDING }) as {
      qualificationRequests: { edges: { node: { id: string } }[] };
    };
    expect(after.qualificationRequests.edges.map((e) => e.node.id)).not.toContain(decided);
    expect(after.qualificationRequests.edges).toHaveLength(4);
  });

  it("receives @defer and edges @stream incrementally", async () => {
    await stack.control("PUT", "latency", { fixedMs: 30, jitterMs: 0 });
    try {
      const watch = apollo().watchQuery({
        query: gql`
          query Streamed {
            hits(first: 120) {
              edges @stream(initialCount: 0) { node { id hitId } }
              ... @defer { totalCount }
            }
          }
        `,
      });
      const seen: { edges: number; totalCount?: number; state: string }[] = [];
      let subscription: { unsubscribe(): void } | undefined;
      await new Promise<void>((resolve, reject) => {
        subscription = watch.subscribe({
          next: (result) => {
            const hits = (result.data as { hits?: { edges: unknown[]; totalCount?: number } } | undefined)?.hits;
            if (hits) seen.push({ edges: hits.edges.length, totalCount: hits.totalCount, state: result.dataState });
            // Apollo may say "complete" when the @defer fragments are in, before the last streamed items.
            if (result.dataState === "complete" && hits?.edges.length === 120) resolve();
          },
          error: reject,
        });
      });
      subscription?.unsubscribe();
      expect(seen.at(-1)).toEqual({ edges: 120, totalCount: 120, state: "complete" });
      expect(seen.some((s) => s.state === "streaming" && s.edges < 120)).toBe(true);
    } finally {
      await stack.control("PUT", "latency", { fixedMs: 0, jitterMs: 0 });
    }
  });
});
