import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../src/errorCodes.js";
import { type Stack, startStack } from "../support/stack.js";

/** What the gateway answers to a catalog of failing requests: every code is one of the list (src/errorCodes.ts). */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ size: "tiny", seed: 13 });
});
afterAll(() => stack.close());

async function codesOf(body: string, headers: Record<string, string> = {}, method = "POST", query = "") {
  const response = await stack.yoga.fetch(`http://gateway.test/graphql${query}`, {
    method,
    headers: {
      ...(method === "POST" ? { "content-type": "application/json" } : {}),
      accept: "application/json",
      ...headers,
    },
    body: method === "POST" ? body : undefined,
  });
  const json = (await response.json().catch(() => ({}))) as { errors?: { extensions?: { code?: string } }[] };
  return (json.errors ?? []).map((e) => e.extensions?.code);
}
const gql = (query: string, variables: Record<string, unknown> = {}) => JSON.stringify({ query, variables });

describe("the codes the gateway answers with", () => {
  it("are all in the one list", async () => {
    const catalog = {
      "not JSON": await codesOf("{nope"),
      "not GraphQL": await codesOf(gql("{ hits {")),
      "not in the schema": await codesOf(gql("{ nothing }")),
      "a missing HIT": await codesOf(gql(`{ hit(hitId: "3NOSUCHHIT0000000000000000000A") { title } }`)),
      "a forged cursor": await codesOf(gql(`{ hits(first: 1, after: "forged") { edges { node { hitId } } } }`)),
      "last/before": await codesOf(gql(`{ hits(last: 1) { edges { node { hitId } } } }`)),
      "too deep": await codesOf(
        gql(
          `{ ${"hits { edges { node { assignments { edges { node { hit { ".repeat(3)} hitId ${"} } } } } } } ".repeat(3)} }`,
        ),
      ),
      "a GET without the CSRF header": await codesOf("", {}, "GET", "?query=%7B__typename%7D"),
      "a refused mutation, unselected": await codesOf(
        gql(
          `mutation { approveAssignment(input: { assignmentId: "3NOSUCH" }) { ... on ReviewedAssignment { alreadyApplied } } }`,
        ),
      ),
      "a bad global id": await codesOf(gql(`{ node(id: "eA==") { id } }`)),
    };
    const unknown = Object.entries(catalog).filter(
      ([, codes]) => codes.length === 0 || codes.some((c) => !(String(c) in ERROR_CODES)),
    );
    expect(unknown).toEqual([]);
  });
});
