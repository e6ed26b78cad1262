import { promisify } from "node:util";
import zlib from "node:zlib";
import type { Plugin } from "graphql-yoga";

/**
 * Levels chosen by CPU per response (bench/run.ts, "Compression"): gzip at zlib's default 6, brotli at 4. Brotli's
 * own default (11, what CompressionStream uses) costs about 100 times gzip's CPU for a few per cent less; at 4 it
 * costs no more than gzip 6 and is still smaller.
 */
const GZIP_LEVEL = 6;
const BROTLI_QUALITY = 4;
/** Below this a body gains nothing worth the header and the CPU (a gzip frame alone is 20 bytes). */
const MIN_BYTES = 1024;

export type Encoding = "br" | "gzip";

const gzip = promisify(zlib.gzip);
const brotli = promisify(zlib.brotliCompress);

/** Compresses bytes with the gateway's levels (also used to precompress GraphiQL's assets at other levels). */
function compress(body: Uint8Array, encoding: Encoding, level?: number): Promise<Buffer> {
  return encoding === "br"
    ? brotli(body, {
        params: {
          [zlib.constants.BROTLI_PARAM_QUALITY]: level ?? BROTLI_QUALITY,
          [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength,
        },
      })
    : gzip(body, { level: level ?? GZIP_LEVEL });
}

/**
 * The encoding to answer with: br when the client accepts it, else gzip, else none. q=0 refuses an encoding;
 * `*` accepts both.
 */
export function negotiate(acceptEncoding: string | null): Encoding | undefined {
  if (!acceptEncoding) return undefined;
  const accepted = new Map<string, number>();
  for (const part of acceptEncoding.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    if (name) accepted.set(name, q === undefined ? 1 : Number(q));
  }
  const ok = (name: Encoding) => (accepted.get(name) ?? accepted.get("*") ?? 0) > 0;
  return ok("br") ? "br" : ok("gzip") ? "gzip" : undefined;
}

/** Text formats worth compressing; images and already compressed formats are not. */
const COMPRESSIBLE = /^(application\/(json|graphql-response\+json|javascript)|text\/|multipart\/mixed|image\/svg)/;
/**
 * Bodies that arrive in parts (@defer/@stream, subscriptions, exports): each part must reach the client when it is
 * sent, and an export must never be held whole in memory.
 */
const STREAMED = /^(multipart\/mixed|text\/event-stream|text\/csv)/;

/**
 * Compresses every response that benefits: text over MIN_BYTES, to a client that accepts br or gzip. Streamed
 * responses (multipart @defer/@stream, server-sent events) are compressed part by part with a flush after each,
 * so nothing waits in the compressor. Responses that already have a Content-Encoding (GraphiQL's precompressed
 * assets) pass as they are.
 */
export function useCompression(): Plugin {
  return {
    async onResponse({ request, response, setResponse, fetchAPI }) {
      // Most answers are small and say so: nothing to read or copy (reading `body` alone builds a stream).
      const length = response.headers.get("content-length");
      if (length !== null && Number(length) < MIN_BYTES) return;
      const type = response.headers.get("content-type") ?? "";
      if (!COMPRESSIBLE.test(type) || !response.body || request.method === "HEAD") return;
      if (response.headers.has("content-encoding") || response.status === 204 || response.status === 304) return;
      response.headers.append("vary", "Accept-Encoding");
      const encoding = negotiate(request.headers.get("accept-encoding"));
      if (!encoding) return;
      const compressed = (body: BodyInit, length?: number) => {
        // A fresh Headers: the ponyfill's copy of a Headers may share its entries with the original.
        const headers = new fetchAPI.Headers();
        for (const [name, value] of response.headers) headers.append(name, value);
        headers.set("content-encoding", encoding);
        if (length === undefined) headers.delete("content-length");
        else headers.set("content-length", String(length));
        return new fetchAPI.Response(body, { status: response.status, statusText: response.statusText, headers });
      };
      if (STREAMED.test(type)) {
        setResponse(compressed(flushingStream(response.body, encoding)));
        return;
      }
      const body = new Uint8Array(await response.arrayBuffer());
      if (body.byteLength < MIN_BYTES) {
        setResponse(
          new fetchAPI.Response(body, {
            status: response.status,
            statusText: response.statusText,
            headers: response.headers,
          }),
        );
        return;
      }
      const bytes = new Uint8Array(await compress(body, encoding));
      setResponse(compressed(bytes, bytes.byteLength));
    },
  };
}

/**
 * A compressed copy of a streamed body, flushed after every part the server writes. Pulled: a part is read from the
 * body only when the client has taken the compressed output of the last one, so a slow or departed client holds
 * back the body's source (an export's MTurk reads) as it does without compression.
 */
function flushingStream(body: ReadableStream<Uint8Array>, encoding: Encoding): ReadableStream<Uint8Array> {
  const compressor =
    encoding === "br"
      ? zlib.createBrotliCompress({
          flush: zlib.constants.BROTLI_OPERATION_FLUSH,
          params: { [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY },
        })
      : zlib.createGzip({ level: GZIP_LEVEL, flush: zlib.constants.Z_SYNC_FLUSH });
  const reader = body.getReader();
  let output: Uint8Array[] = [];
  let failure: unknown;
  compressor.on("data", (chunk: Buffer) => output.push(new Uint8Array(chunk)));
  compressor.on("error", (error) => {
    failure = error;
  });
  const settled = (start: (done: () => void) => void) =>
    new Promise<void>((resolve, reject) => {
      const onError = (error: unknown) => reject(error);
      compressor.once("error", onError);
      start(() => {
        compressor.off("error", onError);
        resolve();
      });
    });
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          // Each part is written with the compressor's flush mode: its output is complete when the write is done.
          while (!output.length) {
            if (failure) throw failure;
            const { done, value } = await reader.read();
            if (done) {
              await settled((finished) => {
                compressor.once("end", finished);
                compressor.end();
              });
              for (const chunk of output) controller.enqueue(chunk);
              controller.close();
              return;
            }
            await settled((finished) => compressor.write(value, () => finished()));
          }
          const parts = output;
          output = [];
          for (const chunk of parts) controller.enqueue(chunk);
        } catch (error) {
          compressor.destroy();
          void reader.cancel(error).catch(() => undefined);
          controller.error(error);
        }
      },
      cancel(reason) {
        compressor.destroy();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
