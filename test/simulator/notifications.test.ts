import { verify, X509Certificate } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CreateHITCommand, MTurkClient, UpdateNotificationSettingsCommand } from "@aws-sdk/client-mturk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../src/simulator/server.js";
import { control } from "../support/stack.js";

/**
 * The simulator's SNS deliveries as an HTTPS subscription of an SNS topic receives them: a SubscriptionConfirmation
 * first, then Notification messages signed with SignatureVersion 2 by the certificate it serves, the events of one
 * operation in one MTurk event document; and its faults (twice, lost).
 */
const TOPIC = "arn:aws:sns:us-east-1:123456789012:simulated";
type Message = Record<string, string>;

/** SNS's canonical string, written here independently of the gateway's. */
const canonical = (m: Message) =>
  (m.Type === "Notification"
    ? ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    : ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
  )
    .filter((f) => m[f] !== undefined)
    .map((f) => `${f}\n${m[f]}\n`)
    .join("");

describe("the simulator delivers MTurk's notifications over SNS", () => {
  let simulator: Simulator;
  let receiver: Server;
  const received: Message[] = [];
  let sdk: MTurkClient;
  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        received.push(JSON.parse(body));
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    simulator = await startSimulator({
      size: "tiny",
      snsEndpoint: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/sns`,
    });
    sdk = new MTurkClient({ region: "us-east-1", endpoint: simulator.url, credentials: simulator.credentials });
  });
  afterAll(async () => {
    sdk.destroy();
    await simulator.close();
    receiver.close();
  });

  it("confirms, then delivers signed multi-event documents; duplicates and loses on demand", async () => {
    const created = await sdk.send(
      new CreateHITCommand({
        Title: "Notified",
        Description: "SNS",
        Reward: "0.10",
        AssignmentDurationInSeconds: 600,
        LifetimeInSeconds: 3600,
        MaxAssignments: 3,
        Question: "<HTMLQuestion><HTMLContent>x</HTMLContent></HTMLQuestion>",
      }),
    );
    const hitId = created.HIT?.HITId as string;
    const hit = { hitTypeId: created.HIT?.HITTypeId as string };
    await sdk.send(
      new UpdateNotificationSettingsCommand({
        HITTypeId: hit.hitTypeId,
        Notification: {
          Destination: TOPIC,
          Transport: "SNS",
          Version: "2006-05-05",
          EventTypes: ["AssignmentSubmitted", "HITReviewable"],
        },
        Active: true,
      }),
    );
    const until = async (n: number) => {
      for (let i = 0; i < 200 && received.length < n; i++) await new Promise((r) => setTimeout(r, 10));
      expect(received.length).toBeGreaterThanOrEqual(n);
    };
    await until(1);
    const confirmation = received[0] as Message;
    expect(confirmation.Type).toBe("SubscriptionConfirmation");
    const certificate = new X509Certificate(await (await fetch(confirmation.SigningCertURL as string)).text());
    const signedBy = (m: Message) =>
      m.SignatureVersion === "2" &&
      verify("sha256", Buffer.from(canonical(m)), certificate.publicKey, Buffer.from(m.Signature as string, "base64"));
    expect(signedBy(confirmation)).toBe(true);
    expect((await fetch(confirmation.SubscribeURL as string)).status).toBe(200);

    // Fill the HIT: the last submit also makes it Reviewable, both events in one document.
    const submitOne = async () => {
      const { workerId } = await control<any>(simulator, "POST", "workers", {});
      const { assignment } = await control<any>(simulator, "POST", `hits/${hitId}/accept`, { workerId });
      await control(simulator, "POST", `assignments/${assignment.AssignmentId}/submit`, { answer: "<a/>" });
      return assignment.AssignmentId as string;
    };
    const open = 3;
    await fetch(`${simulator.url}/_simulator/sns/faults`, { method: "POST", body: JSON.stringify({ duplicate: 1 }) });
    const first = await submitOne();
    await until(3);
    const [a, b] = received.slice(1, 3) as [Message, Message];
    expect(a.MessageId).toBe(b.MessageId);
    expect(signedBy(a)).toBe(true);
    const doc = JSON.parse(a.Message as string);
    expect(doc.Events).toEqual([
      expect.objectContaining({ EventType: "AssignmentSubmitted", HITId: hitId, AssignmentId: first }),
    ]);
    await fetch(`${simulator.url}/_simulator/sns/faults`, { method: "POST", body: JSON.stringify({ lose: 1 }) });
    await submitOne();
    for (let i = 2; i < open; i++) await submitOne();
    await new Promise((r) => setTimeout(r, 300));
    const last = JSON.parse((received.at(-1) as Message).Message as string);
    if (open > 2)
      expect(last.Events.map((e: { EventType: string }) => e.EventType)).toEqual([
        "AssignmentSubmitted",
        "HITReviewable",
      ]);
    const settings = await (await fetch(`${simulator.url}/_simulator/sns/settings`)).json();
    expect(settings).toMatchObject({ confirmedTopics: [TOPIC], stats: { lost: 1, duplicated: 1 } });
  });
});
