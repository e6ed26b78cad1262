import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";

/** Every query limit answers QUERY_TOO_COMPLEX, naming the limit (and its setting), before MTurk is called. */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ size: "tiny", seed: 9 });
});
afterAll(() => stack.close());

const nested = (depth: number) => {
  let inner = "hitId";
  for (let i = 0; i < depth; i += 1) inner = `hit { assignments { edges { node { ${inner} } } } }`;
  return `{ hits { edges { node { ${inner} } } } }`;
};

describe("query limits", () => {
  it("depth, aliases, tokens, directives, breadth and complexity: QUERY_TOO_COMPLEX with the limit's name", async () => {
    const documents = {
      depth: nested(4),
      aliases: `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: accountBalance { availableBalance { amount } }`).join(" ")} }`,
      tokens: `{ ${Array.from({ length: 2600 }, (_, i) => `a${i}: __typename`).join(" ")} }`,
      directives: `{ __typename ${Array.from({ length: 21 }, () => "@include(if: true)").join(" ")} }`,
      breadth: `{ hits(first: 1) { edges { node { ${"title ".repeat(301)} } } } }`,
      complexity: `{ hits(first: 1000) { edges { node { assignments(first: 1000) { edges { node { assignmentId } } } } } } }`,
    };
    const answers: Record<string, unknown> = {};
    for (const [limit, query] of Object.entries(documents)) {
      stack.simulator.instrumentation.resetCalls();
      const result = await stack.query(query);
      const error = result.errors?.[0];
      answers[limit] = {
        codes: result.errors?.map((e) => e.extensions?.code),
        named: new RegExp(limit, "i").test(error?.message ?? ""),
        kind: error?.extensions?.kind,
        calls: stack.simulator.instrumentation.calls.length,
      };
    }
    expect(answers).toEqual(
      Object.fromEntries(
        Object.keys(documents).map((limit) => [
          limit,
          { codes: ["QUERY_TOO_COMPLEX"], named: true, kind: limit, calls: 0 },
        ]),
      ),
    );
  });
});
