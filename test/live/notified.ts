import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { UpdateNotificationSettingsCommand } from "@aws-sdk/client-mturk";
import pino from "pino";
import { loadConfig } from "../../src/config.js";
import { createGateway } from "../../src/gateway.js";
import { createMTurkClient } from "../../src/mturk/client.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { startSimulator } from "../../src/simulator/server.js";
import { control } from "../support/stack.js";
import { CREATE_HIT, hitInput, sse } from "./support.js";

export const TOPIC = "arn:aws:sns:us-east-1:123456789012:live-reviews";

/**
 * A simulator that delivers MTurk's notifications over SNS to a gateway on a real HTTP server (trusting the
 * simulator's certificate origin), a HIT whose type notifies, and helpers to make workers submit to it.
 */
export async function notifiedStack(pollMs: number) {
  const simulator = await startSimulator({ size: "tiny", seed: 3 });
  const lines: string[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => lines.push(line) });
  const config = loadConfig({
    MTURK_ENDPOINT: simulator.url,
    LOG_LEVEL: "info",
    SUBSCRIPTION_POLL_MS: String(pollMs),
    SNS_CERT_ORIGINS: simulator.url,
  });
  const client = createMTurkClient({
    endpoint: simulator.url,
    credentials: simulator.credentials,
    maxAttempts: 1,
    timeoutMs: 5_000,
  });
  const metrics = createMetrics();
  const yoga = createGateway({ config, client, metrics, logger });
  const server: Server = createServer(yoga);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  simulator.notifications.endpoint = `${url}/notifications/sns`;
  const query = async (document: string, variables: Record<string, unknown>) =>
    (await (
      await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: document, variables }),
      })
    ).json()) as any;
  const created = await query(CREATE_HIT, { i: hitInput(`notified-${pollMs}`, 50) });
  const { hitId, hitTypeId } = created.data.createHIT.hit as { hitId: string; hitTypeId: string };
  await client.send(
    new UpdateNotificationSettingsCommand({
      HITTypeId: hitTypeId,
      Notification: {
        Destination: TOPIC,
        Transport: "SNS",
        Version: "2006-05-05",
        EventTypes: ["AssignmentSubmitted", "AssignmentAccepted", "HITReviewable"],
      },
      Active: true,
    }),
  );
  const work = async () => {
    const { workerId } = await control<{ workerId: string }>(simulator, "POST", "workers", {});
    const { assignment } = await control<any>(simulator, "POST", `hits/${hitId}/accept`, { workerId });
    return {
      id: assignment.AssignmentId as string,
      submit: () => control(simulator, "POST", `assignments/${assignment.AssignmentId}/submit`, { answer: "<a/>" }),
    };
  };
  return {
    simulator,
    url,
    hitId,
    hitTypeId,
    lines,
    metrics,
    work,
    subscribe: (document: string, variables: Record<string, unknown>) =>
      sse(fetch, `${url}/graphql`, document, variables),
    faults: (body: Record<string, number>) =>
      fetch(`${simulator.url}/_simulator/sns/faults`, { method: "POST", body: JSON.stringify(body) }),
    post: (message: unknown) =>
      fetch(`${url}/notifications/sns`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: JSON.stringify(message),
      }),
    counter: async (result: string) =>
      Number(
        / (\d+)$/.exec(
          (await metrics.registry.metrics())
            .split("\n")
            .find((l) => l.startsWith(`gateway_live_notifications_total{result="${result}"}`)) ?? "",
        )?.[1] ?? 0,
      ),
    close: async () => {
      server.closeAllConnections();
      server.close();
      client.destroy();
      await simulator.close();
    },
  };
}
