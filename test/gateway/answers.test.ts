import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";
import { KEYED_ERRORS, runOk } from "../support/work.js";

/** Typed answers and question kinds through the graph: the raw XML stays, parse problems never fail a query. */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ size: "tiny", seed: 14 });
});
afterAll(() => stack.close());

const CROWD = `<QuestionFormAnswers><Answer><QuestionIdentifier>taskAnswers</QuestionIdentifier><FreeText>[{"sentiment":{"label":"Positive"},"comment":"fine"}]</FreeText></Answer></QuestionFormAnswers>`;
const BROKEN = `<QuestionFormAnswers><Answer><QuestionIdentifier>q1</QuestionIdentifier><FreeText>ok</FreeText></Answer><Answer><QuestionIdentifier>q2</QuestionIdentifier><FreeText>half`;

async function submitted(question: string, answer: string, key: string) {
  const created = await runOk(
    stack,
    `mutation($i: CreateHITInput!) { createHIT(input: $i) { __typename ... on CreatedHITPayload { hit { hitId } } ${KEYED_ERRORS} } }`,
    {
      i: {
        title: "Answers",
        description: "Typed answers",
        reward: "0.10",
        lifetimeInSeconds: 3600,
        assignmentDurationInSeconds: 600,
        question,
        idempotencyKey: key,
      },
    },
  );
  const hitId = created.createHIT.hit.hitId as string;
  const { workerId } = await stack.control<{ workerId: string }>("POST", "workers", {});
  const { assignment } = await stack.control<{ assignment: { AssignmentId: string } }>("POST", `hits/${hitId}/accept`, {
    workerId,
  });
  await stack.control("POST", `assignments/${assignment.AssignmentId}/submit`, { answer });
  return { hitId, assignmentId: assignment.AssignmentId };
}

const ANSWERS = `answers { questionIdentifier freeText selectionIdentifiers parseError }`;

