import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RateBudget } from "../../src/mturk/rateBudget.js";
import {
  CLASS_WEIGHTS,
  type Claim,
  type Claimant,
  FairScheduler,
  UPSTREAM_CLASSES,
  type UpstreamClass,
} from "../../src/mturk/scheduler.js";

/** A rate budget that gives a token only when the test says so (each take waits for `tick`). */
class SteppedBudget implements RateBudget {
  private waiting: { resolve: () => void; cancelled?: () => boolean }[] = [];
  given = 0;

  take(cancelled?: () => boolean): Promise<void> {
    return new Promise((resolve) => this.waiting.push({ resolve, cancelled }));
  }

  /** One token to the take waiting for it, unless that take no longer wants it. */
  async tick(): Promise<void> {
    const take = this.waiting.shift();
    if (take && !take.cancelled?.()) this.given += 1;
    take?.resolve();
    await settle();
  }
}
const settle = () => new Promise((resolve) => setImmediate(resolve));

const claimant = (name: string, weight = 1): Claimant => ({ id: `api-key:${name}`, label: name, weight });

/** Queues `claim` and records its grant in `order` under `tag`. */
function queue(scheduler: FairScheduler, order: string[], tag: string, claim: Omit<Claim, "granted">) {
  return scheduler.take({ ...claim, granted: () => order.push(tag) });
}

