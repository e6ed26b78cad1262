/**
 * A worker's answer to one question, typed, from MTurk's QuestionFormAnswers XML (the Answer of an assignment or a
 * qualification request). MTurk does not promise answers conform to its schema (botocore issue 1167): what cannot
 * be read is said in `parseError` instead of failing, and whatever could be read is kept.
 */
export interface ParsedAnswer {
  /** Null for a document-level problem (not well-formed outside any Answer, too large, another root element). */
  questionIdentifier: string | null;
  freeText: string | null;
  selectionIdentifiers: string[];
  otherSelectionText: string | null;
  uploadedFileKey: string | null;
  uploadedFileSizeInBytes: number | null;
  parseError: string | null;
}

export const emptyAnswer = (questionIdentifier: string | null = null): ParsedAnswer => ({
  questionIdentifier,
  freeText: null,
  selectionIdentifiers: [],
  otherSelectionText: null,
  uploadedFileKey: null,
  uploadedFileSizeInBytes: null,
  parseError: null,
});