describe("typed answers", () => {
  it("expands a crowd-form's taskAnswers and keeps the raw answer", async () => {
    const html =
      "<HTMLQuestion><HTMLContent><![CDATA[<crowd-form></crowd-form>]]></HTMLContent><FrameHeight>0</FrameHeight></HTMLQuestion>";
    const { hitId, assignmentId } = await submitted(html, CROWD, "answers-crowd");
    const data = await runOk(
      stack,
      `query($h: String!, $a: String!) { hit(hitId: $h) { questionInfo { kind frameHeight questionIdentifiers parseError } assignments { edges { node { answer ${ANSWERS} } } } } assignment(assignmentId: $a) { ${ANSWERS} } }`,
      { h: hitId, a: assignmentId },
    );
    expect(data.hit.questionInfo).toEqual({
      kind: "HTMLQuestion",
      frameHeight: 0,
      questionIdentifiers: [],
      parseError: null,
    });
    const listed = data.hit.assignments.edges[0].node;
    // The raw answer as MTurk returns it: with its ASCII prolog.
    expect(listed.answer).toBe(`<?xml version="1.0" encoding="ASCII"?>${CROWD}`);
    expect(listed.answers).toEqual([
      { questionIdentifier: "sentiment", freeText: null, selectionIdentifiers: ["Positive"], parseError: null },
      { questionIdentifier: "comment", freeText: "fine", selectionIdentifiers: [], parseError: null },
    ]);
    expect(data.assignment.answers).toEqual(listed.answers);
  });

  it("a malformed answer gives what could be read and a parseError, never a query error", async () => {
    const form = `<QuestionForm><Question><QuestionIdentifier>q1</QuestionIdentifier></Question><Question><QuestionIdentifier>q2</QuestionIdentifier></Question></QuestionForm>`;
    const { hitId, assignmentId } = await submitted(form, BROKEN, "answers-broken");
    const data = await runOk(
      stack,
      `query($h: String!, $a: String!) { hit(hitId: $h) { questionInfo { kind questionIdentifiers } } assignment(assignmentId: $a) { ${ANSWERS} } }`,
      { h: hitId, a: assignmentId },
    );
    expect(data.hit.questionInfo).toEqual({ kind: "QuestionForm", questionIdentifiers: ["q1", "q2"] });
    expect(data.assignment.answers[0]).toEqual({
      questionIdentifier: "q1",
      freeText: "ok",
      selectionIdentifiers: [],
      parseError: null,
    });
    expect(data.assignment.answers[1]).toMatchObject({
      questionIdentifier: "q2",
      freeText: "half",
      parseError: expect.stringMatching(/ends inside/),
    });
  });

  it("gives back the worker's text from MTurk's ASCII answer (numeric character references), in the graph and exports", async () => {
    const text = "Café, 日本語, 😀 & <b>";
    const crowd = `[{"comment":"naïve 👍"}]`;
    const answer = `<QuestionFormAnswers><Answer><QuestionIdentifier>q1</QuestionIdentifier><FreeText>Café, 日本語, 😀 &amp; &lt;b&gt;</FreeText></Answer><Answer><QuestionIdentifier>q2</QuestionIdentifier><FreeText><![CDATA[${text}]]></FreeText></Answer></QuestionFormAnswers>`;
    const form = `<QuestionForm><Question><QuestionIdentifier>q1</QuestionIdentifier></Question><Question><QuestionIdentifier>q2</QuestionIdentifier></Question></QuestionForm>`;
    const { hitId, assignmentId } = await submitted(form, answer, "answers-ascii");
    const data = await runOk(stack, `query($a: String!) { assignment(assignmentId: $a) { answer ${ANSWERS} } }`, {
      a: assignmentId,
    });
    expect(data.assignment.answer).toMatch(/^<\?xml version="1.0" encoding="ASCII"\?>[\x20-\x7e]*$/);
    expect(data.assignment.answers.map((a: any) => [a.questionIdentifier, a.freeText, a.parseError])).toEqual([
      ["q1", text, null],
      ["q2", text, null],
    ]);
    const csv = await (await stack.yoga.fetch(`http://gateway.test/exports/assignments.csv?hitId=${hitId}`)).text();
    expect(csv).toContain(`"${text}"`);
    const html =
      "<HTMLQuestion><HTMLContent><![CDATA[<crowd-form></crowd-form>]]></HTMLContent><FrameHeight>0</FrameHeight></HTMLQuestion>";
    const crowdAnswer = `<QuestionFormAnswers><Answer><QuestionIdentifier>taskAnswers</QuestionIdentifier><FreeText>${crowd}</FreeText></Answer></QuestionFormAnswers>`;
    const fromCrowd = await submitted(html, crowdAnswer, "answers-ascii-crowd");
    const crowdData = await runOk(stack, `query($a: String!) { assignment(assignmentId: $a) { ${ANSWERS} } }`, {
      a: fromCrowd.assignmentId,
    });
    expect(crowdData.assignment.answers).toEqual([
      expect.objectContaining({ questionIdentifier: "comment", freeText: "naïve 👍", parseError: null }),
    ]);
  });

  it("reads the seed's ExternalQuestion HITs and qualification test answers", async () => {
    const data = await runOk(
      stack,
      `{ hits(first: 3, orderBy: { field: CREATION_TIME }) { edges { node { questionInfo { kind externalUrl frameHeight } } } } qualificationRequests(first: 20) { edges { node { answer ${ANSWERS} } } } }`,
    );
    const infos = data.hits.edges.map((e: any) => e.node.questionInfo).filter(Boolean);
    expect(infos[0]).toMatchObject({
      kind: "ExternalQuestion",
      externalUrl: expect.stringMatching(/^https:/),
      frameHeight: 600,
    });
    const tested = data.qualificationRequests.edges.map((e: any) => e.node).filter((n: any) => n.answer);
    expect(tested.length).toBeGreaterThan(0);
    for (const r of tested)
      expect(r.answers).toEqual([expect.objectContaining({ questionIdentifier: "q1", parseError: null })]);
  });
});
