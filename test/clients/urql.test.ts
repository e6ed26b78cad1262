import { readFileSync } from "node:fs";
import { Client, fetchExchange, gql } from "@urql/core";
import { cacheExchange } from "@urql/exchange-graphcache";
import { relayPagination } from "@urql/exchange-graphcache/extras";
import { buildSchema, introspectionFromSchema } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";

let stack: Stack;
let url: string;

beforeAll(async () => {
  stack = await startStack({ size: "demo", seed: 1 });
  ({ url } = await stack.listen());
});
afterAll(() => stack.close());

const HITS = gql`
  query Hits($after: String) { hits(first: 10, after: $after) { edges { cursor node { id hitId } } pageInfo { hasNextPage endCursor } } }
`;
type Hits = { hits: { edges: { node: { hitId: string } }[]; pageInfo: { endCursor: string } } };

describe("urql", () => {
  it("urql's default GET is refused by CSRF prevention (403)", async () => {
    const client = new Client({ url, exchanges: [fetchExchange] });
    const result = await client.query(HITS, {}).toPromise();
    expect(result.error?.response?.status).toBe(403);
  });

  it("works with POST (preferGetMethod: false) or with GET and the x-graphql-csrf header", async () => {
    for (const client of [
      new Client({ url, exchanges: [fetchExchange], preferGetMethod: false }),
      new Client({ url, exchanges: [fetchExchange], fetchOptions: { headers: { "x-graphql-csrf": "1" } } }),
    ]) {
      const result = await client.query(HITS, {}).toPromise();
      expect(result.error).toBeUndefined();
      expect((result.data as Hits).hits.edges).toHaveLength(10);
    }
  });

  it("graphcache: embedded types from clients/embeddedTypes.json, the schema for interfaces, relayPagination", async () => {
    const sdl = readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8");
    const embedded = JSON.parse(readFileSync(new URL("../../clients/embeddedTypes.json", import.meta.url), "utf8"));
    const warnings: unknown[] = [];
    const client = new Client({
      url,
      preferGetMethod: false,
      exchanges: [
        cacheExchange({
          schema: introspectionFromSchema(buildSchema(sdl)),
          keys: Object.fromEntries((embedded as string[]).map((type) => [type, () => null])),
          resolvers: { Query: { hits: relayPagination() } },
          logger: (level, message) => {
            if (level === "warn" || level === "error") warnings.push(message);
          },
        }),
        fetchExchange,
      ],
    });
    const first = await client.query(HITS, {}).toPromise();
    const endCursor = (first.data as Hits).hits.pageInfo.endCursor;
    const second = await client.query(HITS, { after: endCursor }).toPromise();
    // relayPagination merges the pages of one list (first/after are its pages, not other lists).
    expect((second.data as Hits).hits.edges).toHaveLength(20);
    const failed = await client
      .mutation(
        gql`mutation Expire($hitId: String!) { expireHIT(input: { hitId: $hitId }) { ... on HITPayload { hit { id status } } ... on MutationError { message } } }`,
        { hitId: "NOSUCHHIT00000000000000000000" },
      )
      .toPromise();
    expect((failed.data as { expireHIT: { message?: string } }).expireHIT.message).toMatch(/HIT/);
    expect(warnings).toEqual([]);
  });
});
