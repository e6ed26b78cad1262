import type { Plugin } from "graphql-yoga";
import type { Principal } from "../security/auth.js";

/** Request headers that carry a credential or say who and where the caller is; nothing else is forwarded. */
export const FORWARDED_HEADERS = ["authorization", "x-api-key", "host", "origin", "user-agent", "x-request-id"];

export type Capture = { liveWhoami?: (principal: Principal | undefined) => void };

/** Reports the principal of a whoami sub-request (see `whoami`); a client cannot ask for it (server context only). */
export function useWhoami(): Plugin<Capture & { principal?: Principal }> {
  return {
    onExecute({ args }) {
      const context = args.contextValue;
      context.liveWhoami?.(context.principal);
    },
  };
}

/**
 * Who sends `headers`, decided by the gateway's own HTTP pipeline (Host check, API key or JWT, exp and age) with a
 * `{ __typename }` request that calls nothing upstream: transports that bypass yoga's request parsing (graphql-sse's
 * single connection, graphql-ws) authenticate exactly like HTTP. 401: no principal; any other answer without a
 * principal (a refused Host, persisted operations only) comes back as the response to send.
 */
export async function whoami(
  handle: (request: Request, serverContext: Capture) => Response | Promise<Response>,
  url: string,
  headers: Headers,
): Promise<{ principal: Principal } | { response: Response }> {
  const forwarded = new Headers({ "content-type": "application/json", accept: "application/json" });
  for (const name of FORWARDED_HEADERS) {
    const value = headers.get(name);
    if (value) forwarded.set(name, value);
  }
  let principal: Principal | undefined;
  const capture: Capture = {
    liveWhoami: (p) => {
      principal = p;
    },
  };
  const request = new Request(new URL("/graphql", url).href, {
    method: "POST",
    headers: forwarded,
    body: JSON.stringify({ query: "{ __typename }" }),
  });
  const response = await handle(request, capture);
  // yoga's Response may be a ponyfill's: the answer is told apart by its shape, not by instanceof.
  return principal ? { principal } : { response };
}
