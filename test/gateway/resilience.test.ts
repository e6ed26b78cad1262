import { complexityFromQuery } from "@pothos/plugin-complexity";
import fc from "fast-check";
import {
  type GraphQLField,
  type GraphQLOutputType,
  getNamedType,
  isInterfaceType,
  isObjectType,
  isUnionType,
} from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../src/security/auth.js";
import { dummyLiteral, mutationFields, queryFields, schema } from "../support/documents.js";
import { type Stack, startStack } from "../support/stack.js";

describe("reads under MTurk's throttling and faults", () => {
  let stack: Stack;
  beforeAll(async () => {
    // Enough attempts that 20 % throttling and 5 % faults still leave every read a success.
    stack = await startStack({ size: "demo", seed: 5, env: { MTURK_MAX_ATTEMPTS: "8" } });
  });
  afterAll(() => stack.close());

  it("with 20 % ThrottlingException and 5 % ServiceFault injected, every read of a suite succeeds", async () => {
    const f = await stack.control<{
      typesWithPendingRequests: string[];
      hitIds: string[];
      assignmentIdsByStatus: Record<string, string[]>;
    }>("GET", "fixtures");
    await stack.control("PUT", "faults", { throttleRate: 0.2, serviceFaultRate: 0.05, dropRate: 0 });
    const reads: [string, Record<string, unknown>][] = [
      [
        `{ hits(first: 15) { edges { node { title assignments(first: 5) { edges { node { status worker { workerId block { reason } } } } } } } } }`,
        {},
      ],
      [
        `query($t: String!) { qualificationType(qualificationTypeId: $t) { name requests(first: 20) { edges { node { worker { qualification(qualificationTypeId: $t) { status } } } } } hits(first: 5) { totalCount } } }`,
        { t: f.typesWithPendingRequests[0] },
      ],
      [
        `{ qualificationRequests(orderBy: { field: SUBMIT_TIME }, page: { number: 2, size: 20 }) { totalCount edges { node { qualificationType { name } } } } }`,
        {},
      ],
      [
        `query($a: String!) { assignment(assignmentId: $a) { hit { title qualificationRequirements { qualificationType { name } } } bonusPayments { totalCount } } }`,
        { a: f.assignmentIdsByStatus.Approved?.[0] },
      ],
      [
        `{ reviewableHits(first: 10) { edges { node { hitId } } } workerBlocks(first: 10) { totalCount } accountBalance { availableBalance { amount } } }`,
        {},
      ],
      [
        `{ qualificationTypes(first: 20, orderBy: { field: NAME }) { edges { node { name workers(first: 10) { edges { qualification { integerValue } } } } } } }`,
        {},
      ],
    ];
    stack.simulator.instrumentation.resetCalls();
    for (const [document, variables] of reads) {
      const result = await stack.query(document, variables);
      expect(result.errors, document.slice(0, 60)).toBeUndefined();
    }
    const outcomes = stack.simulator.instrumentation.calls.map((c) => c.outcome);
    // The faults really happened, and were retried away.
    expect(outcomes.filter((o) => o === "ThrottlingException").length).toBeGreaterThan(0);
    await stack.control("DELETE", "faults");
  });
});

describe("fuzzing the schema", () => {
  const KEY = "fuzz-admin-key-000001";
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      size: "tiny",
      env: {
        AUTH_API_KEYS: JSON.stringify([{ name: "fuzz", sha256: hashApiKey(KEY), scopes: ["read", "write", "pay"] }]),
      },
    });
  });
  afterAll(() => stack.close());

  /** A selection of up to `depth` levels under a type, picking fields by the generator's choices. */
  function selection(type: GraphQLOutputType, depth: number, pick: (n: number) => number): string {
    const named = getNamedType(type);
    if (isUnionType(named)) return " { __typename }";
    if (!isObjectType(named) && !isInterfaceType(named)) return "";
    const fields = Object.values(named.getFields()) as GraphQLField<unknown, unknown>[];
    const chosen = Array.from(
      { length: 1 + pick(3) },
      () => fields[pick(fields.length) % fields.length] as GraphQLField<unknown, unknown>,
    );
    const parts = [...new Set(chosen)].map((f) => {
      const args = f.args.filter(() => pick(2) === 1);
      const argText = args.length
        ? `(${args.map((a) => `${a.name}: ${dummyLiteral(a.type, pick, a.name)}`).join(", ")})`
        : "";
      const sub = depth > 0 ? selection(f.type, depth - 1, pick) : "";
      const leafNeeded =
        !sub &&
        (isObjectType(getNamedType(f.type)) ||
          isInterfaceType(getNamedType(f.type)) ||
          isUnionType(getNamedType(f.type)));
      return `${f.name}${argText}${leafNeeded ? " { __typename }" : sub}`;
    });
    return ` { __typename ${parts.join(" ")} }`;
  }

  /** The document's price as the complexity plugin computes it (with the gateway's default limits). */
  function priceOf(query: string, variables: unknown): number {
    const ctx = { limits: { scanCost: 50, maxPageSize: 1000, maxBulkItems: 500, complexity: {} } };
    try {
      return complexityFromQuery(query, { schema, ctx, variables: (variables ?? {}) as Record<string, unknown> })
        .complexity;
    } catch {
      // A document the plugin cannot price is refused before execution: it makes no call.
      return 0;
    }
  }

  it("random documents and variables never cause a 5xx, a crash, a stack trace, a leaked secret or more calls than their price", async () => {
    const roots = [
      ...queryFields().map((f) => ["query", f] as const),
      ...mutationFields().map((f) => ["mutation", f] as const),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
        fc.oneof(fc.constant(undefined), fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }))),
        fc.constantFrom("valid", "garbled"),
        async (choices, variables, mode) => {
          let i = 0;
          const pick = (n: number) => (n <= 0 ? 0 : (choices[i++ % choices.length] as number) % n);
          const [kind, field] = roots[pick(roots.length)] as (typeof roots)[number];
          const args = field.args.filter((a) => pick(3) > 0 || a.type.toString().endsWith("!"));
          const argText = args.length
            ? `(${args.map((a) => `${a.name}: ${dummyLiteral(a.type, pick, a.name)}`).join(", ")})`
            : "";
          let query = `${kind} { ${field.name}${argText}${selection(field.type, 2, pick)} }`;
          if (mode === "garbled")
            query = query.slice(0, pick(query.length)) + "}{$!".charAt(pick(4)) + query.slice(pick(query.length));
          stack.simulator.instrumentation.resetCalls();
          const response = await stack.yoga.fetch("http://gateway.test/graphql", {
            method: "POST",
            headers: { "content-type": "application/json", "x-api-key": KEY },
            body: JSON.stringify({ query, variables }),
          });
          const text = await response.text();
          expect(response.status, query).toBeLessThan(500);
          expect(text, query).not.toMatch(/"stack"|\bat [\w.<>]+ \(|node_modules|Unexpected error/);
          expect(text).not.toContain(stack.simulator.credentials.secretAccessKey);
          expect(text).not.toContain(KEY);
          const body = JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] };
          for (const error of body.errors ?? [])
            expect(error.extensions?.code, `${query}\n${text.slice(0, 300)}`).toBeTruthy();
          // The price bounds the calls: no document makes more upstream calls than it was priced at.
          const calls = stack.simulator.instrumentation.calls.length;
          if (calls > 0) expect(calls, query).toBeLessThanOrEqual(priceOf(query, variables));
        },
      ),
      { numRuns: 150 },
    );
  });
});
