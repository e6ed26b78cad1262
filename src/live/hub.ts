import type { MTurkClient } from "@aws-sdk/client-mturk";
import { GraphQLError } from "graphql";
import { Repeater } from "graphql-yoga";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { MirrorChange } from "../mirror/changes.js";
import { Upstream } from "../mturk/client.js";
import { type Claimant, claimantOf, gatewayClaimant } from "../mturk/scheduler.js";
import type { Metrics } from "../observability/metrics.js";
import type { Principal } from "../security/auth.js";
import { BACKLOG_PER_LOG_SIZE, Backlog, BEHIND, behind } from "./backlog.js";
import { type Coordination, LocalCoordination } from "./coordination.js";
import { LocalSubscriptionLimit, type SubscriptionLimit } from "./limits.js";
import type { LiveLog } from "./log.js";
import { createLiveMetrics, type LiveMetrics } from "./metrics.js";
import { Poller } from "./poller.js";
import { NO_PRESSURE, type Pressure } from "./pressure.js";
import type { LiveEvent, Publication, Topic } from "./topics.js";
import { hitChange, WATCHES } from "./watches.js";

export interface LiveHubOptions {
  client: MTurkClient;
  log: LiveLog;
  /** The fleet's leases and poll states (src/live/redisLease.ts); alone, this instance polls what it watches. */
  coordination?: Coordination;
  pollMs: number;
  /** How long a poller goes on after its last subscriber left: a client that reconnects within it misses nothing. */
  lingerMs: number;
  /** Events the log keeps per topic (SUBSCRIPTION_LOG_SIZE): a subscriber may leave 10 times that unread. */
  logSize: number;
  maxPerPrincipal: number;
  /** Counts open subscriptions per principal across the fleet (src/live/limits.ts); in memory by default. */
  limit?: SubscriptionLimit;
  /** Upstream calls one poll may have in flight. */
  concurrency: number;
  /** The rate budget's share of a subscriber without a weight of its own (UPSTREAM_DEFAULT_WEIGHT). */
  defaultWeight?: number;
  pressure?: Pressure;
  metrics?: Metrics;
  registry?: Registry;
  logger?: Logger;
  /** Origins trusted for SNS certificates besides SNS_CERT_ORIGINS (the embedded simulator's). */
  certificateOrigins?: string[];
}

interface Watched {
  topic: Topic;
  subscribers: number;
  /** Its subscribers' claimants (one per subscription): the poller's calls queue under each in turn, class live. */
  claimants: Claimant[];
  /** Whose turn the next poll is; while it lingers, the last to leave pays. */
  turn: number;
  last: Claimant;
  poller: Poller;
  linger?: NodeJS.Timeout;
  /** The principal whose subscription was the last to leave, while the poller lingers. */
  lingeringFor?: string;
}

/** The gateway's own claimant for the notifications' reads (they serve every subscriber of a topic). */
const NOTIFICATIONS = gatewayClaimant("notifications");

/** Whose share the next poll of a topic takes: its subscribers' in turn, or the last one's while it lingers. */
function payer(watched: Watched): Claimant {
  const { claimants } = watched;
  if (!claimants.length) return watched.last;
  watched.turn = (watched.turn + 1) % claimants.length;
  return claimants[watched.turn] ?? watched.last;
}

/** How long a poller's state outlives it: a poller started again within this compares with it. */
const STATE_TTL_MS = 10 * 60_000;

/**
 * The subscriptions of one instance: one poller per watched topic (started with the first subscriber, stopped
 * `lingerMs` after the last), one log per topic that every source publishes to (polls, the gateway's writes, MTurk's
 * notifications) and every subscriber reads from, and the per-principal limit.
 */
export class LiveHub {
  private readonly watched = new Map<string, Watched>();
  /**
   * Lingering pollers by the principal that left them, oldest first: at most MAX_SUBSCRIPTIONS_PER_PRINCIPAL each,
   * or a principal that opens and closes subscriptions to ever new ids would keep any number of pollers running.
   */
  private readonly lingering = new Map<string, Set<string>>();
  private readonly limit: SubscriptionLimit;
  readonly coordination: Coordination;
  readonly metrics?: LiveMetrics;
  private closed = false;
  /** Told of every HIT MTurk's notifications say changed (the mirror reads its work again). */
  onMTurkChange?: (hitId: string) => void;

