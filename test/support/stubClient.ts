import type { MTurkClient } from "@aws-sdk/client-mturk";
import { type GatewayConfig, loadConfig } from "../../src/config.js";
import { createGateway } from "../../src/gateway.js";

/** An SDK-shaped error, as the SDK raises MTurk's answers (name, TurkErrorCode, $fault, $metadata). */
export function sdkError(name: string, message: string, extra: Record<string, unknown> = {}) {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 }, ...extra });
}

type Handler = (input: Record<string, unknown>) => unknown;

/**
 * A stand-in for @aws-sdk/client-mturk in fast tests: each command goes to a handler by operation name, and every
 * call is logged. The gateway is driven through `yoga.fetch`, in milliseconds (the simulator suite proves the wire).
 */
export function stubGateway(handlers: Record<string, Handler>, env: Record<string, string> = {}) {
  const calls: { operation: string; input: Record<string, unknown> }[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const operation = command.constructor.name.replace(/Command$/, "");
      calls.push({ operation, input: command.input });
      const handler = handlers[operation];
      if (!handler) throw sdkError("UnknownOperationException", `No stub for ${operation}`);
      return handler(command.input);
    },
  } as unknown as MTurkClient;
  const config: GatewayConfig = loadConfig({
    LOG_LEVEL: "silent",
    ALLOWED_HOSTS: "gateway.test",
    MIRROR_SYNC_INTERVAL_MS: "0",
    ...env,
  });
  const yoga = createGateway({ config, client });
  const query = async <T = any>(document: string, variables: Record<string, unknown> = {}) => {
    const response = await yoga.fetch("http://gateway.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: document, variables }),
    });
    return (await response.json()) as {
      data?: T;
      errors?: { message: string; extensions?: Record<string, unknown> }[];
    };
  };
  return { yoga, query, calls };
}
