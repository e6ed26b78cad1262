import { randomBytes } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endOfListing, type Stack, startStack } from "../support/stack.js";
import { KEYED_ERRORS, runOk } from "../support/work.js";

/**
 * An export to a client that accepts compression (curl --compressed, every browser) is still streamed: the first
 * rows go out before MTurk's later pages are read, and nothing is kept until the end.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ size: "tiny", seed: 33 });
});
afterAll(() => stack.close());

const FORM = `<QuestionForm><Question><QuestionIdentifier>q1</QuestionIdentifier></Question></QuestionForm>`;

describe("a compressed export", () => {
  it("sends its first rows before MTurk's later pages are read, and reads no further while the client does not read", async () => {
    const created = await runOk(
      stack,
      `mutation($i: CreateHITInput!) { createHIT(input: $i) { __typename ... on CreatedHITPayload { hit { hitId } } ${KEYED_ERRORS} } }`,
      {
        i: {
          title: "Compressed export",
          description: "d",
          reward: "0.05",
          lifetimeInSeconds: 3600,
          assignmentDurationInSeconds: 600,
          maxAssignments: 1000,
          question: FORM,
          idempotencyKey: "export-compressed",
        },
      },
    );
    const hitId = created.createHIT.hit.hitId as string;
    // Long answers that do not compress (100 distinct ones, one per row of a page): a page is 300 KB of CSV and
    // about as much compressed, more than the compressor's buffers hold.
    const texts = Array.from({ length: 100 }, () => randomBytes(2_250).toString("base64"));
    const answers = texts.map(
      (text) =>
        `<QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"><Answer><QuestionIdentifier>q1</QuestionIdentifier><FreeText>${text}</FreeText></Answer></QuestionFormAnswers>`,
    );
    await stack.control("POST", `hits/${hitId}/submissions`, { count: 1000, answers });
    const pages = () =>
      stack.simulator.instrumentation.calls.filter((c) => c.operation === "ListAssignmentsForHIT").length;
    stack.simulator.instrumentation.resetCalls();
    const response = await stack.yoga.fetch(`http://gateway.test/exports/assignments.csv?hitId=${hitId}`, {
      headers: { "accept-encoding": "gzip" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-encoding")).toBe("gzip");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const chunks: Uint8Array[] = [];
    const first = await reader.read();
    if (first.value) chunks.push(first.value);
    // A client that stops reading holds the export where it is: the compressor reads MTurk no faster than it sends.
    // (The page sent, the page the route reads ahead, what the stream and compressor buffers hold: 4 of 10.)
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(pages()).toBeLessThanOrEqual(5);
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
    const csv = gunzipSync(Buffer.concat(chunks)).toString("utf8");
    expect(csv.split("\r\n").filter(Boolean)).toHaveLength(1001);
    for (const text of texts) expect(csv).toContain(text);
    expect(pages()).toBe(10 + endOfListing(stack.simulator));
  });

  it("reads MTurk's pages only as a slow client takes them, and stops when it goes away", async () => {
    const created = await runOk(
      stack,
      `mutation($i: CreateHITInput!) { createHIT(input: $i) { __typename ... on CreatedHITPayload { hit { hitId } } ${KEYED_ERRORS} } }`,
      {
        i: {
          title: "Slow compressed export",
          description: "d",
          reward: "0.05",
          lifetimeInSeconds: 3600,
          assignmentDurationInSeconds: 600,
          maxAssignments: 3000,
          question: FORM,
          idempotencyKey: "export-compressed-slow",
        },
      },
    );
    const hitId = created.createHIT.hit.hitId as string;
    await stack.control("POST", `hits/${hitId}/submissions`, { count: 3000 });
    const pages = () =>
      stack.simulator.instrumentation.calls.filter((c) => c.operation === "ListAssignmentsForHIT").length;
    stack.simulator.instrumentation.resetCalls();
    const response = await stack.yoga.fetch(`http://gateway.test/exports/assignments.csv?hitId=${hitId}`, {
      headers: { "accept-encoding": "gzip" },
    });
    expect(response.headers.get("content-encoding")).toBe("gzip");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    // The client takes nothing more: the compressor must not read the export's 30 pages ahead of it.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const read = pages();
    expect(read).toBeLessThanOrEqual(10);
    await reader.cancel();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(pages()).toBe(read);
  });
});
