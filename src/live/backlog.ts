import { GraphQLError } from "graphql";
import { compareEventIds, type LiveEvent } from "./topics.js";

/** How many events one subscriber's client may leave unread, per event of the log (SUBSCRIPTION_LOG_SIZE). */
export const BACKLOG_PER_LOG_SIZE = 10;
export const BEHIND = Symbol("behind");

/** A subscription that cannot go on without missing events: the client is told where to resume, or to re-read. */
export const behind = (lastEventId: string, why: string) =>
  new GraphQLError(
    `This subscription fell behind: ${why}. Subscribe again with lastEventId "${lastEventId}": the events still in the log (the last SUBSCRIPTION_LOG_SIZE of this resource) are replayed first; if some are gone, that subscription says so at once, and the current state is a query away.`,
    { extensions: { code: "SUBSCRIPTION_BEHIND", lastEventId } },
  );

/**
 * One subscriber's events between the log and its client, in log order and never twice. Bounded: past `limit`
 * unread events, or when the log says events were dropped before they were read, the subscriber is behind (after
 * the events already waiting).
 */
export class Backlog {
  private readonly events: LiveEvent[] = [];
  private head = 0;
  private last = "0-0";
  private behind = false;
  private wake?: () => void;
  delivered = "0-0";

  constructor(private readonly limit: number) {}

  from(position: string): void {
    this.last = position;
    this.delivered = position;
  }

  offer(event: LiveEvent): void {
    if (compareEventIds(event.id, this.last) <= 0) return;
    this.last = event.id;
    if (this.events.length - this.head >= this.limit) this.behind = true;
    else this.events.push(event);
    this.wake?.();
  }

  fellBehind(): void {
    this.behind = true;
    this.wake?.();
  }

  sent(event: LiveEvent): void {
    this.delivered = event.id;
  }

  /** The next event to send, or BEHIND once every event that was waiting went out. */
  async next(): Promise<LiveEvent | typeof BEHIND> {
    for (;;) {
      const event = this.events[this.head];
      if (event) {
        this.head += 1;
        // Sent events are let go now and then (not one by one: shifting an array is linear).
        if (this.head > 1024 && this.head * 2 > this.events.length) {
          this.events.splice(0, this.head);
          this.head = 0;
        }
        return event;
      }
      if (this.behind) return BEHIND;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }
}
