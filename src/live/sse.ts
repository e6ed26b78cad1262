import { isAsyncIterable, type Plugin } from "graphql-yoga";
import type { LiveContext } from "./resolve.js";

type Result = {
  data?: unknown;
  errors?: unknown[];
  extensions?: Record<string, unknown>;
  /** A plugin's own serializer for this result (yoga's ExecutionResultWithSerializer). */
  stringify?: (result: Result) => string;
};

/** SSE keeps proxies and browsers from closing an idle stream with a comment line this often. */
const PING_MS = 12_000;

/**
 * Each subscription result carries its event's id in `extensions.eventId` (graphql-ws clients resume with it as
 * the lastEventId argument).
 */
export function useLiveEventIds(): Plugin<LiveContext> {
  return {
    onSubscribe: ({ args }) => ({
      onSubscribeResult: () => ({
        onNext: ({ result, setResult }) => {
          const id = args.contextValue.liveEventId;
          if (id) setResult({ ...result, extensions: { ...result.extensions, eventId: id } });
        },
      }),
    }),
  };
}

/** Writes one result as an SSE message, with the `id:` a reconnecting EventSource sends back as Last-Event-ID. */
function message(result: Result): string {
  const { http: _http, ...extensions } = result.extensions ?? {};
  // As yoga does: an error's extensions.http (status, headers) is for the transport, not the client.
  const errors = result.errors?.map((e) => {
    const error = (e as { toJSON?: () => Record<string, unknown> }).toJSON?.() ?? (e as Record<string, unknown>);
    const { http: _h, ...rest } = (error.extensions ?? {}) as Record<string, unknown>;
    return { ...error, extensions: Object.keys(rest).length ? rest : undefined };
  });
  const { stringify = JSON.stringify, ...rest } = result;
  const clean = { ...rest, errors, extensions: Object.keys(extensions).length ? extensions : undefined };
  const id = typeof extensions.eventId === "string" ? `id: ${extensions.eventId}\n` : "";
  return `${id}event: next\ndata: ${stringify(clean)}\n\n`;
}

/**
 * Whether the client asked for SSE before multipart (yoga's `acceptableMediaTypes` lists what the server can
 * write, not what the client accepts: a multipart @defer/@stream client must keep multipart).
 */
function prefersEventStream(request: Request): boolean {
  const accepted = (request.headers.get("accept") ?? "").split(",").map((t) => t.split(";")[0]?.trim().toLowerCase());
  const sse = accepted.indexOf("text/event-stream");
  const multipart = accepted.findIndex((t) => t === "multipart/mixed" || t === "multipart/*");
  return sse >= 0 && (multipart < 0 || sse < multipart);
}

/**
 * yoga's built-in SSE (`Accept: text/event-stream` at /graphql) for subscription streams, as yoga writes it
 * (a first comment, pings, `next` and `complete` events), plus an `id:` per event: yoga's own processor writes none.
 */
export function useSSEEventIds(): Plugin {
  return {
    onResultProcess({ request, result, setResultProcessor }) {
      if (!isAsyncIterable(result) || !prefersEventStream(request)) return;
      setResultProcessor((stream) => {
        const iterator = (stream as AsyncIterable<Result>)[Symbol.asyncIterator]();
        const encoder = new TextEncoder();
        let ping: NodeJS.Timeout | undefined;
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(encoder.encode(":\n\n"));
            ping = setInterval(() => {
              if (controller.desiredSize === null) clearInterval(ping);
              else if (controller.desiredSize > 0) controller.enqueue(encoder.encode(":\n\n"));
            }, PING_MS);
          },
          async pull(controller) {
            try {
              const next = await iterator.next();
              if (next.value != null) controller.enqueue(encoder.encode(message(next.value)));
              if (next.done) {
                controller.enqueue(encoder.encode("event: complete\ndata:\n\n"));
                clearInterval(ping);
                controller.close();
              }
            } catch (error) {
              clearInterval(ping);
              controller.error(error);
            }
          },
          async cancel() {
            clearInterval(ping);
            await iterator.return?.();
          },
        });
        return new Response(body, {
          status: 200,
          headers: {
            "content-type": "text/event-stream",
            connection: "keep-alive",
            "cache-control": "no-cache",
            "content-encoding": "none",
          },
        });
      }, "text/event-stream");
    },
  };
}

/**
 * A subscription whose request accepts no transport that can carry a stream (plain JSON, multipart) is refused
 * with 406, as yoga refuses it, but after it was subscribed: its stream is ended here, so that it does not keep
 * a place under MAX_SUBSCRIPTIONS_PER_PRINCIPAL. After every plugin that chooses a result processor.
 */
export function useUnservedSubscriptions(): Plugin {
  return {
    onResultProcess({ result, resultProcessor, setResultProcessor }) {
      if (resultProcessor || !isAsyncIterable(result)) return;
      setResultProcessor((stream, fetchAPI) => {
        void (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]().return?.();
        return new fetchAPI.Response(null, {
          status: 406,
          statusText: "Not Acceptable",
          headers: { accept: "text/event-stream" },
        });
      }, "text/event-stream");
    },
  };
}
