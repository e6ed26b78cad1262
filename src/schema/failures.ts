import type { ErrorCode } from "../errorCodes.js";
import { MirrorUnavailable } from "../mirror/mirror.js";
import { IdempotencyKeyConflict, MTurkRefused, MTurkUnavailable, OutcomeUnknown } from "../mturk/errors.js";

/**
 * A typed mutation error as plain data with its code: a bulk item's failure (an Error returned by a resolver would
 * become a GraphQL error), and the GraphQL error of a failure the client did not select (unselectedErrors.ts).
 * Kept apart from the GraphQL types of errors.ts: the builder's plugins need it before the builder exists.
 */
export interface ItemFailure {
  message: string;
  code: ErrorCode;
  operation?: string;
  turkErrorCode?: string;
  field?: string;
}

/** Errors a bulk item reports in its result instead of failing the whole mutation. */
export const isItemError = (error: unknown): error is Error =>
  error instanceof MTurkRefused ||
  error instanceof MTurkUnavailable ||
  error instanceof OutcomeUnknown ||
  error instanceof IdempotencyKeyConflict ||
  error instanceof MirrorUnavailable;

/** A typed error's code and details, read from its own fields (it may be the errors plugin's proxy of it). */
export function itemFailure(error: object | undefined): ItemFailure | null {
  if (!error) return null;
  const typed = error as Error & Partial<Omit<ItemFailure, "message"> & { check: string }>;
  const failure: ItemFailure = {
    message: typed.check ? `${typed.message} ${typed.check}` : typed.message,
    code: typed.code ?? "BAD_USER_INPUT",
  };
  for (const detail of ["operation", "turkErrorCode", "field"] as const)
    if (typed[detail] !== undefined) failure[detail] = typed[detail];
  return failure;
}
