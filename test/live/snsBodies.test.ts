import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";

/**
 * POST /notifications/sns with whatever body a stranger sends: never a 500 or a stack trace. A body that is no SNS
 * message (not JSON, not an object, members that are not strings, an unknown Type) is a 400 with a short message;
 * a well-formed one that is not signed is a 401.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ size: "empty", seed: 41 });
});
afterAll(() => stack.close());

async function post(body: string) {
  const response = await stack.yoga.fetch("http://gateway.test/notifications/sns", {
    method: "POST",
    headers: { "content-type": "text/plain; charset=UTF-8", "content-length": String(Buffer.byteLength(body)) },
    body,
  });
  return { status: response.status, text: await response.text() };
}

/** A short JSON answer that names nothing of the gateway's code. */
function expectShort(answer: { status: number; text: string }) {
  expect(answer.text.length).toBeLessThan(200);
  expect(answer.text).not.toMatch(/\bat \S+ \(|\.ts:\d+|Error:/);
  expect(() => JSON.parse(answer.text)).not.toThrow();
}

const MESSAGE_TYPES = ["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"];
/** What an SNS message's members could be made of: its own names, and names of Object.prototype. */
const memberName = fc.oneof(
  fc.constantFrom("Type", "Message", "MessageId", "Timestamp", "TopicArn", "Signature", "SignatureVersion"),
  fc.constantFrom("SigningCertURL", "SubscribeURL", "Token", "__proto__", "constructor", "toString"),
  fc.string(),
);
const memberValue = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(...MESSAGE_TYPES, "constructor", "__proto__", "2"),
  fc.dictionary(memberName, fc.jsonValue(), { maxKeys: 3 }),
);

describe("POST /notifications/sns with a malformed body", () => {
  it("the reported body, a Type that is an object with toString, is a 400", async () => {
    const answer = await post(JSON.stringify({ Type: { toString: 1 } }));
    expect(answer.status).toBe(400);
    expectShort(answer);
  });

  it("bodies that are not JSON objects of strings are 400; none is ever a 500", async () => {
    const cases = {
      "not JSON": "{not json",
      empty: "",
      array: "[]",
      number: "1",
      null: "null",
      string: '"Notification"',
      "Type constructor": JSON.stringify({ Type: "constructor" }),
      "Type __proto__": JSON.stringify({ Type: "__proto__" }),
      "Type toString": JSON.stringify({ Type: "toString" }),
      "Message an object": JSON.stringify({ Type: "Notification", Message: { a: 1 } }),
      "Signature a number": JSON.stringify({ Type: "Notification", Signature: 5, SignatureVersion: "2" }),
      "SignatureVersion a number": JSON.stringify({ Type: "Notification", SignatureVersion: 2 }),
      "SigningCertURL an array": JSON.stringify({ Type: "Notification", SigningCertURL: ["x"] }),
      "unknown Type": JSON.stringify({ Type: "Nothing" }),
      "deep nesting": `${"[".repeat(50_000)}${"]".repeat(50_000)}`,
      "long Type": JSON.stringify({ Type: "N".repeat(90_000) }),
    };
    const answers: Record<string, number> = {};
    for (const [name, body] of Object.entries(cases)) {
      const answer = await post(body);
      answers[name] = answer.status;
      expectShort(answer);
    }
    expect(answers).toEqual(Object.fromEntries(Object.keys(cases).map((name) => [name, 400])));
  });

  it("a body over MAX_BODY_BYTES is refused before it is read (413, as on every path)", async () => {
    const answer = await post(JSON.stringify({ Type: "Notification", Message: "x".repeat(200_000) }));
    expect(answer.status).toBe(413);
    expectShort(answer);
  });

  it("a fuzzed body is answered 400 or 401, never 500, and briefly", async () => {
    const bodies = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.dictionary(memberName, memberValue, { maxKeys: 12 }).map((o) => JSON.stringify(o)),
      fc
        .record({ Type: fc.constantFrom(...MESSAGE_TYPES), SignatureVersion: memberValue, Signature: memberValue })
        .map((o) => JSON.stringify(o)),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const answer = await post(body);
        expect([400, 401]).toContain(answer.status);
        expectShort(answer);
      }),
      { numRuns: 300 },
    );
  });
});
