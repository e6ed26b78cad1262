import { type GraphQLInputType, isEnumType, isInputObjectType, isListType, isNonNullType } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../src/security/auth.js";
import { mutationFields, queryFields } from "../support/documents.js";
import { type Stack, startStack } from "../support/stack.js";

/** Denial of service, tried as an attacker would: nothing a caller sends may grow without bound or starve others. */
const KEY = "dos-test-key-0001";
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    size: "tiny",
    seed: 61,
    env: {
      AUTH_API_KEYS: JSON.stringify([{ name: "dos", sha256: hashApiKey(KEY), scopes: ["read", "write", "pay"] }]),
      MAX_BODY_BYTES: "400000",
    },
  });
});
afterAll(() => stack.close());

const post = (body: unknown, headers: Record<string, string> = {}) =>
  stack.yoga.fetch("http://gateway.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

describe("bounded metrics", () => {
  it("random operation names, authenticated or not, add no label to /metrics", async () => {
    const names = Array.from({ length: 300 }, (_, i) => `Op${i}x${Math.random().toString(36).slice(2, 10)}`);
    for (const [i, name] of names.entries())
      await post({ query: `query ${name} { __typename }`, operationName: name }, i % 2 ? { "x-api-key": KEY } : {});
    const metrics = await (
      await stack.yoga.fetch("http://gateway.test/metrics", { headers: { "x-api-key": KEY } })
    ).text();
    for (const name of names) expect(metrics).not.toContain(name);
    expect(metrics).not.toContain("gateway.test/graphql");
  });
});

describe("/ready", () => {
  it("200 concurrent checks make at most one upstream call", async () => {
    stack.simulator.instrumentation.resetCalls();
    const answers = await Promise.all(Array.from({ length: 200 }, () => stack.yoga.fetch("http://gateway.test/ready")));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(
      stack.simulator.instrumentation.calls.filter((c) => c.operation === "GetAccountBalance").length,
    ).toBeLessThanOrEqual(1);
  });
});

describe("retries", () => {
  it("many lost responses of other requests leave a later read its retries", async () => {
    const f = await stack.control<{ hitIds: string[] }>("GET", "fixtures");
    const read = (h: string) =>
      post({ query: `query($h: String!) { hit(hitId: $h) { title } }`, variables: { h } }, { "x-api-key": KEY });
    // 60 reads that lose every answer (3 attempts each) drain a process-wide retry quota.
    await stack.control("POST", "faults/next", { operation: "GetHIT", count: 180, fault: "drop" });
    for (let i = 0; i < 60; i += 1) await read(f.hitIds[i % f.hitIds.length] as string);
    await stack.control("DELETE", "faults");
    await stack.control("POST", "faults/next", { operation: "GetHIT", count: 1, fault: "drop" });
    const later = (await (await read(f.hitIds[0] as string)).json()) as {
      data?: { hit?: { title?: string } };
      errors?: unknown;
    };
    expect(later.errors).toBeUndefined();
    expect(later.data?.hit?.title).toBeTruthy();
  });
});

/** A variables value for an input type: every String the long string, the rest something valid. */
function valueFor(type: GraphQLInputType, long: string): unknown {
  if (isNonNullType(type)) return valueFor(type.ofType, long);
  if (isListType(type)) return [valueFor(type.ofType, long)];
  if (isInputObjectType(type))
    return Object.fromEntries(Object.values(type.getFields()).map((f) => [f.name, valueFor(f.type, long)]));
  if (isEnumType(type)) return type.getValues()[0]?.value;
  switch (type.name) {
    case "Int":
      return 1;
    case "Boolean":
      return false;
    case "DateTime":
      return "2026-01-01T00:00:00Z";
    default:
      return long;
  }
}

describe("long strings", () => {
  it("100,000-character strings in every string argument get a coded answer, never a 5xx", async () => {
    const long = " ".repeat(50_000) + "x".repeat(50_000);
    const roots = [
      ...queryFields().map((f) => ["query", f] as const),
      ...mutationFields().map((f) => ["mutation", f] as const),
    ];
    for (const [kind, field] of roots) {
      // Every argument, strings long (inputs included: a mutation's input object has its strings long).
      const args = field.args.filter((a) => a.name !== "after" && a.name !== "before");
      if (!args.length) continue;
      const defs = args.map((a) => `$${a.name}: ${a.type.toString()}`).join(", ");
      const uses = args.map((a) => `${a.name}: $${a.name}`).join(", ");
      const query = `${kind}(${defs}) { ${field.name}(${uses}) { __typename } }`;
      const variables = Object.fromEntries(args.map((a) => [a.name, valueFor(a.type, long)]));
      const response = await post({ query, variables }, { "x-api-key": KEY });
      expect(response.status, field.name).toBeLessThan(500);
      const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
      for (const error of body.errors ?? []) expect(error.extensions?.code, field.name).toBeTruthy();
    }
  });
});
