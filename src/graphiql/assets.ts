import { createHash } from "node:crypto";
import { promisify } from "node:util";
import zlib from "node:zlib";
import type { Encoding } from "../http/compression.js";

/** Where the assets are served: names carry their content's hash, so a URL's content never changes. */
export const ASSET_PREFIX = "/graphiql/";

/**
 * Static assets are compressed once and kept, so they can afford more than responses: brotli 7 takes about half
 * a second for all of GraphiQL (2.1 MB), where 11 would take 14 s of CPU for 10 % less; gzip at its best level.
 */
const BROTLI_QUALITY = 7;
const GZIP_LEVEL = 9;

export interface Asset {
  name: string;
  type: string;
  bytes: Buffer;
  etag: string;
  encoded(encoding: Encoding): Promise<Buffer>;
}

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

function asset(base: string, extension: string, type: string, content: string | Buffer): Asset {
  const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
  const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 16);
  const variants = new Map<Encoding, Promise<Buffer>>();
  return {
    name: `${base}.${hash}.${extension}`,
    type,
    bytes,
    etag: `"${hash}"`,
    // Lazily, once per encoding (zlib runs on libuv's pool: the event loop keeps serving meanwhile).
    encoded(encoding) {
      let variant = variants.get(encoding);
      if (!variant) {
        variant =
          encoding === "br"
            ? brotli(bytes, {
                params: {
                  [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
                  [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
                },
              })
            : gzip(bytes, { level: GZIP_LEVEL });
        variants.set(encoding, variant);
      }
      return variant;
    },
  };
}

/** yoga's favicon is a data: URL; served as a file it is cached like the rest. */
function faviconAsset(favicon: string): Asset {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(favicon);
  const type = match?.[1] ?? "image/x-icon";
  return asset("favicon", type === "image/x-icon" ? "ico" : "png", type, Buffer.from(match?.[2] ?? "", "base64"));
}

/**
 * Starts GraphiQL from the page's JSON options: Monaco's workers load from their own URLs (cached like any
 * script) instead of blobs rebuilt from 2.7 MB of inline strings on every load; no inline script, so a strict
 * Content-Security-Policy can allow the page.
 */
const bootstrap = (workers: Record<string, string>) => `(function () {
  var workers = ${JSON.stringify(workers)};
  self.MonacoEnvironment = {
    globalAPI: false,
    getWorkerUrl: function (moduleId, label) { return workers[label]; },
  };
  var options = JSON.parse(document.getElementById("graphiql-options").textContent);
  YogaGraphiQL.renderYogaGraphiQL(document.querySelector("#root"), options);
})();
`;

/** GraphiQL's 9 MB of strings, loaded on the first GraphiQL request: a gateway never shown in a browser never holds them. */
type GraphiQLSources = typeof import("@graphql-yoga/render-graphiql/graphiql");

function buildAssets({ js, css, favicon, editorWorkerService, jsonWorker, graphqlWorker }: GraphiQLSources) {
  const script = asset("graphiql", "js", "application/javascript; charset=utf-8", js);
  const style = asset("graphiql", "css", "text/css; charset=utf-8", css);
  const icon = faviconAsset(favicon);
  const workerAssets = {
    editorWorkerService: asset("editor.worker", "js", "application/javascript; charset=utf-8", editorWorkerService),
    json: asset("json.worker", "js", "application/javascript; charset=utf-8", jsonWorker),
    graphql: asset("graphql.worker", "js", "application/javascript; charset=utf-8", graphqlWorker),
  };
  const workerUrls = Object.fromEntries(
    Object.entries(workerAssets).map(([label, a]) => [label, `${ASSET_PREFIX}${a.name}`]),
  );
  const start = asset("start", "js", "application/javascript; charset=utf-8", bootstrap(workerUrls));
  const all = [script, style, icon, start, ...Object.values(workerAssets)];
  return { script, style, icon, start, byName: new Map(all.map((a) => [a.name, a])) };
}

type Assets = ReturnType<typeof buildAssets>;
let built: Promise<Assets> | undefined;
/**
 * Loaded and built on first use (hashing 9 MB is not free, and a gateway without GraphiQL never pays it), then
 * compressed in the background (libuv's pool), so that the page's own asset requests do not wait for brotli.
 */
export const graphiqlAssets = (): Promise<Assets> => {
  built ??= import("@graphql-yoga/render-graphiql/graphiql").then((sources) => {
    const assets = buildAssets(sources);
    for (const a of assets.byName.values()) for (const encoding of ["br", "gzip"] as const) void a.encoded(encoding);
    return assets;
  });
  return built;
};
