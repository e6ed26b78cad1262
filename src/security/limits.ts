import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { createGraphQLError, isPromise, type Plugin } from "graphql-yoga";
import { codeOf, messageOf } from "../mturk/errors.js";

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** Refuses a request body over `maxBytes` (413), or a chunked POST without a Content-Length (411), before it is read. */
export function useBodyLimit(maxBytes: number): Plugin {
  return {
    onRequest({ request, endResponse }) {
      const length = Number(request.headers.get("content-length") ?? 0);
      if (
        request.method === "POST" &&
        !request.headers.has("content-length") &&
        request.headers.get("transfer-encoding")
      )
        endResponse(
          json(411, {
            errors: [{ message: "A Content-Length is required.", extensions: { code: "LENGTH_REQUIRED" } }],
          }),
        );
      else if (length > maxBytes)
        endResponse(
          json(413, {
            errors: [
              { message: `The request body is over ${maxBytes} bytes.`, extensions: { code: "PAYLOAD_TOO_LARGE" } },
            ],
          }),
        );
    },
  };
}

type Cancel = () => { stillRunning: true; retryAfterMs: number } | undefined;

/**
 * Ends an operation that runs longer than `ms` with a TIMEOUT error, and cancels its upstream calls (the context's
 * `cancel`): queued ones are never sent; those in flight end within MTURK_TIMEOUT_MS (see Upstream.cancel).
 */
export function useOperationTimeout(ms: number): Plugin<{ cancel?: Cancel }> {
  return {
    onExecute({ args: { contextValue }, executeFn, setExecuteFn }) {
      setExecuteFn((args) => {
        const running = executeFn(args);
        // An execution that ended synchronously (nothing awaited, no MTurk call) needs no timer.
        if (!isPromise(running)) return running;
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise((resolve) => {
          timer = setTimeout(() => {
            // Shared work it waited for runs on: the error says so, and when a retry may find it done.
            const running = contextValue.cancel?.();
            const message = running
              ? `The operation took longer than ${ms} ms; the work it waits for goes on: retry in ${running.retryAfterMs} ms.`
              : `The operation took longer than ${ms} ms.`;
            resolve({ errors: [createGraphQLError(message, { extensions: { code: "TIMEOUT", ...running } })] });
          }, ms);
        });
        return Promise.race([running.finally(() => clearTimeout(timer)), timeout]) as never;
      });
    },
  };
}

/**
 * A request that is not GraphQL is BAD_REQUEST with HTTP 400, whatever the client accepts, and its text is not
 * echoed. A query string (GET, or a form-encoded POST) whose `variables` or `extensions` is not JSON makes yoga's
 * parser throw a plain SyntaxError (masked as INTERNAL_SERVER_ERROR otherwise); a POST body that is not JSON (or
 * none) is yoga's BAD_REQUEST, whose status yoga drops to 200 for `Accept: application/json` (its `http.spec`),
 * where the GraphQL-over-HTTP spec says SHOULD 400 (graphql-http's audit).
 */
export function useRequestParamErrors(): Plugin {
  const badRequest = (message: string) =>
    createGraphQLError(message, { extensions: { code: "BAD_REQUEST", http: { status: 400 } } });
  return {
    onRequestParse({ requestParser, setRequestParser }) {
      if (!requestParser) return;
      const parse = requestParser;
      const refusal = (error: unknown) => {
        if (error instanceof SyntaxError) return badRequest("The request's variables or extensions are not JSON.");
        if (codeOf(error) === "BAD_REQUEST") return badRequest(messageOf(error));
        return error;
      };
      // No async wrapper around the parser: one promise fewer per request.
      setRequestParser((request) => {
        try {
          const parsed = parse(request);
          return isPromise(parsed) ? parsed.catch((error) => Promise.reject(refusal(error))) : parsed;
        } catch (error) {
          return Promise.reject(refusal(error));
        }
      });
    },
  };
}

/**
 * A query over one of its limits: QUERY_TOO_COMPLEX whatever enforces it (graphql-armor's depth, aliases, tokens
 * and directives; the price check's complexity, depth and breadth, src/schema/price.ts), naming the limit (`kind`)
 * and its setting.
 */
export function queryTooComplex(kind: string, setting: string, max: number | undefined, found?: number) {
  const over = found === undefined ? "" : `: it has ${found}`;
  return createGraphQLError(`The query is over the ${kind} limit (${setting} ${max ?? "?"})${over}.`, {
    extensions: { code: "QUERY_TOO_COMPLEX", kind, max, ...(found === undefined ? {} : { found }) },
  });
}

/** The header a request that a web page could send sets to pass CSRF prevention (any value). */
const CSRF_HEADER = "x-graphql-csrf";

/**
 * yoga's CSRF prevention (a GET, or a POST of a type any web page may send, needs the CSRF header), with a refusal
 * that says what to send instead of "Required CSRF header(s) not present".
 */
export function useCsrfPrevention(): Plugin {
  const inner = useCSRFPrevention({ requestHeaders: [CSRF_HEADER] });
  return {
    onRequestParse(payload) {
      try {
        return inner.onRequestParse?.(payload);
      } catch {
        throw createGraphQLError(
          `A web page could send this request (CSRF): send the header "${CSRF_HEADER}: 1", or POST with content-type application/json.`,
          { extensions: { code: "FORBIDDEN", http: { status: 403 } } },
        );
      }
    },
  };
}
