import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";

/**
 * MTurk's rate budget shared fairly, through the production budget path (createUpstreamBudget, as npm start builds
 * it): calls nobody waits for any more take no token, and are never sent.
 */
const unknownHitIds = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => Buffer.from(`HIT:3NOSUCH${tag}${String(i).padStart(6, "0")}`).toString("base64"));
const NODES = `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`;
const BALANCE = `{ accountBalance { availableBalance { formatted } } }`;

/** A counter's value in the /metrics text (0 when absent). */
const counter = (text: string, name: string) => Number(new RegExp(`^${name} (\\d+)`, "m").exec(text)?.[1] ?? 0);

/** Posts a query through yoga.fetch that its client abandons after `ms`. */
async function abandoned(stack: Stack, document: string, variables: Record<string, unknown>, ms: number) {
  const controller = new AbortController();
  const response = Promise.resolve(
    stack.yoga.fetch("http://gateway.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query: document, variables }),
      signal: controller.signal,
    }),
  ).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, ms));
  controller.abort();
  await response;
}

describe("cancellation through the production budget path", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ size: "demo", seed: 61, env: { MTURK_RATE_PER_SECOND: "5", MTURK_RATE_BURST: "1" } });
  });
  afterAll(() => stack.close());

  it("an aborted request's queued calls take no token and are never sent", async () => {
    stack.simulator.instrumentation.resetCalls();
    const before = counter(await stack.metrics(), "gateway_rate_budget_local_takes_total");
    await abandoned(stack, NODES, { ids: unknownHitIds(20, "ABORT") }, 100);
    const victim = await stack.query(BALANCE);
    expect(victim.errors).toBeUndefined();
    const sent = stack.simulator.instrumentation.calls;
    const aborted = sent.filter((c) => c.operation === "GetHIT").length;
    // The burst's token and the one refilled while it waited: the rest were queued when the client left.
    expect(aborted).toBeLessThanOrEqual(2);
    const takes = counter(await stack.metrics(), "gateway_rate_budget_local_takes_total") - before;
    expect(takes).toBe(sent.length);
  });
});
