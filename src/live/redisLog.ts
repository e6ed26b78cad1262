import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import { decode, encode } from "../fleet/json.js";
import type { RedisLink } from "../fleet/link.js";
import { type LiveLog, type LogLimits, MemoryLiveLog } from "./log.js";
import { compareEventIds, type LiveEvent, type Publication } from "./topics.js";

/**
 * Appends an event unless it is a duplicate, atomically: `once` keys are SET NX with the dedupe TTL; a `state` is
 * compared with the topic's last published one. The stream keeps exactly the last `size` events, and remembers the
 * id of the newest one it dropped (KEYS[3]): whoever resumes or follows before it has missed events, and is told.
 * Stream and marker expire when nobody publishes.
 */
const APPEND = `
if ARGV[1] == "once" then
  if not redis.call("SET", KEYS[2], "1", "NX", "PX", ARGV[3]) then return false end
else
  if redis.call("GET", KEYS[2]) == ARGV[2] then return false end
  redis.call("SET", KEYS[2], ARGV[2], "PX", ARGV[3])
end
local id = redis.call("XADD", KEYS[1], "*", "e", ARGV[5])
local excess = redis.call("XLEN", KEYS[1]) - tonumber(ARGV[4])
if excess > 0 then
  local dropped = redis.call("XRANGE", KEYS[1], "-", "+", "COUNT", excess)
  for _, entry in ipairs(dropped) do redis.call("XDEL", KEYS[1], entry[1]) end
  redis.call("SET", KEYS[3], dropped[#dropped][1], "PX", ARGV[3])
end
redis.call("PEXPIRE", KEYS[1], ARGV[3])
return id`;
/** How many entries one blocking read takes per stream. */
const READ_COUNT = 500;

const BLOCK_MS = 1_000;

/**
 * The fleet's event log (REDIS_URL): one Redis stream per topic under the account's namespace, shared by every
 * instance, so that a client resuming with Last-Event-ID on any instance replays from the same log, and an event
 * published by any source on any instance is one event. Each instance follows the streams its subscribers watch
 * (and the nudge stream) with one blocking XREAD on a connection of its own. While Redis is away, an in-memory log
 * serves this instance's subscribers.
 */
export class RedisLiveLog implements LiveLog {
  private readonly local: MemoryLiveLog;
  private readonly blocking: Redis;
  private blockingId?: number;
  private readonly cursors = new Map<string, string>();
  private readonly listeners = new Map<string, Set<(event: LiveEvent) => void>>();
  private readonly gapListeners = new Map<string, Set<() => void>>();
  private readonly nudgeListeners: ((topic: string) => void)[] = [];
  private nudgeCursor = "$";
  private closed = false;
  private readonly running: Promise<void>;

  constructor(
    private readonly link: RedisLink,
    private readonly limits: LogLimits,
  ) {
    this.local = new MemoryLiveLog(limits);
    this.blocking = link.redis.duplicate();
    this.blocking.on("error", () => {});
    this.running = this.loop();
  }

  private stream = (topic: string) => this.link.key("live", "stream", topic);
  private dropped = (topic: string) => this.link.key("live", "dropped", topic);
  private nudges = () => this.link.key("live", "nudges");

  async append(p: Publication): Promise<LiveEvent | undefined> {
    if (!this.link.up) return this.local.append(p);
    const dedupe = this.link.key(
      "live",
      p.mode === "once" ? "seen" : "state",
      p.topic,
      ...(p.mode === "once" ? [p.key] : []),
    );
    const { mode: _m, key: _k, ...rest } = p;
    const at = Date.now();
    try {
      const id = (await this.link.redis.eval(
        APPEND,
        3,
        this.stream(p.topic),
        dedupe,
        this.dropped(p.topic),
        p.mode,
        p.key,
        this.limits.dedupeMs,
        this.limits.size,
        encode({ ...rest, at }),
      )) as string | null;
      return id ? { ...rest, id, at } : undefined;
    } catch {
      return this.local.append(p);
    }
  }

  async since(topic: string, afterId: string): Promise<LiveEvent[]> {
    if (!this.link.up) return this.local.since(topic, afterId);
    const records = await this.link.redis.xrange(this.stream(topic), `(${afterId}`, "+", "COUNT", this.limits.size);
    return records.map(([id, fields]) => this.event(topic, id, fields));
  }

  async replay(topic: string, afterId: string): Promise<{ events: LiveEvent[]; lost: boolean }> {
    if (!this.link.up) return this.local.replay(topic, afterId);
    const [read, dropped] = (await this.link.redis
      .multi()
      .xrange(this.stream(topic), `(${afterId}`, "+", "COUNT", this.limits.size)
      .get(this.dropped(topic))
      .exec()) as [[Error | null, [string, string[]][]], [Error | null, string | null]];
    if (read[0]) throw read[0];
    return {
      events: read[1].map(([id, fields]) => this.event(topic, id, fields)),
      lost: compareEventIds(dropped[1] ?? "0-0", afterId) > 0,
    };
  }

