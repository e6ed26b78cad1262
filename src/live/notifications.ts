import { GetAssignmentCommand, GetHITCommand, type HIT } from "@aws-sdk/client-mturk";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import { idOf } from "../mturk/ids.js";
import type { LiveHub } from "./hub.js";
import { parseSnsMessage, SnsMalformed, type SnsMessage, SnsRefusal, type SnsVerifier } from "./sns.js";
import { type Topic, topic } from "./topics.js";
import { hitChange } from "./watches.js";

const NOTIFICATIONS_PATH = "/notifications/sns";

/** An MTurk event of a notification (EventDocVersion 2014-08-15). */
interface MTurkEvent {
  EventType?: string;
  EventTimestamp?: string;
  HITId?: string;
  HITTypeId?: string;
  AssignmentId?: string;
}

/** Events are held this long and then handled in EventTimestamp order: SNS may deliver messages out of order. */
const REORDER_MS = 200;
/** How long an EventDocId is remembered: SNS's retries of a message end long before. */
const DOC_TTL_MS = 24 * 60 * 60_000;
/**
 * Events waiting to be handled (each is an upstream call). Past this, new deliveries are answered but their events
 * dropped: notifications only hasten what the polls see anyway, and memory must not grow with the senders' rate.
 */
const MAX_QUEUED_EVENTS = 1_000;
const answer = (status: number, message: string) =>
  new Response(JSON.stringify({ message }), { status, headers: { "content-type": "application/json" } });

/**
 * POST /notifications/sns: MTurk's notifications through an SNS topic's HTTPS subscription. Every message is
 * verified (src/live/sns.ts; a forged or unsigned one is 401 and logged); a SubscriptionConfirmation is confirmed
 * by GETting its SubscribeURL (allowed origins only); a Notification's MTurk events (several per message) are
 * dropped when their EventDocId was seen, held briefly to be handled in EventTimestamp order, and published
 * through the hub: each costs one upstream call at most, only when someone watches what it concerns.
 */
export class NotificationReceiver {
  private pending: MTurkEvent[] = [];
  private timer?: NodeJS.Timeout;
  private handling: Promise<void> = Promise.resolve();
  /** Events accepted and not handled yet (pending and in `handling`). */
  private queued = 0;

  constructor(
    private readonly hub: LiveHub,
    private readonly verifier: SnsVerifier,
    private readonly logger?: Logger,
  ) {}

  plugin(): Plugin {
    return {
      onRequest: async ({ url, request, endResponse }) => {
        if (url.pathname !== NOTIFICATIONS_PATH) return;
        endResponse(request.method === "POST" ? await this.receive(request) : answer(405, "POST only."));
      },
    };
  }

  private count(result: string) {
    this.hub.metrics?.notifications.inc({ result });
  }

  async receive(request: Request): Promise<Response> {
    let message: SnsMessage;
    try {
      message = parseSnsMessage(await request.text());
    } catch (error) {
      const reason = error instanceof SnsMalformed ? error.message : "unreadable body";
      this.count("refused");
      this.logger?.warn({ reason }, "live: SNS notification refused");
      return answer(400, `Not an SNS message: ${reason}.`);
    }
    try {
      await this.verifier.verify(message);
      if (message.Type === "SubscriptionConfirmation") return await this.confirm(message);
    } catch (error) {
      if (!(error instanceof SnsRefusal)) throw error;
      this.count("refused");
      this.logger?.warn(
        {
          reason: error.message,
          type: String(message.Type).slice(0, 40),
          topicArn: String(message.TopicArn).slice(0, 256),
        },
        "live: SNS notification refused",
      );
      return answer(401, "The message's signature could not be verified.");
    }
    if (message.Type !== "Notification") return answer(200, "Ignored.");
    return this.notification(message.Message as string);
  }

