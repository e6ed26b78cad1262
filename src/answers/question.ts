import { messageOf } from "../mturk/errors.js";
import { readXml } from "./xml.js";

/** What a HIT's Question is: its kind, where an external one lives, and a QuestionForm's question identifiers. */
export interface QuestionInfo {
  kind: "QuestionForm" | "ExternalQuestion" | "HTMLQuestion" | null;
  externalUrl: string | null;
  frameHeight: number | null;
  questionIdentifiers: string[];
  parseError: string | null;
}

const KINDS: ReadonlySet<string> = new Set(["QuestionForm", "ExternalQuestion", "HTMLQuestion"]);
const isKind = (name: string): name is NonNullable<QuestionInfo["kind"]> => KINDS.has(name);

/** Reads a Question document (never throws); null when the HIT has none (it was made from a HIT layout). */
export function parseQuestion(xml: string | null | undefined): QuestionInfo | null {
  if (!xml?.trim()) return null;
  const info: QuestionInfo = {
    kind: null,
    externalUrl: null,
    frameHeight: null,
    questionIdentifiers: [],
    parseError: null,
  };
  const problems: string[] = [];
  // The element whose text is being read: ExternalURL, FrameHeight, or a Question's QuestionIdentifier.
  let reading: { name: string; text: string } | undefined;
  let inQuestion = false;
  try {
    const failed = readXml(xml, {
      open(name, depth) {
        if (depth === 1) {
          if (isKind(name)) info.kind = name;
          else problems.push(`<${name}> is not a QuestionForm, ExternalQuestion or HTMLQuestion.`);
        } else if (depth === 2 && info.kind === "QuestionForm" && name === "Question") inQuestion = true;
        else if (depth === 2 && (name === "ExternalURL" || name === "FrameHeight")) reading = { name, text: "" };
        else if (depth === 3 && inQuestion && name === "QuestionIdentifier") reading = { name, text: "" };
      },
      close(name, depth) {
        if (reading && reading.name === name && depth <= 3) {
          record(info, reading.name, reading.text.trim(), problems);
          reading = undefined;
        } else if (depth === 2 && name === "Question") inQuestion = false;
      },
      text(text) {
        if (reading) reading.text += text;
      },
      error(message) {
        problems.push(message);
      },
    });
    if (failed) problems.push(failed);
  } catch (error) {
    problems.push(`The question could not be read: ${messageOf(error)}`);
  }
  info.parseError = problems.length ? [...new Set(problems)].join(" ") : null;
  return info;
}

function record(info: QuestionInfo, name: string, text: string, problems: string[]) {
  if (name === "QuestionIdentifier") info.questionIdentifiers.push(text);
  else if (name === "ExternalURL") info.externalUrl = text;
  else {
    const height = /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
    if (Number.isInteger(height)) info.frameHeight = height;
    else problems.push(`FrameHeight "${text.slice(0, 40)}" is not a number of pixels.`);
  }
}
