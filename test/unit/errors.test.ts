import { describe, expect, it } from "vitest";
import {
  isAlreadyProcessed,
  MTurkRefused,
  MTurkUnavailable,
  toUpstreamError,
  type UpstreamError,
} from "../../src/mturk/errors.js";

/** An SDK-shaped error, as the SDK raises MTurk's answers (name, TurkErrorCode, $fault, $metadata). */
function sdkError(name: string, message: string, extra: Record<string, unknown> = {}) {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 }, ...extra });
}

/** One error path: what the SDK raises becomes one typed UpstreamError, once. */
describe("toUpstreamError", () => {
  it("classifies MTurk's answers", () => {
    const missing = toUpstreamError(
      sdkError("RequestError", "Hit X does not exist. (1624047673969)", {
        TurkErrorCode: "AWS.MechanicalTurk.HITDoesNotExist",
      }),
      "GetHIT",
    );
    expect(missing).toBeInstanceOf(MTurkRefused);
    expect(missing.message).toBe("Hit X does not exist.");
    expect(missing.extensions).toMatchObject({ code: "NOT_FOUND", operation: "GetHIT" });
    const throttled = toUpstreamError(sdkError("ThrottlingException", "Rate exceeded"), "ListHITs");
    expect(throttled).toBeInstanceOf(MTurkUnavailable);
    expect((throttled as MTurkUnavailable).retryable).toBe(true);
    const auth = toUpstreamError(
      sdkError("InvalidSignatureException", "The signature for AKIDSECRET is wrong"),
      "GetHIT",
    );
    expect(auth.message).not.toContain("AKIDSECRET");
    expect(auth.extensions.code).toBe("UPSTREAM_UNAUTHORIZED");
    // Temporary credentials (an assumed role, SSO) that ran out: the operator's to fix, not the caller's input.
    const expired = toUpstreamError(
      sdkError("ExpiredTokenException", "The security token included is expired"),
      "GetHIT",
    );
    expect(expired.extensions.code).toBe("UPSTREAM_UNAUTHORIZED");
    const dropped = toUpstreamError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), "SendBonus");
    expect(dropped).toBeInstanceOf(MTurkUnavailable);
  });

  it("knows which answers may hide an applied write", () => {
    const refusal = toUpstreamError(
      sdkError("RequestError", "Insufficient funds", { TurkErrorCode: "AWS.MechanicalTurk.InsufficientFunds" }),
      "SendBonus",
    ) as UpstreamError;
    expect(refusal.ambiguous).toBe(false);
    const opaque = toUpstreamError(
      sdkError("RequestError", "Your request could not be processed."),
      "SendBonus",
    ) as UpstreamError;
    expect(opaque.ambiguous).toBe(true);
    const duplicate = toUpstreamError(
      sdkError("RequestError", 'The idempotency token "t" has already been processed.'),
      "SendBonus",
    ) as UpstreamError;
    expect(isAlreadyProcessed(duplicate)).toBe(true);
    expect(duplicate.ambiguous).toBe(true);
  });

  it("a protocol-level refusal (ValidationException, SerializationException) is bad input, definitely not applied", () => {
    for (const name of ["ValidationException", "SerializationException"]) {
      const refused = toUpstreamError(
        sdkError(name, "1 validation error detected: Value at 'bonusAmount' failed to satisfy constraint", {
          $fault: "client",
        }),
        "SendBonus",
      ) as UpstreamError;
      expect([name, refused.extensions.code, refused.ambiguous, refused instanceof MTurkRefused]).toEqual([
        name,
        "BAD_USER_INPUT",
        false,
        true,
      ]);
    }
  });

  it("cuts and cleans long messages in linear time", () => {
    const long = toUpstreamError(
      sdkError("RequestError", `${" ".repeat(95_000)}x (1624047673969)`, { TurkErrorCode: "AWS.MechanicalTurk.X" }),
      "GetHIT",
    );
    expect(long.message.length).toBeLessThanOrEqual(501);
  });
});
