import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../src/security/auth.js";
import { type Stack, startStack } from "../support/stack.js";
import { HIT_CHANGED, sse } from "./support.js";

/**
 * A subscription sent with an Accept that no subscription transport serves (plain JSON, multipart) is answered 406
 * by yoga after the subscription was admitted: it must not keep its place under MAX_SUBSCRIPTIONS_PER_PRINCIPAL.
 */
const URL = "http://gateway.test/graphql";

describe("subscriptions refused for their Accept header", () => {
  let stack: Stack;
  const key = "leak-reader-key-0123456789";
  beforeAll(async () => {
    stack = await startStack({
      env: {
        SUBSCRIPTION_POLL_MS: "60000",
        MAX_SUBSCRIPTIONS_PER_PRINCIPAL: "2",
        AUTH_API_KEYS: JSON.stringify([{ name: "reader", sha256: hashApiKey(key), scopes: ["read"] }]),
      },
    });
  });
  afterAll(() => stack.close());

  it("do not use up the principal's subscriptions", async () => {
    for (const accept of ["application/json", "multipart/mixed", "application/graphql-response+json"]) {
      const response = await stack.yoga.fetch(URL, {
        method: "POST",
        headers: { "content-type": "application/json", accept, "x-api-key": key },
        body: JSON.stringify({ query: HIT_CHANGED, variables: { h: "3ABC" } }),
      });
      expect(response.status).toBe(406);
      await response.body?.cancel();
    }
    const stream = sse((u, i) => stack.yoga.fetch(u, i), URL, HIT_CHANGED, { h: "3ABC" }, { "x-api-key": key });
    await new Promise((r) => setTimeout(r, 300));
    expect(stream.events.filter((e) => e.data.errors)).toEqual([]);
    expect(stream.status).toBe(200);
    await stream.close();
  });
});
