import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAnswers } from "../../src/answers/answers.js";
import { parseQuestion } from "../../src/answers/question.js";
import { serializeAnswers } from "../../src/answers/serialize.js";
import type { ParsedAnswer } from "../../src/answers/types.js";
import { hostile, malformed, nonConforming, questions, wellFormed } from "./answerFixtures.js";

const ok = (id: string, fields: Partial<ParsedAnswer>): ParsedAnswer => ({
  questionIdentifier: id,
  freeText: null,
  selectionIdentifiers: [],
  otherSelectionText: null,
  uploadedFileKey: null,
  uploadedFileSizeInBytes: null,
  parseError: null,
  ...fields,
});
const errorsOf = (answers: ParsedAnswer[]) => answers.map((a) => a.parseError).filter(Boolean);

describe("conforming answers", () => {
  it("reads each kind of answer", () => {
    expect(parseAnswers(wellFormed.freeText)).toEqual([ok("q1", { freeText: "Is the sky blue? Yes & no <3" })]);
    expect(parseAnswers(wellFormed.selections)).toEqual([ok("colour", { selectionIdentifiers: ["red", "blue"] })]);
    expect(parseAnswers(wellFormed.otherSelection)).toEqual([
      ok("colour", { selectionIdentifiers: ["other"], otherSelectionText: "teal" }),
    ]);
    expect(parseAnswers(wellFormed.upload)).toEqual([
      ok("photo", { uploadedFileKey: "3ABC/photo.jpg", uploadedFileSizeInBytes: 20481 }),
    ]);
  });

  it("trims identifiers but keeps free text as written; reads prefixes, CDATA and character references", () => {
    expect(parseAnswers(wellFormed.prettyPrinted)).toEqual([ok("q1", { freeText: "  two  spaces  " })]);
    expect(parseAnswers(wellFormed.prefixed)).toEqual([ok("q1", { freeText: "x" })]);
    expect(parseAnswers(wellFormed.cdata)).toEqual([ok("q1", { freeText: "<b>bold</b> & raw" })]);
    expect(parseAnswers(wellFormed.numericReferences)).toEqual([ok("q1", { freeText: "\u263a été" })]);
    expect(parseAnswers(wellFormed.seed)).toEqual([ok("q1", { freeText: "cat" })]);
    expect(parseAnswers(wellFormed.externalForm).map((a) => a.questionIdentifier)).toEqual(["comment", "rating"]);
  });

  it("gives no answers for an empty document or none at all", () => {
    expect(parseAnswers(wellFormed.empty)).toEqual([]);
    expect(parseAnswers(undefined)).toEqual([]);
    expect(parseAnswers("  ")).toEqual([]);
  });

  it("expands a crowd-form's taskAnswers JSON into one answer per field", () => {
    expect(parseAnswers(wellFormed.crowd)).toEqual([
      ok("sentiment", { selectionIdentifiers: ["Positive"] }),
      ok("tags", { selectionIdentifiers: ["a", "b"] }),
      ok("comment", { freeText: "ok" }),
      ok("agree", { freeText: "true" }),
      ok("stars", { freeText: "4" }),
      ok("box", { freeText: '{"boundingBoxes":[{"left":1,"top":2}]}' }),
    ]);
  });
});

