import { createServer, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import jwt from "jsonwebtoken";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../src/security/auth.js";
import { mutationFields, queryFields, rootDocument } from "../support/documents.js";
import { type Stack, startStack } from "../support/stack.js";

const KEYS = {
  reader: "key-reader-0001",
  writer: "key-writer-0001",
  payer: "key-payer-00001",
  writePayer: "key-wpayer-0001",
  admin: "key-admin-00001",
};
const SECRET = "jwt-shared-secret-for-tests-0123456789";
const apiKeys = JSON.stringify([
  { name: "reader", sha256: hashApiKey(KEYS.reader), scopes: ["read"] },
  { name: "writer", sha256: hashApiKey(KEYS.writer), scopes: ["write"] },
  { name: "payer", sha256: hashApiKey(KEYS.payer), scopes: ["pay"] },
  { name: "write-payer", sha256: hashApiKey(KEYS.writePayer), scopes: ["write", "pay"] },
  { name: "admin", sha256: hashApiKey(KEYS.admin), scopes: ["read", "write", "pay"] },
]);
/** Mutations that can raise what the account pays: they need write and pay. */
const PAY = new Set([
  "updateHITTypeOfHIT",
  "createHIT",
  "createHITWithHITType",
  "createAdditionalAssignmentsForHIT",
  "approveAssignment",
  "approveAssignments",
  "sendBonus",
  "sendBonuses",
]);

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    size: "tiny",
    env: { AUTH_API_KEYS: apiKeys, AUTH_JWT_SECRET: SECRET, MAX_BODY_BYTES: "60000" },
    embedded: true,
  });
});
afterAll(() => stack.close());

async function post(body: unknown, headers: Record<string, string> = {}) {
  const response = await stack.yoga.fetch("http://gateway.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] },
  };
}
const codes = (r: { body: { errors?: { extensions?: { code?: string } }[] } }) =>
  (r.body.errors ?? []).map((e) => e.extensions?.code);
const as = (key: string) => ({ "x-api-key": key });

