import { verify, X509Certificate } from "node:crypto";
import { z } from "zod";

/**
 * Verification of SNS HTTP deliveries: SignatureVersion 2 (RSA with SHA-256 over SNS's canonical string) against
 * the certificate named by SigningCertURL, fetched only from allowed origins (https://sns.us-east-1.amazonaws.com by
 * default; the embedded simulator's own origin is added for it). A message that fails any check is refused.
 */
export class SnsRefusal extends Error {}
/** A body that is no SNS message at all (not JSON, not an object of strings, no SNS Type): a 400. */
export class SnsMalformed extends Error {}

export type SnsMessage = Record<string, string | undefined>;

const TYPES = ["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"] as const;
const SIGNED_FIELDS = new Map<string, string[]>([
  ["Notification", ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]],
  ["SubscriptionConfirmation", ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]],
  ["UnsubscribeConfirmation", ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]],
]);

/** An SNS HTTP delivery: a JSON object whose members are all strings, of one of SNS's three message types. */
const SnsBody = z.object({ Type: z.enum(TYPES) }).catchall(z.string());

/** The message of a delivery's body, or SnsMalformed saying briefly why it is none (never echoing the body). */
export function parseSnsMessage(body: string): SnsMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new SnsMalformed("not JSON");
  }
  const parsed = SnsBody.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const member = typeof issue?.path[0] === "string" ? issue.path[0].slice(0, 40) : undefined;
    throw new SnsMalformed(
      member === "Type"
        ? "Type is not an SNS message type"
        : member
          ? `${member} is not a string`
          : "not a JSON object",
    );
  }
  const message: SnsMessage = parsed.data;
  return message;
}

/** A message older than this is refused: a recorded delivery cannot be replayed later. */
const MAX_AGE_MS = 60 * 60_000;
const MAX_CERTIFICATES = 20;
const MAX_CERTIFICATE_BYTES = 16_384;
const FETCH_TIMEOUT_MS = 5_000;
/**
 * After a certificate fetch fails, no new certificate is fetched for this long: forged messages naming ever new
 * certificate URLs cost one outbound fetch per pause, not one each. (A genuine delivery refused meanwhile is retried
 * by SNS; certificates already fetched keep working.)
 */
const FETCH_PAUSE_MS = 10_000;

export function stringToSign(message: SnsMessage): string {
  return (SIGNED_FIELDS.get(message.Type ?? "") ?? [])
    .filter((f) => message[f] !== undefined)
    .map((f) => `${f}\n${message[f]}\n`)
    .join("");
}

export interface SnsVerifierOptions {
  /** Origins (scheme, host, port) certificates and SubscribeURLs may come from. */
  origins: string[];
  /** Topic ARNs accepted; any when empty. */
  topics?: string[];
}

export class SnsVerifier {
  private readonly origins: Set<string>;
  private readonly certificates = new Map<string, Promise<X509Certificate>>();
  private fetchesPausedUntil = 0;

  constructor(private readonly options: SnsVerifierOptions) {
    this.origins = new Set(options.origins.map((o) => new URL(o).origin));
  }

  /** The URL if it is one the gateway may fetch (an allowed origin, no credentials in it); else a refusal. */
  allowedUrl(url: string | undefined, what: string): URL {
    let parsed: URL;
    try {
      parsed = new URL(url ?? "");
    } catch {
      throw new SnsRefusal(`${what} is not a URL`);
    }
    if (!this.origins.has(parsed.origin) || parsed.username || parsed.password)
      throw new SnsRefusal(`${what} is not on an allowed origin (SNS_CERT_ORIGINS)`);
    return parsed;
  }

  async verify(message: SnsMessage): Promise<void> {
    const fields = SIGNED_FIELDS.get(message.Type ?? "");
    if (!fields) throw new SnsRefusal("not an SNS message type");
    if (message.SignatureVersion !== "2") throw new SnsRefusal("SignatureVersion is not 2");
    if (!message.Signature) throw new SnsRefusal("unsigned");
    const { Message, MessageId, Timestamp, TopicArn } = message;
    for (const [f, v] of Object.entries({ Message, MessageId, Timestamp, TopicArn }))
      if (typeof v !== "string") throw new SnsRefusal(`no ${f}`);
    if (TopicArn === undefined || Timestamp === undefined) throw new SnsRefusal("no TopicArn or Timestamp");
    const topics = this.options.topics ?? [];
    if (topics.length && !topics.includes(TopicArn)) throw new SnsRefusal("topic not accepted (SNS_TOPIC_ARNS)");
    const age = Date.now() - Date.parse(Timestamp);
    if (!(age < MAX_AGE_MS)) throw new SnsRefusal("Timestamp too old or not a date");
    const url = this.allowedUrl(message.SigningCertURL, "SigningCertURL");
    if (!url.pathname.endsWith(".pem")) throw new SnsRefusal("SigningCertURL is not a .pem");
    const certificate = await this.certificate(url.href);
    const now = new Date();
    if (new Date(certificate.validFrom) > now || new Date(certificate.validTo) < now)
      throw new SnsRefusal("signing certificate not valid now");
    const ok = verify(
      "sha256",
      Buffer.from(stringToSign(message), "utf8"),
      certificate.publicKey,
      Buffer.from(message.Signature, "base64"),
    );
    if (!ok) throw new SnsRefusal("bad signature");
  }

  /** A certificate by URL, fetched once (a failed fetch is not kept, and pauses fetching). */
  private certificate(url: string): Promise<X509Certificate> {
    let cached = this.certificates.get(url);
    if (!cached) {
      if (Date.now() < this.fetchesPausedUntil)
        return Promise.reject(new SnsRefusal("certificate fetches paused after a failed one"));
      cached = fetchCertificate(url);
      cached.catch(() => {
        this.certificates.delete(url);
        this.fetchesPausedUntil = Date.now() + FETCH_PAUSE_MS;
      });
      this.certificates.set(url, cached);
      for (const key of this.certificates.keys()) {
        if (this.certificates.size <= MAX_CERTIFICATES) break;
        this.certificates.delete(key);
      }
    }
    return cached;
  }
}

async function fetchCertificate(url: string): Promise<X509Certificate> {
  const response = await fetch(url, { redirect: "error", signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) }).catch(
    () => undefined,
  );
  if (!response?.ok) throw new SnsRefusal("signing certificate could not be fetched");
  const text = await response.text();
  if (text.length > MAX_CERTIFICATE_BYTES) throw new SnsRefusal("signing certificate too large");
  try {
    return new X509Certificate(text);
  } catch {
    throw new SnsRefusal("signing certificate is not a certificate");
  }
}