  private async confirm(message: SnsMessage): Promise<Response> {
    const url = this.verifier.allowedUrl(message.SubscribeURL, "SubscribeURL");
    const response = await fetch(url, { redirect: "error", signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
    if (!response?.ok) {
      this.logger?.warn({ topicArn: message.TopicArn }, "live: SNS subscription could not be confirmed");
      return answer(502, "The subscription could not be confirmed.");
    }
    this.count("confirmed");
    this.logger?.info({ topicArn: message.TopicArn }, "live: SNS subscription confirmed");
    return answer(200, "Confirmed.");
  }

  private async notification(body: string): Promise<Response> {
    let doc: { EventDocId?: unknown; Events?: unknown };
    try {
      doc = JSON.parse(body);
    } catch {
      doc = {};
    }
    if (typeof doc.EventDocId !== "string" || doc.EventDocId.length > 200 || !Array.isArray(doc.Events)) {
      this.count("ignored");
      return answer(200, "Not an MTurk event document.");
    }
    if (this.queued >= MAX_QUEUED_EVENTS) {
      this.count("overflow");
      this.logger?.warn({ queued: this.queued }, "live: SNS events dropped, the queue is full; polling covers them");
      return answer(200, "Queue full: events dropped (polling covers them).");
    }
    if (!(await this.hub.options.log.claim(`sns-doc:${doc.EventDocId}`, DOC_TTL_MS))) {
      this.count("duplicate");
      return answer(200, "Duplicate.");
    }
    this.count("accepted");
    // Only objects: anything else would throw in the reordering timer, where nothing catches it (the process ends).
    const events = (doc.Events as unknown[])
      .slice(0, 100)
      .filter((e): e is MTurkEvent => typeof e === "object" && e !== null && !Array.isArray(e));
    this.queued += events.length;
    this.pending.push(...events);
    if (!this.timer) this.timer = setTimeout(() => this.flush(), REORDER_MS);
    return answer(200, "Accepted.");
  }

  private flush(): void {
    this.timer = undefined;
    const events = this.pending.sort((a, b) => time(a) - time(b));
    this.pending = [];
    this.handling = this.handling.then(async () => {
      for (const event of events) {
        await this.handle(event).catch((error: Error) =>
          this.logger?.warn(
            { event: event.EventType, error: error.message },
            "live: a notification's event failed; polling covers it",
          ),
        );
        this.queued -= 1;
      }
    });
  }

  /** One event: at most one upstream call (GetAssignment, which brings the HIT; or GetHIT), shared by every subscriber. */
  private async handle(event: MTurkEvent): Promise<void> {
    if (!event.HITId || event.EventType === "Ping") return;
    // Whether or not anyone watches it, the mirror reads the HIT's work again (the event may be a sender's word).
    this.hub.onMTurkChange?.(event.HITId);
    const hitTopic = topic("hit", event.HITId);
    const submitted = event.EventType === "AssignmentSubmitted" && event.AssignmentId;
    const assignmentTopics: Topic[] = submitted
      ? [
          topic("assignmentsOfHit", event.HITId),
          ...(event.HITTypeId ? [topic("assignmentsOfType", event.HITTypeId)] : []),
        ]
      : [];
    const watched = await Promise.all([hitTopic, ...assignmentTopics].map((t) => this.hub.isWatched(t.key)));
    if (!watched.some(Boolean)) return;
    const upstream = this.hub.upstream();
    let hit: HIT | undefined;
    if (submitted) {
      const r = await upstream.call("GetAssignment", (c) =>
        c.send(new GetAssignmentCommand({ AssignmentId: event.AssignmentId })),
      );
      hit = r.HIT;
      const assignment = r.Assignment;
      // The event's ids are the sender's word; MTurk's answer says whose assignment it is (and the HIT's type).
      if (!assignment || !hit || assignment.HITId !== event.HITId || hit.HITId !== event.HITId) return;
      const of = hit;
      for (const [i, t] of assignmentTopics.entries())
        if (watched[i + 1] && (t.kind !== "assignmentsOfType" || of.HITTypeId === t.id))
          await this.hub.publish({
            topic: t.key,
            type: "Assignment",
            mode: "once",
            key: idOf(assignment, "AssignmentId"),
            data: assignment,
            hits: [of],
            source: "notification",
          });
    } else hit = (await upstream.call("GetHIT", (c) => c.send(new GetHITCommand({ HITId: event.HITId })))).HIT;
    if (watched[0] && hit && hit.HITId === event.HITId)
      await this.hub.publish(hitChange(hitTopic.key, hit, "notification"));
  }
}

const time = (e: MTurkEvent) => Date.parse(e.EventTimestamp ?? "") || 0;