describe("authentication", () => {
  it("every root field and mutation needs a credential; a bad API key or token is refused", async () => {
    for (const [kind, field] of [
      ...queryFields().map((f) => ["query", f] as const),
      ...mutationFields().map((f) => ["mutation", f] as const),
    ]) {
      const query = rootDocument(kind, field);
      const refused: Record<string, string>[] = [{}, as("not-a-key"), { authorization: "ApiKey wrong" }];
      for (const headers of refused) {
        const r = await post({ query }, headers);
        expect(r.status, `${field.name} ${JSON.stringify(headers)}`).toBe(401);
        expect(codes(r)).toContain("UNAUTHENTICATED");
      }
      // A token that is not even a JWT is a bad request.
      const malformed = await post({ query }, { authorization: "Bearer not.a.jwt" });
      expect([400, 401]).toContain(malformed.status);
      expect(malformed.body.data ?? null).toBeNull();
    }
  });

  it("the scope matrix: read for queries (node and nodes included), write for mutations, write and pay for money", async () => {
    for (const field of queryFields()) {
      const query = rootDocument("query", field);
      expect(codes(await post({ query }, as(KEYS.reader))), field.name).not.toContain("FORBIDDEN");
      for (const key of [KEYS.writer, KEYS.payer, KEYS.writePayer])
        expect(codes(await post({ query }, as(key))), field.name).toContain("FORBIDDEN");
    }
    for (const field of mutationFields()) {
      const query = rootDocument("mutation", field);
      const pay = PAY.has(field.name);
      expect(codes(await post({ query }, as(KEYS.reader))), field.name).toContain("FORBIDDEN");
      expect(codes(await post({ query }, as(KEYS.writer))).includes("FORBIDDEN"), field.name).toBe(pay);
      // pay alone is not write: it runs nothing.
      expect(codes(await post({ query }, as(KEYS.payer))), field.name).toContain("FORBIDDEN");
      expect(codes(await post({ query }, as(KEYS.writePayer))), field.name).not.toContain("FORBIDDEN");
      expect(codes(await post({ query }, as(KEYS.admin))), field.name).not.toContain("FORBIDDEN");
    }
  });

  it("JWT bearer tokens carry scopes; expired or wrongly signed tokens are refused", async () => {
    const token = (claims: Record<string, unknown>, secret = SECRET, expiresIn: number | string = "5m") =>
      jwt.sign(claims, secret, { algorithm: "HS256", expiresIn } as jwt.SignOptions);
    const query = "{ accountBalance { availableBalance { amount } } }";
    const ok = await post({ query }, { authorization: `Bearer ${token({ sub: "lab-frontend", scope: "read" })}` });
    expect(ok.status).toBe(200);
    expect(codes(ok)).toEqual([]);
    const noScope = await post({ query }, { authorization: `Bearer ${token({ sub: "x", scope: "write" })}` });
    expect(codes(noScope)).toContain("FORBIDDEN");
    const expired = await post(
      { query },
      { authorization: `Bearer ${token({ sub: "x", scope: "read" }, SECRET, -10)}` },
    );
    expect(expired.status).toBe(401);
    const forged = await post(
      { query },
      { authorization: `Bearer ${token({ sub: "x", scope: "read" }, "another-secret-0123456789")}` },
    );
    expect(forged.status).toBe(401);
    for (const r of [ok, noScope, expired, forged]) expect(JSON.stringify(r.body)).not.toContain(SECRET);
  });

  it("/health and /ready are open; /metrics needs an API key and shows upstream and request metrics", async () => {
    expect((await stack.yoga.fetch("http://gateway.test/health")).status).toBe(200);
    const ready = await stack.yoga.fetch("http://gateway.test/ready");
    expect(ready.status).toBe(200);
    expect((await stack.yoga.fetch("http://gateway.test/metrics")).status).toBe(401);
    await post({ query: "{ hits(first: 1) { edges { cursor } } }" }, as(KEYS.reader));
    const metrics = await stack.yoga.fetch("http://gateway.test/metrics", { headers: as(KEYS.reader) });
    const text = await metrics.text();
    expect(metrics.status).toBe(200);
    expect(text).toMatch(/mturk_upstream_calls_total\{operation="ListHITs",outcome="ok"\} \d+/);
    expect(text).toContain("graphql_yoga_http_duration");
    expect(text).not.toContain(KEYS.reader);
  });

  it("the embedded simulator's worker side (/_simulator/) needs an API key too: it can submit work and reset the account", async () => {
    expect((await stack.yoga.fetch("http://gateway.test/_simulator/fixtures")).status).toBe(401);
    const reset = await stack.yoga.fetch("http://gateway.test/_simulator/reset", { method: "POST" });
    expect(reset.status).toBe(401);
    const fixtures = await stack.yoga.fetch("http://gateway.test/_simulator/fixtures", { headers: as(KEYS.reader) });
    expect(fixtures.status).toBe(200);
    expect(await fixtures.json()).toHaveProperty("hitIds");
  });
});

describe("limits", () => {
  const admin = as(KEYS.admin);
  it("depth, aliases, tokens, directives and body size are limited", async () => {
    const deep = `{ hits { edges { node { assignments { edges { node { hit { assignments { edges { node { hit { assignments { edges { node { hit { hitId } } } } } } } } } } } } } } } }`;
    expect(codes(await post({ query: deep }, admin)).join()).toMatch(
      /BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED|QUERY_TOO_COMPLEX/,
    );
    const aliases = `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: accountBalance { availableBalance { amount } }`).join(" ")} }`;
    const aliased = await post({ query: aliases }, admin);
    expect(JSON.stringify(aliased.body)).toMatch(/[Aa]liases/);
    const tokens = `{ ${Array.from({ length: 2600 }, (_, i) => `a${i}: __typename`).join(" ")} }`;
    expect(JSON.stringify((await post({ query: tokens }, admin)).body)).toMatch(/[Tt]oken/);
    const directives = `{ __typename ${Array.from({ length: 21 }, () => "@include(if: true)").join(" ")} }`;
    expect(JSON.stringify((await post({ query: directives }, admin)).body)).toMatch(/[Dd]irective/);
    const big = await post({ query: `{ __typename } # ${"x".repeat(65_000)}` }, admin);
    expect(big.status).toBe(413);
    expect(codes(big)).toEqual(["PAYLOAD_TOO_LARGE"]);
  });

  it("CSRF: a GET without the CSRF header is refused; a JSON POST passes", async () => {
    const get = await stack.yoga.fetch("http://gateway.test/graphql?query=%7B__typename%7D", {
      headers: { ...admin, accept: "application/json" },
    });
    expect(get.status).toBe(403);
    const withHeader = await stack.yoga.fetch("http://gateway.test/graphql?query=%7B__typename%7D", {
      headers: { ...admin, "x-graphql-csrf": "1", accept: "application/json" },
    });
    expect(withHeader.status).toBe(200);
  });
});

