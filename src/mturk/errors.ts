import { GraphQLError } from "graphql";

/** The `extensions.code` values the gateway answers with. */
export type ErrorCode =
  | "NOT_FOUND"
  | "BAD_USER_INPUT"
  | "UPSTREAM_UNAVAILABLE"
  | "UPSTREAM_UNAUTHORIZED"
  | "UPSTREAM_ERROR"
  | "INTERNAL_SERVER_ERROR";

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
  "CredentialsProviderError",
]);

/** MTurk ends messages with a server timestamp, "(1624047673969)": noise to a GraphQL client. */
const cleanMessage = (message: string) => message.replace(/\s*\(\d{10,}( s)?\)\s*$/, "").trim();

export function codeFor(error: SdkError): ErrorCode {
  const turk = error.TurkErrorCode ?? "";
  if (/DoesNotExist$/.test(turk)) return "NOT_FOUND";
  if (
    error.name === "RequestError" ||
    error.name === "ParameterValidationError" ||
    error.name === "SerializationException"
  )
    return "BAD_USER_INPUT";
  if (UNAVAILABLE.has(error.name ?? "") || error.$fault === "server") return "UPSTREAM_UNAVAILABLE";
  if (UNAUTHORIZED.has(error.name ?? "")) return "UPSTREAM_UNAUTHORIZED";
  if (
    ["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT"].includes(error.code ?? "") ||
    /socket hang up/i.test(error.message ?? "")
  )
    return "UPSTREAM_UNAVAILABLE";
  return error.$metadata ? "UPSTREAM_ERROR" : "INTERNAL_SERVER_ERROR";
}

/**
 * Turns whatever an SDK call threw into a GraphQL error with `extensions.code`, MTurk's TurkErrorCode and the
 * operation. Messages of upstream auth and transport failures are replaced: they may name keys or hosts.
 */
export function toGraphQLError(error: unknown, operation: string): GraphQLError {
  if (error instanceof GraphQLError) return error;
  const sdk = (error ?? {}) as SdkError;
  const code = codeFor(sdk);
  const message =
    code === "UPSTREAM_UNAUTHORIZED"
      ? "MTurk rejected the gateway's credentials."
      : code === "UPSTREAM_UNAVAILABLE"
        ? `MTurk is unavailable for ${operation} after retries (${sdk.name ?? "connection error"}).`
        : code === "INTERNAL_SERVER_ERROR"
          ? `${operation} failed unexpectedly.`
          : cleanMessage(sdk.message ?? `${operation} failed.`);
  return new GraphQLError(message, {
    extensions: { code, operation, ...(sdk.TurkErrorCode ? { turkErrorCode: sdk.TurkErrorCode } : {}) },
  });
}

export const badInput = (message: string, extra: Record<string, unknown> = {}) =>
  new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT", ...extra } });

export const isNotFound = (error: unknown) => error instanceof GraphQLError && error.extensions.code === "NOT_FOUND";
