import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { LocalCoordination } from "../../src/live/coordination.js";
import { MemoryLiveLog } from "../../src/live/log.js";
import { createLiveMetrics } from "../../src/live/metrics.js";
import { Poller } from "../../src/live/poller.js";
import { type LiveEvent, topic } from "../../src/live/topics.js";
import type { Upstream } from "../../src/mturk/client.js";

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const requestId = (e: LiveEvent) => (e.type === "QualificationRequest" ? e.data.QualificationRequestId : undefined);

describe("the event log", () => {
  it("publishes an item once per topic, and a state only when it differs from the last one", async () => {
    const log = new MemoryLiveLog({ size: 3, dedupeMs: 60_000 });
    const once = (key: string) =>
      log.append({
        topic: "qr:T1",
        type: "QualificationRequest",
        mode: "once",
        key,
        data: { QualificationRequestId: key },
        source: "poll",
      });
    const state = (key: string) =>
      log.append({ topic: "hit:H1", type: "HIT", mode: "state", key, data: { HITId: key }, source: "poll" });
    expect(await once("R1")).toBeDefined();
    expect(await once("R1")).toBeUndefined();
    expect(await state("A")).toBeDefined();
    expect(await state("A")).toBeUndefined();
    expect(await state("B")).toBeDefined();
    expect(await state("A")).toBeDefined();
    const first = (await once("R2")) as { id: string };
    await once("R3");
    await once("R4");
    // Bounded: the oldest event left the log; what follows an id is replayed in order.
    expect((await log.since("qr:T1", "0-0")).map((e) => requestId(e))).toEqual(["R2", "R3", "R4"]);
    expect((await log.since("qr:T1", first.id)).map((e) => requestId(e))).toEqual(["R3", "R4"]);
    expect(await log.head("qr:T1")).toBe((await log.since("qr:T1", first.id)).at(-1)?.id);
  });
});

describe("a poller", () => {
  function poller(tight: boolean, registry = new Registry()) {
    let polls = 0;
    const metrics = createLiveMetrics(registry);
    const p = new Poller(topic("hit", "3HIT"), {
      watch: async () => {
        polls += 1;
        return { state: {}, publications: [] };
      },
      coordination: new LocalCoordination(() => true),
      upstream: () => ({}) as Upstream,
      publish: async () => undefined,
      intervalMs: 20,
      stateTtlMs: 1_000,
      pressure: { tight: () => tight },
      metrics,
    });
    return { p, polls: () => polls, metrics, registry };
  }

  it("polls less often while the rate budget is tight, and metrics show it", async () => {
    const relaxed = poller(false);
    const tight = poller(true);
    relaxed.p.start();
    tight.p.start();
    await pause(600);
    await Promise.all([relaxed.p.stop(), tight.p.stop()]);
    expect(tight.polls()).toBeLessThan(relaxed.polls() / 3);
    expect(tight.p.interval).toBe(160);
    const text = await tight.registry.metrics();
    expect(text).toMatch(/gateway_live_polls_total\{kind="hit",pace="slowed",outcome="ok"\} [1-9]/);
  });

  it("polls at once when nudged, and not again before the interval", async () => {
    const { p, polls } = poller(false);
    (p as unknown as { deps: { intervalMs: number } }).deps.intervalMs = 60_000;
    p.start();
    await pause(50);
    expect(polls()).toBe(1);
    p.pollNow();
    await pause(400);
    expect(polls()).toBe(2);
    await p.stop();
  });
});
