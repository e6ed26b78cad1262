import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Principal } from "../security/auth.js";
import { type RateBudget, UNLIMITED } from "./rateBudget.js";

/**
 * Classes of upstream calls, served in this order of preference: a caller waiting for an answer, the subscriptions'
 * pollers, exports streaming rows, background work nobody waits for (refreshes, syncs).
 */
export const UPSTREAM_CLASSES = ["interactive", "live", "export", "background"] as const;
export type UpstreamClass = (typeof UPSTREAM_CLASSES)[number];
/**
 * Each class's share of the budget while several have calls queued (interactive gets 8 of 15 tokens when all four
 * do, every token when only it does). Shares, not strict priority: no class waits forever behind another.
 */
export const CLASS_WEIGHTS: Readonly<Record<UpstreamClass, number>> = {
  interactive: 8,
  live: 4,
  export: 2,
  background: 1,
};

/** Whom a call is for: the queue it waits in within its class. */
export interface Claimant {
  /** One queue per id: "api-key:<name>", "jwt:<sub>", "none", or the gateway's own ("gateway:<what>"). */
  id: string;
  /** Its metrics label, from a bounded set: a configured key's name, the gateway's own name, or "other". */
  label: string;
  /** Its share against other claimants of the same class (2 gets twice the calls of 1 while both queue). */
  weight: number;
}

/** A caller's principal as the scheduler sees it; keys without a weight, JWT subjects and anonymous get `fallback`. */
export function claimantOf(principal: Principal, fallback: number): Claimant {
  const weight = principal.weight ?? fallback;
  if (principal.via === "api-key") return { id: `api-key:${principal.name}`, label: principal.name, weight };
  if (principal.via === "jwt") return { id: `jwt:${principal.name}`, label: "other", weight };
  return { id: "none", label: "other", weight };
}

/** The gateway's own work (readiness probes, shared scans, notifications): one queue per purpose. */
export const gatewayClaimant = (what: string): Claimant => ({ id: `gateway:${what}`, label: what, weight: 1 });

/** One upstream attempt's place in the queue. */
export interface Claim {
  claimant: Claimant;
  class: UpstreamClass;
  /** Aborted when nobody waits for the call any more: it leaves the queue at once and takes no token. */
  signal?: AbortSignal;
  /** Told how long the attempt waited, when it gets its token. */
  granted?(waitMs: number): void;
}

export const UNCLAIMED: Claim = { claimant: gatewayClaimant("unclaimed"), class: "interactive" };

interface Ticket {
  claim: Claim;
  since: number;
  resolve: () => void;
  done: boolean;
  onAbort?: () => void;
}

/** A run of stride scheduling: each member's pass grows by 1/weight when served; the lowest pass goes next. */
interface Member {
  pass: number;
  /** When it was last served (a tie goes to the one served longest ago: a newcomer first). */
  served: number;
  queued: number;
}

class Queue implements Member {
  pass = 0;
  served = 0;
  queued = 0;
  private tickets: Ticket[] = [];
  private head = 0;

  constructor(
    public weight: number,
    readonly label: string,
  ) {}

  push(ticket: Ticket) {
    this.tickets.push(ticket);
    this.queued += 1;
  }

  /** The oldest ticket still waiting. */
  shift(): Ticket | undefined {
    for (let ticket = this.tickets[this.head]; ticket; ticket = this.tickets[this.head]) {
      this.head += 1;
      if (!ticket.done) {
        this.compact();
        return ticket;
      }
    }
    return undefined;
  }

  private compact() {
    if (this.head < 1024 || this.head * 2 < this.tickets.length) return;
    this.tickets = this.tickets.slice(this.head);
    this.head = 0;
  }
}

class Lane implements Member {
  pass = 0;
  served = 0;
  queued = 0;
  /** The pass of the queue served last: a queue that starts waiting joins at it (no credit saved while idle). */
  clock = 0;
  readonly queues = new Map<string, Queue>();
  constructor(
    readonly name: UpstreamClass,
    readonly weight: number,
  ) {}
}

/** The member with the lowest pass among those with calls queued; a tie goes to the one served longest ago. */
function next<M extends Member>(members: Iterable<M>): M | undefined {
  let best: M | undefined;
  for (const m of members)
    if (m.queued > 0 && (!best || m.pass < best.pass || (m.pass === best.pass && m.served < best.served))) best = m;
  return best;
}

/** Waits this long on average (recently) and the budget is tight: callers queue for it. */
const TIGHT_WAIT_MS = 50;
/** Waits older than this no longer count: an idle budget is not tight. */
const MEMORY_MS = 10_000;

/**
 * Weighted fair queuing of upstream attempts over the rate budget (a local TokenBucket or the fleet's Redis budget):
 * classes share the tokens by CLASS_WEIGHTS, and within a class each claimant (API key, JWT subject, anonymous, the
 * gateway's own work) by its weight, each claimant's calls in their order. One token is taken at a time and goes to
 * whoever is next when it comes, so a caller that starts waiting is served after at most a token or two, however
 * long another's queue. A call whose signal aborts leaves at once without a token.
 */
export class FairScheduler {
  private readonly lanes: Lane[];
  private readonly laneOf: Record<UpstreamClass, Lane>;
  private queued = 0;
  private pumping = false;
  private seq = 0;
  private averageWaitMs = 0;
  private lastGrant = 0;
  /** The pass of the class served last: a class that starts waiting joins at it. */
  private clock = 0;
  private readonly metrics?: ReturnType<typeof schedulerMetrics>;

