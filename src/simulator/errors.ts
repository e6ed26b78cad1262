import type { SimulatorSwitches } from "./switches.js";

const MODELLED_TYPES = new Set(["RequestError", "ServiceFault"]);

/** An error the simulator answers with, shaped as MTurk's JSON 1.1 error body. */
export class SimulatorError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly httpStatus: number,
    readonly turkErrorCode?: string,
  ) {
    super(message);
  }

  body(): Record<string, string> {
    // MTurk's own exceptions use `Message` (+ `TurkErrorCode`); AWS front-door errors use lower-case `message`.
    if (this.turkErrorCode) return { __type: this.type, Message: this.message, TurkErrorCode: this.turkErrorCode };
    if (MODELLED_TYPES.has(this.type)) return { __type: this.type, Message: this.message };
    return { __type: this.type, message: this.message };
  }
}

/** MTurk appends the server time in milliseconds to every RequestError message. */
const stamped = (message: string) => `${message} (${Date.now()})`;

/** A modelled RequestError (HTTP 400) with an `AWS.MechanicalTurk.*` code. */
export function requestError(code: string, message: string): SimulatorError {
  return new SimulatorError("RequestError", stamped(message), 400, `AWS.MechanicalTurk.${code}`);
}

/**
 * A member that breaks the model's constraints. Real MTurk answers these with `ParameterValidationError`
 * ("The value "X" is not valid for the parameter WorkerId. (1563818969320 s)", aws/aws-sdk-java#2055).
 */
export function parameterError(member: string, value: unknown, why?: string): SimulatorError {
  const shown = value === undefined ? "null" : typeof value === "string" ? value : JSON.stringify(value);
  const message = `The value "${shown}" is not valid for the parameter ${member}.${why ? ` ${why}` : ""} (${Date.now()} s)`;
  return new SimulatorError("ParameterValidationError", message, 400, "AWS.MechanicalTurk.ParameterValidationError");
}

/** UpdateExpirationForHIT's rule: MTurk turns ExpireAt into an increment on the current expiration. */
export const expirationIncrementError = (seconds: number) =>
  new SimulatorError(
    "ParameterValidationError",
    stamped(
      `The value ${seconds} is invalid for ExpirationIncrementInSeconds. Valid values range from 60 to 31536000.`,
    ),
    400,
    "AWS.MechanicalTurk.ParameterValidationError",
  );

export function missingParameter(member: string): SimulatorError {
  return new SimulatorError(
    "ParameterValidationError",
    `The parameter ${member} is required. (${Date.now()} s)`,
    400,
    "AWS.MechanicalTurk.ParameterValidationError",
  );
}

export const serviceFault = () =>
  new SimulatorError(
    "ServiceFault",
    stamped("Your request could not be processed. The service is temporarily unable to respond; try again."),
    500,
    "AWS.MechanicalTurk.ServiceFault",
  );

export const throttling = () => new SimulatorError("ThrottlingException", "Rate exceeded", 400);

export const serializationError = (message: string) => new SimulatorError("SerializationException", message, 400);

/** AWS's front door refusing a request before the operation runs (a member of the wrong JSON type). */
export const validationException = (message: string) =>
  new SimulatorError("ValidationException", `1 validation error detected: ${message}`, 400);

export const unknownOperation = (target: string) =>
  new SimulatorError("UnknownOperationException", `Operation ${target} is not supported.`, 400);

/**
 * A reused idempotency token (SendBonus, CreateAdditionalAssignmentsForHIT, a repeated UpdateExpirationForHIT),
 * shaped as the duplicateError switch says: the public record shows only the code-less "message" form.
 */
export function alreadyProcessed(
  shape: SimulatorSwitches["duplicateError"],
  token: string,
  requestId: string,
): SimulatorError {
  const message = `The idempotency token "${token}" has already been processed.`;
  switch (shape) {
    case "DuplicateRequest":
      return requestError("DuplicateRequest", `${message} Request ID: ${requestId}`);
    case "message":
      return new SimulatorError("RequestError", stamped(message), 400);
    case "opaque":
      return new SimulatorError("RequestError", stamped("Your request could not be processed."), 400);
  }
}
