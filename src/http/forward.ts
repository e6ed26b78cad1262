import type { Plugin } from "graphql-yoga";

/**
 * Forwards the requests under `prefix` to `origin` as they are (the embedded simulator's worker side,
 * /_simulator/…, on the gateway's own port), after the host check like any request.
 */
export function useForward(prefix: string, origin: string): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (!url.pathname.startsWith(prefix)) return;
      const headers = new fetchAPI.Headers(request.headers);
      headers.delete("host");
      const hasBody = request.method !== "GET" && request.method !== "HEAD";
      try {
        const answer = await fetch(`${origin}${url.pathname}${url.search}`, {
          method: request.method,
          headers,
          body: hasBody ? await request.arrayBuffer() : undefined,
        });
        endResponse(
          new fetchAPI.Response(await answer.arrayBuffer(), {
            status: answer.status,
            headers: { "content-type": answer.headers.get("content-type") ?? "application/json" },
          }),
        );
      } catch {
        endResponse(
          new fetchAPI.Response(JSON.stringify({ error: "The embedded simulator did not answer." }), {
            status: 502,
            headers: { "content-type": "application/json" },
          }),
        );
      }
    },
  };
}
