import { MTurkRequestFailed, UpstreamUnavailable } from "../mturk/writes.js";
import { builder } from "./builder.js";
import { InputInvalid } from "./inputInvalid.js";

export const MutationErrorRef = builder.interfaceRef<Error>("MutationError").implement({
  description: "Why a mutation (or one item of a bulk mutation) did not happen. Every error type implements it.",
  fields: (t) => ({
    message: t.exposeString("message", { nullable: false, description: "A readable explanation." }),
  }),
});

builder.objectType(MTurkRequestFailed, {
  name: "MTurkRequestError",
  description: "MTurk refused the write (a RequestError, a ParameterValidationError, or a missing entity).",
  interfaces: [MutationErrorRef],
  isTypeOf: (value) => value instanceof MTurkRequestFailed,
  fields: (t) => ({
    operation: t.exposeString("operation", { nullable: false, description: "The MTurk operation that failed." }),
    code: t.exposeString("code", {
      nullable: false,
      description: "NOT_FOUND or BAD_USER_INPUT, as in extensions.code.",
    }),
    turkErrorCode: t.exposeString("turkErrorCode", {
      description: "MTurk's TurkErrorCode, e.g. AWS.MechanicalTurk.InvalidAssignmentState.",
    }),
  }),
});

builder.objectType(UpstreamUnavailable, {
  name: "UpstreamUnavailableError",
  description: "MTurk could not be reached after the SDK's retries (throttling, ServiceFault, timeouts). Retry later.",
  interfaces: [MutationErrorRef],
  isTypeOf: (value) => value instanceof UpstreamUnavailable,
  fields: (t) => ({
    operation: t.exposeString("operation", { nullable: false, description: "The MTurk operation that failed." }),
  }),
});

builder.objectType(InputInvalid, {
  name: "ValidationError",
  description: "The input breaks one of MTurk's constraints; nothing was sent to MTurk.",
  interfaces: [MutationErrorRef],
  isTypeOf: (value) => value instanceof InputInvalid,
  fields: (t) => ({
    field: t.exposeString("field", {
      nullable: false,
      description: "The offending input field, as a path (input.reward).",
    }),
  }),
});

/** The typed errors of every mutation: success, or one of these in the result union. */
export const mutationErrors = { types: [MTurkRequestFailed, InputInvalid], directResult: true as const };

/** One failed item of a bulk mutation, as plain data (an Error returned by a resolver would become a GraphQL error). */
export interface ItemFailure {
  message: string;
  code: string;
  operation?: string;
  turkErrorCode?: string;
  field?: string;
}

export const ItemFailureRef = builder.objectRef<ItemFailure>("BulkItemError").implement({
  description: "Why one item of a bulk mutation failed; the other items are unaffected.",
  fields: (t) => ({
    message: t.exposeString("message", { nullable: false, description: "A readable explanation." }),
    code: t.exposeString("code", {
      nullable: false,
      description: "NOT_FOUND, BAD_USER_INPUT (MTurk refused) or UPSTREAM_UNAVAILABLE (retry later).",
    }),
    operation: t.exposeString("operation", { description: "The MTurk operation that failed." }),
    turkErrorCode: t.exposeString("turkErrorCode", { description: "MTurk's TurkErrorCode, when MTurk refused." }),
  }),
});

export function itemFailure(error: Error | undefined): ItemFailure | null {
  if (!error) return null;
  if (error instanceof MTurkRequestFailed)
    return { message: error.message, code: error.code, operation: error.operation, turkErrorCode: error.turkErrorCode };
  if (error instanceof UpstreamUnavailable)
    return { message: error.message, code: "UPSTREAM_UNAVAILABLE", operation: error.operation };
  return { message: error.message, code: "BAD_USER_INPUT" };
}
