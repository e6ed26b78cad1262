import type { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";

/**
 * Registers an OpenTelemetry tracer provider when an exporter is asked for: OTLP over HTTP (to
 * OTEL_EXPORTER_OTLP_ENDPOINT, e.g. a collector) or the console. Without one, spans are no-ops; an embedding
 * application may register its own provider instead. The SDK is loaded only then: about 300 modules a gateway
 * without traces never reads at start.
 */
export async function startTracing(
  exporter: "otlp" | "console" | "none",
  endpoint?: string,
): Promise<NodeTracerProvider | undefined> {
  if (exporter === "none") return undefined;
  const [{ OTLPTraceExporter }, { resourceFromAttributes }, base, { NodeTracerProvider }] = await Promise.all([
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
    import("@opentelemetry/sdk-trace-base"),
    import("@opentelemetry/sdk-trace-node"),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": "mturk-graphql-gateway" }),
    spanProcessors: [
      exporter === "console"
        ? new base.SimpleSpanProcessor(new base.ConsoleSpanExporter())
        : new base.BatchSpanProcessor(
            new OTLPTraceExporter(endpoint ? { url: `${endpoint.replace(/\/$/, "")}/v1/traces` } : {}),
          ),
    ],
  });
  provider.register();
  return provider;
}
