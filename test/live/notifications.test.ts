import { generateKeyPairSync, sign } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringToSign } from "../../src/live/sns.js";
import { confirmationMessage, notificationMessage, signed, snsSigner } from "../../src/simulator/notificationsSns.js";
import { control } from "../support/stack.js";
import { ASSIGNMENT_SUBMITTED, HIT_CHANGED, waitFor } from "./support.js";

/**
 * MTurk's notifications through SNS: the simulator delivers signed SNS messages over HTTP to the gateway's
 * POST /notifications/sns (subscription confirmed first); duplicates, reordering and a lost message; forged,
 * tampered and unsigned messages refused with 401 and logged.
 */
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

import { notifiedStack, TOPIC } from "./notified.js";

describe("notifications only (the poll is a minute away)", () => {
  let s: Awaited<ReturnType<typeof notifiedStack>>;
  beforeAll(async () => {
    s = await notifiedStack(60_000);
  });
  afterAll(() => s.close());

  it("confirms the SNS subscription by its SubscribeURL", async () => {
    await waitFor(async () => (await s.counter("confirmed")) === 1, 5_000, "confirmation");
    const settings = (await (await fetch(`${s.simulator.url}/_simulator/sns/settings`)).json()) as any;
    expect(settings.confirmedTopics).toEqual([TOPIC]);
  });

  it("delivers a worker's submit within 1 s (p95 over 20), to the HIT's and its type's subscribers, and the HIT's change", async () => {
    const submitted = s.subscribe(ASSIGNMENT_SUBMITTED, { h: s.hitId });
    const ofType = s.subscribe(ASSIGNMENT_SUBMITTED, { ht: s.hitTypeId });
    const changed = s.subscribe(HIT_CHANGED, { h: s.hitId });
    await pause(300);
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const job = await s.work();
      const started = Date.now();
      await job.submit();
      const events = await submitted.until(i + 1, 3_000);
      expect(events[i]?.data.data?.assignmentSubmitted.assignmentId).toBe(job.id);
      latencies.push(Date.now() - started);
    }
    latencies.sort((a, b) => a - b);
    const p95 = latencies[18] as number;
    console.log(`notification latency: p50 ${latencies[9]} ms, p95 ${p95} ms`);
    expect(p95).toBeLessThanOrEqual(1_000);
    expect(changed.events.length).toBeGreaterThan(0);
    await ofType.until(20, 2_000);
    expect(ofType.events.map((e) => e.id)).toHaveLength(20);
    await Promise.all([submitted.close(), ofType.close(), changed.close()]);
  }, 30_000);

  it("a reused AssignmentId: its submit is announced once, with the worker who submitted (events name no worker)", async () => {
    const stream = s.subscribe(ASSIGNMENT_SUBMITTED, { h: s.hitId });
    await pause(300);
    const returned = await s.work();
    await control(s.simulator, "POST", `assignments/${returned.id}/return`);
    // MTurk gives the returned assignment's id to the next worker; its AssignmentAccepted event looks the same.
    const next = await s.work();
    expect(next.id).toBe(returned.id);
    await next.submit();
    const [event] = await stream.until(1, 3_000);
    const holder = s.simulator.store.assignments.get(next.id)?.workerId;
    expect(event?.data.data?.assignmentSubmitted).toMatchObject({ assignmentId: next.id, workerId: holder });
    await pause(500);
    expect(stream.events).toHaveLength(1);
    await stream.close();
  });

  it("drops every duplicated message, and orders reordered ones by EventTimestamp", async () => {
    const stream = s.subscribe(ASSIGNMENT_SUBMITTED, { h: s.hitId });
    await pause(300);
    const before = await s.counter("duplicate");
    await s.faults({ duplicate: 5 });
    const jobs = [];
    for (let i = 0; i < 5; i++) {
      const job = await s.work();
      jobs.push(job.id);
      await job.submit();
    }
    await stream.until(5, 3_000);
    await waitFor(async () => (await s.counter("duplicate")) - before === 5, 3_000, "5 duplicates dropped");
    await s.faults({ reorder: 1, reorderDelayMs: 100 });
    const first = await s.work();
    const second = await s.work();
    await first.submit();
    await second.submit();
    await stream.until(7, 3_000);
    await pause(500);
    expect(stream.events.map((e) => e.data.data?.assignmentSubmitted.assignmentId)).toEqual([
      ...jobs,
      first.id,
      second.id,
    ]);
    await stream.close();
  });

  it("refuses forged, tampered and unsigned messages with 401, and logs them", async () => {
    const signer = await snsSigner();
    const certUrl = `${s.simulator.url}/_simulator/sns/cert.pem`;
    const doc = JSON.stringify({
      EventDocId: "forged-1",
      Events: [{ EventType: "AssignmentSubmitted", HITId: s.hitId }],
    });
    const genuine = signed(notificationMessage(TOPIC, doc, "x"), signer, certUrl);
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const base = notificationMessage(TOPIC, doc, "x");
    const forged = { ...base, SignatureVersion: "2", SigningCertURL: certUrl };
    const forgedSigned = {
      ...forged,
      Signature: sign("sha256", Buffer.from(stringToSign(forged)), privateKey).toString("base64"),
    };
    const cases = {
      forged: forgedSigned,
      tampered: { ...genuine, Message: doc.replace("forged-1", "forged-2") },
      unsigned: { ...genuine, Signature: undefined },
      "version 1": { ...genuine, SignatureVersion: "1" },
      "foreign certificate": { ...genuine, SigningCertURL: "https://evil.example/cert.pem" },
      "forged confirmation": {
        ...confirmationMessage(TOPIC, "t", `${s.simulator.url}/_simulator/sns/confirm?Token=t`),
        SignatureVersion: "2",
        SigningCertURL: certUrl,
        Signature: "AAAA",
      },
    };
    const before = await s.counter("refused");
    for (const [name, message] of Object.entries(cases))
      expect([name, (await s.post(message)).status]).toEqual([name, 401]);
    expect(await s.counter("refused")).toBe(before + Object.keys(cases).length);
    expect(s.lines.filter((l) => l.includes("SNS notification refused")).length).toBeGreaterThanOrEqual(6);
    expect((await s.post(genuine)).status).toBe(200);
  });
});

