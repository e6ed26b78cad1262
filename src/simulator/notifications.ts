import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { isRecord, jsonBody } from "./json.js";
import { confirmationMessage, notificationMessage, type SnsMessage, signed, snsSigner } from "./notificationsSns.js";
import type { Store } from "./store.js";

export const SNS_PREFIX = "/_simulator/sns/";

/** An MTurk event as its notifications carry it (EventDocVersion 2014-08-15). */
interface MTurkEvent {
  EventType: string;
  EventTimestamp: string;
  HITId: string;
  HITTypeId: string;
  AssignmentId?: string;
}

interface Faults {
  /** The next N messages are delivered twice (SNS delivers at least once). */
  duplicate: number;
  /** The next N messages are never delivered. */
  lose: number;
  /** The next N messages wait `reorderDelayMs`, so that later ones overtake them. */
  reorder: number;
  reorderDelayMs: number;
}

/** The SNS topic an operation's Notification member names, when its transport is SNS. */
function snsTopicOf(input: Record<string, unknown>): string | undefined {
  const spec = input.Notification;
  return isRecord(spec) && spec.Transport === "SNS" && typeof spec.Destination === "string"
    ? spec.Destination
    : undefined;
}

type Answer = { status: number; body: string; type: string };
const json = (status: number, body: unknown): Answer => ({
  status,
  body: JSON.stringify(body),
  type: "application/json",
});

/** What a worker-side route of /_simulator/ did, as MTurk would announce it. */
const WORKER_EVENTS: Record<string, string> = {
  accept: "AssignmentAccepted",
  submit: "AssignmentSubmitted",
  return: "AssignmentReturned",
  abandon: "AssignmentAbandoned",
};

/**
 * MTurk's notifications over SNS, delivered over HTTP as an SNS topic's HTTPS subscription would: to one endpoint
 * (SimulatorOptions.snsEndpoint, `--sns-endpoint`, or PUT /_simulator/sns/settings), for HIT types whose
 * notification settings say Transport SNS. Each topic's subscription is confirmed first (SubscriptionConfirmation,
 * then the endpoint GETs its SubscribeURL); messages wait until it is. The events of one operation travel in one
 * message. Controls: deliver twice, lose, or hold back a message (POST /_simulator/sns/faults).
 */
export class SnsDelivery {
  endpoint?: string;
  readonly faults: Faults = { duplicate: 0, lose: 0, reorder: 0, reorderDelayMs: 300 };
  readonly stats = { delivered: 0, duplicated: 0, lost: 0, reordered: 0, failed: 0, confirmationsSent: 0 };
  private readonly confirmed = new Set<string>();
  private readonly tokens = new Map<string, string>();
  private readonly waiting = new Map<string, string[]>();

  constructor(private readonly sim: { url: string; store: Store }) {}

  /** The routes under /_simulator/sns/: the certificate, SubscribeURL, settings and faults. */
  async handle(method: string, url: string, rawBody: string): Promise<Answer> {
    const parsed = new URL(url, "http://simulator");
    const route = `${method} ${parsed.pathname.slice(SNS_PREFIX.length)}`;
    const body = jsonBody(rawBody);
    switch (route) {
      case "GET cert.pem":
        return { status: 200, body: (await snsSigner()).certificatePem, type: "application/x-pem-file" };
      case "GET confirm":
        return this.confirm(parsed.searchParams.get("Token") ?? "");
      case "GET settings":
        return json(200, this.describe());
      case "PUT settings":
        this.endpoint = typeof body.endpoint === "string" && body.endpoint ? body.endpoint : undefined;
        return json(200, this.describe());
      case "POST faults":
        for (const key of ["duplicate", "lose", "reorder", "reorderDelayMs"] as const) {
          const value = body[key];
          if (typeof value === "number") this.faults[key] = value;
        }
        return json(200, this.faults);
      default:
        return json(404, { error: `No simulator route ${method} ${parsed.pathname}` });
    }
  }

  private describe() {
    return {
      endpoint: this.endpoint ?? null,
      confirmedTopics: [...this.confirmed],
      faults: this.faults,
      stats: this.stats,
    };
  }

  private confirm(token: string): Answer {
    const topic = this.tokens.get(token);
    if (!topic) return json(404, { error: "Unknown or used token." });
    this.tokens.delete(token);
    this.confirmed.add(topic);
    for (const message of this.waiting.get(topic) ?? []) void this.deliver(topic, message);
    this.waiting.delete(topic);
    const arn = `${topic}:${randomUUID()}`;
    return {
      status: 200,
      body: `<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>${arn}</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>`,
      type: "text/xml",
    };
  }

  /** After an API operation: what MTurk would announce of it. */
  afterOperation(operation: string, input: Record<string, unknown>): void {
    const store = this.sim.store;
    if (operation === "UpdateNotificationSettings") {
      const topic = snsTopicOf(input);
      if (topic) void this.subscribe(topic);
      return;
    }
    if (operation === "SendTestEventNotification") {
      const topic = snsTopicOf(input);
      const event = { EventType: String(input.TestEventType), EventTimestamp: this.now(), HITId: "", HITTypeId: "" };
      if (topic) void this.publish(topic, [event]);
      return;
    }
    const assignment = typeof input.AssignmentId === "string" ? store.assignments.get(input.AssignmentId) : undefined;
    const hitId = typeof input.HITId === "string" ? input.HITId : assignment?.hitId;
    const type = {
      ApproveAssignment: "AssignmentApproved",
      RejectAssignment: "AssignmentRejected",
      DeleteHIT: "HITDisposed",
      CreateAdditionalAssignmentsForHIT: "HITExtended",
      UpdateExpirationForHIT:
        input.ExpireAt !== undefined && Number(input.ExpireAt) * 1000 <= store.now() ? "HITExpired" : "HITExtended",
    }[operation];
    if (type && hitId) this.announce(hitId, [type], assignment?.id);
  }

