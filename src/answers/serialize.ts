import type { ParsedAnswer } from "./types.js";

const NAMESPACE = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd";

/** Text as XML character data; CR is written as a reference, or a parser would turn CRLF into LF. */
const escapeXml = (text: string) =>
  text.replace(/[&<>\r]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&#13;"));

const element = (name: string, text: string) => `<${name}>${escapeXml(text)}</${name}>`;

/** QuestionFormAnswers XML for answers (the inverse of parseAnswers for conforming answers). */
export function serializeAnswers(answers: Omit<ParsedAnswer, "parseError">[]): string {
  const body = answers
    .map((a) => {
      const parts = [element("QuestionIdentifier", a.questionIdentifier ?? "")];
      if (a.freeText !== null) parts.push(element("FreeText", a.freeText));
      for (const id of a.selectionIdentifiers) parts.push(element("SelectionIdentifier", id));
      if (a.otherSelectionText !== null) parts.push(element("OtherSelectionText", a.otherSelectionText));
      if (a.uploadedFileSizeInBytes !== null)
        parts.push(element("UploadedFileSizeInBytes", String(a.uploadedFileSizeInBytes)));
      if (a.uploadedFileKey !== null) parts.push(element("UploadedFileKey", a.uploadedFileKey));
      return `<Answer>${parts.join("")}</Answer>`;
    })
    .join("");
  return `<?xml version="1.0" encoding="UTF-8"?><QuestionFormAnswers xmlns="${NAMESPACE}">${body}</QuestionFormAnswers>`;
}
