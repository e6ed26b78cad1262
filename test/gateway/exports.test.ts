import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../src/security/auth.js";
import { endOfListing, type Stack, startStack } from "../support/stack.js";
import { KEYED_ERRORS, runOk } from "../support/work.js";

/** GET /exports/assignments.csv|jsonl: one row per assignment, streamed as MTurk's pages arrive. */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ size: "demo", seed: 31 });
});
afterAll(() => stack.close());

const get = (path: string, headers: Record<string, string> = {}, s: Stack = stack) =>
  s.yoga.fetch(`http://gateway.test${path}`, { headers });

/** A minimal RFC 4180 reader for the test. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i += 1;
    } else cell += c;
  }
  return rows;
}
const records = (text: string) => {
  const [header, ...rows] = parseCsv(text);
  return rows.map((r) => Object.fromEntries((header ?? []).map((h, i) => [h, r[i] ?? ""])));
};

async function hit(question: string, maxAssignments: number, key: string, title = `Export ${key}`) {
  const created = await runOk(
    stack,
    `mutation($i: CreateHITInput!) { createHIT(input: $i) { __typename ... on CreatedHITPayload { hit { hitId hitTypeId } } ${KEYED_ERRORS} } }`,
    {
      i: {
        title,
        description: "d",
        reward: "0.05",
        lifetimeInSeconds: 3600,
        assignmentDurationInSeconds: 600,
        maxAssignments,
        question,
        idempotencyKey: key,
      },
    },
  );
  return created.createHIT.hit as { hitId: string; hitTypeId: string };
}
const FORM = `<QuestionForm><Question><QuestionIdentifier>q1</QuestionIdentifier></Question><Question><QuestionIdentifier>q2</QuestionIdentifier></Question><Question><QuestionIdentifier>q3</QuestionIdentifier></Question></QuestionForm>`;
const answer = (pairs: [string, string][]) =>
  `<QuestionFormAnswers>${pairs.map(([id, text]) => `<Answer><QuestionIdentifier>${id}</QuestionIdentifier><FreeText>${text}</FreeText></Answer>`).join("")}</QuestionFormAnswers>`;

describe("CSV", () => {
  it("has MTurk's batch-result columns, one Answer column per question, one row per assignment", async () => {
    const { hitId } = await hit(FORM, 250, "export-csv");
    await stack.control("POST", `hits/${hitId}/submissions`, {
      count: 250,
      answers: [
        answer([
          ["q1", 'say "hi", then\nleave'],
          ["q2", "=HYPERLINK(1)"],
        ]),
        "<not xml",
      ],
    });
    const response = await get(`/exports/assignments.csv?hitId=${hitId}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(response.headers.get("content-disposition")).toContain(`assignments-${hitId}.csv`);
    const text = await response.text();
    const header = parseCsv(text)[0];
    expect(header?.slice(0, 6)).toEqual(["HITId", "HITTypeId", "Title", "Description", "Keywords", "Reward"]);
    expect(header).toEqual(
      expect.arrayContaining([
        "AssignmentId",
        "WorkerId",
        "AssignmentStatus",
        "AcceptTime",
        "SubmitTime",
        "Answer.q1",
        "Answer.q2",
        "Answer.q3",
        "Approve",
        "Reject",
      ]),
    );
    const rows = records(text);
    expect(rows).toHaveLength(250);
    expect(new Set(rows.map((r) => r.AssignmentId)).size).toBe(250);
    const good = rows.find((r) => r["Answer.q1"]);
    expect(good).toMatchObject({
      HITId: hitId,
      Reward: "$0.05",
      AssignmentStatus: "Submitted",
      "Answer.q1": 'say "hi", then\nleave',
      "Answer.q2": "'=HYPERLINK(1)",
      "Answer.q3": "",
    });
    expect(rows.find((r) => !r["Answer.q1"])?.AnswerParseErrors).toMatch(/document/);
  });

  it("defuses formulas in requester text too (title, feedback): a key that may write may not plant a formula", async () => {
    const { hitId } = await hit(FORM, 2, "export-formula-title", '=HYPERLINK("http://evil.example")');
    await stack.control("POST", `hits/${hitId}/submissions`, { count: 1 });
    const rows = records(await (await get(`/exports/assignments.csv?hitId=${hitId}`)).text());
    expect(rows[0]?.Title).toBe(`'=HYPERLINK("http://evil.example")`);
  });

  it("puts identifiers first met after the header in UnlistedAnswers", async () => {
    const html = "<HTMLQuestion><HTMLContent>x</HTMLContent><FrameHeight>0</FrameHeight></HTMLQuestion>";
    const { hitId } = await hit(html, 150, "export-unlisted");
    await stack.control("POST", `hits/${hitId}/submissions`, { count: 100, answers: [answer([["a", "1"]])] });
    await stack.control("POST", `hits/${hitId}/submissions`, {
      count: 50,
      answers: [
        answer([
          ["a", "2"],
          ["b", "late"],
        ]),
      ],
    });
    const rows = records(await (await get(`/exports/assignments.csv?hitId=${hitId}`)).text());
    expect(rows).toHaveLength(150);
    expect(Object.keys(rows[0] ?? {})).not.toContain("Answer.b");
    expect(rows.filter((r) => r.UnlistedAnswers === '{"b":"late"}')).toHaveLength(50);
  });
});

describe("JSON Lines", () => {
  it("exports every HIT of a HIT type, with the raw and the typed answers, and filters statuses", async () => {
    const a = await hit(FORM, 5, "export-type-a", "Same type");
    const b = await hit(FORM, 5, "export-type-b", "Same type");
    expect(a.hitTypeId).toBe(b.hitTypeId);
    await stack.control("POST", `hits/${a.hitId}/submissions`, { count: 3 });
    await stack.control("POST", `hits/${b.hitId}/submissions`, { count: 2 });
    const response = await get(`/exports/assignments.jsonl?hitTypeId=${a.hitTypeId}`);
    expect(response.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    const lines = (await response.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(5);
    expect(new Set(lines.map((l) => l.HITId))).toEqual(new Set([a.hitId, b.hitId]));
    // The raw answer as MTurk returns it: with its ASCII prolog.
    expect(lines[0].Answer).toMatch(/^<\?xml version="1.0" encoding="ASCII"\?><QuestionFormAnswers/);
    expect(lines[0].answers[0]).toMatchObject({
      questionIdentifier: "q1",
      freeText: expect.stringMatching(/^answer \d+$/),
    });
    const first = lines.find((l) => l.HITId === a.hitId);
    await runOk(stack, `mutation($a: String!) { approveAssignment(input: { assignmentId: $a }) { __typename } }`, {
      a: first.AssignmentId,
    });
    const approved = (await (await get(`/exports/assignments.jsonl?hitTypeId=${a.hitTypeId}&status=Approved`)).text())
      .trim()
      .split("\n");
    expect(approved.map((l) => JSON.parse(l).AssignmentId)).toEqual([first.AssignmentId]);
  });
});

describe("streaming", () => {
  it("sends the first rows before MTurk's later pages are read", async () => {
    const { hitId } = await hit(FORM, 1000, "export-stream");
    await stack.control("POST", `hits/${hitId}/submissions`, { count: 1000 });
    stack.simulator.instrumentation.resetCalls();
    const response = await get(`/exports/assignments.jsonl?hitId=${hitId}`);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const pagesSoFar = stack.simulator.instrumentation.calls.filter(
      (c) => c.operation === "ListAssignmentsForHIT",
    ).length;
    expect(pagesSoFar).toBeLessThanOrEqual(3);
    let bytes = 0;
    for (let r = await reader.read(); !r.done; r = await reader.read()) bytes += r.value.length;
    expect(bytes).toBeGreaterThan(0);
    // 10 pages of 100 (and the empty page the last page's token leads to).
    expect(stack.simulator.instrumentation.calls.filter((c) => c.operation === "ListAssignmentsForHIT")).toHaveLength(
      10 + endOfListing(stack.simulator),
    );
  });
});

describe("a failure mid-stream", () => {
  it("cuts the download short over HTTP (plain and compressed): the client does not wait forever", async () => {
    const { hitId } = await hit(FORM, 1000, "export-cut");
    await stack.control("POST", `hits/${hitId}/submissions`, { count: 1000 });
    const { url } = await stack.listen();
    for (const encoding of ["identity", "gzip"]) {
      const response = await fetch(url.replace("/graphql", `/exports/assignments.csv?hitId=${hitId}`), {
        headers: { "accept-encoding": encoding },
      });
      expect(response.status).toBe(200);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      // Every later page fails past the SDK's retries.
      await stack.control("POST", "faults/next", {
        operation: "ListAssignmentsForHIT",
        count: 50,
        fault: "ServiceFault",
      });
      const rest = (async () => {
        for (let r = await reader.read(); !r.done; r = await reader.read());
        return "complete";
      })().catch(() => "cut");
      const hung = new Promise((resolve) => setTimeout(() => resolve("hung"), 5_000));
      expect([encoding, await Promise.race([rest, hung])]).toEqual([encoding, "cut"]);
      await reader.cancel().catch(() => undefined);
      await stack.control("DELETE", "faults");
    }
  }, 20_000);
});

describe("requests", () => {
  it("refuses a missing or ambiguous target and an unknown status; a missing HIT is 404", async () => {
    expect((await get("/exports/assignments.csv")).status).toBe(400);
    expect((await get("/exports/assignments.csv?hitId=3A&hitTypeId=3B")).status).toBe(400);
    expect((await get("/exports/assignments.csv?hitId=not-an-id")).status).toBe(400);
    expect((await get("/exports/assignments.csv?hitId=3ABC&status=Accepted")).status).toBe(400);
    const missing = await get("/exports/assignments.csv?hitId=3NOSUCHHIT000000000000000000000");
    expect(missing.status).toBe(404);
    expect((await missing.json()).errors[0].extensions.code).toBe("NOT_FOUND");
  });

  it("needs an API key with read when authentication is on", async () => {
    const keys = [
      { name: "reader", sha256: hashApiKey("reader-key"), scopes: ["read"] },
      { name: "writer", sha256: hashApiKey("writer-key"), scopes: ["write"] },
    ];
    const secured = await startStack({ size: "tiny", seed: 32, env: { AUTH_API_KEYS: JSON.stringify(keys) } });
    try {
      const hitId = (await secured.control<{ hitIds: string[] }>("GET", "fixtures")).hitIds[0];
      const path = `/exports/assignments.csv?hitId=${hitId}`;
      const anonymous = await get(path, {}, secured);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get("www-authenticate")).toContain("ApiKey");
      expect((await get(path, { "x-api-key": "wrong" }, secured)).status).toBe(401);
      expect((await get(path, { "x-api-key": "writer-key" }, secured)).status).toBe(403);
      const ok = await get(path, { authorization: "ApiKey reader-key" }, secured);
      expect(ok.status).toBe(200);
      expect(parseCsv(await ok.text())[0]?.[0]).toBe("HITId");
    } finally {
      await secured.close();
    }
  });
});
