import { GraphQLError } from "graphql";
import type { ErrorCode } from "../errorCodes.js";

/** The codes an MTurk call's failure is answered with (of the gateway's one list, src/errorCodes.ts). */
export type UpstreamErrorCode = Extract<
  ErrorCode,
  | "NOT_FOUND"
  | "BAD_USER_INPUT"
  | "UPSTREAM_UNAVAILABLE"
  | "UPSTREAM_UNAUTHORIZED"
  | "UPSTREAM_CREDENTIALS_MISSING"
  | "UPSTREAM_ERROR"
  | "INTERNAL_SERVER_ERROR"
>;

/**
 * The SDK's default credential chain found nothing: said at start and on every request, naming where it looks
 * (never a value). The order is the chain's (@aws-sdk/credential-provider-node).
 */
export const NO_CREDENTIALS_MESSAGE =
  "No AWS credentials were found for MTurk. The gateway looks where the AWS SDK does, in this order: the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, with AWS_SESSION_TOKEN for temporary ones); AWS_PROFILE (or the default profile) in ~/.aws/credentials and ~/.aws/config, SSO and credential_process included; a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN); the container or EC2 instance role. Set one and restart the gateway.";

interface SdkError {
  name?: string;
  message?: string;
  TurkErrorCode?: string;
  $fault?: "client" | "server";
  $metadata?: { httpStatusCode?: number };
  code?: string;
}

const UNAVAILABLE = new Set([
  "ThrottlingException",
  "ServiceFault",
  "TimeoutError",
  "RequestTimeout",
  "ServiceUnavailable",
]);
const UNAUTHORIZED = new Set([
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "MissingAuthenticationTokenException",
  "IncompleteSignatureException",
  "AccessDeniedException",
  "ExpiredTokenException",
]);
const TRANSPORT = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ECONNABORTED"]);
/**
 * Refusals of the request itself, before any operation runs (AWS's front door: a member of the wrong type, a
 * constraint it checks; a body it cannot read): bad input that was certainly not applied.
 */
const PROTOCOL_REFUSALS = new Set(["ValidationException", "SerializationException"]);

/** Longest upstream message passed on: MTurk's own are short; a longer one is cut (it may echo input). */
const MAX_MESSAGE = 500;
/** MTurk ends messages with a server timestamp, "(1624047673969)": noise to a GraphQL client. */
function cleanMessage(message: string): string {
  const text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message;
  // A fixed-shape suffix checked from the end, with no backtracking over the text.
  const open = text.lastIndexOf("(");
  if (open >= 0 && /^\(\d{10,}( s)?\)\s*$/.test(text.slice(open))) return text.slice(0, open).trim();
  return text.trim();
}

function codeFor(error: SdkError): UpstreamErrorCode {
  const turk = error.TurkErrorCode ?? "";
  if (turk.endsWith("DoesNotExist")) return "NOT_FOUND";
  if (
    error.name === "RequestError" ||
    error.name === "ParameterValidationError" ||
    PROTOCOL_REFUSALS.has(error.name ?? "")
  )
    return "BAD_USER_INPUT";
  if (UNAVAILABLE.has(error.name ?? "") || error.$fault === "server") return "UPSTREAM_UNAVAILABLE";
  if (UNAUTHORIZED.has(error.name ?? "")) return "UPSTREAM_UNAUTHORIZED";
  if (error.name === "CredentialsProviderError") return "UPSTREAM_CREDENTIALS_MISSING";
  if (TRANSPORT.has(error.code ?? "") || (error.message ?? "").toLowerCase().includes("socket hang up"))
    return "UPSTREAM_UNAVAILABLE";
  return error.$metadata ? "UPSTREAM_ERROR" : "INTERNAL_SERVER_ERROR";
}

/**
 * What an MTurk call failed with, raised once by the upstream layer (src/mturk/client.ts) and passed on as is: a
 * read answers it as a GraphQL error with `extensions.code`; a mutation's union lists the subclasses it can meet.
 */
export class UpstreamError extends GraphQLError {
  constructor(
    message: string,
    readonly code: UpstreamErrorCode,
    readonly operation: string,
    readonly turkErrorCode?: string,
    /** Refused before any operation ran (PROTOCOL_REFUSALS): nothing was applied, whatever the code says. */
    readonly beforeOperation = false,
  ) {
    super(message, { extensions: { code, operation, ...(turkErrorCode ? { turkErrorCode } : {}) } });
  }

  /** Whether MTurk may have applied a write although it failed (the answer was lost, or its meaning is unknown). */
  get ambiguous(): boolean {
    return this.code !== "NOT_FOUND" && !this.credentialsRefused && !this.definiteRefusal;
  }

