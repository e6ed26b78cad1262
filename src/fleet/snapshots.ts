import { createHash, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { ListingChange, SharedSnapshot, SharedSnapshotStore } from "../mturk/snapshots.js";
import type { FleetJournal } from "./journal.js";
import { decode, encode } from "./json.js";
import type { RedisLink } from "./link.js";

/** A scan's lock lives this long unless its holder, alive, extends it: a crashed scanner blocks nobody for longer. */
const LOCK_MS = 15_000;
/** How often a waiting instance looks for the scan's result. */
const POLL_MS = 25;
/** The longest an instance waits for another's scan before it scans itself. */
const MAX_WAIT_MS = 60_000;
/**
 * How long Redis may leave an instance's looks unanswered (timeouts, while connected) before it scans on its own. A
 * count of failures would not do: on a busy machine, one stall of the event loop turns several answers into timeouts.
 */
const MAX_SILENCE_MS = 5_000;

// Redis's documented lock idioms: only the holder (its random token) may extend or release the lock.
const EXTEND = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end return 0`;
// Takes the lock, or finds it already ours: a SET whose answer timed out may still have been applied.
const CLAIM = `local v = redis.call("get", KEYS[1]) if not v then redis.call("set", KEYS[1], ARGV[1], "PX", ARGV[2]) return 1 end if v == ARGV[1] then return 1 end return 0`;

interface Meta {
  at: number;
  /** The journal's stream id when the scan began: later changes with unknown effects make it stale. */
  since: string;
}

type Look<T> = SharedSnapshot<T> | "scan" | "wait" | "alone";

/**
 * Snapshots shared by the fleet. Per listing: a hash in Redis (`meta`, `items`) that expires with the snapshot TTL,
 * and a lock (SET NX PX with a random token) so that one instance scans while the others poll for its result. A
 * snapshot that changes since its scan make stale (in the fleet's journal) is scanned again. Redis failing, or a wait
 * longer than MAX_WAIT_MS, means scanning here alone.
 */
export class FleetSnapshots implements SharedSnapshotStore {
  constructor(
    private readonly link: RedisLink,
    private readonly journal: FleetJournal,
    private readonly options: { ttlMs: number; maxItems: number },
  ) {}

  listen(apply: (change: ListingChange) => void): void {
    this.journal.listen(apply);
  }

  catchUp(): Promise<void> {
    return this.journal.catchUp();
  }

  publish(change: ListingChange): void {
    this.journal.publish(change);
  }

  async fetch<T>(
    key: string,
    scan: () => Promise<T[]>,
    outdated: (changes: ListingChange[]) => boolean,
  ): Promise<SharedSnapshot<T>> {
    // Without a consistency window there is nothing to share, only a scan to serialize.
    if (this.options.ttlMs <= 0) return this.scanAlone(scan);
    const id = createHash("sha256").update(key).digest("hex").slice(0, 32);
    const keys = { data: this.link.key("snapshot", id), lock: this.link.key("scan", id) };
    const token = randomUUID();
    const giveUpAt = Date.now() + MAX_WAIT_MS;
    let silentSince: number | undefined;
    for (;;) {
      // A slow answer (a large snapshot on a busy Redis) is tried again before this instance scans on its own.
      const look = await this.look<T>(keys, token, outdated).then(
        (answer) => {
          silentSince = undefined;
          return answer;
        },
        (): Look<T> => {
          silentSince ??= Date.now();
          return this.link.up && Date.now() - silentSince < MAX_SILENCE_MS ? "wait" : "alone";
        },
      );
      if (typeof look === "object") return look;
      if (look === "scan") return this.scanForFleet(keys, token, scan, outdated);
      if (look === "alone" || Date.now() > giveUpAt) return this.scanAlone(scan);
      await sleep(POLL_MS);
    }
  }

  /** One look at Redis: a snapshot to use, the lock to scan for the fleet, or another instance's scan to wait for. */
  private async look<T>(
    keys: { data: string; lock: string },
    token: string,
    outdated: (changes: ListingChange[]) => boolean,
  ): Promise<Look<T>> {
    if (!this.link.up) return "alone";
    const meta = await this.link.redis.hget(keys.data, "meta");
    if (meta) {
      const { at, since } = JSON.parse(meta) as Meta;
      if (!outdated(this.journal.changesSince(since))) {
        const items = await this.link.redis.hget(keys.data, "items");
        if (items !== null) return { items: decode<T[]>(items), at, source: "fleet", keep: true };
      }
    }
    const claimed = await this.link.redis.eval(CLAIM, 1, keys.lock, token, LOCK_MS);
    return claimed === 1 ? "scan" : "wait";
  }

  private async scanForFleet<T>(
    keys: { data: string; lock: string },
    token: string,
    scan: () => Promise<T[]>,
    outdated: (changes: ListingChange[]) => boolean,
  ): Promise<SharedSnapshot<T>> {
    const since = this.journal.lastSeen();
    const extend = setInterval(
      () => void this.link.redis.eval(EXTEND, 1, keys.lock, token, LOCK_MS).catch(() => {}),
      LOCK_MS / 3,
    );
    try {
      const items = await scan();
      const at = Date.now();
      // A write during the scan that the journal cannot apply: this request gets the scan, nobody keeps it.
      const keep = !outdated(this.journal.changesSince(since));
      if (keep && items.length <= this.options.maxItems) await this.share(keys.data, { at, since }, items);
      return { items, at, source: "scan", keep };
    } finally {
      clearInterval(extend);
      // Released after the result is stored, so that no waiter takes the lock and scans again.
      await this.link.redis.eval(RELEASE, 1, keys.lock, token).catch(() => {});
    }
  }

  private async share(data: string, meta: Meta, items: unknown[]) {
    await this.link.redis
      .multi()
      .hset(data, "meta", JSON.stringify(meta), "items", encode(items))
      .pexpire(data, this.options.ttlMs)
      .exec()
      .catch(() => {});
  }

  private async scanAlone<T>(scan: () => Promise<T[]>): Promise<SharedSnapshot<T>> {
    const items = await scan();
    return { items, at: Date.now(), source: "scan", keep: true };
  }
}
