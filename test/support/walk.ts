import fc from "fast-check";
import { expect } from "vitest";
import { PAGING_MODES } from "../../src/simulator/switches.js";
import type { Stack } from "./stack.js";

/** The switches that model what is unknown about MTurk's listings: token model, a token on the last page, lag. */
export const listingSwitches = fc.record({
  paging: fc.constantFrom(...PAGING_MODES),
  tokenOnLastPage: fc.boolean(),
  listLagSeconds: fc.constantFrom(0, 60),
});

export interface WalkStep {
  first: number;
  /** Where the client stops reading the page: its cursor there is the next page's `after`. */
  midPage?: number;
}
export interface Edge<N> {
  cursor: string;
  node: N;
}

/**
 * A Relay walk through the gateway as a client does it: pages of random sizes, resumed from the last edge read
 * (mid-page at times). `between` runs after each page with the edges read (the step's changes to the listing).
 * Returns the nodes read, in order.
 */
export async function walkConnection<S extends WalkStep, N>(
  stack: Stack,
  document: string,
  variables: Record<string, unknown>,
  at: (data: any) => { edges: Edge<N>[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } },
  steps: S[],
  between: (step: S, taken: Edge<N>[], index: number) => Promise<void>,
): Promise<N[]> {
  const seen: N[] = [];
  let after: string | null = null;
  for (let s = 0; s < 400; s += 1) {
    const st = steps[s % steps.length] as S;
    const result: { data?: any; errors?: unknown } = await stack.query<any>(document, {
      ...variables,
      first: st.first,
      after,
    });
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    const page = at(result.data);
    const edges = page.edges;
    const cut = st.midPage !== undefined && edges.length ? st.midPage % edges.length : edges.length - 1;
    const taken = edges.slice(0, cut + 1);
    seen.push(...taken.map((e) => e.node));
    await between(st, taken, s);
    if (!edges.length) return seen;
    if (cut === edges.length - 1 && !page.pageInfo.hasNextPage) return seen;
    after = cut === edges.length - 1 ? page.pageInfo.endCursor : (edges[cut] as Edge<N>).cursor;
  }
  throw new Error("the walk did not end");
}