  /** Nothing was sent, or MTurk refused the gateway itself: no write happened, and no read-back would answer. */
  get credentialsRefused(): boolean {
    return this.code === "UPSTREAM_UNAUTHORIZED" || this.code === "UPSTREAM_CREDENTIALS_MISSING";
  }

  /** MTurk refused with a reason of its own (a TurkErrorCode that says what was wrong), or before the operation. */
  get definiteRefusal(): boolean {
    return (
      this.code === "BAD_USER_INPUT" && (this.beforeOperation || (!!this.turkErrorCode && !isAlreadyProcessed(this)))
    );
  }
}

/** MTurk refused the request (RequestError, ParameterValidationError, a missing entity). */
export class MTurkRefused extends UpstreamError {}

/** MTurk could not be reached or did not answer after the SDK's retries (throttling, ServiceFault, timeouts). */
export class MTurkUnavailable extends UpstreamError {
  /** Retrying later may succeed; for writes with an idempotency key, retrying with the same key is safe. */
  readonly retryable = true;
}

/**
 * MTurk's answer to a reused UniqueRequestToken (or a repeated UpdateExpirationForHIT): documented only as "an
 * error with a message containing the request ID"; the one observed message says the token "has already been
 * processed"; no public trace of the DuplicateRequest code this simulator also sends.
 */
export function isAlreadyProcessed(error: { turkErrorCode?: string; message: string }): boolean {
  return (
    error.turkErrorCode === "AWS.MechanicalTurk.DuplicateRequest" ||
    error.message.toLowerCase().includes("already been processed")
  );
}

/**
 * Turns whatever an SDK call threw into one UpstreamError with `extensions.code`, MTurk's TurkErrorCode and the
 * operation. Messages of upstream auth and transport failures are replaced: they may name keys or hosts.
 */
export function toUpstreamError(error: unknown, operation: string): GraphQLError {
  if (error instanceof GraphQLError) return error;
  const sdk = (error ?? {}) as SdkError;
  const code = codeFor(sdk);
  const turk = typeof sdk.TurkErrorCode === "string" ? sdk.TurkErrorCode.slice(0, 100) : undefined;
  switch (code) {
    case "UPSTREAM_UNAUTHORIZED":
      return new UpstreamError("MTurk rejected the gateway's credentials.", code, operation);
    case "UPSTREAM_CREDENTIALS_MISSING":
      return new UpstreamError(NO_CREDENTIALS_MESSAGE, code, operation);
    case "UPSTREAM_UNAVAILABLE":
      return new MTurkUnavailable(
        `MTurk is unavailable for ${operation} after retries (${(sdk.name ?? "connection error").slice(0, 60)}).`,
        code,
        operation,
      );
    case "INTERNAL_SERVER_ERROR":
      return new UpstreamError(`${operation} failed unexpectedly.`, code, operation);
    case "UPSTREAM_ERROR":
      return new UpstreamError(cleanMessage(sdk.message ?? `${operation} failed.`), code, operation, turk);
    default:
      return new MTurkRefused(
        cleanMessage(sdk.message ?? `${operation} failed.`),
        code,
        operation,
        turk,
        PROTOCOL_REFUSALS.has(sdk.name ?? ""),
      );
  }
}

export const badInput = (message: string, extra: Record<string, unknown> = {}) =>
  new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT", ...extra } });

export const isNotFound = (error: unknown) => error instanceof GraphQLError && error.extensions.code === "NOT_FOUND";

/**
 * A write whose outcome the gateway could not read back (MTurk did not answer, and neither did the read).
 * `check` says what to look at; retrying with the same idempotency key is safe either way.
 */
export class OutcomeUnknown extends Error {
  readonly code = "OUTCOME_UNKNOWN" satisfies ErrorCode;
  constructor(
    message: string,
    readonly operation: string,
    readonly check: string,
  ) {
    super(message);
  }
}

/** An idempotency key reused for a write with other content (another worker, assignment, amount or HIT). */
export class IdempotencyKeyConflict extends Error {
  readonly code = "IDEMPOTENCY_KEY_CONFLICT" satisfies ErrorCode;
  constructor(
    message: string,
    readonly operation: string,
    readonly idempotencyKey: string,
  ) {
    super(message);
  }
}

/** The `extensions.code` of a thrown GraphQL error (or of anything shaped like one); undefined for others. */
export function codeOf(error: unknown): unknown {
  if (typeof error !== "object" || error === null || !("extensions" in error)) return undefined;
  const { extensions } = error;
  return typeof extensions === "object" && extensions !== null && "code" in extensions ? extensions.code : undefined;
}

/** What was thrown, as an Error (a thrown non-Error is wrapped, its text the message). */
export const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/** The message of what was thrown. */
export const messageOf = (error: unknown): string => toError(error).message;