describe("non-conforming and malformed answers never fail", () => {
  it("says what does not conform, per answer, and keeps what it read", () => {
    expect(parseAnswers(nonConforming.noIdentifier)[0]).toMatchObject({
      freeText: "x",
      parseError: /QuestionIdentifier/,
    });
    expect(parseAnswers(nonConforming.twoKinds)[0]?.parseError).toMatch(/More than one kind/);
    expect(parseAnswers(nonConforming.twoFreeTexts)[0]).toMatchObject({ freeText: "x", parseError: /More than one/ });
    expect(parseAnswers(nonConforming.badSize)[0]).toMatchObject({ uploadedFileKey: "k", parseError: /size/ });
    expect(parseAnswers(nonConforming.fileWithoutKey)[0]?.parseError).toMatch(/key and size/);
    expect(parseAnswers(nonConforming.unknownElement)[0]).toMatchObject({ freeText: "x", parseError: /<Score>/ });
    expect(parseAnswers(nonConforming.nestedInFreeText)[0]?.parseError).toMatch(/<b> in <FreeText>/);
    const wrongRoot = parseAnswers(nonConforming.wrongRoot);
    expect(wrongRoot).toContainEqual(ok("q1", { freeText: "x" }));
    expect(wrongRoot.at(-1)).toMatchObject({ questionIdentifier: null, parseError: /root element is <Answers>/ });
    expect(parseAnswers(nonConforming.crowdNotJson)).toEqual([
      ok("taskAnswers", { freeText: "{not json", parseError: "taskAnswers is not JSON: kept as free text." }),
    ]);
    expect(parseAnswers(nonConforming.crowdNotForms)[0]?.parseError).toMatch(/not a list of forms/);
  });

  it("keeps the answers read before a well-formedness error and marks the answer it hit", () => {
    expect(parseAnswers(malformed.unclosedFreeText)).toEqual([
      ok("q1", { freeText: "abc", parseError: expect.stringMatching(/ends inside this <Answer>/) }),
    ]);
    const mismatched = parseAnswers(malformed.mismatched);
    expect(mismatched[0]).toMatchObject({ questionIdentifier: "q1", parseError: /close tag/ });
    expect(mismatched[1]).toEqual(ok("q2", { freeText: "y" }));
    expect(parseAnswers(malformed.bareAmpersand)[0]).toMatchObject({ questionIdentifier: "q1", parseError: /entity/ });
    expect(parseAnswers(malformed.truncated)[0]).toMatchObject({ questionIdentifier: "q1", freeText: "one" });
    expect(parseAnswers(malformed.twoRoots).at(-1)?.parseError).toMatch(/second root/);
    expect(parseAnswers(malformed.textOutside)).toContainEqual(ok("q1", { freeText: "x" }));
  });

  it("reports a document that is not XML as one entry without a question", () => {
    for (const text of [malformed.notXml, malformed.json, malformed.garbage]) {
      const answers = parseAnswers(text);
      expect(answers).toHaveLength(1);
      expect(answers[0]).toMatchObject({ questionIdentifier: null, parseError: expect.any(String) });
    }
  });
});

describe("hostile XML", () => {
  it("expands no entity and reads nothing external (billion laughs, XXE, external DTDs)", () => {
    for (const xml of [hostile.billionLaughs, hostile.xxeFile, hostile.xxeHttp]) {
      const [answer] = parseAnswers(xml);
      expect(answer?.freeText).toMatch(/^&(lol9|xxe);$/);
      expect(answer?.parseError).toMatch(/entity/);
    }
    expect(parseAnswers(hostile.externalDtd)).toEqual([ok("q1", { freeText: "x" })]);
    expect(parseAnswers(hostile.parameterEntity)[0]).toMatchObject({ questionIdentifier: "q1", freeText: "x" });
  });

  it("bounds the input: over 512 KiB is not read; large and deep documents take little time", () => {
    expect(parseAnswers(hostile.huge)).toEqual([
      expect.objectContaining({ questionIdentifier: null, parseError: expect.stringMatching(/not read/) }),
    ]);
    for (const [name, xml] of Object.entries(hostile)) {
      const start = performance.now();
      const answers = parseAnswers(xml);
      expect(performance.now() - start, name).toBeLessThan(1500);
      expect(Array.isArray(answers), name).toBe(true);
    }
    expect(parseAnswers(hostile.manyAnswers)).toHaveLength(5000);
    expect(parseAnswers(hostile.bigText)[0]?.freeText).toHaveLength(400_000);
    expect(parseAnswers(hostile.deepCrowdJson)[0]?.questionIdentifier).toBe("x");
  });
});

