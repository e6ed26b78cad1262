import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import jwt from "jsonwebtoken";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { hashApiKey } from "../../src/security/auth.js";
import { type Stack, startStack } from "../support/stack.js";

/** Leaks and loose ends, tried as an attacker would. */
const KEY = "leaks-test-key-01";
const SECRET = "leaks-jwt-secret-0123456789abcdef";
let stack: Stack;
beforeAll(async () => {
  const operations = join(tmpdir(), `persisted-${process.pid}.json`);
  writeFileSync(operations, JSON.stringify({ balance1: "{ accountBalance { availableBalance { amount } } }" }));
  stack = await startStack({
    size: "tiny",
    seed: 71,
    env: {
      AUTH_API_KEYS: JSON.stringify([{ name: "all", sha256: hashApiKey(KEY), scopes: ["read", "write", "pay"] }]),
      AUTH_JWT_SECRET: SECRET,
      CORS_ORIGINS: "https://a.example.org,https://b.example.org",
      INTROSPECTION: "false",
      PERSISTED_OPERATIONS_FILE: operations,
    },
  });
});
afterAll(() => stack.close());

const fetchGraphQL = (init: { body?: string; headers?: Record<string, string>; method?: string }) =>
  stack.yoga.fetch("http://gateway.test/graphql", {
    method: init.method ?? "POST",
    headers: { "content-type": "application/json", ...init.headers },
    body: init.body,
  });

describe("unauthenticated callers learn nothing", () => {
  it("an invalid document without a credential is 401, with no validation hint", async () => {
    const response = await fetchGraphQL({
      body: JSON.stringify({
        extensions: { persistedQuery: { version: 1, sha256Hash: "balance1" } },
        query: "{ hitz }",
      }),
    });
    expect(response.status).toBe(401);
    const text = await response.text();
    expect(text).not.toMatch(/Did you mean|hitz|of required type|Cannot query field/i);
    expect(response.headers.get("www-authenticate")).toMatch(/ApiKey|Bearer/);
  });

  it("a persisted operation looked up by __proto__ or constructor is refused, not an internal error", async () => {
    for (const hash of ["__proto__", "constructor", "toString"]) {
      const response = await fetchGraphQL({
        headers: { "x-api-key": KEY },
        body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }),
      });
      const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
      expect(response.status).toBeLessThan(500);
      expect(body.errors?.[0]?.extensions?.code).not.toBe("INTERNAL_SERVER_ERROR");
    }
  });

  it("a malformed JSON body's error does not echo the body", async () => {
    const response = await fetchGraphQL({ headers: { "x-api-key": KEY }, body: '{"query": "SECRETSNIPPET' });
    const text = await response.text();
    expect(response.status).toBeLessThan(500);
    expect(JSON.parse(text).errors[0].extensions.code).toBe("BAD_REQUEST");
    expect(text).not.toContain("SECRETSNIPPET");
  });
});

describe("CORS and tokens", () => {
  it("with two allowed origins, an unlisted origin gets no Access-Control-Allow-Origin", async () => {
    const response = await stack.yoga.fetch("http://gateway.test/graphql", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example.com", "access-control-request-method": "POST" },
    });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    const allowed = await stack.yoga.fetch("http://gateway.test/graphql", {
      method: "OPTIONS",
      headers: { origin: "https://b.example.org", "access-control-request-method": "POST" },
    });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://b.example.org");
  });

  it("a JWT without exp is refused", async () => {
    const token = jwt.sign({ sub: "forever", scope: "read" }, SECRET, { algorithm: "HS256" });
    const response = await fetchGraphQL({
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: "balance1" } } }),
    });
    expect(response.status).toBe(401);
  });
});

