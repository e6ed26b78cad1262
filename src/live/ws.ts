import type { IncomingMessage, Server } from "node:http";
import { GraphQLError, parse } from "graphql";
import type { Context } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import { Repeater, type YogaServerInstance } from "graphql-yoga";
import { WebSocketServer } from "ws";
import { FORWARDED_HEADERS, whoami } from "./whoami.js";

type Yoga = YogaServerInstance<Record<string, unknown>, Record<string, unknown>>;
type Result = Record<string, unknown>;
type Payload = {
  query?: string;
  variables?: unknown;
  operationName?: string | null;
  extensions?: Record<string, unknown> | null;
};
type Extra = { request: IncomingMessage };

export interface WebSocketOptions {
  /** Browser origins allowed besides the gateway's own (CORS_ORIGINS; "*" for any). */
  origins?: string[];
  maxPayload: number;
  maxTokens: number;
  /** Where operations are sent: the gateway's own origin (default: this server's port on localhost). */
  origin?: string;
}

/**
 * graphql-ws (the graphql-transport-ws protocol) on the gateway's HTTP server at /graphql. Each operation runs
 * through the gateway's own HTTP pipeline (yoga.fetch, as SSE for subscriptions): the same Host check,
 * authentication, persisted operations, limits and logs as HTTP. Credentials come from connectionParams (`apiKey`
 * or `x-api-key`, `authorization`: "Bearer <jwt>" or "ApiKey <key>") or from the upgrade request's headers, and
 * are checked when the socket opens (4403 when refused). A subscription resumes after `extensions.lastEventId`
 * (or its lastEventId argument). A browser page of another origin cannot open a socket (403 at the upgrade).
 */
export function attachWebSocket(server: Server, yoga: Yoga, options: WebSocketOptions) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload });
  server.on("upgrade", (request, socket, head) => {
    const path = new URL(request.url ?? "/", "http://gateway").pathname;
    if (path !== "/graphql" || !originAllowed(request, options.origins ?? [])) {
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n");
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
  });
  const headersOf = (ctx: Context<Record<string, unknown> | undefined, Extra>) => {
    const headers = new Headers();
    for (const name of FORWARDED_HEADERS) {
      const value = ctx.extra.request.headers[name];
      if (typeof value === "string") headers.set(name, value);
    }
    const params = ctx.connectionParams ?? {};
    const apiKey = params.apiKey ?? params["x-api-key"];
    const authorization = params.authorization ?? params.Authorization;
    if (typeof apiKey === "string") headers.set("x-api-key", apiKey);
    if (typeof authorization === "string") headers.set("authorization", authorization);
    return headers;
  };
  // The server's own /graphql, never one built from the client's Host (a Host with a path in it would route the
  // operation elsewhere); the Host header itself is forwarded, for the Host check.
  const ownUrl = () => {
    const address = server.address();
    const origin = options.origin ?? `http://localhost:${typeof address === "object" && address ? address.port : 80}`;
    return new URL("/graphql", origin).href;
  };
  const disposable = useServer<Record<string, unknown> | undefined, Extra>(
    {
      onConnect: async (ctx) => {
        const who = await whoami((request, context) => yoga.fetch(request, context), ownUrl(), headersOf(ctx));
        // Persisted operations only: `{ __typename }` is refused, but not for the credential (the operations are checked).
        return "principal" in who || ![401, 403].includes(who.response.status);
      },
      onSubscribe: (ctx, _id, payload: Payload) => {
        try {
          const document = parse(payload.query ?? "", { maxTokens: options.maxTokens });
          const forward = () => run(yoga, ownUrl(), headersOf(ctx), payload);
          return { schema: {} as never, document, operationName: payload.operationName, contextValue: { forward } };
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError("The document does not parse.")];
        }
      },
      execute: (args) => (args.contextValue as { forward: () => Promise<unknown> }).forward() as never,
      subscribe: (args) => (args.contextValue as { forward: () => Promise<unknown> }).forward() as never,
      // Results come as JSON from the pipeline: sent as they are.
      onNext: (_ctx, _id, _payload, _args, result) => result as never,
    },
    wss,
  );
  return {
    close: async () => {
      await disposable.dispose();
      wss.close();
    },
  };
}

/** No Origin (not a browser), the gateway's own origin, or a configured one. */
function originAllowed(request: IncomingMessage, origins: string[]): boolean {
  const origin = request.headers.origin;
  if (!origin) return true;
  if (origins.includes("*") || origins.includes(origin)) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

/** One operation through yoga.fetch: a subscription as a stream of results (SSE), anything else as one result. */
async function run(
  yoga: Yoga,
  url: string,
  headers: Headers,
  payload: Payload,
): Promise<Result | AsyncIterable<Result>> {
  const controller = new AbortController();
  headers.set("content-type", "application/json");
  headers.set("accept", "text/event-stream, application/graphql-response+json, application/json");
  const lastEventId = payload.extensions?.lastEventId;
  if (typeof lastEventId === "string") headers.set("last-event-id", lastEventId);
  const { query, variables, operationName, extensions } = payload;
  const response = await yoga.fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({ query, variables, operationName, extensions }),
    signal: controller.signal,
  });
  if (!response.headers.get("content-type")?.includes("text/event-stream")) return (await response.json()) as Result;
  const body = response.body;
  if (!body) return {};
  return new Repeater<Result>(async (push, stop) => {
    const reader = body.getReader();
    stop.then(() => {
      controller.abort();
      reader.cancel().catch(() => undefined);
    });
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const lines = buffer.slice(0, end).split("\n");
          buffer = buffer.slice(end + 2);
          const data = lines.find((l) => l.startsWith("data: "));
          if (lines.includes("event: next") && data) await push(JSON.parse(data.slice(6)) as Result);
        }
      }
    } catch {
      // The stream ended (the client left, or the gateway is closing).
    }
    stop();
  });
}