  constructor(readonly options: LiveHubOptions) {
    this.coordination = options.coordination ?? new LocalCoordination((topic) => this.watched.has(topic));
    this.limit = options.limit ?? new LocalSubscriptionLimit(options.maxPerPrincipal);
    const registry = options.registry ?? options.metrics?.registry;
    this.metrics = registry ? createLiveMetrics(registry, () => this.observe()) : undefined;
    options.log.onNudge((key) => this.nudged(key));
  }

  get pollMs(): number {
    return this.options.pollMs;
  }

  /**
   * The events of `topic` for one subscriber: those after `lastEventId` still in the log first (a resumed stream),
   * then each new one, in log order and never twice. Throws when the principal has its maximum of subscriptions open.
   */
  async subscribe(
    topic: Topic,
    principal: Principal,
    lastEventId?: string,
    /** The request's: a client that goes away ends the subscription at once, not at the stream's next write. */
    signal?: AbortSignal,
  ): Promise<AsyncIterable<LiveEvent>> {
    const who = principal.name;
    const claimant = claimantOf(principal, this.options.defaultWeight ?? 1);
    const admitted = await this.limit.admit(who);
    if (!admitted)
      throw new GraphQLError(
        `${who} already has ${this.options.maxPerPrincipal} subscriptions open (MAX_SUBSCRIPTIONS_PER_PRINCIPAL); close one first.`,
        { extensions: { code: "TOO_MANY_SUBSCRIPTIONS" } },
      );
    this.metrics?.subscriptions.inc();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.limit.leave(who, admitted);
      this.metrics?.subscriptions.dec();
    };
    const backlogLimit = BACKLOG_PER_LOG_SIZE * this.options.logSize;
    const repeater = new Repeater<LiveEvent>(async (push, stop) => {
      if (signal?.aborted) return stop();
      signal?.addEventListener("abort", () => stop(), { once: true });
      // Events wait here for the client (each push is awaited: the stream's backpressure), up to backlogLimit.
      const backlog = new Backlog(backlogLimit);
      const early: LiveEvent[] = [];
      let replayed = false;
      const deliver = (event: LiveEvent) => (replayed ? backlog.offer(event) : early.push(event));
      // Where this stream starts: after the client's last event, or after the newest one now.
      const start = lastEventId ?? (await this.options.log.head(topic.key).catch(() => "0-0"));
      const unfollow = this.options.log.follow(topic.key, deliver, start, () => backlog.fellBehind());
      this.retain(topic, claimant);
      try {
        const { events: missed, lost } = await this.options.log.replay(topic.key, start);
        if (lost) throw behind(start, "its events after lastEventId are no longer in the log");
        backlog.from(start);
        replayed = true;
        for (const event of [...missed, ...early]) backlog.offer(event);
        for (;;) {
          const next = await Promise.race([backlog.next(), stop.then(() => undefined)]);
          if (next === undefined) break;
          if (next === BEHIND)
            throw behind(backlog.delivered, `more than ${backlogLimit} events waited for its client to read them`);
          await push(next);
          backlog.sent(next);
        }
      } catch (error) {
        stop(error);
      } finally {
        unfollow();
        this.releaseTopic(topic, who, claimant);
        release();
      }
    });
    // The limit counts a subscription from now until it ends, also one the client leaves before its first event.
    const events: AsyncIterableIterator<LiveEvent> = {
      [Symbol.asyncIterator]: () => events,
      next: () => repeater.next(),
      return: (value?: unknown) => {
        release();
        return repeater.return(value);
      },
      throw: (error?: unknown) => {
        release();
        return repeater.throw(error);
      },
    };
    return events;
  }

  /**
   * An upstream door for one source's calls, class live: a poll's under its subscribers' claimant, so that pollers
   * count against their key's share; a notification's under the gateway's own.
   */
  upstream(claimant: Claimant = NOTIFICATIONS): Upstream {
    const { options } = this;
    return new Upstream(options.client, {
      concurrency: options.concurrency,
      metrics: options.metrics,
      claimant,
      class: "live",
    });
  }

  /** Offers an event to its topic's log: published once, whichever source offers it first. */
  async publish(publication: Publication): Promise<LiveEvent | undefined> {
    const event = await this.options.log.append(publication);
    this.metrics?.events.inc({ source: publication.source, result: event ? "published" : "duplicate" });
    return event;
  }

  /** Whether some instance watches the topic: sources that cost an upstream call publish only then. */
  isWatched(key: string): Promise<boolean> {
    if (this.watched.has(key)) return Promise.resolve(true);
    return this.coordination.watched(key).catch(() => false);
  }

  /** Asks the topic's poller, wherever it runs, to poll now ("hit:*": every HIT poller). */
  nudge(key: string): void {
    this.options.log.nudge(key);
  }

  /**
   * After each of the gateway's writes (MTurkWrites.changed): a HIT it read back is published at once; a write whose
   * effect on a HIT the gateway cannot compute (a deleted HIT, a reviewed assignment) polls the HIT now.
   */
  writesChanged(changes: MirrorChange[]): void {
    for (const change of changes) {
      if (change.kind === "hit") {
        const hit = change.hit;
        const key = `hit:${hit.HITId}`;
        if (hit.HITStatus)
          void this.isWatched(key).then((watched) =>
            watched ? this.publish(hitChange(key, hit, "mutation")).catch(() => undefined) : undefined,
          );
      } else if (change.kind === "hitDeleted") this.nudge(`hit:${change.hitId}`);
      else if (change.kind === "assignmentReviewed") this.nudge("hit:*");
    }
  }

  private nudged(key: string): void {
    if (key === "hit:*") {
      for (const w of this.watched.values()) if (w.topic.kind === "hit") w.poller.pollNow();
    } else this.watched.get(key)?.poller.pollNow();
  }

  private retain(topic: Topic, claimant: Claimant): void {
    const existing = this.watched.get(topic.key);
    if (existing) {
      existing.subscribers += 1;
      existing.claimants.push(claimant);
      this.unlinger(existing);
      return;
    }
    const { options } = this;
    const watched: Watched = {
      topic,
      subscribers: 1,
      claimants: [claimant],
      turn: 0,
      last: claimant,
      poller: new Poller(topic, {
        watch: WATCHES[topic.kind],
        coordination: this.coordination,
        // Called at each poll, once `watched` is set.
        upstream: () => this.upstream(payer(watched)),
        publish: (p) => this.publish(p),
        intervalMs: options.pollMs,
        stateTtlMs: STATE_TTL_MS,
        pressure: options.pressure ?? NO_PRESSURE,
        metrics: this.metrics,
        logger: options.logger,
      }),
    };
    this.watched.set(topic.key, watched);
    if (!this.closed) watched.poller.start();
  }

  private releaseTopic(topic: Topic, who: string, claimant: Claimant): void {
    const watched = this.watched.get(topic.key);
    if (!watched) return;
    watched.subscribers -= 1;
    const at = watched.claimants.indexOf(claimant);
    if (at >= 0) watched.claimants.splice(at, 1);
    watched.last = claimant;
    if (watched.subscribers > 0) return;
    watched.linger = setTimeout(() => {
      if (watched.subscribers > 0 || this.watched.get(topic.key) !== watched) return;
      this.stopWatching(watched);
    }, this.options.lingerMs);
    watched.linger.unref();
    watched.lingeringFor = who;
    const mine = this.lingering.get(who) ?? new Set<string>();
    mine.delete(topic.key);
    mine.add(topic.key);
    this.lingering.set(who, mine);
    // Past the principal's share, its oldest lingering poller stops now.
    for (const key of mine) {
      if (mine.size <= this.options.maxPerPrincipal) break;
      const oldest = this.watched.get(key);
      if (oldest && oldest.subscribers === 0) this.stopWatching(oldest);
      else mine.delete(key);
    }
  }

  private unlinger(watched: Watched): void {
    clearTimeout(watched.linger);
    watched.linger = undefined;
    const who = watched.lingeringFor;
    if (who === undefined) return;
    watched.lingeringFor = undefined;
    const mine = this.lingering.get(who);
    mine?.delete(watched.topic.key);
    if (mine?.size === 0) this.lingering.delete(who);
  }

  private stopWatching(watched: Watched): void {
    this.unlinger(watched);
    if (this.watched.get(watched.topic.key) === watched) this.watched.delete(watched.topic.key);
    void watched.poller.stop();
  }

  /** Metrics of the pollers, read when /metrics is scraped. */
  observe(): void {
    const metrics = this.metrics;
    if (!metrics) return;
    metrics.pollers.reset();
    metrics.pollInterval.reset();
    const slowest = new Map<string, number>();
    for (const { topic, poller } of this.watched.values()) {
      metrics.pollers.inc({ kind: topic.kind, role: poller.leads ? "leader" : "follower" });
      slowest.set(topic.kind, Math.max(slowest.get(topic.kind) ?? 0, poller.interval));
    }
    for (const [kind, ms] of slowest) metrics.pollInterval.set({ kind }, ms / 1000);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.limit.close();
    const pollers = [...this.watched.values()];
    this.watched.clear();
    for (const w of pollers) clearTimeout(w.linger);
    await Promise.all(pollers.map((w) => w.poller.stop()));
    await this.options.log.close();
  }
}
