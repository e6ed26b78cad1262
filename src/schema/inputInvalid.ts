import type { ErrorCode } from "../errorCodes.js";

/** Input that breaks MTurk's constraints, caught before any upstream call; `field` is the offending input path. */
export class InputInvalid extends Error {
  readonly code = "BAD_USER_INPUT" satisfies ErrorCode;
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}
