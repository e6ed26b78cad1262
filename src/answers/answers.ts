import { messageOf } from "../mturk/errors.js";
import { expandCrowdAnswers } from "./crowd.js";
import { emptyAnswer, type ParsedAnswer } from "./types.js";
import { readXml } from "./xml.js";

const ROOT = "QuestionFormAnswers";
/** Elements an Answer may hold; identifiers are trimmed (pretty-printed XML), free text is kept as written. */
const TRIMMED = new Set(["QuestionIdentifier", "SelectionIdentifier", "UploadedFileKey", "UploadedFileSizeInBytes"]);
const VERBATIM = new Set(["FreeText", "OtherSelectionText"]);

const documentError = (message: string): ParsedAnswer => ({ ...emptyAnswer(), parseError: message });

/** What was read of one Answer element, before its conformance is checked. */
interface Draft {
  values: Map<string, string[]>;
  problems: string[];
}

/** The answers of a QuestionFormAnswers document. Never throws; an empty or missing answer gives []. */
export function parseAnswers(xml: string | null | undefined): ParsedAnswer[] {
  if (!xml?.trim()) return [];
  try {
    return expandCrowdAnswers(readAnswers(xml));
  } catch (error) {
    // A last guard: a parse problem must never fail the query.
    return [documentError(`The answer could not be read: ${messageOf(error)}`)];
  }
}

function readAnswers(xml: string): ParsedAnswer[] {
  const answers: ParsedAnswer[] = [];
  const outside: string[] = [];
  let draft: Draft | undefined;
  let field: { name: string; text: string } | undefined;
  let rootSeen = false;
  const finish = () => {
    if (draft) answers.push(conform(draft));
    draft = undefined;
  };
  const failed = readXml(xml, {
    open(name, depth) {
      if (depth === 1) {
        if (rootSeen) outside.push(`A second root element <${name}>.`);
        else if (name !== ROOT) outside.push(`The root element is <${name}>, not <${ROOT}>.`);
        rootSeen = true;
      } else if (depth === 2) {
        if (name === "Answer") draft = { values: new Map(), problems: [] };
        else outside.push(`Unexpected element <${name}> in <${ROOT}>.`);
      } else if (depth === 3 && draft) {
        if (TRIMMED.has(name) || VERBATIM.has(name)) field = { name, text: "" };
        else draft.problems.push(`Unexpected element <${name}> in <Answer>.`);
      } else if (depth === 4 && draft && field) {
        draft.problems.push(`Unexpected element <${name}> in <${field.name}>.`);
      }
    },
    close(name, depth) {
      if (depth === 3 && draft && field) {
        const value = TRIMMED.has(field.name) ? field.text.trim() : field.text;
        draft.values.set(field.name, [...(draft.values.get(field.name) ?? []), value]);
        field = undefined;
      } else if (depth === 2 && name === "Answer") finish();
    },
    text(text, depth) {
      if (field && depth >= 3) field.text += text;
      else if (text.trim() && draft && depth === 2) draft.problems.push("Text directly inside <Answer>.");
      else if (text.trim() && !draft) outside.push("Text outside any <Answer>.");
    },
    error(message) {
      (draft ? draft.problems : outside).push(message);
    },
  });
  // An Answer still open at the end (truncated document): keep what it had.
  if (draft) {
    if (field) draft.values.set(field.name, [...(draft.values.get(field.name) ?? []), field.text]);
    draft.problems.push("The document ends inside this <Answer>.");
    finish();
  }
  if (failed) outside.push(failed);
  if (!rootSeen && !failed) outside.push(`No <${ROOT}> element.`);
  if (outside.length) answers.push(documentError(unique(outside).join(" ")));
  return answers;
}

const unique = (messages: string[]) => [...new Set(messages)];

/** MTurk's rules for one Answer: one QuestionIdentifier and one kind of answer (text, selections, or a file). */
function conform(draft: Draft): ParsedAnswer {
  const { values, problems } = draft;
  const one = (name: string) => {
    const list = values.get(name);
    if (list && list.length > 1) problems.push(`More than one <${name}>.`);
    return list?.[0] ?? null;
  };
  const answer = emptyAnswer(one("QuestionIdentifier"));
  answer.freeText = one("FreeText");
  answer.selectionIdentifiers = values.get("SelectionIdentifier") ?? [];
  answer.otherSelectionText = one("OtherSelectionText");
  answer.uploadedFileKey = one("UploadedFileKey");
  const size = one("UploadedFileSizeInBytes");
  if (size !== null) {
    const bytes = /^\d{1,10}$/.test(size) ? Number(size) : Number.NaN;
    if (Number.isSafeInteger(bytes) && bytes <= 2_147_483_647) answer.uploadedFileSizeInBytes = bytes;
    else problems.push(`UploadedFileSizeInBytes "${size.slice(0, 40)}" is not a size in bytes.`);
  }
  if (!answer.questionIdentifier) problems.push("No <QuestionIdentifier>.");
  const kinds = [
    answer.freeText !== null,
    answer.selectionIdentifiers.length > 0 || answer.otherSelectionText !== null,
    answer.uploadedFileKey !== null || size !== null,
  ].filter(Boolean).length;
  if (kinds > 1) problems.push("More than one kind of answer (free text, selections, file).");
  if ((answer.uploadedFileKey === null) !== (size === null)) problems.push("A file answer needs its key and size.");
  answer.parseError = problems.length ? unique(problems).join(" ") : null;
  return answer;
}

export type { ParsedAnswer } from "./types.js";