  /** After a worker-side route: accept, submit, return or abandon (and HITReviewable when that finished the HIT). */
  afterControl(method: string, url: string, answer: { status: number; body: unknown }): void {
    if (method !== "POST" || answer.status !== 200) return;
    const action = /\/(accept|submit|return|abandon)$/.exec(url.split("?")[0] ?? "")?.[1];
    const assignment = isRecord(answer.body) && isRecord(answer.body.assignment) ? answer.body.assignment : {};
    const event = action && WORKER_EVENTS[action];
    if (!event || typeof assignment.HITId !== "string") return;
    const types = [event];
    const hit = this.sim.store.hits.get(assignment.HITId);
    if (action === "submit" && hit && this.sim.store.hitStatus(hit) === "Reviewable") types.push("HITReviewable");
    this.announce(
      assignment.HITId,
      types,
      typeof assignment.AssignmentId === "string" ? assignment.AssignmentId : undefined,
    );
  }

  private announce(hitId: string, types: string[], assignmentId?: string): void {
    const hit = this.sim.store.hits.get(hitId);
    if (!hit) return;
    const setting = this.sim.store.notificationSettings.get(hit.hitTypeId);
    const spec = setting?.notification;
    if (!setting?.active || spec?.Transport !== "SNS") return;
    const events = types
      .filter((t) => spec.EventTypes.includes(t))
      .map((EventType) => ({
        EventType,
        EventTimestamp: this.now(),
        HITId: hitId,
        HITTypeId: hit.hitTypeId,
        ...(EventType.startsWith("Assignment") && assignmentId ? { AssignmentId: assignmentId } : {}),
      }));
    if (events.length) void this.publish(spec.Destination, events);
  }

  private now(): string {
    return new Date(this.sim.store.now()).toISOString();
  }

  private async subscribe(topicArn: string): Promise<void> {
    if (!this.endpoint || this.confirmed.has(topicArn) || [...this.tokens.values()].includes(topicArn)) return;
    const token = randomUUID().replaceAll("-", "");
    this.tokens.set(token, topicArn);
    const url = `${this.sim.url}${SNS_PREFIX}confirm?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(topicArn)}&Token=${token}`;
    this.stats.confirmationsSent += 1;
    await this.post(await this.sign(confirmationMessage(topicArn, token, url)));
  }

  private async sign(message: SnsMessage): Promise<SnsMessage> {
    return signed(message, await snsSigner(), `${this.sim.url}${SNS_PREFIX}cert.pem`);
  }

  private async publish(topicArn: string, events: MTurkEvent[]): Promise<void> {
    const doc = {
      Events: events,
      EventDocId: randomUUID(),
      SourceAccount: "000000000000",
      CustomerId: "A1SIMULATORREQUESTER",
      EventDocVersion: "2014-08-15",
    };
    const message = JSON.stringify(doc);
    if (this.confirmed.has(topicArn)) await this.deliver(topicArn, message);
    else {
      const queue = this.waiting.get(topicArn) ?? [];
      if (queue.length < 1000) queue.push(message);
      this.waiting.set(topicArn, queue);
      void this.subscribe(topicArn);
    }
  }

  private async deliver(topicArn: string, body: string): Promise<void> {
    const message = await this.sign(notificationMessage(topicArn, body, `${this.sim.url}${SNS_PREFIX}unsubscribe`));
    const f = this.faults;
    if (f.lose > 0) {
      f.lose -= 1;
      this.stats.lost += 1;
      return;
    }
    if (f.reorder > 0) {
      f.reorder -= 1;
      this.stats.reordered += 1;
      await sleep(f.reorderDelayMs);
    }
    const twice = f.duplicate > 0;
    if (twice) f.duplicate -= 1;
    await this.post(message);
    this.stats.delivered += 1;
    if (twice) {
      this.stats.duplicated += 1;
      await this.post(message);
    }
  }

  /** One HTTP delivery, retried twice on failure as SNS retries (its default policy retries for longer). */
  private async post(message: SnsMessage): Promise<void> {
    const endpoint = this.endpoint;
    if (!endpoint) return;
    for (const delay of [0, 200, 1_000]) {
      if (delay) await sleep(delay);
      const ok = await fetch(endpoint, {
        method: "POST",
        headers: {
          "content-type": "text/plain; charset=UTF-8",
          "x-amz-sns-message-type": message.Type,
          "x-amz-sns-message-id": message.MessageId,
          "x-amz-sns-topic-arn": message.TopicArn,
        },
        body: JSON.stringify(message),
      }).then(
        (r) => r.status < 500,
        () => false,
      );
      if (ok) return;
    }
    this.stats.failed += 1;
  }
}