describe("limits that need their own configuration", () => {
  it("a slow operation ends with TIMEOUT; introspection and GraphiQL can be turned off; CORS allows only configured origins", async () => {
    const strict = await startStack({
      size: "tiny",
      env: {
        REQUEST_TIMEOUT_MS: "150",
        INTROSPECTION: "false",
        GRAPHIQL: "false",
        CORS_ORIGINS: "https://lab.example.org",
      },
    });
    try {
      await strict.control("PUT", "latency", { fixedMs: 400, jitterMs: 0 });
      const slow = await strict.query("{ accountBalance { availableBalance { amount } } }");
      expect(slow.errors?.[0]?.extensions?.code).toBe("TIMEOUT");
      await strict.control("PUT", "latency", { fixedMs: 0, jitterMs: 0 });
      const introspection = await strict.query("{ __schema { types { name } } }");
      expect(introspection.errors?.[0]?.message).toMatch(/introspection/i);
      const page = await strict.yoga.fetch("http://gateway.test/graphql", { headers: { accept: "text/html" } });
      expect(await page.text()).not.toContain("<html");
      const allowed = await strict.yoga.fetch("http://gateway.test/graphql", {
        method: "OPTIONS",
        headers: { origin: "https://lab.example.org", "access-control-request-method": "POST" },
      });
      expect(allowed.headers.get("access-control-allow-origin")).toBe("https://lab.example.org");
      const denied = await strict.yoga.fetch("http://gateway.test/graphql", {
        method: "OPTIONS",
        headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
      });
      expect(denied.headers.get("access-control-allow-origin")).not.toBe("https://evil.example");
    } finally {
      await strict.close();
    }
  });

  it("persisted-operations mode accepts only the configured operations", async () => {
    const { writeFileSync, mkdtempSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const file = join(mkdtempSync(join(tmpdir(), "ops-")), "ops.json");
    writeFileSync(file, JSON.stringify({ balance1: "{ accountBalance { availableBalance { amount } } }" }));
    const locked = await startStack({ size: "tiny", env: { PERSISTED_OPERATIONS_FILE: file } });
    try {
      const send = async (body: unknown) => {
        const response = await locked.yoga.fetch("http://gateway.test/graphql", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        return (await response.json()) as any;
      };
      const known = await send({ extensions: { persistedQuery: { version: 1, sha256Hash: "balance1" } } });
      expect(known.data.accountBalance.availableBalance.amount).toBe("10000.00");
      const arbitrary = await send({ query: "{ hits { edges { cursor } } }" });
      expect(arbitrary.errors?.[0]?.message).toMatch(/persisted/i);
    } finally {
      await locked.close();
    }
  });

  it("the rate budget queues calls instead of exceeding it", async () => {
    const limited = await startStack({ size: "tiny", env: { MTURK_RATE_PER_SECOND: "20", MTURK_RATE_BURST: "2" } });
    try {
      const { createMTurkClient } = await import("../../src/mturk/client.js");
      const { TokenBucket } = await import("../../src/mturk/rateBudget.js");
      const { FairScheduler } = await import("../../src/mturk/scheduler.js");
      const client = createMTurkClient({
        endpoint: limited.simulator.url,
        credentials: limited.simulator.credentials,
        maxAttempts: 3,
        timeoutMs: 5000,
        scheduler: new FairScheduler(new TokenBucket(20, 2)),
      });
      const { GetAccountBalanceCommand } = await import("@aws-sdk/client-mturk");
      limited.simulator.instrumentation.resetCalls();
      // The simulator runs in this process: its call log's times are this clock's.
      const sent = performance.now();
      await Promise.all(Array.from({ length: 8 }, () => client.send(new GetAccountBalanceCommand({}))));
      const starts = limited.simulator.instrumentation.calls.map((c) => c.start).sort((a, b) => a - b);
      // After the burst of 2, the other 6 calls wait for a token each: at 20 a second the last cannot reach MTurk
      // before 6 intervals (a busy machine only delays calls, never brings one forward).
      expect(starts).toHaveLength(8);
      expect((starts[7] as number) - sent).toBeGreaterThanOrEqual(6 * 50 * 0.95);
      client.destroy();
    } finally {
      await limited.close();
    }
  });
});

describe("the live server", () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer(stack.yoga);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(() => server.close());

  it("passes the graphql-http server audits", async () => {
    const { serverAudits } = await import("graphql-http");
    const audits = serverAudits({
      url,
      fetchFn: (input: RequestInfo | URL, init?: RequestInit) =>
        fetch(input, {
          ...init,
          headers: { ...(init?.headers as Record<string, string>), ...as(KEYS.admin), "x-graphql-csrf": "1" },
        }),
    });
    // Green is every audit ok: its MUSTs, and its SHOULDs and MAYs too (warn and notice are findings).
    const findings: string[] = [];
    for (const audit of audits) {
      const result = await audit.fn();
      if (result.status !== "ok") findings.push(`${result.status} ${audit.name}: ${result.reason}`);
    }
    expect(findings).toEqual([]);
  });

  it("a POST body that is not JSON is 400 whatever the client accepts", async () => {
    for (const accept of ["application/json", "application/graphql-response+json", "*/*"])
      for (const body of ['{ "not": "valid', ""]) {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", accept, ...as(KEYS.admin) },
          body,
        });
        const answer = (await response.json()) as { errors: { extensions: { code: string } }[] };
        expect([accept, body, response.status, answer.errors[0]?.extensions.code]).toEqual([
          accept,
          body,
          400,
          "BAD_REQUEST",
        ]);
      }
  });

  /** One raw HTTP/1.1 exchange: what a client that lies about its body can send. */
  const raw = (head: string, body: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect((server.address() as AddressInfo).port, "127.0.0.1");
      let answer = "";
      socket.on("data", (chunk) => {
        answer += chunk.toString();
      });
      socket.on("end", () => resolve(answer));
      socket.on("error", reject);
      socket.end(`${head}\r\n\r\n${body}`);
    });
  const headers = (extra: string) =>
    [
      "POST /graphql HTTP/1.1",
      "Host: localhost",
      "Content-Type: application/json",
      `X-Api-Key: ${KEYS.admin}`,
      "Connection: close",
      extra,
    ].join("\r\n");

  it("a body is never read past MAX_BODY_BYTES: chunked without a length is 411, a short Content-Length reads no further", async () => {
    const big = JSON.stringify({ query: `{ __typename } # ${"x".repeat(100_000)}` });
    const chunked = await raw(
      headers("Transfer-Encoding: chunked"),
      `${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`,
    );
    expect(chunked).toMatch(/^HTTP\/1\.1 411/);
    expect(chunked).toContain("LENGTH_REQUIRED");
    // A length of 10 over 100 KB: the server reads 10 bytes (not JSON), and the rest is never a request of its own.
    const lying = await raw(headers("Content-Length: 10"), big);
    expect(lying).toMatch(/^HTTP\/1\.1 400/);
    expect(lying).not.toContain("__typename");
    expect(lying.match(/HTTP\/1\.1/g)).toHaveLength(1);
  });
});