describe("ids", () => {
  let plain: Stack;
  beforeAll(async () => {
    plain = await startStack({ size: "tiny", seed: 72 });
  });
  afterAll(() => plain.close());

  it("node(id:) with an unknown type name is BAD_USER_INPUT", async () => {
    const id = Buffer.from("NoSuchType:123").toString("base64");
    const r = await plain.query(`query($id: ID!) { node(id: $id) { id } }`, { id });
    expect(r.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("accepting by a global id with a forged worker does not report that worker as granted", async () => {
    const f = await plain.control<{ typesWithPendingRequests: string[]; workerIds: string[] }>("GET", "fixtures");
    const t = f.typesWithPendingRequests[0] as string;
    const listed = await plain.query<any>(
      `query($t: String!) { qualificationType(qualificationTypeId: $t) { requests(first: 1) { edges { node { qualificationRequestId workerId } } } } }`,
      { t },
    );
    const request = listed.data.qualificationType.requests.edges[0].node;
    const victim = f.workerIds.find((w) => w !== request.workerId) as string;
    const forged = Buffer.from(`QualificationRequest:${t}:${request.qualificationRequestId}:${victim}`).toString(
      "base64",
    );
    const r = await plain.query<any>(
      `mutation($i: AcceptQualificationRequestInput!) { acceptQualificationRequest(input: $i) { ... on DecidedQualificationRequest { worker { workerId } qualification { status } } } }`,
      { i: { id: forged } },
    );
    expect(r.data.acceptQualificationRequest.worker?.workerId).not.toBe(victim);
    expect(r.data.acceptQualificationRequest.qualification).toBeNull();
  });

  it("sendBonuses item keys of two batches never collide, whatever the batch keys and reasons", async () => {
    const f = await plain.control<{ assignmentIdsByStatus: Record<string, string[]> }>("GET", "fixtures");
    const a = f.assignmentIdsByStatus.Approved?.[0] as string;
    const w = (await plain.query<any>(`query($a: String!) { assignment(assignmentId: $a) { workerId } }`, { a })).data
      .assignment.workerId;
    const doc = `mutation($i: SendBonusesInput!) { sendBonuses(input: $i) { ... on SendBonusesPayload { succeeded results { result { alreadyProcessed } } } } }`;
    // Joined with ":" these two batches make the same item key.
    const one = await plain.query<any>(doc, {
      i: {
        idempotencyKey: "K",
        items: [{ workerId: w, assignmentId: a, bonusAmount: "1.00", reason: `R:${w}:${a}:1.00:R` }],
      },
    });
    const two = await plain.query<any>(doc, {
      i: {
        idempotencyKey: `K:${w}:${a}:1.00:R`,
        items: [{ workerId: w, assignmentId: a, bonusAmount: "1.00", reason: "R" }],
      },
    });
    expect(one.data.sendBonuses.results[0].result.alreadyProcessed).toBe(false);
    expect(two.data.sendBonuses.results[0].result.alreadyProcessed).toBe(false);
  });
});

describe("configuration", () => {
  it("an endpoint that is not loopback needs authentication", () => {
    expect(() => loadConfig({ MTURK_ENDPOINT: "https://mturk-requester.us-east-1.amazonaws.com" })).toThrow(
      /authentication/i,
    );
    expect(() => loadConfig({ MTURK_ENDPOINT: "https://mturk-requester-sandbox.us-east-1.amazonaws.com" })).toThrow(
      /authentication/i,
    );
    expect(() => loadConfig({ MTURK_ENDPOINT: "http://127.0.0.1:4010" })).not.toThrow();
  });

  it("without authentication the gateway listens on loopback and checks the Host header", async () => {
    expect(loadConfig({}).HOST).toBe("127.0.0.1");
    const plainStack = await startStack({ size: "empty" });
    try {
      const rebound = await plainStack.yoga.fetch("http://evil.example.com/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", host: "evil.example.com" },
        body: JSON.stringify({ query: "{ __typename }" }),
      });
      expect(rebound.status).toBe(403);
      const local = await plainStack.yoga.fetch("http://localhost:4000/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", host: "localhost:4000" },
        body: JSON.stringify({ query: "{ __typename }" }),
      });
      expect(local.status).toBe(200);
    } finally {
      await plainStack.close();
    }
  });
});
