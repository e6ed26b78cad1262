import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";

/**
 * Registers an OpenTelemetry tracer provider when an exporter is asked for: OTLP over HTTP (to
 * OTEL_EXPORTER_OTLP_ENDPOINT, e.g. a collector) or the console. Without one, spans are no-ops; an embedding
 * application may register its own provider instead.
 */
export function startTracing(exporter: "otlp" | "console" | "none", endpoint?: string): NodeTracerProvider | undefined {
  if (exporter === "none") return undefined;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": "mturk-graphql-gateway" }),
    spanProcessors: [
      exporter === "console"
        ? new SimpleSpanProcessor(new ConsoleSpanExporter())
        : new BatchSpanProcessor(
            new OTLPTraceExporter(endpoint ? { url: `${endpoint.replace(/\/$/, "")}/v1/traces` } : {}),
          ),
    ],
  });
  provider.register();
  return provider;
}
