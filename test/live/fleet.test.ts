import { CreateQualificationTypeCommand, MTurkClient } from "@aws-sdk/client-mturk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../src/simulator/server.js";
import {
  type GatewayProcess,
  gatewayEnv,
  type RedisServer,
  redisMissing,
  startGateway,
  startRedis,
} from "../fleet/support.js";
import { control } from "../support/stack.js";
import { REQUEST_SUBMITTED, type SseStream, sse, waitFor } from "./support.js";

/**
 * Subscriptions across three gateway processes (src/main.ts) on one Redis and one MTurk account: one poller for the
 * fleet, one event log, and a subscriber whose instance is killed resumes on another with Last-Event-ID, with no
 * event lost and none twice (for it and for everyone else).
 */
const missing = redisMissing();
const POLL_MS = 300;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!!missing)("subscriptions in a fleet of three", () => {
  let simulator: Simulator;
  let redis: RedisServer;
  let gateways: GatewayProcess[];
  let sdk: MTurkClient;

  beforeAll(async () => {
    simulator = await startSimulator({ size: "tiny", seed: 5 });
    redis = await startRedis();
    const env = {
      ...gatewayEnv(simulator, redis),
      SUBSCRIPTION_POLL_MS: String(POLL_MS),
      SUBSCRIPTION_LINGER_MS: "1000",
    };
    gateways = await Promise.all([0, 1, 2].map(() => startGateway(env)));
    sdk = new MTurkClient({ region: "us-east-1", endpoint: simulator.url, credentials: simulator.credentials });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await redis.stop();
    sdk.destroy();
    await simulator.close();
  });

  async function newType(name: string) {
    const r = await sdk.send(
      new CreateQualificationTypeCommand({ Name: name, Description: "fleet", QualificationTypeStatus: "Active" }),
    );
    return r.QualificationType?.QualificationTypeId as string;
  }
  async function request(type: string): Promise<string> {
    const { workerId } = await control<{ workerId: string }>(simulator, "POST", "workers", {});
    const r = await control<any>(simulator, "POST", `workers/${workerId}/qualification-requests`, {
      qualificationTypeId: type,
    });
    return r.qualificationRequest.QualificationRequestId;
  }
  const subscribe = (g: GatewayProcess, type: string, headers: Record<string, string> = {}) =>
    sse(fetch, `${g.url()}/graphql`, REQUEST_SUBMITTED, { t: type }, headers);
  const received = (...streams: SseStream[]) =>
    streams.flatMap((s) => s.events.map((e) => e.data.data?.qualificationRequestSubmitted.qualificationRequestId));
  const pollsOf = (type: string) =>
    simulator.instrumentation.calls.filter(
      (c) => c.operation === "ListQualificationRequests" && (c.input as any).QualificationTypeId === type,
    );

  it("polls a type once for the fleet, whatever the instances its subscribers are on", async () => {
    const type = await newType("Fleet poll");
    const streams = gateways.map((g) => subscribe(g, type));
    await pause(1_000);
    const from = pollsOf(type).length;
    await pause(3_000);
    const starts = pollsOf(type)
      .slice(from)
      .map((c) => c.start);
    const perMinute = ((starts.length - 1) * 60_000) / ((starts.at(-1) ?? 0) - (starts[0] ?? 0));
    console.log(
      `fleet of 3, one type watched on each: ${perMinute.toFixed(0)} polls a minute (one poller: ${60_000 / POLL_MS})`,
    );
    expect(perMinute).toBeLessThanOrEqual((60_000 / POLL_MS) * 1.05);
    const id = await request(type);
    for (const s of streams) await s.until(1, 5_000);
    expect(received(...streams)).toEqual([id, id, id]);
    await Promise.all(streams.map((s) => s.close()));
  });

  it("holds MAX_SUBSCRIPTIONS_PER_PRINCIPAL (20) for a principal across the instances", async () => {
    const type = await newType("Fleet limit");
    const open = Array.from({ length: 20 }, (_, i) => subscribe(gateways[i % 3] as GatewayProcess, type));
    await pause(1_000);
    expect(open.filter((s) => s.events.length > 0)).toEqual([]);
    for (const g of gateways) {
      const refused = subscribe(g, type);
      await refused.until(1, 5_000);
      expect(refused.events[0]?.data.errors?.[0]?.extensions?.code).toBe("TOO_MANY_SUBSCRIPTIONS");
    }
    await (open[0] as SseStream).close();
    await pause(300);
    const again = subscribe(gateways[2] as GatewayProcess, type);
    await pause(500);
    expect(again.events).toEqual([]);
    await Promise.all([...open.slice(1), again].map((s) => s.close()));
  });

  it("loses nothing and repeats nothing when the polling instance is killed and its subscriber resumes elsewhere", async () => {
    const [a, b, c] = gateways as [GatewayProcess, GatewayProcess, GatewayProcess];
    const type = await newType("Fleet failover");
    const onA = subscribe(a, type);
    await pause(2 * POLL_MS);
    const onB = subscribe(b, type);
    const onC = subscribe(c, type);
    await pause(2 * POLL_MS);
    const sent: string[] = [];
    for (let i = 0; i < 4; i++) {
      sent.push(await request(type));
      await pause(150);
    }
    await waitFor(() => onA.events.length === 4, 5_000, "A's first events");
    // A leads the type's poll (its subscriber came first): it dies without releasing anything.
    await a.kill();
    await waitFor(() => onA.ended, 5_000, "A's stream to end");
    for (let i = 0; i < 4; i++) {
      sent.push(await request(type));
      await pause(150);
    }
    const resumed = subscribe(b, type, { "last-event-id": onA.lastId() as string });
    for (let i = 0; i < 2; i++) {
      sent.push(await request(type));
      await pause(150);
    }
    for (const s of [resumed, onB, onC]) await s.until(s === resumed ? sent.length - 4 : sent.length, 10_000);
    await pause(3 * POLL_MS);
    expect(received(onA, resumed)).toEqual(sent);
    expect(received(onB)).toEqual(sent);
    expect(received(onC)).toEqual(sent);
    await Promise.all([resumed, onB, onC].map((s) => s.close()));
  }, 60_000);
});