  constructor(
    private budget: RateBudget,
    registry?: Registry,
  ) {
    const lane = (name: UpstreamClass) => new Lane(name, CLASS_WEIGHTS[name]);
    this.laneOf = {
      interactive: lane("interactive"),
      live: lane("live"),
      export: lane("export"),
      background: lane("background"),
    };
    this.lanes = UPSTREAM_CLASSES.map((name) => this.laneOf[name]);
    if (registry) this.metrics = schedulerMetrics(registry, () => this.depths());
  }

  /** Replaces the budget the tokens come from (the fleet's, once Redis is set up). */
  useBudget(budget: RateBudget): void {
    this.budget = budget;
  }

  /** Waits for this attempt's turn and token; resolves at once, without one, if its signal aborts first. */
  take(claim: Claim = UNCLAIMED): Promise<void> {
    if (claim.signal?.aborted) return Promise.resolve();
    if (this.budget === UNLIMITED) {
      claim.granted?.(0);
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const ticket: Ticket = { claim, since: performance.now(), resolve, done: false };
      const lane = this.laneOf[claim.class];
      let queue = lane.queues.get(claim.claimant.id);
      if (!queue) {
        queue = new Queue(claim.claimant.weight, claim.claimant.label);
        lane.queues.set(claim.claimant.id, queue);
      }
      queue.weight = claim.claimant.weight;
      // Joins at the current clocks: time spent idle earns no credit.
      if (queue.queued === 0) queue.pass = Math.max(queue.pass, lane.clock);
      if (lane.queued === 0) lane.pass = Math.max(lane.pass, this.clock);
      queue.push(ticket);
      lane.queued += 1;
      this.queued += 1;
      if (claim.signal) {
        ticket.onAbort = () => this.leave(ticket, lane, queue, "dropped");
        claim.signal.addEventListener("abort", ticket.onAbort, { once: true });
      }
      this.pump();
    });
  }

  /** Whether callers wait for the budget (the subscriptions' pollers slow down while they do). */
  tight(): boolean {
    return Date.now() - this.lastGrant < MEMORY_MS && this.averageWaitMs > TIGHT_WAIT_MS;
  }

  private leave(ticket: Ticket, lane: Lane, queue: Queue, how: "granted" | "dropped") {
    if (ticket.done) return;
    ticket.done = true;
    if (ticket.onAbort) ticket.claim.signal?.removeEventListener("abort", ticket.onAbort);
    queue.queued -= 1;
    lane.queued -= 1;
    this.queued -= 1;
    // An idle claimant's queue goes (a JWT subject's, say): it would hold nothing but its pass.
    if (queue.queued === 0) lane.queues.delete(ticket.claim.claimant.id);
    const labels = { class: lane.name, key: ticket.claim.claimant.label };
    if (how === "dropped") this.metrics?.dropped.inc(labels);
    else {
      const waited = performance.now() - ticket.since;
      this.metrics?.wait.observe(labels, waited / 1000);
      this.averageWaitMs = this.averageWaitMs * 0.8 + waited * 0.2;
      this.lastGrant = Date.now();
      ticket.claim.granted?.(waited);
    }
    ticket.resolve();
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    void this.dispatch();
  }

  /** One token at a time, each to whoever is next when it comes. */
  private async dispatch(): Promise<void> {
    try {
      while (this.queued > 0) {
        // Nobody left to give it to (all dropped while it waited): the budget keeps its token. Its last answer to
        // the question is what it did, whoever has queued since.
        let declined = false;
        await this.budget.take(() => {
          declined = this.queued === 0;
          return declined;
        });
        if (!declined) this.grantNext();
      }
    } finally {
      this.pumping = false;
      if (this.queued > 0) this.pump();
    }
  }

  private grantNext(): void {
    const lane = next(this.lanes);
    const queue = lane && next(lane.queues.values());
    const ticket = queue?.shift();
    if (!lane || !queue || !ticket) return;
    const order = ++this.seq;
    this.clock = lane.pass;
    lane.pass += 1 / lane.weight;
    lane.served = order;
    lane.clock = queue.pass;
    queue.pass += 1 / queue.weight;
    queue.served = order;
    this.leave(ticket, lane, queue, "granted");
  }

  /** Calls queued now, by class and label (for /metrics). */
  private depths(): Depth[] {
    const depths = new Map<string, Depth>();
    for (const lane of this.lanes)
      for (const queue of lane.queues.values()) {
        const at = `${lane.name}|${queue.label}`;
        const entry = depths.get(at) ?? { class: lane.name, key: queue.label, depth: 0 };
        entry.depth += queue.queued;
        depths.set(at, entry);
      }
    return [...depths.values()];
  }
}

type Depth = { class: UpstreamClass; key: string; depth: number };

function schedulerMetrics(registry: Registry, depths: () => Depth[]) {
  const labelNames = ["class", "key"] as const;
  return {
    depth: new Gauge({
      name: "gateway_upstream_queue_depth",
      help: "Upstream attempts waiting for the rate budget now, by class and key (configured API key names; other for the rest).",
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const d of depths()) this.set({ class: d.class, key: d.key }, d.depth);
      },
    }),
    wait: new Histogram({
      name: "gateway_upstream_queue_wait_seconds",
      help: "How long upstream attempts waited for their turn and token, by class and key.",
      labelNames,
      buckets: [0.005, 0.05, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    dropped: new Counter({
      name: "gateway_upstream_queue_dropped_total",
      help: "Queued upstream attempts dropped unsent because nobody waited for them any more, by class and key.",
      labelNames,
      registers: [registry],
    }),
  };
}