describe("a notification that names one HIT and another's assignment", () => {
  let s: Awaited<ReturnType<typeof notifiedStack>>;
  beforeAll(async () => {
    s = await notifiedStack(60_000);
  });
  afterAll(() => s.close());

  it("is not announced to the named HIT's or HIT type's subscribers: MTurk's answer says whose assignment it is", async () => {
    const fixtures = await control<{ assignmentIdsByStatus: Record<string, string[]> }>(s.simulator, "GET", "fixtures");
    const foreign = fixtures.assignmentIdsByStatus.Submitted?.[0] as string;
    expect(foreign).toBeTruthy();
    const ofHit = s.subscribe(ASSIGNMENT_SUBMITTED, { h: s.hitId });
    const ofType = s.subscribe(ASSIGNMENT_SUBMITTED, { ht: s.hitTypeId });
    await pause(300);
    // Signed like any SNS delivery (any topic is accepted without SNS_TOPIC_ARNS): its event is the sender's word.
    const doc = JSON.stringify({
      EventDocId: "mismatched-1",
      Events: [
        {
          EventType: "AssignmentSubmitted",
          EventTimestamp: new Date().toISOString(),
          HITId: s.hitId,
          HITTypeId: s.hitTypeId,
          AssignmentId: foreign,
        },
      ],
    });
    const message = signed(
      notificationMessage(TOPIC, doc, "x"),
      await snsSigner(),
      `${s.simulator.url}/_simulator/sns/cert.pem`,
    );
    expect((await s.post(message)).status).toBe(200);
    await pause(800);
    expect(ofHit.events.map((e) => e.data.data?.assignmentSubmitted.assignmentId)).not.toContain(foreign);
    expect(ofType.events.map((e) => e.data.data?.assignmentSubmitted.assignmentId)).not.toContain(foreign);
    await Promise.all([ofHit.close(), ofType.close()]);
  });
});

describe("a signed notification whose events are not objects", () => {
  let s: Awaited<ReturnType<typeof notifiedStack>>;
  beforeAll(async () => {
    s = await notifiedStack(60_000);
  });
  afterAll(() => s.close());

  it("is ignored: the gateway goes on serving (no exception escapes the reordering timer)", async () => {
    const doc = JSON.stringify({ EventDocId: "not-objects-1", Events: [null, 5, "x", { EventType: "Ping" }] });
    const message = signed(
      notificationMessage(TOPIC, doc, "x"),
      await snsSigner(),
      `${s.simulator.url}/_simulator/sns/cert.pem`,
    );
    expect((await s.post(message)).status).toBe(200);
    await pause(500);
    const health = await fetch(`${s.url}/health`);
    expect(health.status).toBe(200);
  });
});

describe("signed notifications faster than MTurk answers", () => {
  let s: Awaited<ReturnType<typeof notifiedStack>>;
  beforeAll(async () => {
    s = await notifiedStack(60_000);
  });
  afterAll(async () => {
    await control(s.simulator, "PUT", "latency", { fixedMs: 0, jitterMs: 0 });
    await s.close();
  });

  it("queue at most 1,000 events: later deliveries are answered, their events dropped and counted", async () => {
    // Each event costs a GetAssignment; at 3 s per call nothing drains while 1,100 events arrive.
    await control(s.simulator, "PUT", "latency", { fixedMs: 3_000, jitterMs: 0 });
    const signer = await snsSigner();
    const certUrl = `${s.simulator.url}/_simulator/sns/cert.pem`;
    for (let m = 0; m < 11; m += 1) {
      const events = Array.from({ length: 100 }, (_, i) => ({
        EventType: "AssignmentSubmitted",
        EventTimestamp: new Date().toISOString(),
        HITId: s.hitId,
        AssignmentId: `3FLOOD${m}X${i}`,
      }));
      const doc = JSON.stringify({ EventDocId: `flood-${m}`, Events: events });
      expect((await s.post(signed(notificationMessage(TOPIC, doc, "x"), signer, certUrl))).status).toBe(200);
    }
    expect(await s.counter("accepted")).toBe(10);
    expect(await s.counter("overflow")).toBe(1);
  });
});

describe("polling stays the backstop", () => {
  let s: Awaited<ReturnType<typeof notifiedStack>>;
  beforeAll(async () => {
    s = await notifiedStack(500);
  });
  afterAll(() => s.close());

  it("delivers an event whose notification was lost within one poll interval", async () => {
    const stream = s.subscribe(ASSIGNMENT_SUBMITTED, { h: s.hitId });
    await pause(1_200);
    await s.faults({ lose: 1 });
    const job = await s.work();
    const started = Date.now();
    await job.submit();
    const [event] = await stream.until(1, 3_000);
    expect(event?.data.data?.assignmentSubmitted.assignmentId).toBe(job.id);
    expect(Date.now() - started).toBeLessThanOrEqual(500 + 1_000);
    const settings = (await (await fetch(`${s.simulator.url}/_simulator/sns/settings`)).json()) as any;
    expect(settings.stats.lost).toBe(1);
    await pause(1_200);
    expect(stream.events).toHaveLength(1);
    await stream.close();
  });
});