  async head(topic: string): Promise<string> {
    if (!this.link.up) return this.local.head(topic);
    const [last] = await this.link.redis.xrevrange(this.stream(topic), "+", "-", "COUNT", 1);
    return last?.[0] ?? "0-0";
  }

  /** Follows from `from` (a topic already followed goes on from its cursor: the hub replays the rest with `since`). */
  follow(topic: string, listener: (event: LiveEvent) => void, from = "$", onGap?: () => void): () => void {
    if (onGap) {
      const gaps = this.gapListeners.get(topic) ?? new Set();
      gaps.add(onGap);
      this.gapListeners.set(topic, gaps);
    }
    let set = this.listeners.get(topic);
    if (!set) {
      set = new Set();
      this.listeners.set(topic, set);
      this.cursors.set(topic, from);
      this.interrupt();
    }
    set.add(listener);
    const unfollowLocal = this.local.follow(topic, listener);
    return () => {
      unfollowLocal();
      if (onGap) this.gapListeners.get(topic)?.delete(onGap);
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(topic) === set) {
        this.listeners.delete(topic);
        this.cursors.delete(topic);
      }
    };
  }

  nudge(topic: string): void {
    if (!this.link.up) {
      this.local.nudge(topic);
      return;
    }
    this.link.redis.xadd(this.nudges(), "MAXLEN", "~", 1000, "*", "t", topic).catch(() => this.local.nudge(topic));
  }

  onNudge(listener: (topic: string) => void): void {
    this.nudgeListeners.push(listener);
    this.local.onNudge(listener);
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    if (!this.link.up) return this.local.claim(key, ttlMs);
    const set = await this.link.redis
      .set(this.link.key("live", "claim", key), "1", "PX", ttlMs, "NX")
      .catch(() => undefined);
    return set === undefined ? this.local.claim(key, ttlMs) : set === "OK";
  }

  private event(topic: string, id: string, fields: string[]): LiveEvent {
    return { ...decode<LiveEvent>(fields[1] ?? "{}"), topic, id };
  }

  /** Ends the blocking read at once, so that a newly followed topic is read without waiting for BLOCK_MS. */
  private interrupt(): void {
    if (this.blockingId !== undefined) this.link.redis.client("UNBLOCK", this.blockingId).catch(() => undefined);
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      if (!this.link.up) {
        await sleep(250);
        continue;
      }
      try {
        this.blockingId ??= (await this.blocking.client("ID")) as number;
        if (this.nudgeCursor === "$") {
          const [last] = await this.link.redis.xrevrange(this.nudges(), "+", "-", "COUNT", 1);
          this.nudgeCursor = last?.[0] ?? "0-0";
        }
        const followed = [...this.cursors];
        const keys = [this.nudges(), ...followed.map(([t]) => this.stream(t))];
        const ids = [this.nudgeCursor, ...followed.map(([, id]) => id)];
        const batch =
          (await this.blocking.xread("COUNT", READ_COUNT, "BLOCK", BLOCK_MS, "STREAMS", ...keys, ...ids)) ?? [];
        for (const [key, records] of batch) await this.dispatch(key, records);
      } catch {
        if (!this.closed) await sleep(250);
      }
    }
  }

  private async dispatch(key: string, records: [string, string[]][]): Promise<void> {
    if (key === this.nudges()) {
      for (const [id, fields] of records) {
        this.nudgeCursor = id;
        for (const listener of this.nudgeListeners) listener(fields[1] ?? "");
      }
      return;
    }
    const topic = key.slice(this.link.key("live", "stream", "").length);
    // A full read may follow a gap: the stream dropped events after the cursor before they were read (a stream
    // holds `size`; fewer than that after the cursor means nothing after it was dropped). Conservative: a drop
    // after the cursor, even one read just now, counts as a gap.
    const cursor = this.cursors.get(topic);
    if (cursor !== undefined && records.length >= Math.min(READ_COUNT, this.limits.size)) {
      const dropped = await this.link.redis.get(this.dropped(topic)).catch(() => null);
      if (dropped && compareEventIds(dropped, cursor) > 0)
        for (const onGap of this.gapListeners.get(topic) ?? []) onGap();
    }
    for (const [id, fields] of records) {
      const cursor = this.cursors.get(topic);
      if (cursor === undefined || compareEventIds(id, cursor) <= 0) continue;
      this.cursors.set(topic, id);
      const event = this.event(topic, id, fields);
      for (const listener of this.listeners.get(topic) ?? []) listener(event);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.interrupt();
    this.blocking.disconnect();
    await this.running;
    await this.local.close();
  }
}
