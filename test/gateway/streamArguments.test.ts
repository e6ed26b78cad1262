import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";

/** @stream's arguments are the client's input: a negative initialCount is refused before anything runs. */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ size: "tiny", seed: 5 });
});
afterAll(() => stack.close());

async function post(query: string, variables: Record<string, unknown> = {}) {
  const response = await stack.yoga.fetch("http://gateway.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "multipart/mixed, application/json" },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, type: response.headers.get("content-type") ?? "", text: await response.text() };
}

describe("@stream(initialCount:)", () => {
  it("is BAD_USER_INPUT when negative, as a literal or a variable, and MTurk is not called", async () => {
    for (const [query, variables] of [
      ["{ hits(first: 3) { edges @stream(initialCount: -1) { node { hitId } } } }", {}],
      ["query($n: Int!) { hits(first: 3) { edges @stream(initialCount: $n) { node { hitId } } } }", { n: -5 }],
      [
        "query($n: Int!) { hits(first: 3) { ...F } } fragment F on QueryHitsConnection { edges @stream(initialCount: $n) { node { hitId } } }",
        { n: -1 },
      ],
    ] as const) {
      stack.simulator.instrumentation.resetCalls();
      const answer = await post(query, variables);
      const body = JSON.parse(answer.text);
      expect(
        body.errors?.map((e: any) => e.extensions?.code),
        answer.text,
      ).toEqual(["BAD_USER_INPUT"]);
      expect(body.errors[0].message).toMatch(/initialCount/);
      expect(stack.simulator.instrumentation.calls).toEqual([]);
    }
  });

  it("streams as before when it is 0 or more", async () => {
    const answer = await post("{ hits(first: 3) { edges @stream(initialCount: 1) { node { hitId } } } }");
    expect(answer.type).toMatch(/multipart\/mixed/);
    expect(answer.text).not.toMatch(/errors/);
  });
});
