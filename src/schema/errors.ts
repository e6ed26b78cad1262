import type { ObjectFieldsShape } from "@pothos/core";
import { MirrorUnavailable } from "../mirror/mirror.js";
import { IdempotencyKeyConflict, MTurkRefused, MTurkUnavailable, OutcomeUnknown } from "../mturk/errors.js";
import { builder } from "./builder.js";
import type { ItemFailure } from "./failures.js";
import { InputInvalid } from "./inputInvalid.js";
import type { Types } from "./mutation.js";

const MutationErrorRef = builder.interfaceRef<Error>("MutationError").implement({
  description: "Why a mutation (or one item of a bulk mutation) did not happen. Every error type implements it.",
  fields: (t) => ({
    message: t.exposeString("message", { nullable: false, description: "A readable explanation." }),
  }),
});

const operationOf = (error: Error) => (error as Error & { operation: string }).operation;

/** A typed error of the mutation results: an object type over its class, implementing MutationError. */
function errorType<E extends Error>(
  cls: new (...args: never[]) => E,
  name: string,
  description: string,
  /** What its `operation` field (the first, where it has one) says. */
  operation: string | null,
  fields: ObjectFieldsShape<Types, E>,
) {
  // Pothos cannot narrow its class-shape conditionals over a generic E; the signature above types the callers.
  builder.objectType(cls as unknown as new (message: string) => Error, {
    name,
    description,
    interfaces: [MutationErrorRef],
    isTypeOf: (value) => value instanceof cls,
    fields: ((t: PothosSchemaTypes.ObjectFieldBuilder<Types, E>) => ({
      ...(operation && {
        operation: t.string({ nullable: false, description: operation, resolve: (error) => operationOf(error) }),
      }),
      ...fields(t),
    })) as never,
  });
}

errorType(
  MTurkRefused,
  "MTurkRequestError",
  "MTurk refused the write (a RequestError, a ParameterValidationError, or a missing entity).",
  "The MTurk operation that failed.",
  (t) => ({
    code: t.exposeString("code", {
      nullable: false,
      description: "NOT_FOUND or BAD_USER_INPUT, as in extensions.code.",
    }),
    turkErrorCode: t.exposeString("turkErrorCode", {
      description: "MTurk's TurkErrorCode, e.g. AWS.MechanicalTurk.InvalidAssignmentState.",
    }),
  }),
);

errorType(
  MTurkUnavailable,
  "UpstreamUnavailableError",
  "MTurk could not be reached or did not answer after the SDK's retries (throttling, ServiceFault, timeouts, a dropped connection), and the gateway found that the write did not happen. Retry later.",
  "The MTurk operation that failed.",
  (t) => ({
    retryable: t.exposeBoolean("retryable", {
      nullable: false,
      description: "Always true: retrying later may succeed (with the same idempotencyKey, where the input has one).",
    }),
  }),
);

errorType(
  OutcomeUnknown,
  "OutcomeUnknownError",
  "MTurk did not answer whether a payment or creation happened, and the gateway could not read it back either (ListBonusPayments, GetHIT). Retrying with the same idempotencyKey is safe: MTurk applies a key at most once within 24 hours.",
  "The MTurk operation whose outcome is unknown.",
  (t) => ({
    check: t.exposeString("check", { nullable: false, description: "What to read to learn the outcome." }),
  }),
);

errorType(
  IdempotencyKeyConflict,
  "IdempotencyKeyConflictError",
  "The idempotencyKey was already used for a write with other content (another worker, assignment, amount or HIT). Nothing was sent; use a new key for a new write.",
  "The MTurk operation.",
  (t) => ({
    idempotencyKey: t.exposeString("idempotencyKey", { nullable: false, description: "The key that was reused." }),
  }),
);

errorType(
  MirrorUnavailable,
  "MirrorUnavailableError",
  "The gateway's database (its mirror of the account, where idempotency records are written before MTurk is called) does not answer: a payment or creation is refused rather than risking a duplicate. Nothing was sent to MTurk; retry later with the same idempotencyKey.",
  null,
  (t) => ({
    retryable: t.boolean({ nullable: false, description: "Always true.", resolve: () => true }),
  }),
);

errorType(
  InputInvalid,
  "ValidationError",
  "The input breaks one of MTurk's constraints; nothing was sent to MTurk.",
  null,
  (t) => ({
    field: t.exposeString("field", {
      nullable: false,
      description: "The offending input field, as a path (input.reward).",
    }),
  }),
);

/** The typed errors of every mutation: success, or one of these in the result union. */
export const mutationErrors = { types: [MTurkRefused, MTurkUnavailable, InputInvalid], directResult: true as const };
/** Money and creation, with an idempotency key: they can also meet a reused key or an unknowable outcome. */
export const keyedMutationErrors = {
  types: [MTurkRefused, MTurkUnavailable, InputInvalid, OutcomeUnknown, IdempotencyKeyConflict, MirrorUnavailable],
  directResult: true as const,
};

export const ItemFailureRef = builder.objectRef<ItemFailure>("BulkItemError").implement({
  description: "Why one item of a bulk mutation failed; the other items are unaffected.",
  fields: (t) => ({
    message: t.exposeString("message", { nullable: false, description: "A readable explanation." }),
    code: t.exposeString("code", {
      nullable: false,
      description:
        "NOT_FOUND or BAD_USER_INPUT (MTurk refused), UPSTREAM_UNAVAILABLE (retry later), OUTCOME_UNKNOWN (read back failed; retry with the same key) or IDEMPOTENCY_KEY_CONFLICT.",
    }),
    operation: t.exposeString("operation", { description: "The MTurk operation that failed." }),
    turkErrorCode: t.exposeString("turkErrorCode", { description: "MTurk's TurkErrorCode, when MTurk refused." }),
  }),
});
