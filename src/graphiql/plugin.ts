import { createHash } from "node:crypto";
import type { Plugin } from "graphql-yoga";
import { negotiate } from "../http/compression.js";
import { ASSET_PREFIX, type Asset, graphiqlAssets } from "./assets.js";

/** What yoga passes to renderGraphiQL: GraphiQL's options, as the page's JSON. */
type GraphiQLOptions = { title?: string; favicon?: string } & Record<string, unknown>;

/** JSON inside a <script> element: `<` escaped, so no value can close the element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");
const escapeHtml = (text: string) =>
  text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] as string);

/**
 * GraphiQL's page: a few kilobytes that name the content-hashed assets (script, style, Monaco's workers, favicon)
 * instead of yoga's single 9 MB page with everything inline. Everything still comes from the installed package.
 */
export async function renderGraphiQLPage(options?: GraphiQLOptions): Promise<string> {
  const { script, style, icon, start } = await graphiqlAssets();
  const url = (a: Asset) => `${ASSET_PREFIX}${a.name}`;
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options?.title ?? "GraphiQL")}</title>
    <link rel="icon" href="${url(icon)}" />
    <link rel="stylesheet" href="${url(style)}" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run GraphiQL.</noscript>
    <div id="root"></div>
    <script type="application/json" id="graphiql-options">${scriptJson({ ...options, favicon: url(icon) })}</script>
    <script src="${url(script)}"></script>
    <script src="${url(start)}"></script>
  </body>
</html>
`;
}

const IMMUTABLE = "public, max-age=31536000, immutable";

/** The asset for `encoding` (br, gzip or none), with the headers that let browsers keep it for a year. */
async function serveAsset(asset: Asset, request: Request, fetchAPI: { Response: typeof Response }) {
  const encoding = negotiate(request.headers.get("accept-encoding"));
  // One ETag per representation: a cache must not answer a gzip request with brotli bytes.
  const etag = encoding ? `${asset.etag.slice(0, -1)}-${encoding}"` : asset.etag;
  const headers: Record<string, string> = {
    "content-type": asset.type,
    "cache-control": IMMUTABLE,
    etag,
    vary: "Accept-Encoding",
  };
  if (request.headers.get("if-none-match") === etag) return new fetchAPI.Response(null, { status: 304, headers });
  const bytes = encoding ? await asset.encoded(encoding) : asset.bytes;
  if (encoding) headers["content-encoding"] = encoding;
  headers["content-length"] = String(bytes.length);
  return new fetchAPI.Response(request.method === "HEAD" ? null : new Uint8Array(bytes), { status: 200, headers });
}

/**
 * Serves GraphiQL's assets under ASSET_PREFIX and gives the page an ETag: browsers revalidate the page (304 when
 * unchanged) and keep the assets, whose names change with their content. The page itself is compressed by
 * useCompression like any response.
 */
export function useGraphiQLAssets(): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (!url.pathname.startsWith(ASSET_PREFIX)) return;
      if (request.method !== "GET" && request.method !== "HEAD") {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: "GET, HEAD" } }));
        return;
      }
      return graphiqlAssets().then(async ({ byName }) => {
        const asset = byName.get(url.pathname.slice(ASSET_PREFIX.length));
        endResponse(
          asset
            ? await serveAsset(asset, request, fetchAPI)
            : new fetchAPI.Response("Not found", { status: 404, headers: { "content-type": "text/plain" } }),
        );
      });
    },
    async onResponse({ request, response, setResponse, fetchAPI }) {
      if (request.method !== "GET" || !response.headers.get("content-type")?.startsWith("text/html")) return;
      const html = await response.text();
      // Weak: the compressed page is another byte sequence of the same content.
      const etag = `W/"${createHash("sha256").update(html).digest("hex").slice(0, 16)}"`;
      const headers = new fetchAPI.Headers();
      for (const [name, value] of response.headers) headers.append(name, value);
      headers.set("etag", etag);
      // Revalidated on every load (cheap: 304), so a new gateway version's page, and its assets, are picked up.
      headers.set("cache-control", "no-cache");
      const fresh = request.headers.get("if-none-match")?.replace(/^W\//, "") === etag.slice(2);
      setResponse(
        fresh
          ? new fetchAPI.Response(null, { status: 304, headers })
          : new fetchAPI.Response(html, { status: response.status, headers }),
      );
    },
  };
}
