import { compareEventIds, type LiveEvent, type Publication } from "./topics.js";

/**
 * The bounded log of each topic's events: what reconnecting subscribers replay from (Last-Event-ID), what drops
 * duplicates (the same item from a poll, a mutation and a notification is one event), and the fan-out to this
 * instance's subscribers. In memory here; src/live/redisLog.ts keeps it in Redis streams for a fleet.
 */
export interface LiveLog {
  /** Appends the event unless it is a duplicate on its topic; the event as published, or undefined. */
  append(publication: Publication): Promise<LiveEvent | undefined>;
  /** The retained events of `topic` after `afterId`, oldest first. */
  since(topic: string, afterId: string): Promise<LiveEvent[]>;
  /**
   * The same, and whether events after `afterId` were already dropped from the log (it keeps the last `size`): a
   * subscriber resuming there would miss them, and must be told so.
   */
  replay(topic: string, afterId: string): Promise<{ events: LiveEvent[]; lost: boolean }>;
  /** The id of the topic's newest event ("0-0" when it has none): a new subscriber starts after it. */
  head(topic: string): Promise<string>;
  /**
   * Calls `listener` with each new event of `topic` (in order) until the returned function is called; `from` is
   * where a log that reads remotely starts (the caller replays what came before with `since`). `onGap` is called
   * when a log that reads remotely finds it fell so far behind that events were dropped before it read them.
   */
  follow(topic: string, listener: (event: LiveEvent) => void, from?: string, onGap?: () => void): () => void;
  /** Asks whoever polls `topic` (this instance or another) to poll it now. */
  nudge(topic: string): void;
  onNudge(listener: (topic: string) => void): void;
  /** True the first time `key` is claimed within `ttlMs` (a notification's EventDocId), false for a duplicate. */
  claim(key: string, ttlMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface LogLimits {
  /** Events kept per topic for replay. */
  size: number;
  /** How long an item's key is remembered per topic for dropping duplicates. */
  dedupeMs: number;
}

interface TopicLog {
  events: LiveEvent[];
  /** The id of the newest event dropped from `events` ("0-0": none). */
  droppedThrough: string;
  seen: Map<string, number>;
  state?: string;
  listeners: Set<(event: LiveEvent) => void>;
  lastUsed: number;
}

/** At most this many topics keep a log without subscribers (the oldest unused go first). */
const MAX_IDLE_TOPICS = 10_000;
/** At most this many claimed keys are remembered (the oldest go first). */
const MAX_CLAIMS = 100_000;

/** Ids like Redis stream ids: milliseconds, then a sequence within the millisecond; never going back. */
class EventIds {
  private ms = 0;
  private seq = 0;
  next(): string {
    const now = Date.now();
    if (now > this.ms) {
      this.ms = now;
      this.seq = 0;
    } else this.seq += 1;
    return `${this.ms}-${this.seq}`;
  }
}

export class MemoryLiveLog implements LiveLog {
  private readonly topics = new Map<string, TopicLog>();
  private readonly ids = new EventIds();
  private readonly nudgeListeners: ((topic: string) => void)[] = [];
  private readonly claims = new Map<string, number>();

  constructor(private readonly limits: LogLimits) {}

  private log(topic: string): TopicLog {
    let log = this.topics.get(topic);
    if (!log) {
      log = { events: [], droppedThrough: "0-0", seen: new Map(), listeners: new Set(), lastUsed: Date.now() };
      this.topics.set(topic, log);
      if (this.topics.size > MAX_IDLE_TOPICS) this.evictIdle();
    }
    log.lastUsed = Date.now();
    return log;
  }

  async append(publication: Publication): Promise<LiveEvent | undefined> {
    const log = this.log(publication.topic);
    const now = Date.now();
    if (publication.mode === "state") {
      if (log.state === publication.key) return undefined;
      log.state = publication.key;
    } else {
      const until = log.seen.get(publication.key);
      if (until !== undefined && until > now) return undefined;
      log.seen.set(publication.key, now + this.limits.dedupeMs);
      this.forgetExpired(log, now);
    }
    const { mode: _mode, key: _key, ...rest } = publication;
    const event: LiveEvent = { ...rest, id: this.ids.next(), at: now };
    log.events.push(event);
    if (log.events.length > this.limits.size) {
      const dropped = log.events.splice(0, log.events.length - this.limits.size);
      log.droppedThrough = dropped.at(-1)?.id ?? log.droppedThrough;
    }
    for (const listener of log.listeners) listener(event);
    return event;
  }

  async since(topic: string, afterId: string): Promise<LiveEvent[]> {
    return (this.topics.get(topic)?.events ?? []).filter((e) => compareEventIds(e.id, afterId) > 0);
  }

  async replay(topic: string, afterId: string): Promise<{ events: LiveEvent[]; lost: boolean }> {
    const dropped = this.topics.get(topic)?.droppedThrough ?? "0-0";
    return { events: await this.since(topic, afterId), lost: compareEventIds(dropped, afterId) > 0 };
  }

  async head(topic: string): Promise<string> {
    return this.topics.get(topic)?.events.at(-1)?.id ?? "0-0";
  }

  follow(topic: string, listener: (event: LiveEvent) => void): () => void {
    const log = this.log(topic);
    log.listeners.add(listener);
    return () => log.listeners.delete(listener);
  }

  nudge(topic: string): void {
    for (const listener of this.nudgeListeners) listener(topic);
  }

  onNudge(listener: (topic: string) => void): void {
    this.nudgeListeners.push(listener);
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const until = this.claims.get(key);
    if (until !== undefined && until > now) return false;
    this.claims.delete(key);
    this.claims.set(key, now + ttlMs);
    for (const [old, expiry] of this.claims) {
      if (this.claims.size <= MAX_CLAIMS && expiry > now) break;
      this.claims.delete(old);
    }
    return true;
  }

  /** Keys are remembered for dedupeMs; a topic's map is bounded by its expiry, swept as it grows. */
  private forgetExpired(log: TopicLog, now: number) {
    if (log.seen.size < 2 * this.limits.size) return;
    for (const [key, until] of log.seen) if (until <= now) log.seen.delete(key);
    // Still large: the oldest keys go (Map order is insertion order); a very late duplicate may then pass.
    for (const key of log.seen.keys()) {
      if (log.seen.size <= 4 * this.limits.size) break;
      log.seen.delete(key);
    }
  }

  private evictIdle() {
    const idle = [...this.topics.entries()].filter(([, l]) => l.listeners.size === 0);
    idle.sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [key] of idle.slice(0, Math.max(1, idle.length - MAX_IDLE_TOPICS / 2))) this.topics.delete(key);
  }

  async close(): Promise<void> {
    this.topics.clear();
  }
}
