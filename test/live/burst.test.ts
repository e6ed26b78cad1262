import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { machineRedis } from "../fleet/support.js";
import { type Stack, startStack } from "../support/stack.js";
import { CREATE_HIT, hitInput, type SseStream, sse, waitFor } from "./support.js";

/**
 * A burst of submissions larger than a stream's buffers: every event reaches every subscriber that reads, and a
 * subscriber that cannot keep up is told so (SUBSCRIPTION_BEHIND, with the lastEventId to resume after), never
 * left short without a word.
 */
const URL = "http://gateway.test/graphql";
const SUBMITTED = `subscription($h: String!) { assignmentSubmitted(hitId: $h) { assignmentId } }`;
const BURST = 3_000;

async function burstHit(stack: Stack, key: string) {
  const created = await stack.query<any>(CREATE_HIT, { i: hitInput(key, BURST) });
  return created.data.createHIT.hit.hitId as string;
}
const ids = (stream: SseStream) =>
  stream.events.flatMap((e) => (e.data.data ? [e.data.data.assignmentSubmitted.assignmentId as string] : []));
const errors = (stream: SseStream) => stream.events.flatMap((e) => e.data.errors ?? []);

let redis: Awaited<ReturnType<typeof machineRedis>>;
beforeAll(async () => {
  redis = await machineRedis();
});
afterAll(() => redis.stop());

/** A stack whose subscriptions' log is in memory, or the fleet's Redis streams (under the simulator's namespace). */
const stackWith = (log: string, env: Record<string, string>) =>
  startStack({ size: "empty", env, redisUrl: log === "Redis" ? redis.url : undefined });

describe.each(["memory", "Redis"])("a burst of 3,000 submissions in one poll (log in %s)", (log) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await stackWith(log, { SUBSCRIPTION_POLL_MS: "200" });
  });
  afterAll(() => stack.close());

  it("reaches each of two subscribers whole: 3,000 events each, none twice, no error", {
    timeout: 120_000,
  }, async () => {
    const hitId = await burstHit(stack, "burst-two");
    const fetcher = (url: string, init: RequestInit) => stack.yoga.fetch(url, init);
    const subscribers = [sse(fetcher, URL, SUBMITTED, { h: hitId }), sse(fetcher, URL, SUBMITTED, { h: hitId })];
    await new Promise((r) => setTimeout(r, 500));
    await stack.control("POST", `hits/${hitId}/submissions`, { count: BURST });
    // Until every subscriber has every event, or an error, or nothing more comes for 3 s.
    let last = -1;
    for (let quiet = 0; quiet < 30; quiet += 1) {
      if (subscribers.every((s) => ids(s).length >= BURST || errors(s).length > 0 || s.ended)) break;
      const now = subscribers.reduce((n, s) => n + s.events.length, 0);
      if (now !== last) quiet = 0;
      last = now;
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 300));
    const received = subscribers.map((s) => ({
      events: ids(s).length,
      distinct: new Set(ids(s)).size,
      errors: errors(s),
    }));
    expect(received).toEqual([
      { events: BURST, distinct: BURST, errors: [] },
      { events: BURST, distinct: BURST, errors: [] },
    ]);
    for (const s of subscribers) await s.close();
  });
});

describe.each(["memory", "Redis"])("a subscriber that stops reading during a burst (log in %s)", (log) => {
  let stack: Stack;
  beforeAll(async () => {
    // A log of 100 events: a subscriber more than 10 times that behind is told so.
    stack = await stackWith(log, { SUBSCRIPTION_POLL_MS: "200", SUBSCRIPTION_LOG_SIZE: "100" });
  });
  afterAll(() => stack.close());

  it("is told it fell behind, with where to resume; a resume the log cannot replay whole says so at once", async () => {
    const hitId = await burstHit(stack, "burst-stalled");
    let resume: () => void = () => undefined;
    const paused = new Promise<void>((r) => {
      resume = r;
    });
    // A client that reads its first events, then nothing until the burst is over.
    const stalled = sse(
      async (url, init) => {
        const response = await stack.yoga.fetch(url, init);
        const reader = (response.body as ReadableStream<Uint8Array>).getReader();
        let reads = 0;
        const slow = new ReadableStream<Uint8Array>({
          async pull(controller) {
            if (reads++ === 3) await paused;
            const { value, done } = await reader.read();
            if (done) controller.close();
            else controller.enqueue(value);
          },
          cancel: () => reader.cancel(),
        });
        return new Response(slow, { status: response.status, headers: response.headers });
      },
      URL,
      SUBMITTED,
      { h: hitId },
    );
    await new Promise((r) => setTimeout(r, 500));
    await stack.control("POST", `hits/${hitId}/submissions`, { count: BURST });
    await new Promise((r) => setTimeout(r, 2_000));
    resume();
    await waitFor(() => errors(stalled).length > 0 || stalled.ended, 30_000, "an error");
    const [behind] = errors(stalled);
    expect(behind?.extensions?.code).toBe("SUBSCRIPTION_BEHIND");
    const lastEventId = behind?.extensions?.lastEventId as string;
    expect(lastEventId).toBe(stalled.events.filter((e) => e.data.data).at(-1)?.id);
    expect(ids(stalled).length).toBeLessThan(BURST);
    // What it missed is more than the log keeps: resuming after lastEventId cannot replay it whole.
    const fetcher = (url: string, init: RequestInit) => stack.yoga.fetch(url, init);
    const resumed = sse(
      fetcher,
      URL,
      `subscription($h: String!, $after: String) { assignmentSubmitted(hitId: $h, lastEventId: $after) { assignmentId } }`,
      { h: hitId, after: lastEventId },
    );
    await waitFor(() => errors(resumed).length > 0 || resumed.ended, 10_000, "the resume's answer");
    expect(errors(resumed).map((e) => e.extensions?.code)).toEqual(["SUBSCRIPTION_BEHIND"]);
    expect(ids(resumed)).toEqual([]);
    await stalled.close();
    await resumed.close();
  });
});
