import { setTimeout as sleep } from "node:timers/promises";
import type { ListingChange } from "../mturk/snapshots.js";
import { decode, encode } from "./json.js";
import type { RedisLink } from "./link.js";

/** A change whose stream id is not known yet (being sent, or made while Redis was away). */
const PENDING = "pending";
const BATCH = 500;
const MAX_LOGGED = 50_000;

interface Logged {
  id: string;
  at: number;
  change: ListingChange;
}

/** Orders Redis stream ids ("<ms>-<seq>"). */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split("-").map(Number);
  const [bm = 0, bs = 0] = b.split("-").map(Number);
  return am - bm || as - bs;
}

/**
 * The fleet's write journal: one Redis stream per account, trimmed to the journal's retention (MINID), holding every
 * instance's listing changes in one order. An instance appends its own writes (awaited before its response, see
 * `settled`), reads the others' before it serves a listing (`catchUp`) and follows the stream in the background
 * (for plain walks, which apply the journal without waiting). A new instance reads the whole retention period.
 * While Redis is away, changes stay local and are appended when it is back.
 */
export class FleetJournal {
  private readonly key: string;
  private lastId: string;
  /** Every change (this instance's too) of the last `logMs`, with its stream id: what made a snapshot stale. */
  private readonly log: Logged[] = [];
  /** How long the stream keeps entries: the journal's retention, or the log's if longer. */
  private readonly keepMs: number;
  private apply?: (change: ListingChange) => void;
  private buffered: ListingChange[] = [];
  private readonly sending = new Set<Promise<void>>();
  private unsent: Logged[] = [];
  private reading?: Promise<void>;
  private readAgain?: Promise<void>;
  private closed = false;

  constructor(
    private readonly link: RedisLink,
    retentionMs: number,
    private readonly logMs: number,
  ) {
    this.key = link.key("journal");
    this.keepMs = Math.max(retentionMs, logMs);
    this.lastId = `${Date.now() - this.keepMs}-0`;
  }

  /** Reads the fleet's journal of the retention period (if Redis answers), then follows it. */
  async start(): Promise<void> {
    await this.catchUp();
    this.link.onUp(() => {
      this.flushUnsent();
      void this.catchUp();
    });
    void this.follow();
  }

  listen(apply: (change: ListingChange) => void): void {
    this.apply = apply;
    for (const change of this.buffered) apply(change);
    this.buffered = [];
  }

  /** The id up to which this instance has applied the fleet's changes: a scan starting now is newer than it. */
  lastSeen(): string {
    return this.lastId;
  }

  /**
   * Changes logged after `since` (this instance's unsent ones too). The log reaches back further than any snapshot
   * lives (its TTL plus a margin for the scan), and a new instance starts with the stream's whole history.
   */
  changesSince(since: string): ListingChange[] {
    return this.log.filter((l) => l.id === PENDING || compareIds(l.id, since) > 0).map((l) => l.change);
  }

  publish(change: ListingChange): void {
    const logged: Logged = { id: PENDING, at: Date.now(), change };
    this.log.push(logged);
    this.send(logged);
    this.prune();
  }

  /** Resolves when this instance's changes so far are in the stream (or kept for later, if Redis failed). */
  async settled(): Promise<void> {
    if (this.sending.size) await Promise.all(this.sending);
  }

  /** Resolves once the changes appended before this call are applied; never rejects (Redis away: nothing to read). */
  catchUp(): Promise<void> {
    if (!this.link.up) return Promise.resolve();
    if (!this.reading) {
      this.reading = this.read()
        .catch(() => {})
        .finally(() => {
          this.reading = undefined;
        });
      return this.reading;
    }
    // The read in flight may have started before this call: one more read after it serves every caller until then.
    this.readAgain ??= this.reading.then(() => {
      this.readAgain = undefined;
      return this.catchUp();
    });
    return this.readAgain;
  }

  private async read(): Promise<void> {
    for (;;) {
      const batch = await this.link.redis.xread("COUNT", BATCH, "STREAMS", this.key, this.lastId);
      const records = batch?.[0]?.[1] ?? [];
      this.ingest(records);
      if (records.length < BATCH) return;
    }
  }

  /** Follows the stream on the blocking connection, so that plain walks apply others' writes within milliseconds. */
  private async follow(): Promise<void> {
    while (!this.closed) {
      if (!this.link.up) {
        await sleep(250);
        continue;
      }
      try {
        const batch = await this.link.blocking.xread("COUNT", BATCH, "BLOCK", 2_000, "STREAMS", this.key, this.lastId);
        this.ingest(batch?.[0]?.[1] ?? []);
      } catch {
        if (!this.closed) await sleep(250);
      }
    }
  }

  private ingest(records: [id: string, fields: string[]][]): void {
    for (const [id, fields] of records) {
      if (compareIds(id, this.lastId) <= 0) continue;
      this.lastId = id;
      const message = decode<{ origin: string; change: ListingChange }>(fields[1] ?? "{}");
      // This instance's own changes were applied and logged when it made them.
      if (message.origin === this.link.instanceId || !message.change) continue;
      this.log.push({ id, at: Date.now(), change: message.change });
      if (this.apply) this.apply(message.change);
      else this.buffered.push(message.change);
    }
    this.prune();
  }

  private send(logged: Logged): void {
    if (!this.link.up) {
      this.unsent.push(logged);
      return;
    }
    const message = encode({ origin: this.link.instanceId, change: logged.change });
    const minId = `${Date.now() - this.keepMs}-0`;
    const sent = this.link.redis.xadd(this.key, "MINID", "~", minId, "*", "c", message).then(
      (id) => {
        if (id) logged.id = id;
      },
      () => {
        this.unsent.push(logged);
      },
    );
    this.sending.add(sent);
    void sent.finally(() => this.sending.delete(sent));
  }

  private flushUnsent(): void {
    const unsent = this.unsent;
    this.unsent = [];
    for (const logged of unsent) this.send(logged);
  }

  private prune(): void {
    const cutoff = Date.now() - this.logMs;
    while (this.log.length && ((this.log[0] as Logged).at < cutoff || this.log.length > MAX_LOGGED)) this.log.shift();
  }

  close(): void {
    this.closed = true;
  }
}
