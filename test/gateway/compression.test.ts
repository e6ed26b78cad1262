import { request as httpRequest, type IncomingMessage } from "node:http";
import { brotliDecompressSync, constants, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { negotiate } from "../../src/http/compression.js";
import { type Stack, startStack } from "../support/stack.js";

let stack: Stack;
let port: number;

beforeAll(async () => {
  stack = await startStack({ size: "demo", seed: 1 });
  ({ port } = await stack.listen());
});
afterAll(() => stack.close());

/** A raw HTTP exchange (fetch would decompress and hide what was on the wire). */
function post(body: unknown, headers: Record<string, string>) {
  return new Promise<{ response: IncomingMessage; bytes: Buffer; chunks: { at: number; bytes: Buffer }[] }>(
    (resolve, reject) => {
      const started = performance.now();
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port,
          path: "/graphql",
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
        },
        (response) => {
          const chunks: { at: number; bytes: Buffer }[] = [];
          response.on("data", (chunk: Buffer) => chunks.push({ at: performance.now() - started, bytes: chunk }));
          response.on("end", () => resolve({ response, bytes: Buffer.concat(chunks.map((c) => c.bytes)), chunks }));
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify(body));
    },
  );
}

const hits = {
  query: "{ hits(first: 100) { edges { cursor node { id hitId title description reward { formatted } } } } }",
};

describe("compression", () => {
  it("negotiates br over gzip, honours q=0 and *", () => {
    expect(negotiate("gzip, deflate, br")).toBe("br");
    expect(negotiate("gzip, br;q=0")).toBe("gzip");
    expect(negotiate("identity")).toBeUndefined();
    expect(negotiate("*")).toBe("br");
    expect(negotiate(null)).toBeUndefined();
  });

  it("compresses JSON with gzip or br, and says so in Vary", async () => {
    const plain = await post(hits, {});
    expect(plain.response.headers["content-encoding"]).toBeUndefined();
    for (const [encoding, decode] of [
      ["gzip", gunzipSync],
      ["br", brotliDecompressSync],
    ] as const) {
      const { response, bytes } = await post(hits, { "accept-encoding": encoding });
      expect(response.headers["content-encoding"]).toBe(encoding);
      expect(response.headers.vary).toMatch(/Accept-Encoding/i);
      expect(bytes.length).toBeLessThan(plain.bytes.length / 3);
      expect(Number(response.headers["content-length"])).toBe(bytes.length);
      expect(JSON.parse(decode(bytes).toString()).data.hits.edges).toHaveLength(100);
    }
  });

  it("leaves small bodies alone", async () => {
    const { response } = await post(
      { query: "{ hits(first: 1) { edges { node { hitId } } } }" },
      { "accept-encoding": "gzip" },
    );
    expect(response.headers["content-encoding"]).toBeUndefined();
  });

  it("compresses streamed (@stream) responses part by part: each part is readable when it arrives", async () => {
    await stack.control("PUT", "latency", { fixedMs: 100, jitterMs: 0 });
    try {
      const { response, bytes, chunks } = await post(
        { query: "{ hits(first: 120) { edges @stream(initialCount: 0) { node { hitId title } } } }" },
        { "accept-encoding": "gzip", accept: "multipart/mixed" },
      );
      expect(response.headers["content-encoding"]).toBe("gzip");
      const text = gunzipSync(bytes).toString();
      expect(text.match(/"hitId"/g)).toHaveLength(120);
      // A sync flush after each part: the first chunk alone decompresses to the first part.
      const first = gunzipSync(chunks[0]?.bytes as Buffer, { finishFlush: constants.Z_SYNC_FLUSH }).toString();
      expect(first).toContain('"hasNext":true');
    } finally {
      await stack.control("PUT", "latency", { fixedMs: 0, jitterMs: 0 });
    }
  });
});
