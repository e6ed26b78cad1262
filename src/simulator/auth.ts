import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { SimulatorError } from "./errors.js";

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** The documented defaults that `npm start` and `npm run simulator` use unless told otherwise. */
export const DEFAULT_CREDENTIALS: Credentials = {
  accessKeyId: "AKIDSIMULATOR0000000",
  secretAccessKey: "simulator-secret-access-key-0000000000000",
};

const SIGNING_REGION = "us-east-1";
const SIGNING_SERVICE = "mturk-requester";
const MAX_SKEW_MS = 15 * 60 * 1000;
const AUTH_PATTERN =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

const authError = (type: string, message: string) => new SimulatorError(type, message, 400);

const parseAmzDate = (value: string) => {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number);
  return new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day, hour, minute, second));
};

/** Signers are kept: each caches its derived signing keys, which are costly to compute per request. */
const signers = new Map<string, SignatureV4>();
function signerFor(credentials: Credentials, applyChecksum: boolean): SignatureV4 {
  const key = `${credentials.accessKeyId}\u0000${credentials.secretAccessKey}\u0000${applyChecksum}`;
  let signer = signers.get(key);
  if (!signer) {
    signer = new SignatureV4({
      credentials,
      region: SIGNING_REGION,
      service: SIGNING_SERVICE,
      sha256: Hash.bind(null, "sha256"),
      applyChecksum,
    });
    signers.set(key, signer);
  }
  return signer;
}

/**
 * Checks a request's SigV4 signature the way AWS's front door does, by signing the same canonical request again
 * with the SDK's own signer and comparing.
 */
export async function verifySignature(
  credentials: Credentials,
  request: { method: string; path: string; host: string; headers: IncomingHttpHeaders; body: string },
): Promise<void> {
  const authorization = request.headers.authorization;
  if (!authorization) throw authError("MissingAuthenticationTokenException", "Missing Authentication Token");
  const m = AUTH_PATTERN.exec(authorization);
  if (!m)
    throw authError(
      "IncompleteSignatureException",
      `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization=${authorization.split(" ")[0]}`,
    );
  // AUTH_PATTERN has all six groups: a match gives each a string.
  const [, accessKeyId, , region, service, signedHeaderList = "", signature = ""] = m;
  if (accessKeyId !== credentials.accessKeyId)
    throw authError("UnrecognizedClientException", "The security token included in the request is invalid.");
  if (region !== SIGNING_REGION)
    throw authError("InvalidSignatureException", `Credential should be scoped to a valid region, not '${region}'. `);
  if (service !== SIGNING_SERVICE)
    throw authError(
      "InvalidSignatureException",
      `Credential should be scoped to correct service: '${SIGNING_SERVICE}'. `,
    );
  const amzDate = request.headers["x-amz-date"];
  const signingDate = typeof amzDate === "string" ? parseAmzDate(amzDate) : undefined;
  if (!signingDate)
    throw authError(
      "IncompleteSignatureException",
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    );
  if (Math.abs(Date.now() - signingDate.getTime()) > MAX_SKEW_MS)
    throw authError(
      "InvalidSignatureException",
      `Signature expired: ${amzDate} is now earlier than the allowed clock skew of 15 minutes.`,
    );

  // The signer trusts x-amz-content-sha256 as the payload hash, so the body must match it.
  const declaredHash = request.headers["x-amz-content-sha256"];
  if (declaredHash !== undefined && declaredHash !== createHash("sha256").update(request.body, "utf8").digest("hex"))
    throw authError(
      "InvalidSignatureException",
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
  const signedHeaders = signedHeaderList.split(";");
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = name === "host" ? (request.headers.host ?? request.host) : request.headers[name];
    if (value === undefined) throw authError("InvalidSignatureException", `Signed header ${name} is missing.`);
    headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  const signer = signerFor(credentials, signedHeaders.includes("x-amz-content-sha256"));
  const expected = await signer.sign(
    new HttpRequest({
      method: request.method,
      protocol: "http:",
      hostname: request.host,
      path: request.path,
      headers,
      body: request.body,
    }),
    { signingDate, signableHeaders: new Set(signedHeaders) },
  );
  const expectedSignature = /Signature=([0-9a-f]{64})/.exec(String(expected.headers.authorization))?.[1] ?? "";
  if (expectedSignature.length !== 64 || !timingSafeEqual(Buffer.from(expectedSignature), Buffer.from(signature)))
    throw authError(
      "InvalidSignatureException",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    );
}
