import { randomUUID } from "node:crypto";
import {
  isSpanContextValid,
  context as otelContext,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import type { Plugin } from "graphql-yoga";
import pino, { type Logger } from "pino";

/** Structured JSON logs. Credentials never reach them: headers are not logged, and these paths are redacted too. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "mturk-graphql-gateway" },
    redact: {
      paths: ["*.authorization", "*.x-api-key", "*.secretAccessKey", "*.AUTH_JWT_SECRET", "headers", "*.headers"],
      remove: true,
    },
  });
}

const tracer = trace.getTracer("mturk-graphql-gateway");

/** Reads propagation headers (traceparent, tracestate, baggage) from a fetch Request's headers. */
const headerGetter = {
  get: (headers: Headers, key: string) => headers.get(key) ?? undefined,
  keys: (headers: Headers) => [...headers.keys()],
};

interface RequestEntry {
  at: number;
  id: string;
  path: string;
  /** Absent when tracing is off (no tracer provider and no caller's trace): nothing to record or propagate. */
  span?: ReturnType<typeof tracer.startSpan>;
  /** The operation's part of the line, known when execution ends (absent for non-GraphQL paths). */
  operation?: { operation: string | null; principal?: string; errorCodes: unknown[] };
}

/**
 * One log line and one span per HTTP request, with a request id (the client's `x-request-id`, or a new one) that
 * the response echoes. The line names the path, status and time, and the operation, the principal and the error
 * codes, never a credential.
 */
export function useRequestLogging(logger: Logger): Plugin {
  const started = new WeakMap<Request, RequestEntry>();
  return {
    onRequest({ request, url }) {
      const id = request.headers.get("x-request-id")?.slice(0, 100) || randomUUID();
      // The caller's W3C trace context (traceparent) makes this span its child: one trace across services. The
      // global propagator is W3C trace context unless the host registered another (startTracing keeps the default).
      const parent = propagation.extract(ROOT_CONTEXT, request.headers, headerGetter);
      const span = tracer.startSpan(`HTTP ${request.method} ${url.pathname}`, { kind: SpanKind.SERVER }, parent);
      // A no-op span (invalid context) has no attributes to take, and its children would be no-ops too.
      const traced = isSpanContextValid(span.spanContext()) ? span : undefined;
      started.set(request, { at: performance.now(), id, path: url.pathname, span: traced });
    },
    onExecute({ args, executeFn, setExecuteFn }) {
      const context = args.contextValue as { request?: Request; principal?: { name: string } };
      const entry = context.request && started.get(context.request);
      if (!entry) return;
      const span = entry.span;
      if (span) {
        span.setAttribute("graphql.operation.name", args.operationName ?? "");
        span.setAttribute("enduser.id", context.principal?.name ?? "");
        // Upstream-call spans started during execution become children of the request's span.
        setExecuteFn((executeArgs) =>
          otelContext.with(trace.setSpan(otelContext.active(), span), () => executeFn(executeArgs)),
        );
      }
      return {
        onExecuteDone({ result }) {
          const errors = "errors" in result ? (result.errors ?? []) : [];
          entry.operation = {
            operation: args.operationName ?? null,
            principal: context.principal?.name,
            errorCodes: errors.map((e) => e.extensions?.code ?? "(none)"),
          };
        },
      };
    },
    onResponse({ request, response }) {
      const entry = started.get(request);
      if (!entry) return;
      response.headers.set("x-request-id", entry.id);
      if (entry.span) {
        if (response.status >= 500) entry.span.setStatus({ code: SpanStatusCode.ERROR });
        entry.span.setAttribute("http.status_code", response.status);
        entry.span.end();
      }
      // The line's object is built only when info is on.
      if (logger.isLevelEnabled("info"))
        logger.info(
          {
            requestId: entry.id,
            method: request.method,
            path: entry.path,
            status: response.status,
            ms: Math.round(performance.now() - entry.at),
            ...entry.operation,
          },
          "request",
        );
    },
  };
}