describe("the fair scheduler", () => {
  it("grants each claimant's calls in its order, and shares within a class by weight (stride bound)", async () => {
    const flows = fc.array(
      fc.record({ weight: fc.integer({ min: 1, max: 4 }), calls: fc.integer({ min: 1, max: 30 }) }),
      {
        minLength: 1,
        maxLength: 5,
      },
    );
    await fc.assert(
      fc.asyncProperty(flows, async (specs) => {
        const budget = new SteppedBudget();
        const scheduler = new FairScheduler(budget);
        const order: string[] = [];
        specs.forEach((spec, f) => {
          for (let i = 0; i < spec.calls; i += 1)
            void queue(scheduler, order, `${f}:${i}`, {
              claimant: claimant(`k${f}`, spec.weight),
              class: "interactive",
            });
        });
        const total = specs.reduce((sum, s) => sum + s.calls, 0);
        for (let i = 0; i < total + 2; i += 1) await budget.tick();
        expect(order).toHaveLength(total);
        expect(budget.given).toBe(total);
        const served = specs.map(() => 0);
        for (const tag of order) {
          const [f, i] = tag.split(":").map(Number) as [number, number];
          // In its own order.
          expect(i).toBe(served[f]);
          served[f] = (served[f] ?? 0) + 1;
          // While two claimants both still queue, their service per weight differs by at most one stride.
          for (const [x, a] of specs.entries())
            for (const [y, b] of specs.entries()) {
              const backlogged = (served[x] ?? 0) < a.calls && (served[y] ?? 0) < b.calls;
              if (x < y && backlogged)
                expect(Math.abs((served[x] ?? 0) / a.weight - (served[y] ?? 0) / b.weight)).toBeLessThanOrEqual(
                  1 / Math.min(a.weight, b.weight) + 1e-9,
                );
            }
        }
      }),
      { numRuns: 60 },
    );
  });

  it("serves a newcomer within its class's fair share of the tokens, whatever the others queue", async () => {
    const backlog = fc.array(
      fc.record({
        name: fc.constantFrom("a", "b", "c"),
        class: fc.constantFrom<UpstreamClass>(...UPSTREAM_CLASSES),
        calls: fc.integer({ min: 1, max: 200 }),
      }),
      { minLength: 1, maxLength: 6 },
    );
    await fc.assert(
      fc.asyncProperty(backlog, fc.integer({ min: 0, max: 20 }), async (floods, served) => {
        const budget = new SteppedBudget();
        const scheduler = new FairScheduler(budget);
        const order: string[] = [];
        for (const flood of floods)
          for (let i = 0; i < flood.calls; i += 1)
            void queue(scheduler, order, `${flood.class}:${flood.name}`, {
              claimant: claimant(flood.name),
              class: flood.class,
            });
        for (let i = 0; i < served; i += 1) await budget.tick();
        const before = order.length;
        void queue(scheduler, order, "victim", { claimant: claimant("victim"), class: "interactive" });
        // Its class serves at most each interactive claimant queued before it (a newcomer joins level with the
        // class's queues); meanwhile each other class gets at most its share of those tokens, and one more.
        const ahead = new Set(floods.filter((f) => f.class === "interactive").map((f) => f.name)).size;
        const others = new Set(floods.filter((f) => f.class !== "interactive").map((f) => f.class));
        let bound = 1 + ahead;
        for (const c of others) bound += Math.floor(((ahead + 1) * CLASS_WEIGHTS[c]) / CLASS_WEIGHTS.interactive) + 1;
        for (let i = 0; i < bound; i += 1) await budget.tick();
        expect(order.slice(before)).toContain("victim");
      }),
      { numRuns: 150 },
    );
  });

  it("serves a newcomer with the next token while a claimant already served floods its class", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 50 }), async (calls, served) => {
        const budget = new SteppedBudget();
        const scheduler = new FairScheduler(budget);
        const order: string[] = [];
        for (let i = 0; i < calls; i += 1)
          void queue(scheduler, order, "flood", { claimant: claimant("flood"), class: "interactive" });
        for (let i = 0; i < served; i += 1) await budget.tick();
        const before = order.length;
        void queue(scheduler, order, "victim", { claimant: claimant("victim"), class: "interactive" });
        await budget.tick();
        expect(order.slice(before)).toEqual(["victim"]);
      }),
      { numRuns: 100 },
    );
  });

  it("drops a call whose signal aborts: it is never granted and takes no token", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }), async (aborts) => {
        const budget = new SteppedBudget();
        const scheduler = new FairScheduler(budget);
        const order: string[] = [];
        const controllers = aborts.map(() => new AbortController());
        const takes = aborts.map((_, i) =>
          queue(scheduler, order, String(i), {
            claimant: claimant(`k${i % 3}`),
            class: "interactive",
            signal: controllers[i]?.signal,
          }),
        );
        for (const [i, abort] of aborts.entries()) if (abort) controllers[i]?.abort();
        // Dropped calls resolve at once, before any token.
        const dropped = aborts.flatMap((abort, i) => (abort ? [takes[i]] : []));
        await Promise.all(dropped);
        for (let i = 0; i < aborts.length + 2; i += 1) await budget.tick();
        await Promise.all(takes);
        const kept = aborts.flatMap((abort, i) => (abort ? [] : [String(i)]));
        expect([...order].sort()).toEqual([...kept].sort());
        expect(budget.given).toBe(kept.length);
      }),
      { numRuns: 60 },
    );
  });

  it("never grants without a token: a call queued just as the budget declined (all dropped) waits for the next", async () => {
    const budget = new SteppedBudget();
    const scheduler = new FairScheduler(budget);
    const order: string[] = [];
    const controller = new AbortController();
    void queue(scheduler, order, "dropped", {
      claimant: claimant("a"),
      class: "interactive",
      signal: controller.signal,
    });
    controller.abort();
    // The budget answers the waiting take (nobody left: no token), and a call arrives before the scheduler resumes.
    const answered = budget.tick();
    void queue(scheduler, order, "late", { claimant: claimant("b"), class: "interactive" });
    await answered;
    expect(budget.given).toBe(0);
    expect(order).toEqual([]);
    await budget.tick();
    expect(order).toEqual(["late"]);
    expect(budget.given).toBe(1);
  });

  it("shares between classes by their weights while all queue", async () => {
    const budget = new SteppedBudget();
    const scheduler = new FairScheduler(budget);
    const order: string[] = [];
    for (const name of UPSTREAM_CLASSES)
      for (let i = 0; i < 100; i += 1) void queue(scheduler, order, name, { claimant: claimant(name), class: name });
    for (let i = 0; i < 150; i += 1) await budget.tick();
    const count = (name: string) => order.filter((c) => c === name).length;
    // 8 : 4 : 2 : 1 of 150 tokens.
    expect([count("interactive"), count("live"), count("export"), count("background")]).toEqual([80, 40, 20, 10]);
  });
});
