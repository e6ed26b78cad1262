import type { Assignment, HIT } from "@aws-sdk/client-mturk";
import type { ParsedAnswer } from "../answers/types.js";

/**
 * One row per assignment, shaped like MTurk's batch results CSV: the HIT's columns, the assignment's, one
 * `Answer.<QuestionIdentifier>` column per question, then Approve and Reject (left empty, as MTurk's download has
 * them for an upload of decisions). Times are ISO 8601 (MTurk's download writes "Thu Nov 05 10:05:25 PST 2026").
 */
const HIT_COLUMNS = [
  "HITId",
  "HITTypeId",
  "Title",
  "Description",
  "Keywords",
  "Reward",
  "CreationTime",
  "MaxAssignments",
  "RequesterAnnotation",
  "AssignmentDurationInSeconds",
  "AutoApprovalDelayInSeconds",
  "Expiration",
] as const;
const ASSIGNMENT_COLUMNS = [
  "AssignmentId",
  "WorkerId",
  "AssignmentStatus",
  "AcceptTime",
  "SubmitTime",
  "AutoApprovalTime",
  "ApprovalTime",
  "RejectionTime",
  "RequesterFeedback",
  "WorkTimeInSeconds",
] as const;
/** Answers to identifiers first met after the header was written (JSON), and answers that did not parse. */
const TRAILING = ["UnlistedAnswers", "AnswerParseErrors", "Approve", "Reject"] as const;

type Cell = string | number | Date | undefined | null;

const text = (value: Cell) =>
  value === undefined || value === null ? "" : value instanceof Date ? value.toISOString() : String(value);

function hitCells(hit: HIT): Record<string, Cell> {
  const reward = hit.Reward === undefined ? undefined : `$${Number.parseFloat(hit.Reward).toFixed(2)}`;
  return {
    HITId: hit.HITId,
    HITTypeId: hit.HITTypeId,
    Title: hit.Title,
    Description: hit.Description,
    Keywords: hit.Keywords,
    Reward: reward,
    CreationTime: hit.CreationTime,
    MaxAssignments: hit.MaxAssignments,
    RequesterAnnotation: hit.RequesterAnnotation,
    AssignmentDurationInSeconds: hit.AssignmentDurationInSeconds,
    AutoApprovalDelayInSeconds: hit.AutoApprovalDelayInSeconds,
    Expiration: hit.Expiration,
  };
}

function assignmentCells(a: Assignment): Record<string, Cell> {
  const work =
    a.SubmitTime && a.AcceptTime ? Math.round((a.SubmitTime.getTime() - a.AcceptTime.getTime()) / 1000) : undefined;
  return {
    AssignmentId: a.AssignmentId,
    WorkerId: a.WorkerId,
    AssignmentStatus: a.AssignmentStatus,
    AcceptTime: a.AcceptTime,
    SubmitTime: a.SubmitTime,
    AutoApprovalTime: a.AutoApprovalTime,
    ApprovalTime: a.ApprovalTime,
    RejectionTime: a.RejectionTime,
    RequesterFeedback: a.RequesterFeedback,
    WorkTimeInSeconds: work,
  };
}

/** An answer as one cell: its text, its selections joined with "|" (as MTurk's download), or its file key. */
function answerText(answer: ParsedAnswer): string {
  if (answer.freeText !== null) return answer.freeText;
  const chosen = [...answer.selectionIdentifiers, ...(answer.otherSelectionText ? [answer.otherSelectionText] : [])];
  return chosen.length ? chosen.join("|") : (answer.uploadedFileKey ?? "");
}

/**
 * A spreadsheet runs a cell that starts with =, +, -, @ (or a tab or CR before one) as a formula: such a cell is
 * prefixed with an apostrophe, as OWASP advises for CSV files.
 */
const defused = (cell: string) => (/^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell);

/** RFC 4180: a cell with a comma, quote or line break is quoted, its quotes doubled. */
const csvCell = (cell: string) => (/[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell);

export class CsvRows {
  private readonly answerColumns: string[];
  private readonly known: Set<string>;

  constructor(questionIdentifiers: Iterable<string>) {
    this.answerColumns = [...new Set(questionIdentifiers)];
    this.known = new Set(this.answerColumns);
  }

  header(): string {
    const columns = [
      ...HIT_COLUMNS,
      ...ASSIGNMENT_COLUMNS,
      ...this.answerColumns.map((id) => `Answer.${id}`),
      ...TRAILING,
    ];
    return `${columns.map(csvCell).join(",")}\r\n`;
  }

  row(hit: HIT, assignment: Assignment, answers: ParsedAnswer[]): string {
    const fixed = { ...hitCells(hit), ...assignmentCells(assignment) };
    const byId = new Map<string, string>();
    const unlisted: Record<string, string> = {};
    const errors: string[] = [];
    for (const answer of answers) {
      if (answer.parseError) errors.push(`${answer.questionIdentifier ?? "(document)"}: ${answer.parseError}`);
      if (answer.questionIdentifier === null) continue;
      if (this.known.has(answer.questionIdentifier)) byId.set(answer.questionIdentifier, answerText(answer));
      else unlisted[answer.questionIdentifier] = answerText(answer);
    }
    const cells = [
      // Requester text (title, annotation, feedback) too: a key that may write is not one that may run formulas.
      ...[...HIT_COLUMNS, ...ASSIGNMENT_COLUMNS].map((column) => defused(text(fixed[column]))),
      ...this.answerColumns.map((id) => defused(byId.get(id) ?? "")),
      Object.keys(unlisted).length ? defused(JSON.stringify(unlisted)) : "",
      defused(errors.join(" ")),
      "",
      "",
    ];
    return `${cells.map(csvCell).join(",")}\r\n`;
  }
}

/** A JSON Lines row: the same columns, the raw Answer XML and the typed answers. */
export function jsonlRow(hit: HIT, assignment: Assignment, answers: ParsedAnswer[]): string {
  const cells = { ...hitCells(hit), ...assignmentCells(assignment) };
  const row = Object.fromEntries(Object.entries(cells).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]));
  return `${JSON.stringify({ ...row, Answer: assignment.Answer, answers })}\n`;
}
