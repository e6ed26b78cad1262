import { request as httpRequest, type IncomingMessage } from "node:http";
import { meros } from "meros/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";

let stack: Stack;
let port: number;

beforeAll(async () => {
  stack = await startStack({ size: "large", seed: 3 });
  ({ port } = await stack.listen());
});
afterAll(() => stack.close());

type Part = {
  /** performance.now() at arrival: the simulator's call log uses the same clock (it runs in this process). */
  at: number;
  body: {
    data?: { hits: { edges: Edge[] } };
    incremental?: { items?: Edge[]; data?: Record<string, unknown>; path: (string | number)[] }[];
    hasNext?: boolean;
    errors?: unknown[];
  };
};
type Edge = { cursor?: string; node: { hitId: string } };

/** POSTs over HTTP and reads the multipart/mixed answer with meros (a multipart reader as urql and Relay use). */
function streamed(query: string): Promise<Part[]> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        path: "/graphql",
        method: "POST",
        headers: { "content-type": "application/json", accept: "multipart/mixed" },
      },
      async (response: IncomingMessage) => {
        const parts: Part[] = [];
        const reader = await meros<Part["body"]>(response);
        if (!(Symbol.asyncIterator in reader))
          return reject(new Error(`not multipart: ${response.headers["content-type"]}`));
        for await (const part of reader) parts.push({ at: performance.now(), body: part.body as Part["body"] });
        resolve(parts);
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify({ query }));
  });
}

/** A cursor without its NextToken: the simulator seals each token anew (random IV), the position is the same. */
const position = (cursor: unknown) => {
  if (typeof cursor !== "string") return cursor;
  const payload = JSON.parse(Buffer.from(cursor.split(".")[0] as string, "base64url").toString()) as {
    p: { t?: unknown };
  };
  payload.p.t = typeof payload.p.t;
  return payload;
};
const comparable = (edges: Edge[]) => edges.map((e) => ({ ...e, cursor: position(e.cursor) }));

const edgesOf = (parts: Part[]) => [
  ...(parts[0]?.body.data?.hits.edges ?? []),
  ...parts.flatMap((p) => (p.body.incremental ?? []).flatMap((i) => i.items ?? [])),
];

describe("edges @stream", () => {
  it("sends the first window's edges after one upstream round trip, the rest as MTurk's pages arrive", async () => {
    const query = `{ hits(first: 1000) { edges @stream(initialCount: 0) { node { hitId } } } }`;
    await streamed(query); // warm-up: the first request of a process compiles its paths
    await stack.control("PUT", "latency", { fixedMs: 50, jitterMs: 0 });
    try {
      stack.simulator.instrumentation.resetCalls();
      const parts = await streamed(query);
      const edges = edgesOf(parts);
      expect(edges).toHaveLength(1000);
      const firstEdges = parts.find((p) => p.body.incremental?.some((i) => i.items?.length)) as Part;
      const last = parts.at(-1) as Part;
      expect(last.body.hasNext).toBe(false);
      // Ten ListHITs windows of 100 at 50 ms: the first edges reach the client before the second window is back.
      const windows = stack.simulator.instrumentation.calls.filter((c) => c.operation === "ListHITs");
      expect(windows).toHaveLength(10);
      expect(firstEdges.at).toBeLessThan((windows[1] as { end: number }).end);
    } finally {
      await stack.control("PUT", "latency", { fixedMs: 0, jitterMs: 0 });
    }
  });

  it("gives the same edges, cursors and pageInfo as the same query without @stream", async () => {
    const selection = `edges { cursor node { hitId } } pageInfo { hasNextPage endCursor startCursor }`;
    const after = (
      (await stack.query(`{ hits(first: 150) { pageInfo { endCursor } } }`)).data as never as {
        hits: { pageInfo: { endCursor: string } };
      }
    ).hits.pageInfo.endCursor;
    for (const args of ["first: 250", `first: 120, after: "${after}"`]) {
      const plain = (await stack.query(`{ hits(${args}) { ${selection} } }`)).data as never as {
        hits: { edges: Edge[]; pageInfo: Record<string, unknown> };
      };
      const parts = await streamed(
        `{ hits(${args}) { edges @stream(initialCount: 2) { cursor node { hitId } } ... @defer { pageInfo { hasNextPage endCursor startCursor } } } }`,
      );
      expect(comparable(edgesOf(parts))).toEqual(comparable(plain.hits.edges));
      const pageInfo = parts.flatMap((p) => p.body.incremental ?? []).find((i) => i.data?.pageInfo)?.data
        ?.pageInfo as Record<string, unknown>;
      const info = (p: Record<string, unknown>) => ({
        ...p,
        endCursor: position(p.endCursor),
        startCursor: position(p.startCursor),
      });
      expect(info(pageInfo)).toEqual(info(plain.hits.pageInfo));
    }
  });

  it("streams nested connections and mapped nodes too, and a forged cursor still fails the field", async () => {
    const parts = await streamed(
      `{ qualificationTypes(first: 2) { edges { node { requests(first: 150) { edges @stream { node { qualificationRequestId } } } } } } }`,
    );
    expect(parts.at(-1)?.body.hasNext).toBe(false);
    expect(parts.flatMap((p) => p.body.errors ?? [])).toEqual([]);
    // reviewableHits maps its listed ids to HITs (mapNodes): streamed edges are mapped as they arrive.
    const plain = (await stack.query(`{ reviewableHits(first: 150) { edges { node { hitId } } } }`)).data as never as {
      reviewableHits: { edges: Edge[] };
    };
    const reviewable = await streamed(`{ reviewableHits(first: 150) { edges @stream { node { hitId } } } }`);
    const items = reviewable.flatMap((p) => (p.body.incremental ?? []).flatMap((i) => i.items ?? []));
    expect(items.map((e) => e.node.hitId)).toEqual(plain.reviewableHits.edges.map((e) => e.node.hitId));
    expect(items.length).toBeGreaterThan(0);
    const forged = await streamed(`{ hits(first: 5, after: "forged") { edges @stream { node { hitId } } } }`);
    expect(JSON.stringify(forged)).toContain("BAD_USER_INPUT");
  });
});
