import type { IncomingMessage, ServerResponse } from "node:http";
import { GraphQLError } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Paths a load balancer keeps probing while the gateway drains: /ready answers 503 there, /health 200. */
const PROBES = new Set(["/health", "/ready"]);

const STOPPING_MESSAGE = "The gateway is stopping: send the request again (another instance, or this one restarted).";

/**
 * A graceful stop (SIGTERM, SIGINT): /ready turns 503 at once and new requests are refused (503, Connection: close,
 * a load balancer's retry goes elsewhere) while the requests in flight are answered; subscriptions end with a
 * final SHUTTING_DOWN error and their `complete`.
 */
export class Drain {
  private readonly inFlight = new Set<ServerResponse>();
  private readonly ended = new AbortController();
  private idle?: () => void;

  get stopping(): boolean {
    return this.ended.signal.aborted;
  }

  /** The node:http handler: `handler` for every request, or the refusal once stopping. */
  wrap(handler: Handler): Handler {
    return (req, res) => {
      if (this.stopping && !PROBES.has((req.url ?? "/").split("?")[0] ?? "/")) {
        const body = JSON.stringify({ errors: [{ message: STOPPING_MESSAGE, extensions: { code: "SHUTTING_DOWN" } }] });
        res.writeHead(503, { "content-type": "application/json", connection: "close", "retry-after": "1" }).end(body);
        return;
      }
      this.inFlight.add(res);
      res.once("close", () => {
        this.inFlight.delete(res);
        if (this.inFlight.size === 0) this.idle?.();
      });
      handler(req, res);
    };
  }

  /**
   * Begins the stop and waits until every request in flight is answered, at most `graceMs`: the number of requests
   * still open then (0 when all were answered). Subscriptions are ended first, so their streams do not hold it.
   */
  async stop(graceMs: number): Promise<number> {
    this.ended.abort();
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.idle = resolve;
        timer = setTimeout(resolve, graceMs);
      });
      clearTimeout(timer);
    }
    return this.inFlight.size;
  }

  /** Ends every subscription's stream when the stop begins: a SHUTTING_DOWN error, then `complete`. */
  plugin(): Plugin {
    const signal = this.ended.signal;
    return {
      onSubscribe: () => ({
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result)) setResult(until(signal, result));
        },
      }),
    };
  }
}

const STOPPED = Symbol("stopped");

/** `source`'s results until `signal` aborts, then one result with the SHUTTING_DOWN error. */
async function* until<T>(
  signal: AbortSignal,
  source: AsyncIterable<T>,
): AsyncGenerator<T | { errors: GraphQLError[] }> {
  const iterator = source[Symbol.asyncIterator]();
  const stopped = new Promise<typeof STOPPED>((resolve) => {
    if (signal.aborted) resolve(STOPPED);
    else signal.addEventListener("abort", () => resolve(STOPPED), { once: true });
  });
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), stopped]);
      if (next === STOPPED) {
        yield { errors: [new GraphQLError(STOPPING_MESSAGE, { extensions: { code: "SHUTTING_DOWN" } })] };
        return;
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    // Not awaited: a source waiting on its poller may take until its next tick to settle.
    void iterator.return?.();
  }
}
