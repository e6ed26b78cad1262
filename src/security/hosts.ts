import type { Plugin } from "graphql-yoga";

const LOOPBACK = ["localhost", "127.0.0.1", "[::1]", "::1"];

/**
 * With authentication off, only requests addressed to this machine by name are served: a page on another site
 * that rebinds its DNS name to 127.0.0.1 still sends its own name as Host, and gets 403.
 */
export function useHostCheck(extra: string[]): Plugin {
  const allowed = new Set([...LOOPBACK, ...extra.map((h) => h.trim().toLowerCase()).filter(Boolean)]);
  return {
    onRequest({ request, url, endResponse }) {
      const host = (request.headers.get("host") ?? url.host).toLowerCase();
      const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0];
      if (name && allowed.has(name)) return;
      endResponse(
        new Response(
          JSON.stringify({
            errors: [
              {
                message: "This host name is not served while authentication is off (set ALLOWED_HOSTS).",
                extensions: { code: "FORBIDDEN" },
              },
            ],
          }),
          { status: 403, headers: { "content-type": "application/json" } },
        ),
      );
    },
  };
}
