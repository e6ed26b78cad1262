/**
 * Every `extensions.code` the gateway answers with, each with what it means: the gateway's own and those of the
 * libraries in its pipeline (yoga's parser and validation, the persisted-operations plugin). docs/errors.md's
 * table lists exactly these (test/unit/errorCodes.test.ts holds the two, and the code, equal).
 */
export const ERROR_CODES = {
  NOT_FOUND:
    "MTurk's `*DoesNotExist`: a missing HIT is `null` plus this error at its path; a deleted HIT reads as `Disposed`",
  BAD_USER_INPUT:
    "input MTurk rejects (RequestError, ParameterValidationError; ValidationException and SerializationException, refusals before the operation), bad cursors, `last`/`before`, `first` out of range, a malformed global id or WorkerId, a negative `@stream(initialCount:)`",
  BAD_REQUEST:
    "the HTTP request is not GraphQL (a body or query parameter that is not JSON; its text is never echoed): HTTP 400 whatever the client accepts (graphql-http's audit passes with no warning, `test/gateway/security.test.ts`)",
  GRAPHQL_PARSE_FAILED: "the document is not GraphQL (yoga's parser; HTTP 400)",
  GRAPHQL_VALIDATION_FAILED: "the document does not fit the schema (graphql's validation rules)",
  UNAUTHENTICATED: "no credential or a bad one (HTTP 401, `WWW-Authenticate`), checked before the document is parsed",
  FORBIDDEN:
    "the credential lacks the scope (see Security); a CSRF-unsafe request; or, without authentication, a Host that is not this machine",
  QUERY_TOO_COMPLEX:
    "the query is over one of its limits — price, depth, breadth, aliases, tokens or directives (`extensions.kind` names it, the message its setting, e.g. `MAX_DEPTH 15`; nothing was called) —, `nodes(ids:)` names more than `MAX_NODES` ids (`ids`, `maxNodes`), or a request reached `MAX_UPSTREAM_CALLS` (nothing more is sent)",
  PAYLOAD_TOO_LARGE: "the request body is over `MAX_BODY_BYTES` (HTTP 413), refused before it is read",
  LENGTH_REQUIRED: "a body sent without a Content-Length (HTTP 411)",
  TIMEOUT:
    "the operation took longer than `REQUEST_TIMEOUT_MS`; its queued upstream calls are not sent. When it waited for shared work that goes on (a refresh of the mirror), `extensions.stillRunning: true` and `extensions.retryAfterMs` say when to ask again",
  TOO_MANY_EXPORTS:
    "`GET /exports/…` (HTTP 429): the key already streams `MAX_EXPORTS_PER_KEY` exports on this instance",
  TOO_MANY_SUBSCRIPTIONS: "the principal has `MAX_SUBSCRIPTIONS_PER_PRINCIPAL` subscriptions open already",
  SUBSCRIPTION_BEHIND:
    "a subscription ends because its client fell behind (more than 10 × `SUBSCRIPTION_LOG_SIZE` events unread) or its events after `lastEventId` are no longer in the log: `extensions.lastEventId` says where to resume",
  PERSISTED_QUERY_NOT_IN_LIST: "with `PERSISTED_OPERATIONS_FILE`: a document id that is not in the file",
  PERSISTED_QUERY_ID_REQUIRED: "with `PERSISTED_OPERATIONS_FILE`: a request without a document id",
  CANNOT_SEND_PQ_ID_AND_BODY: "with `PERSISTED_OPERATIONS_FILE`: a request that sends a document of its own",
  UPSTREAM_UNAVAILABLE: "throttling, ServiceFault, timeouts or dropped connections after the SDK's retries",
  UPSTREAM_UNAUTHORIZED: "MTurk rejected the gateway's credentials (the message never names them)",
  UPSTREAM_CREDENTIALS_MISSING:
    "no AWS credentials were found where the SDK's default chain looks (environment, AWS_PROFILE and ~/.aws, web identity, container or instance role): said at start and on every request that calls MTurk",
  UPSTREAM_ERROR:
    "MTurk failed in a way it did not explain (no known error name, no TurkErrorCode); a write may have happened, so money and creation read back",
  OUTCOME_UNKNOWN:
    "a bulk item or an unselected `OutcomeUnknownError`: MTurk did not answer whether a payment or creation happened, nor the read-back; retry with the same key",
  IDEMPOTENCY_KEY_CONFLICT:
    "a bulk item or an unselected `IdempotencyKeyConflictError`: the key was used before for other content; nothing was sent",
  MIRROR_UNAVAILABLE:
    "a bulk item or an unselected `MirrorUnavailableError`: the gateway's database (its mirror, where idempotency records are written before MTurk is called) does not answer, so no payment or creation is sent; retry with the same key",
  SHUTTING_DOWN:
    "the gateway is stopping (SIGTERM/SIGINT, see operations.md): a new request is refused with HTTP 503 (nothing was run; send it again, another instance answers), and an open subscription ends with this error, then `complete`",
  INTERNAL_SERVER_ERROR: "anything unexpected: message masked, no stack trace",
} as const satisfies Record<string, string>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const isErrorCode = (code: unknown): code is ErrorCode =>
  typeof code === "string" && Object.hasOwn(ERROR_CODES, code);
