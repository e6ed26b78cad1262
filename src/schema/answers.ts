import type { Assignment, HIT, QualificationRequest } from "@aws-sdk/client-mturk";
import { parseAnswers } from "../answers/answers.js";
import { parseQuestion, type QuestionInfo } from "../answers/question.js";
import type { ParsedAnswer } from "../answers/types.js";
import { AssignmentRef } from "./assignment.js";
import { builder } from "./builder.js";
import { enumValues } from "./common.js";
import { HITRef } from "./hit.js";
import type { Types } from "./mutation.js";
import { QualificationRequestRef } from "./qualificationRequest.js";

/** Typed answers and question kinds, read from the XML MTurk returns (see src/answers). */
const QuestionFormAnswerRef = builder.objectRef<ParsedAnswer>("QuestionFormAnswer").implement({
  description:
    "One answer of a worker, typed: an <Answer> of MTurk's QuestionFormAnswers XML (the Answer of GetAssignment, ListAssignmentsForHIT and ListQualificationRequests), or one field of a crowd-form's `taskAnswers` JSON. MTurk does not guarantee conforming XML: what could not be read is in parseError.",
  fields: (t) => ({
    questionIdentifier: t.exposeString("questionIdentifier", {
      description:
        "The question's QuestionIdentifier (for a crowd-form, the field's name). Null on an entry that reports a problem of the whole document.",
    }),
    freeText: t.exposeString("freeText", { description: "A FreeText answer, as written." }),
    selectionIdentifiers: t.exposeStringList("selectionIdentifiers", {
      description: "The SelectionIdentifier values chosen (a classifier's label for a crowd-form); empty if none.",
    }),
    otherSelectionText: t.exposeString("otherSelectionText", {
      description: "The OtherSelectionText of a selection answer with an 'other' field.",
    }),
    uploadedFileKey: t.exposeString("uploadedFileKey", {
      description:
        "UploadedFileKey of a FileUploadAnswer (the file itself: the assignment's fileUploadUrl(questionIdentifier:), GetFileUploadURL).",
    }),
    uploadedFileSizeInBytes: t.exposeInt("uploadedFileSizeInBytes", {
      description: "UploadedFileSizeInBytes of a FileUploadAnswer.",
    }),
    parseError: t.exposeString("parseError", {
      description:
        "Why this answer (or, with no questionIdentifier, the document) does not conform to QuestionFormAnswers; null when it does.",
    }),
  }),
});

const QuestionKindEnum = builder.enumType("QuestionKind", {
  description: "The kind of a HIT's Question XML (CreateHIT's Question parameter).",
  values: enumValues<NonNullable<QuestionInfo["kind"]>>([
    ["QuestionForm", "A QuestionForm: questions MTurk renders itself."],
    ["ExternalQuestion", "An ExternalQuestion: a page on the requester's site."],
    ["HTMLQuestion", "An HTMLQuestion: HTML (often a crowd-form) MTurk hosts."],
  ]),
});

const QuestionInfoRef = builder.objectRef<QuestionInfo>("QuestionInfo").implement({
  description: "What a HIT's Question XML is (from GetHIT or ListHITs), read by the gateway.",
  fields: (t) => ({
    kind: t.field({
      type: QuestionKindEnum,
      description: "QuestionForm, ExternalQuestion or HTMLQuestion; null when the root element is none of them.",
      resolve: (q) => q.kind,
    }),
    externalUrl: t.exposeString("externalUrl", {
      description: "An ExternalQuestion's ExternalURL.",
    }),
    frameHeight: t.exposeInt("frameHeight", {
      description: "The FrameHeight of an ExternalQuestion or HTMLQuestion (0: MTurk sizes the frame).",
    }),
    questionIdentifiers: t.exposeStringList("questionIdentifiers", {
      description: "A QuestionForm's QuestionIdentifier values, in order; empty for the other kinds.",
    }),
    parseError: t.exposeString("parseError", {
      description: "Why the Question XML could not be read entirely; null when it could.",
    }),
  }),
});

/** A field of the parent's Answer XML, parsed: it never fails the query (see parseError). */
const answersField = <P>(
  t: PothosSchemaTypes.ObjectFieldBuilder<Types, P>,
  description: string,
  answerOf: (parent: P) => string | undefined,
) =>
  t.field({ type: [QuestionFormAnswerRef], nullable: false, description, resolve: (p) => parseAnswers(answerOf(p)) });

builder.objectFields(AssignmentRef, (t) => ({
  answers: answersField(
    t,
    "The worker's answers, typed: the Answer XML (GetAssignment, ListAssignmentsForHIT) parsed; a crowd-form's taskAnswers JSON becomes one answer per field. Malformed XML never fails the query (see parseError); `answer` keeps the raw XML.",
    (a: Assignment) => a.Answer,
  ),
}));

builder.objectFields(QualificationRequestRef, (t) => ({
  answers: answersField(
    t,
    "The worker's test answers, typed: the Answer XML of ListQualificationRequests parsed (see parseError); `answer` keeps the raw XML.",
    (r: QualificationRequest) => r.Answer,
  ),
}));

builder.objectFields(HITRef, (t) => ({
  questionInfo: t.field({
    type: QuestionInfoRef,
    description:
      "The kind of the HIT's Question (GetHIT) and, for a QuestionForm, its question identifiers, to show answers next to their questions. Null for a HIT made from a HIT layout.",
    resolve: (hit: HIT) => parseQuestion(hit.Question),
  }),
}));
