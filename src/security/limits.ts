import { createGraphQLError, type Plugin } from "graphql-yoga";

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** Refuses a request body over `maxBytes` (413) before it is read or parsed. */
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
 * `cancel`): queued ones are never sent, those in flight are aborted.
 */
export function useOperationTimeout(ms: number): Plugin<{ cancel?: Cancel }> {
  return {
    onExecute({ executeFn, setExecuteFn }) {
      setExecuteFn((args) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise((resolve) => {
          timer = setTimeout(() => {
            // Shared work it waited for runs on: the error says so, and when a retry may find it done.
            const running = (args.contextValue as { cancel?: Cancel }).cancel?.();
            const message = running
              ? `The operation took longer than ${ms} ms; the work it waits for goes on: retry in ${running.retryAfterMs} ms.`
              : `The operation took longer than ${ms} ms.`;
            resolve({ errors: [createGraphQLError(message, { extensions: { code: "TIMEOUT", ...running } })] });
          }, ms);
        });
        return Promise.race([Promise.resolve(executeFn(args)).finally(() => clearTimeout(timer)), timeout]) as never;
      });
    },
  };
}

/**
 * A query string (GET, or a form-encoded POST) whose `variables` or `extensions` is not JSON: yoga's parser throws a
 * plain SyntaxError, which would be masked as INTERNAL_SERVER_ERROR. It is the client's request that is not GraphQL:
 * BAD_REQUEST (400), as for a POST body that is not JSON, and its text is not echoed.
 */
export function useRequestParamErrors(): Plugin {
  return {
    onRequestParse({ requestParser, setRequestParser }) {
      if (!requestParser) return;
      const parse = requestParser;
      setRequestParser(async (request) => {
        try {
          return await parse(request);
        } catch (error) {
          if (!(error instanceof SyntaxError)) throw error;
          throw createGraphQLError("The request's variables or extensions are not JSON.", {
            extensions: { code: "BAD_REQUEST", http: { status: 400 } },
          });
        }
      });
    },
  };
}
