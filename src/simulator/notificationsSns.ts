import { createPrivateKey, type KeyObject, randomUUID, sign } from "node:crypto";
import selfsigned from "selfsigned";

/**
 * SNS's side of the simulator's notifications: a signing certificate made at start with node:crypto (through
 * `selfsigned`: no openssl binary), and SNS's HTTP message format signed as SNS signs it (SignatureVersion 2:
 * RSA with SHA-256 over SNS's canonical string). Real SNS signs with a certificate from sns.<region>.amazonaws.com;
 * the simulator serves its own under /_simulator/sns/, for a gateway that trusts the simulator's origin.
 */
export interface SnsSigner {
  certificatePem: string;
  key: KeyObject;
}

let signer: Promise<SnsSigner> | undefined;

/** One key pair per process: generating an RSA key takes about a second, and every simulator can share it. */
export function snsSigner(): Promise<SnsSigner> {
  signer ??= selfsigned
    .generate([{ name: "commonName", value: "sns.simulator.invalid" }], {
      keySize: 2048,
      algorithm: "sha256",
      notBeforeDate: new Date(Date.now() - 60_000),
      notAfterDate: new Date(Date.now() + 30 * 86_400_000),
    })
    .then((pems) => ({ certificatePem: pems.cert, key: createPrivateKey(pems.private) }));
  return signer;
}

/** An SNS message's fields (all strings); every message has these three. */
export interface SnsMessage {
  [field: string]: string;
  Type: string;
  MessageId: string;
  TopicArn: string;
}

/** The fields SNS signs, in its order, for each message type. */
const SIGNED_FIELDS: Record<string, string[]> = {
  Notification: ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
  SubscriptionConfirmation: ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
  UnsubscribeConfirmation: ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
};

/** SNS's string to sign: "Name\nvalue\n" for each signed field present. */
function snsStringToSign(message: SnsMessage): string {
  const fields = SIGNED_FIELDS[message.Type] ?? [];
  return fields
    .filter((f) => message[f] !== undefined)
    .map((f) => `${f}\n${message[f]}\n`)
    .join("");
}

/** Adds SignatureVersion 2, the signature and the certificate's URL to a message. */
export function signed(message: SnsMessage, s: SnsSigner, certificateUrl: string): SnsMessage {
  const withVersion = { ...message, SignatureVersion: "2", SigningCertURL: certificateUrl };
  const signature = sign("sha256", Buffer.from(snsStringToSign(withVersion), "utf8"), s.key).toString("base64");
  return { ...withVersion, Signature: signature };
}

export function notificationMessage(topicArn: string, body: string, unsubscribeUrl: string): SnsMessage {
  return {
    Type: "Notification",
    MessageId: randomUUID(),
    TopicArn: topicArn,
    Message: body,
    Timestamp: new Date().toISOString(),
    UnsubscribeURL: unsubscribeUrl,
  };
}

export function confirmationMessage(topicArn: string, token: string, subscribeUrl: string): SnsMessage {
  return {
    Type: "SubscriptionConfirmation",
    MessageId: randomUUID(),
    Token: token,
    TopicArn: topicArn,
    Message: `You have chosen to subscribe to the topic ${topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
    SubscribeURL: subscribeUrl,
    Timestamp: new Date().toISOString(),
  };
}
