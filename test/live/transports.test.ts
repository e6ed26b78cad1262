import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CreateQualificationTypeCommand } from "@aws-sdk/client-mturk";
import { createClient as createSseClient } from "graphql-sse";
import { type Client, createClient as createWsClient } from "graphql-ws";
import jwt from "jsonwebtoken";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { attachWebSocket } from "../../src/live/ws.js";
import { hashApiKey } from "../../src/security/auth.js";
import { type Stack, startStack } from "../support/stack.js";
import { REQUEST_SUBMITTED, waitFor } from "./support.js";

/**
 * The other transports, over a real HTTP server as src/main.ts serves them: graphql-ws (authenticated like HTTP,
 * by API key or JWT in connectionParams; resumed with extensions.lastEventId) and graphql-sse's single-connection
 * mode at /graphql through yoga's plugin.
 */
const KEY = "transport-reader-key-0123456789";
const SECRET = "transport-jwt-secret-0123456789";
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("graphql-ws and graphql-sse", () => {
  let stack: Stack;
  let server: Server;
  let url: string;
  let type: string;
  let sockets: { close(): Promise<void> };
  beforeAll(async () => {
    stack = await startStack({
      env: {
        SUBSCRIPTION_POLL_MS: "150",
        AUTH_API_KEYS: JSON.stringify([{ name: "reader", sha256: hashApiKey(KEY), scopes: ["read"] }]),
        AUTH_JWT_SECRET: SECRET,
      },
    });
    server = createServer(stack.yoga);
    sockets = attachWebSocket(server, stack.yoga as never, { maxPayload: 100_000, maxTokens: 5_000 });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const created = await stack.client.send(
      new CreateQualificationTypeCommand({
        Name: "Transports",
        Description: "live",
        QualificationTypeStatus: "Active",
      }),
    );
    type = created.QualificationType?.QualificationTypeId as string;
  });
  afterAll(async () => {
    await sockets.close();
    server.closeAllConnections();
    server.close();
    await stack.close();
  });

  async function request(): Promise<string> {
    const { workerId } = await stack.control<{ workerId: string }>("POST", "workers", {});
    const r = await stack.control<any>("POST", `workers/${workerId}/qualification-requests`, {
      qualificationTypeId: type,
    });
    return r.qualificationRequest.QualificationRequestId;
  }

  function collect(client: Client, extensions?: Record<string, unknown>) {
    const results: any[] = [];
    const errors: unknown[] = [];
    const stop = client.subscribe(
      { query: REQUEST_SUBMITTED, variables: { t: type }, ...(extensions ? { extensions } : {}) },
      { next: (r) => void results.push(r), error: (e) => void errors.push(e), complete: () => undefined },
    );
    return { results, errors, stop };
  }
  const ws = (connectionParams: Record<string, unknown>) =>
    createWsClient({
      url: `ws://${url}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams,
      retryAttempts: 0,
      lazy: true,
    });

  it("graphql-ws: an API key in connectionParams, events with ids, resumed after extensions.lastEventId", async () => {
    const client = ws({ apiKey: KEY });
    const first = collect(client);
    await pause(400);
    const sent = [await request()];
    await waitFor(() => first.results.length === 1, 5_000, "the first event");
    const lastEventId = first.results[0].extensions.eventId as string;
    expect(lastEventId).toMatch(/^\d+-\d+$/);
    first.stop();
    sent.push(await request(), await request());
    await pause(400);
    const resumed = collect(client, { lastEventId });
    await waitFor(() => resumed.results.length === 2, 5_000, "the missed events");
    sent.push(await request());
    await waitFor(() => resumed.results.length === 3, 5_000, "a live event");
    const ids = [...first.results, ...resumed.results].map(
      (r) => r.data.qualificationRequestSubmitted.qualificationRequestId,
    );
    expect(ids).toEqual(sent);
    resumed.stop();
    await client.dispose();
  });

  it("graphql-ws: a JWT in connectionParams; no credential closes the socket with 4403; another origin gets 403", async () => {
    const token = jwt.sign({ sub: "frontend", scope: "read" }, SECRET, { expiresIn: 600 });
    const client = ws({ authorization: `Bearer ${token}` });
    const typename = await new Promise((resolve, reject) =>
      client.subscribe({ query: "{ __typename }" }, { next: resolve, error: reject, complete: () => undefined }),
    );
    // The answer of a query over graphql-ws, with its cost (extensions.cost) as over HTTP.
    expect(typename).toMatchObject({ data: { __typename: "Query" }, extensions: { cost: { upstreamCalls: 0 } } });
    await client.dispose();
    const closed = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`ws://${url}/graphql`, "graphql-transport-ws");
      socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: { apiKey: "wrong" } })));
      socket.on("close", (code) => resolve(code));
    });
    expect(closed).toBe(4403);
    const refused = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`ws://${url}/graphql`, "graphql-transport-ws", {
        headers: { origin: "https://evil.example" },
      });
      socket.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      socket.on("error", () => resolve(-1));
    });
    expect(refused).toBe(403);
  });

  it("graphql-ws: operations go to the gateway's own /graphql, whatever Host the client sends", async () => {
    // A Host that smuggles a path: built into the operation's URL, it would route the operation elsewhere.
    for (const host of [`${url}/exports/assignments.csv?hitId=3ABC#`, "evil.example", `${url}/graphql/../exports?x=`]) {
      class HostSocket extends WebSocket {
        constructor(address: string, protocols?: string | string[]) {
          super(address, protocols, { headers: { host } });
        }
      }
      const client = createWsClient({
        url: `ws://${url}/graphql`,
        webSocketImpl: HostSocket,
        connectionParams: { apiKey: KEY },
        retryAttempts: 0,
        lazy: true,
      });
      const answer = await new Promise((resolve) =>
        client.subscribe({ query: "{ __typename }" }, { next: resolve, error: resolve, complete: () => undefined }),
      );
      expect([host, (answer as { data?: unknown }).data]).toEqual([host, { __typename: "Query" }]);
      await client.dispose();
    }
  });

  it("graphql-sse single-connection mode at /graphql: one stream, authenticated like HTTP", async () => {
    const client = createSseClient({
      singleConnection: true,
      url: `http://${url}/graphql`,
      headers: { "x-api-key": KEY },
      retryAttempts: 0,
    });
    const results: any[] = [];
    const stop = client.subscribe(
      { query: REQUEST_SUBMITTED, variables: { t: type } },
      { next: (r) => void results.push(r), error: () => undefined, complete: () => undefined },
    );
    await pause(500);
    const id = await request();
    await waitFor(() => results.length === 1, 5_000, "the event over graphql-sse");
    expect(results[0].data.qualificationRequestSubmitted.qualificationRequestId).toBe(id);
    stop();
    client.dispose();
    const reserve = await fetch(`http://${url}/graphql`, { method: "PUT" });
    expect(reserve.status).toBe(401);
  });
});
