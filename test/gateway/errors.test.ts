import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ size: "tiny", env: { MTURK_MAX_ATTEMPTS: "2" } });
});
afterAll(() => stack.close());

const noLeak = (body: unknown) => {
  const text = JSON.stringify(body);
  expect(text).not.toContain(stack.simulator.credentials.secretAccessKey);
  expect(text).not.toContain(stack.simulator.credentials.accessKeyId);
  expect(text).not.toMatch(/"stack"|\bat [\w.]+ \(|node_modules/);
};

describe("MTurk errors as GraphQL errors", () => {
  it("a missing HIT is null plus NOT_FOUND at its path; siblings still resolve", async () => {
    const result = await stack.query(
      `{ hit(hitId: "3NOSUCHHIT000000000000000000000") { title } accountBalance { availableBalance { amount } } }`,
    );
    expect(result.data).toMatchObject({ hit: null, accountBalance: { availableBalance: { amount: "10000.00" } } });
    expect(result.errors).toEqual([
      expect.objectContaining({
        path: ["hit"],
        extensions: { code: "NOT_FOUND", operation: "GetHIT", turkErrorCode: "AWS.MechanicalTurk.HITDoesNotExist" },
      }),
    ]);
    expect(result.errors?.[0]?.message).toBe("Hit 3NOSUCHHIT000000000000000000000 does not exist.");
    noLeak(result);
  });

  it("input MTurk rejects is BAD_USER_INPUT", async () => {
    const result = await stack.query(
      `{ hit(hitId: "lower-case") { title } qualificationType(qualificationTypeId: "00000000000000000071") { requests { edges { cursor } } } }`,
    );
    const codes = Object.fromEntries((result.errors ?? []).map((e) => [String(e.path?.[0]), e.extensions?.code]));
    expect(codes).toEqual({ hit: "BAD_USER_INPUT", qualificationType: "BAD_USER_INPUT" });
    const worker = await stack.query(`{ worker(workerId: "not-a-worker") { workerId } }`);
    expect(worker.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    noLeak(worker);
  });

  it("throttling and ServiceFault past the SDK's retries are UPSTREAM_UNAVAILABLE; a retried throttle succeeds", async () => {
    await stack.control("POST", "faults/next", { operation: "ListHITs", count: 1, fault: "ThrottlingException" });
    const retried = await stack.query(`{ hits(first: 1) { edges { cursor } } }`);
    expect(retried.errors).toBeUndefined();
    await stack.control("POST", "faults/next", { operation: "ListHITs", count: 2, fault: "ThrottlingException" });
    const throttled = await stack.query(`{ hits(first: 1) { edges { cursor } } }`);
    expect(throttled.errors?.[0]?.extensions).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", operation: "ListHITs" });
    await stack.control("POST", "faults/next", { operation: "GetAccountBalance", count: 2, fault: "ServiceFault" });
    const fault = await stack.query(`{ accountBalance { availableBalance { amount } } }`);
    expect(fault.errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
    await stack.control("POST", "faults/next", { operation: "ListWorkerBlocks", count: 2, fault: "drop" });
    const dropped = await stack.query(`{ workerBlocks { edges { cursor } } }`);
    expect(dropped.errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
    noLeak([retried, throttled, fault, dropped]);
  });

  it("rejected gateway credentials are UPSTREAM_UNAUTHORIZED without naming them", async () => {
    const { createMTurkClient } = await import("../../src/mturk/client.js");
    const { createGateway } = await import("../../src/gateway.js");
    const { loadConfig } = await import("../../src/config.js");
    const client = createMTurkClient({
      endpoint: stack.simulator.url,
      credentials: { accessKeyId: "AKIDLEAKCHECK", secretAccessKey: "do-not-print-me" },
      maxAttempts: 1,
      timeoutMs: 5000,
    });
    const config = loadConfig({ MTURK_ENDPOINT: stack.simulator.url, ALLOWED_HOSTS: "gateway.test" });
    const yoga = createGateway({ config, client });
    const response = await yoga.fetch("http://gateway.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ accountBalance { availableBalance { amount } } }" }),
    });
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe("UPSTREAM_UNAUTHORIZED");
    expect(JSON.stringify(body)).not.toMatch(/AKIDLEAKCHECK|do-not-print-me/);
    client.destroy();
  });

  it("documents that are not valid GraphQL get the standard errors, not masked ones", async () => {
    const syntax = await stack.query(`{ hits( }`);
    expect(syntax.errors?.[0]?.message).toMatch(/Syntax Error/);
    const unknown = await stack.query(`{ noSuchField }`);
    expect(unknown.errors?.[0]?.message).toContain("noSuchField");
    const badId = await stack.query(`{ node(id: "%%%") { id } }`);
    expect(badId.errors?.[0]).toMatchObject({
      message: "Invalid global ID: %%%",
      extensions: { code: "BAD_USER_INPUT" },
    });
    noLeak([syntax, unknown, badId]);
  });

  it("a GET whose variables or extensions are not JSON is BAD_REQUEST (400), not an internal error", async () => {
    for (const param of ["variables=%7Bbad", "extensions=%7Bbad", "variables=%E0%A4%A"]) {
      const response = await stack.yoga.fetch(`http://gateway.test/graphql?query=%7B__typename%7D&${param}`, {
        headers: { "x-graphql-csrf": "1", accept: "application/graphql-response+json" },
      });
      const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
      expect([param, response.status, body.errors?.[0]?.extensions?.code]).toEqual([param, 400, "BAD_REQUEST"]);
      noLeak(body);
    }
  });
});
