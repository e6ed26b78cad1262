import { AsyncLocalStorage } from "node:async_hooks";
import type { Upstream } from "./client.js";
import { type Claimant, gatewayClaimant, type UpstreamClass } from "./scheduler.js";

/** How a waiter stopped waiting: answered at its timeout (the work runs on for its retry), or gone (client left). */
export type Leaving = "timeout" | "gone";

/** What a waiter that timed out is told about work it waited on that still runs. */
export interface StillRunning {
  retryAfterMs: number;
}

/** One who waits for shared work: a request's upstream door, or the door of other shared work (nested). */
export interface Waiter {
  /** Whose calls its own are: work it starts queues in a queue of its own beside this claimant's. */
  readonly claimant?: Claimant;
  /** Calls `listener` once when the waiter stops waiting; the returned function unregisters it. */
  onLeave(listener: (how: Leaving) => StillRunning | undefined): () => void;
}

export interface WorkOptions {
  /** The class its calls queue in (default interactive: someone waits for it now). */
  class?: UpstreamClass;
  /**
   * Whose share its calls take. By default a queue of its own beside its starter's (workFor): one key's scans cannot
   * hold another's, nor wait behind its starter's own calls; detached work without one, the gateway's "shared work".
   */
  claimant?: Claimant;
  /** Who waits for it; none: detached, it runs to its end (a background refresh, the mirror's sync). */
  waiter?: Waiter;
}

/** Work in progress, as code running inside it sees it. */
export interface RunningWork {
  readonly key: string;
  /** Its own door to MTurk: no request's cancellation, its class and claimant. */
  readonly door: Upstream;
}

/** The gateway's own queue for work shared by callers: its calls are no caller's. */
const SHARED_WORK = gatewayClaimant("shared work");

/** The queue of the shared work a claimant starts: beside its own, with its weight and label. */
const workFor = (claimant: Claimant): Claimant =>
  claimant.id.startsWith("shared:") ? claimant : { ...claimant, id: `shared:${claimant.id}` };

class Work {
  readonly startedAt = Date.now();
  result!: Promise<unknown>;
  private waiting = 0;
  /** Runs to its end whoever leaves: started detached, or a waiter was answered at its timeout and will retry. */
  private detached = false;
  ended = false;

  constructor(
    readonly key: string,
    /** Its own door (none without `openDoor`: then it runs on its starter's doors). */
    readonly door: Upstream | undefined,
    private readonly onCancel: (work: Work) => void,
  ) {}

  join(waiter: Waiter | undefined): Promise<unknown> {
    if (!waiter) {
      this.detached = true;
      return this.result;
    }
    this.waiting += 1;
    const unregister = waiter.onLeave((how) => {
      this.waiting -= 1;
      if (this.ended) return undefined;
      if (how === "timeout") this.detached = true;
      else if (this.waiting === 0 && !this.detached) this.onCancel(this);
      // About as long again as it has run so far: a hint, not a promise.
      return { retryAfterMs: Math.min(60_000, Math.max(1_000, Date.now() - this.startedAt)) };
    });
    return this.result.finally(unregister);
  }
}

/**
 * Keyed work shared by every caller that asks for it (a listing's scan, a refresh of the mirror, a sync): one run per key
 * at a time, on its own door to MTurk (`openDoor`: its class and claimant, no request's cancellation: it is no
 * request's, though its calls queue beside its starter's share).
 * It runs while anyone waits; a waiter answered at its timeout leaves it running (the next request finds it done or
 * further along); when every waiter is gone (their clients left) its calls not yet sent are dropped. Code inside the
 * work can ask for it (`current()`): the request context serves the work's own loaders there (src/context.ts).
 * Without `openDoor` (unit tests, an embedder without a client) work runs on its starter's doors.
 */
export class SharedWork {
  private readonly running = new Map<string, Work>();
  private readonly inside = new AsyncLocalStorage<RunningWork>();

  constructor(private readonly openDoor?: (claimant: Claimant, cls: UpstreamClass) => Upstream) {}

  /** The shared work the calling code runs in, if any. */
  current(): RunningWork | undefined {
    return this.openDoor ? this.inside.getStore() : undefined;
  }

  /** Whether work of this key is running: a caller now would join it. */
  has(key: string): boolean {
    return this.running.has(key);
  }

  /** The result of the work `key`: the run in progress, joined, or a new run of `work`. */
  run<T>(key: string, work: (door: Upstream | undefined) => Promise<T>, options: WorkOptions = {}): Promise<T> {
    let entry = this.running.get(key);
    if (!entry) {
      const starter = options.waiter?.claimant;
      const claimant = options.claimant ?? (starter ? workFor(starter) : SHARED_WORK);
      const door = this.openDoor?.(claimant, options.class ?? "interactive");
      const started = new Work(key, door, (cancelled) => this.cancel(cancelled));
      started.result = (door ? this.inside.run({ key, door }, () => work(door)) : work(undefined)).finally(() => {
        started.ended = true;
        if (this.running.get(key) === started) this.running.delete(key);
      });
      // Nobody may be left to see its failure: each waiter gets it through join.
      started.result.catch(() => undefined);
      this.running.set(key, started);
      entry = started;
    }
    return entry.join(options.waiter) as Promise<T>;
  }

  private cancel(work: Work): void {
    // A caller from now on starts afresh: this run's calls not yet sent are dropped.
    if (this.running.get(work.key) === work) this.running.delete(work.key);
    work.door?.cancel("Nobody waits for this work any more.");
  }
}
