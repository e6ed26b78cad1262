import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeysEnv, type Stack, startStack } from "../support/stack.js";
import { hitWithSubmissions } from "../support/work.js";

/** GetFileUploadURL, the one MTurk read the graph lacked: Assignment.fileUploadUrl(questionIdentifier:). */
const READER = "file-reader-key-0001";
const WRITER = "file-writer-key-0001";
let stack: Stack;
let assignmentId: string;
beforeAll(async () => {
  stack = await startStack({
    size: "empty",
    seed: 17,
    env: apiKeysEnv({
      reader: { key: READER, scopes: ["read", "write", "pay"] },
      writer: { key: WRITER, scopes: ["write"] },
    }),
  });
  const authed = { ...stack, query: (q: string, v?: Record<string, unknown>) => stack.queryAs(READER, q, v) };
  assignmentId = (await hitWithSubmissions(authed as Stack, 1, "file-hit")).submissions[0]?.assignmentId as string;
});
afterAll(() => stack.close());

const as = (key: string, query: string, variables: Record<string, unknown> = {}) =>
  stack.queryAs(key, query, variables);
const FILE = `query($a: String!, $q: String!) { assignment(assignmentId: $a) { fileUploadUrl(questionIdentifier: $q) } }`;

describe("Assignment.fileUploadUrl", () => {
  it("is MTurk's temporary URL of an uploaded file answer: one GetFileUploadURL, no GetAssignment", async () => {
    stack.simulator.instrumentation.resetCalls();
    const result = await as(READER, FILE, { a: assignmentId, q: "photo" });
    expect(result.errors).toBeUndefined();
    const url = new URL(result.data.assignment.fileUploadUrl);
    expect(url.pathname).toContain(assignmentId);
    expect(url.searchParams.get("Expires")).toMatch(/^\d+$/);
    expect(stack.simulator.instrumentation.calls.map((c) => c.operation)).toEqual(["GetFileUploadURL"]);
  });

  it("needs read; a missing assignment is NOT_FOUND at its path", async () => {
    const refused = await as(WRITER, FILE, { a: assignmentId, q: "photo" });
    expect(refused.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const missing = await as(READER, FILE, { a: "3NOSUCHASSIGNMENT00000000000001", q: "photo" });
    expect(missing.errors?.map((e: any) => [e.extensions?.code, e.path])).toEqual([
      ["NOT_FOUND", ["assignment", "fileUploadUrl"]],
    ]);
  });
});
