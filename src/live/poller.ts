import type { Logger } from "pino";
import type { Upstream } from "../mturk/client.js";
import { messageOf } from "../mturk/errors.js";
import type { Coordination } from "./coordination.js";
import type { LiveMetrics } from "./metrics.js";
import type { Pressure } from "./pressure.js";
import type { LiveEvent, Publication, Topic } from "./topics.js";
import type { Watch } from "./watches.js";

/** The slowest a tight budget makes a poller: this many times its interval. */
const MAX_SLOWDOWN = 8;
/** Nudges (notifications, the gateway's writes) poll at once, but never more often than this. */
const MIN_SPACING_MS = 200;

export interface PollerDeps {
  watch: Watch<unknown>;
  coordination: Coordination;
  /** A fresh upstream door for one poll (its calls take from the rate budget like every other call). */
  upstream: () => Upstream;
  publish: (publication: Publication) => Promise<LiveEvent | undefined>;
  intervalMs: number;
  /** How long the state of a stopped poller is kept (a poller started again within it misses nothing). */
  stateTtlMs: number;
  pressure: Pressure;
  metrics?: LiveMetrics;
  logger?: Logger;
}

/**
 * Polls one topic for the whole fleet while anyone watches it: every interval it takes (or renews) the topic's lease,
 * reads MTurk, compares with the previous state and publishes only the changes. While the rate budget is tight it
 * doubles its interval (up to MAX_SLOWDOWN times) and comes back as the budget eases.
 */
export class Poller {
  private stopped = false;
  private running?: Promise<void>;
  private wake?: () => void;
  private nudged = false;
  private state: unknown;
  private leading = false;
  private slowdown = 1;
  /** When the last attempt started (nudges keep MIN_SPACING_MS from it). */
  private lastAttempt = 0;
  /** When the next regular poll is due: it advances by the interval, so late timers do not slow the cadence. */
  private nextAt = Date.now();

  constructor(
    readonly topic: Topic,
    private readonly deps: PollerDeps,
  ) {}

  get interval(): number {
    return this.deps.intervalMs * this.slowdown;
  }

  get leads(): boolean {
    return this.leading;
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Polls now (soon after the last poll) if this instance leads the topic. */
  pollNow(): void {
    this.nudged = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
    if (this.leading) await this.deps.coordination.release(this.topic.key).catch(() => undefined);
    this.leading = false;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.lastAttempt = Date.now();
      this.nudged = false;
      const ttl = Math.max(3 * this.interval, 3_000);
      const leads = await this.deps.coordination.lead(this.topic.key, ttl).catch(() => false);
      // Another instance polled meanwhile: its state, not this instance's old one, is the one to compare with.
      if (leads && !this.leading) this.state = undefined;
      this.leading = leads;
      if (leads && !this.stopped) await this.poll();
      // On schedule even when a timer fired late; more than an interval behind, the schedule starts again from now.
      this.nextAt += this.interval;
      if (this.nextAt < Date.now() - this.interval) this.nextAt = Date.now();
      await this.sleep();
    }
  }

  private async poll(): Promise<void> {
    const { deps, topic } = this;
    this.slowdown = deps.pressure.tight()
      ? Math.min(this.slowdown * 2, MAX_SLOWDOWN)
      : Math.max(1, Math.floor(this.slowdown / 2));
    const pace = this.slowdown > 1 ? "slowed" : "normal";
    try {
      const previous = this.state ?? (await deps.coordination.load(topic.key));
      const observed = await deps.watch(deps.upstream(), topic, previous);
      for (const publication of observed.publications) await deps.publish(publication);
      this.state = observed.state;
      await deps.coordination.save(topic.key, observed.state, deps.stateTtlMs);
      deps.metrics?.polls.inc({ kind: topic.kind, pace, outcome: "ok" });
    } catch (error) {
      deps.metrics?.polls.inc({ kind: topic.kind, pace, outcome: "error" });
      deps.logger?.warn({ topic: topic.key, error: messageOf(error) }, "live: a poll failed; retried next interval");
    }
  }

  private async sleep(): Promise<void> {
    if (this.stopped) return;
    await new Promise<void>((resolve) => {
      const due = () =>
        (this.nudged ? Math.min(this.nextAt, this.lastAttempt + MIN_SPACING_MS) : this.nextAt) - Date.now();
      let timer: NodeJS.Timeout;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(done, Math.max(0, due()));
        timer.unref();
      };
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      this.wake = () => (this.stopped ? done() : arm());
      arm();
    });
  }
}