describe("questions", () => {
  it("tells the kind, an external URL and frame height, and a QuestionForm's identifiers", () => {
    expect(parseQuestion(questions.external)).toEqual({
      kind: "ExternalQuestion",
      externalUrl: "https://tasks.example.org/task/1?a=1&b=2",
      frameHeight: 600,
      questionIdentifiers: [],
      parseError: null,
    });
    expect(parseQuestion(questions.html)).toMatchObject({ kind: "HTMLQuestion", frameHeight: 0, parseError: null });
    expect(parseQuestion(questions.form)).toMatchObject({ kind: "QuestionForm", questionIdentifiers: ["q1", "q2"] });
    expect(parseQuestion(undefined)).toBeNull();
  });

  it("says what it could not read", () => {
    expect(parseQuestion(questions.unknownRoot)).toMatchObject({ kind: null, parseError: /<Survey>/ });
    expect(parseQuestion(questions.badHeight)).toMatchObject({ externalUrl: "https://x.org", parseError: /tall/ });
    expect(parseQuestion(questions.malformed)).toMatchObject({ questionIdentifiers: ["q1"], parseError: /Unclosed/ });
    expect(parseQuestion(hostile.billionLaughs)?.parseError).toBeTruthy();
  });
});

/** Text XML 1.0 can carry (no C0 controls but tab and line breaks, no lone surrogates, no U+FFFE/FFFF). */
const xmlText = fc
  .string({ unit: "grapheme", maxLength: 40 })
  .map((s) => s.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, ""));
const identifier = xmlText.map((s) => s.trim()).filter((s) => s.length > 0 && s === s.trim() && s !== "taskAnswers");
const conformingAnswer: fc.Arbitrary<ParsedAnswer> = fc.oneof(
  fc.record({ id: identifier, text: xmlText }).map(({ id, text }) => ok(id, { freeText: text })),
  fc
    .record({ id: identifier, picks: fc.array(identifier, { minLength: 1, maxLength: 4 }), other: fc.option(xmlText) })
    .map(({ id, picks, other }) => ok(id, { selectionIdentifiers: picks, otherSelectionText: other })),
  fc
    .record({ id: identifier, key: identifier, size: fc.integer({ min: 0, max: 2_147_483_647 }) })
    .map(({ id, key, size }) => ok(id, { uploadedFileKey: key, uploadedFileSizeInBytes: size })),
);

describe("properties", () => {
  it("parse(serialize(answers)) = answers", () => {
    fc.assert(
      fc.property(fc.array(conformingAnswer, { maxLength: 8 }), (answers) => {
        expect(parseAnswers(serializeAnswers(answers))).toEqual(answers);
      }),
      { numRuns: 500 },
    );
  });

  const anyText = fc.oneof(
    fc.string({ unit: "binary", maxLength: 300 }),
    fc
      .array(
        fc.constantFrom(
          "<",
          ">",
          "&",
          ";",
          "/",
          "<Answer>",
          "</Answer>",
          "<FreeText>",
          "<![CDATA[",
          "]]>",
          "<!DOCTYPE x [",
          "<!ENTITY a 'b'>",
          "&a;",
          "taskAnswers",
          "<QuestionIdentifier>",
          '"',
          "x",
        ),
        { maxLength: 60 },
      )
      .map((parts) => parts.join("")),
    fc.array(conformingAnswer, { maxLength: 4 }).chain((answers) => {
      const xml = serializeAnswers(answers);
      return fc.integer({ min: 0, max: xml.length }).map((cut) => xml.slice(0, cut));
    }),
  );

  it("no input throws, and every answer has the documented shape", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        for (const answer of parseAnswers(text)) {
          expect(Array.isArray(answer.selectionIdentifiers)).toBe(true);
          expect(answer.questionIdentifier === null || typeof answer.questionIdentifier === "string").toBe(true);
        }
        parseQuestion(text);
      }),
      { numRuns: 1000 },
    );
  });

  it("a conforming document has no parse error", () => {
    fc.assert(
      fc.property(fc.array(conformingAnswer, { maxLength: 5 }), (answers) => {
        expect(errorsOf(parseAnswers(serializeAnswers(answers)))).toEqual([]);
      }),
    );
  });
});
