import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";
import { ERRORS, hitWithSubmissions, runOk } from "../support/work.js";

/** One cache per entity: a write in a document is seen by every later field of the same document. */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ size: "tiny", seed: 31 });
});
afterAll(() => stack.close());

describe("reads after writes in one request", () => {
  it("two updateExpirationForHIT in one document: the second payload shows the second date", async () => {
    const { hitId } = await hitWithSubmissions(stack, 0, "coherence-hit");
    const day = 86_400_000;
    const first = new Date(Date.now() + 200 * day).toISOString();
    const second = new Date(Date.now() + 300 * day).toISOString();
    const data = await runOk(
      stack,
      `mutation($h: String!, $a: DateTime!, $b: DateTime!) {
        a: updateExpirationForHIT(input: { hitId: $h, expireAt: $a }) { ... on HITPayload { hit { expiration } } ${ERRORS} }
        b: updateExpirationForHIT(input: { hitId: $h, expireAt: $b }) { ... on HITPayload { hit { expiration } } ${ERRORS} }
      }`,
      { h: hitId, a: first, b: second },
    );
    // MTurk keeps an expiration to the second.
    const toSecond = (iso: string) => `${iso.slice(0, 19)}.000Z`;
    expect(data.a.hit.expiration).toBe(toSecond(first));
    expect(data.b.hit.expiration).toBe(toSecond(second));
  });
});
