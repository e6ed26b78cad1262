import { emptyAnswer, type ParsedAnswer } from "./types.js";

/**
 * Crowd HTML Elements (`<crowd-form>` in an HTMLQuestion) submit one answer, `taskAnswers`, whose FreeText is JSON:
 * an array with one object per form, each field's name to its value. Each field becomes an answer of its own:
 * text and numbers as freeText, a classifier's `{label}` / `{labels}` as selections, a checkbox's or radio
 * button's `{on}` as "true"/"false", anything else (bounding boxes, …) as its JSON.
 */
const CROWD_IDENTIFIER = "taskAnswers";

export function expandCrowdAnswers(answers: ParsedAnswer[]): ParsedAnswer[] {
  return answers.flatMap((answer) =>
    answer.questionIdentifier === CROWD_IDENTIFIER && answer.freeText !== null && !answer.parseError
      ? expand(answer)
      : [answer],
  );
}

function expand(answer: ParsedAnswer): ParsedAnswer[] {
  let forms: unknown;
  try {
    // No free text throws too (JSON.parse of "undefined").
    forms = JSON.parse(String(answer.freeText));
  } catch {
    return [{ ...answer, parseError: "taskAnswers is not JSON: kept as free text." }];
  }
  const list = Array.isArray(forms) ? forms : [forms];
  if (!list.every(isRecord))
    return [{ ...answer, parseError: "taskAnswers is not a list of forms: kept as free text." }];
  // One form (the usual case) names its fields plainly; several are told apart by their position.
  return list.flatMap((form, index) =>
    Object.entries(form).map(([name, value]) => fieldAnswer(list.length > 1 ? `${index}.${name}` : name, value)),
  );
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function fieldAnswer(name: string, value: unknown): ParsedAnswer {
  const answer = emptyAnswer(name);
  if (typeof value === "string") answer.freeText = value;
  else if (typeof value === "number" || typeof value === "boolean") answer.freeText = String(value);
  else if (isRecord(value) && typeof value.label === "string" && Object.keys(value).length === 1)
    answer.selectionIdentifiers = [value.label];
  else if (isRecord(value) && isStringList(value.labels) && Object.keys(value).length === 1)
    answer.selectionIdentifiers = value.labels;
  else if (isRecord(value) && typeof value.on === "boolean" && Object.keys(value).length === 1)
    answer.freeText = String(value.on);
  else answer.freeText = jsonText(value);
  if (answer.freeText === null && answer.selectionIdentifiers.length === 0)
    answer.parseError = "The field's value could not be written as text.";
  return answer;
}

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === "string");

/** JSON.stringify recurses: a hostile, deeply nested value must not fail the query. */
function jsonText(value: unknown): string | null {
  try {
    return JSON.stringify(value) ?? null;
  } catch {
    return null;
  }
}
