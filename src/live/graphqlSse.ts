import { useGraphQLSSE } from "@graphql-yoga/plugin-graphql-sse";
import type { Plugin } from "graphql-yoga";
import { preauthenticated } from "../security/auth.js";
import { type Capture, whoami } from "./whoami.js";

/** graphql-sse's single-connection mode names its stream with this header or a `token` search parameter. */
const TOKEN_HEADER = "x-graphql-event-stream-token";

/** A request of graphql-sse's single-connection mode: reserving (PUT), or anything that names a reserved stream. */
function singleConnection(request: Request, url: URL): boolean {
  return request.method === "PUT" || request.headers.has(TOKEN_HEADER) || url.searchParams.has("token");
}

/**
 * graphql-sse's single-connection mode at /graphql, through yoga's plugin: PUT reserves a stream (its token), GET
 * with the token opens it, POSTs with the token run operations on it, DELETE stops one. Every other request at
 * /graphql stays with yoga (its built-in SSE among them). The plugin builds its context without yoga's request
 * parsing, so each of its requests is authenticated first by the gateway's own pipeline (whoami).
 */
export function useGraphQLSSESingleConnection(): Plugin {
  const inner = useGraphQLSSE({ endpoint: "/graphql" }) as Plugin;
  // yoga's own handler: the request-level hooks before this plugin (Host check, body limit) already passed.
  let handle: (request: Request, context: Capture) => Response | Promise<Response>;
  return {
    onYogaInit(payload) {
      const yoga = payload.yoga as unknown as { handle: typeof handle };
      handle = (request, context) => yoga.handle(request, context);
      inner.onYogaInit?.(payload);
    },
    async onRequest(payload) {
      const { request, url, endResponse } = payload;
      if (url.pathname !== "/graphql" || !singleConnection(request, url)) return;
      const who = await whoami(handle, request.url, request.headers);
      if ("response" in who) return endResponse(who.response);
      preauthenticated.set(request, who.principal);
      await inner.onRequest?.(payload);
    },
  };
}
