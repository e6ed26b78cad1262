/**
 * Issue 13's figures for `npm run bench`: compression (CPU per response and bytes, without and with it).
 */

import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import zlib from "node:zlib";
import { getIntrospectionQuery } from "graphql";
import { loadConfig } from "../src/config.js";
import { createGateway } from "../src/gateway.js";
import { benchClient, simulatorProcess } from "./simulatorProcess.js";

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
};

/**
 * The gateway over HTTP on a port, the simulator in a process of its own (its CPU is not the gateway's, and its
 * latency is MTurk's): what a client of a deployed gateway sees.
 */
export async function remoteGateway(size: string) {
  const { url: simulator, control, stop } = await simulatorProcess(size);
  const client = benchClient(simulator);
  const yoga = createGateway({ config: loadConfig({ MTURK_ENDPOINT: simulator, LOG_LEVEL: "silent" }), client });
  const server = createServer(yoga);
  const port = await listen(server);
  return {
    port,
    latency: (fixedMs: number) => control("PUT", "latency", { fixedMs, jitterMs: 0 }),
    close: () => {
      server.close();
      client.destroy();
      stop();
    },
  };
}

/** One raw POST (no decompression on the client side): the bytes on the wire. */
function post(port: number, body: string, encoding: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (encoding) headers["accept-encoding"] = encoding;
    const req = httpRequest({ host: "127.0.0.1", port, path: "/graphql", method: "POST", headers }, (response) => {
      let bytes = 0;
      response.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
      });
      response.on("end", () => resolve(bytes));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const RESPONSES = {
  "hits(first: 100), 10 fields": `{ hits(first: 100) { edges { cursor node { id hitId title description keywords status reward { formatted } creationTime expiration } } } }`,
  "introspection (GraphiQL's)": getIntrospectionQuery({ schemaDescription: true, specifiedByUrl: true }),
  "hits(first: 5) { hitId }": `{ hits(first: 5) { edges { node { hitId } } } }`,
};

/**
 * CPU of the whole process (gateway and client) per response, sequential requests over loopback, so that the
 * difference between rows is what compression costs; plus what zlib alone takes at brotli's default quality 11.
 */
export async function compression(rounds = 5, perRound = 100) {
  const runs = rounds * perRound;
  console.log(
    `\n## Compression (demo seed, simulator in its own process, loopback HTTP, ${runs} sequential requests per row in interleaved rounds; CPU of the gateway's process, client included)`,
  );
  console.log("| response | Accept-Encoding | bytes on the wire | CPU per response |");
  console.log("|---|---|---|---|");
  const gateway = await remoteGateway("demo");
  const encodings = [undefined, "gzip", "br"] as const;
  for (const [name, query] of Object.entries(RESPONSES)) {
    const body = JSON.stringify({ query });
    const cpu = new Map<string | undefined, number>();
    const bytes = new Map<string | undefined, number>();
    for (const encoding of encodings) for (let i = 0; i < 20; i += 1) await post(gateway.port, body, encoding);
    // Rounds interleave the encodings, so that a GC pause or a neighbour's load does not land on one row only.
    for (let round = 0; round < rounds; round += 1)
      for (const encoding of encodings) {
        const before = process.cpuUsage();
        for (let i = 0; i < perRound; i += 1) bytes.set(encoding, await post(gateway.port, body, encoding));
        const used = process.cpuUsage(before);
        cpu.set(encoding, (cpu.get(encoding) ?? 0) + used.user + used.system);
      }
    for (const encoding of encodings)
      console.log(
        `| ${name} | ${encoding ?? "none"} | ${(bytes.get(encoding) ?? 0).toLocaleString("en")} | ${((cpu.get(encoding) ?? 0) / runs / 1000).toFixed(2)} ms |`,
      );
  }
  // Brotli's default quality (what a CompressionStream or a default brotliCompress uses), zlib alone.
  const first = await fetch(`http://127.0.0.1:${gateway.port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: Object.values(RESPONSES)[0] }),
  });
  const sample = Buffer.from(await first.text());
  gateway.close();
  const timed = (compress: () => Buffer) => {
    const start = process.cpuUsage();
    let size = 0;
    for (let i = 0; i < 20; i += 1) size = compress().length;
    const used = process.cpuUsage(start);
    return `${size.toLocaleString("en")} bytes in ${((used.user + used.system) / 20 / 1000).toFixed(2)} ms`;
  };
  console.log(
    `zlib alone on the first response (${sample.length.toLocaleString("en")} bytes): gzip 6 ${timed(() => zlib.gzipSync(sample, { level: 6 }))}; brotli 4 ${timed(() => zlib.brotliCompressSync(sample, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } }))}; brotli 11 (its default, what CompressionStream uses) ${timed(() => zlib.brotliCompressSync(sample))}`,
  );
}

/** GET with a browser's Accept-Encoding; resolves with the bytes the server wrote for it (headers included). */
function get(port: number, path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; bytes: number; body: string; etag?: string }>((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, path, headers: { "accept-encoding": "gzip, deflate, br", ...headers }, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const raw = Buffer.concat(chunks);
          const encoding = response.headers["content-encoding"];
          const text =
            encoding === "br" ? zlib.brotliDecompressSync(raw) : encoding === "gzip" ? zlib.gunzipSync(raw) : raw;
          // Status line and headers as sent, plus the body: what crossed the wire.
          const head = response.rawHeaders.reduce((sum, h) => sum + h.length + 2, 0) + 20;
          resolve({
            status: response.statusCode ?? 0,
            bytes: head + raw.length,
            body: text.toString(),
            etag: response.headers.etag,
          });
        });
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/**
 * GraphiQL's bytes on the wire without a browser: the page, every asset it names (Monaco's workers and favicon
 * included) and GraphiQL's introspection, first with an empty cache, then as a reload (the page revalidated,
 * the immutable assets from the cache, introspection again). test/e2e/graphiql.test.ts measures it in Chromium.
 */
export async function graphiqlBytes() {
  console.log("\n## GraphiQL on the wire (Accept-Encoding: gzip, deflate, br)");
  const gateway = await remoteGateway("tiny");
  const page = await get(gateway.port, "/graphql", { accept: "text/html" });
  const start = await get(
    gateway.port,
    (/src="(\/graphiql\/start[^"]+)"/.exec(page.body) as RegExpExecArray)[1] as string,
    {},
  );
  const names = [...`${page.body}${start.body}`.matchAll(/(\/graphiql\/[\w.-]+)/g)].map((m) => m[1] as string);
  let assets = 0;
  for (const name of new Set(names)) assets += (await get(gateway.port, name, {})).bytes;
  const introspection = await post(
    gateway.port,
    JSON.stringify({ query: getIntrospectionQuery({ schemaDescription: true }) }),
    "gzip, deflate, br",
  );
  const revalidated = await get(gateway.port, "/graphql", {
    accept: "text/html",
    "if-none-match": page.etag as string,
  });
  console.log(
    `page ${page.body.length.toLocaleString("en")} bytes uncompressed, ${page.bytes.toLocaleString("en")} on the wire; ${new Set(names).size} assets ${assets.toLocaleString("en")}; introspection ${introspection.toLocaleString("en")} (body)`,
  );
  console.log(`first load: ${(page.bytes + assets + introspection).toLocaleString("en")} bytes (limit 2,500,000)`);
  console.log(
    `reload: ${(revalidated.bytes + introspection).toLocaleString("en")} bytes (page ${revalidated.status}, assets cached as immutable; limit 50,000)`,
  );
  gateway.close();
}

/** Milliseconds from sending a query to the first streamed edge and to the end, over HTTP (multipart/mixed). */
function timeStreamed(port: number, query: string) {
  return new Promise<{ firstEdge: number; done: number; edges: number }>((resolve, reject) => {
    const started = performance.now();
    let firstEdge = 0;
    let text = "";
    const headers = { "content-type": "application/json", accept: "multipart/mixed" };
    const req = httpRequest({ host: "127.0.0.1", port, path: "/graphql", method: "POST", headers }, (response) => {
      response.on("data", (chunk: Buffer) => {
        text += chunk.toString();
        if (!firstEdge && /"items":\[\{/.test(text)) firstEdge = performance.now() - started;
      });
      response.on("end", () =>
        resolve({ firstEdge, done: performance.now() - started, edges: (text.match(/"hitId"/g) ?? []).length }),
      );
    });
    req.on("error", reject);
    req.end(JSON.stringify({ query }));
  });
}

/** Issue 13's figure: `hits(first: 1000)` at 50 ms per MTurk call, with `edges @stream` and without. */
export async function streamedEdges(runs = 5) {
  console.log(`\n## edges @stream (large seed, 50 ms per MTurk call, simulator in its own process, median of ${runs})`);
  const gateway = await remoteGateway("large");
  const streamed = `{ hits(first: 1000) { edges @stream(initialCount: 0) { node { hitId title } } } }`;
  const plain = `{ hits(first: 1000) { edges { node { hitId title } } } }`;
  for (let i = 0; i < 3; i += 1) await timeStreamed(gateway.port, streamed); // warm-up
  await gateway.latency(50);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const first: number[] = [];
  const done: number[] = [];
  const whole: number[] = [];
  let edges = 0;
  for (let i = 0; i < runs; i += 1) {
    const s = await timeStreamed(gateway.port, streamed);
    first.push(s.firstEdge);
    done.push(s.done);
    edges = s.edges;
    const start = performance.now();
    await post(gateway.port, JSON.stringify({ query: plain }), undefined);
    whole.push(performance.now() - start);
  }
  console.log(`| | first edge | all ${edges} edges |`);
  console.log("|---|---|---|");
  console.log(`| edges @stream(initialCount: 0) | ${median(first).toFixed(0)} ms | ${median(done).toFixed(0)} ms |`);
  console.log(`| without @stream (one response) | ${median(whole).toFixed(0)} ms | ${median(whole).toFixed(0)} ms |`);
  console.log(
    "10 ListHITs windows of 100 in sequence (each NextToken needs the page before): the floor is 10 × 50 ms.",
  );
  gateway.close();
}
