import { CreateQualificationTypeCommand } from "@aws-sdk/client-mturk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../src/security/auth.js";
import { type Stack, startStack } from "../support/stack.js";
import { CREATE_HIT, HIT_CHANGED, hitInput, REQUEST_SUBMITTED, type SseStream, sse, waitFor } from "./support.js";

/**
 * Subscriptions over yoga's built-in SSE at /graphql, fed by the shared poll and by the gateway's own mutations,
 * against the simulator through the real SDK: ids, resume with Last-Event-ID, one poll for any number of
 * subscribers, limits and scopes.
 */
const URL = "http://gateway.test/graphql";

async function newType(stack: Stack, name: string): Promise<string> {
  const r = await stack.client.send(
    new CreateQualificationTypeCommand({ Name: name, Description: "live", QualificationTypeStatus: "Active" }),
  );
  return r.QualificationType?.QualificationTypeId as string;
}

/** A new worker asks for the type: a new pending request. */
async function request(stack: Stack, typeId: string): Promise<string> {
  const { workerId } = await stack.control<{ workerId: string }>("POST", "workers", {});
  const r = await stack.control<{ qualificationRequest: { QualificationRequestId: string } }>(
    "POST",
    `workers/${workerId}/qualification-requests`,
    { qualificationTypeId: typeId },
  );
  return r.qualificationRequest.QualificationRequestId;
}

/** Calls per minute of one type's polls in the call log since `from`: (n - 1) over the time from first to last. */
function perMinute(stack: Stack, typeId: string, from: number): number {
  const starts = stack.simulator.instrumentation.calls
    .slice(from)
    .filter(
      (c) =>
        c.operation === "ListQualificationRequests" &&
        (c.input as { QualificationTypeId?: string }).QualificationTypeId === typeId,
    )
    .map((c) => c.start);
  return ((starts.length - 1) * 60_000) / ((starts.at(-1) ?? 0) - (starts[0] ?? 0));
}

const fetcher = (stack: Stack) => (url: string, init: RequestInit) => stack.yoga.fetch(url, init);
const polls = (stack: Stack, operation: string, typeId?: string) =>
  stack.simulator.instrumentation.calls.filter(
    (c) =>
      c.operation === operation &&
      (!typeId || (c.input as { QualificationTypeId?: string } | undefined)?.QualificationTypeId === typeId),
  ).length;

describe("subscriptions over SSE, fed by the shared poll", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: { SUBSCRIPTION_POLL_MS: "100", SUBSCRIPTION_LINGER_MS: "5000", MAX_SUBSCRIPTIONS_PER_PRINCIPAL: "500" },
    });
  });
  afterAll(() => stack.close());

  it("announces each new request once, with an id per event", async () => {
    const type = await newType(stack, "Live SSE");
    const stream = sse(fetcher(stack), URL, REQUEST_SUBMITTED, { t: type });
    await waitFor(() => polls(stack, "ListQualificationRequests") > 0, 5_000, "the first poll");
    await new Promise((r) => setTimeout(r, 150));
    const ids = [await request(stack, type), await request(stack, type)];
    const events = await stream.until(2);
    expect(events.map((e) => e.data.data?.qualificationRequestSubmitted.qualificationRequestId).sort()).toEqual(
      ids.sort(),
    );
    expect(events.every((e) => /^\d+-\d+$/.test(e.id ?? ""))).toBe(true);
    expect(events[0]?.data.extensions?.eventId).toBe(events[0]?.id);
    expect(events[0]?.data.data?.qualificationRequestSubmitted.worker.workerId).toMatch(/^A/);
    await new Promise((r) => setTimeout(r, 400));
    expect(stream.events).toHaveLength(2);
    await stream.close();
  });

  it("replays what a dropped connection missed after Last-Event-ID: none lost, none twice", async () => {
    const type = await newType(stack, "Live resume");
    const first = sse(fetcher(stack), URL, REQUEST_SUBMITTED, { t: type });
    await new Promise((r) => setTimeout(r, 300));
    const sent = [await request(stack, type)];
    await first.until(1);
    const lastId = first.lastId() as string;
    await first.close();
    sent.push(await request(stack, type), await request(stack, type));
    await new Promise((r) => setTimeout(r, 400));
    const resumed = sse(fetcher(stack), URL, REQUEST_SUBMITTED, { t: type }, { "last-event-id": lastId });
    await resumed.until(2);
    sent.push(await request(stack, type));
    await resumed.until(3);
    await new Promise((r) => setTimeout(r, 300));
    const received = [...first.events, ...resumed.events].map(
      (e) => e.data.data?.qualificationRequestSubmitted.qualificationRequestId,
    );
    expect(received).toEqual(sent);
    await resumed.close();
  });

  it("costs MTurk the same with 1 and with 200 subscribers to the same type (within 5 %)", async () => {
    const type = await newType(stack, "Live fan-out");
    const window = 3_000;
    const one = sse(fetcher(stack), URL, REQUEST_SUBMITTED, { t: type });
    await new Promise((r) => setTimeout(r, 500));
    // The listing holds requests in both windows, so that a poll reads the same pages in each (with a NextToken on
    // the last page, a listing with items ends at an empty page: one call more than an empty listing).
    await request(stack, type);
    await one.until(1, 5_000);
    let from = stack.simulator.instrumentation.calls.length;
    await new Promise((r) => setTimeout(r, window));
    const alone = perMinute(stack, type, from);
    const many = Array.from({ length: 199 }, () => sse(fetcher(stack), URL, REQUEST_SUBMITTED, { t: type }));
    await new Promise((r) => setTimeout(r, 500));
    from = stack.simulator.instrumentation.calls.length;
    const id = await request(stack, type);
    await new Promise((r) => setTimeout(r, window));
    const shared = perMinute(stack, type, from);
    // Nothing else was called for this type's subscribers: resolving the event for 200 of them cost no call.
    const others = stack.simulator.instrumentation.calls
      .slice(from)
      .filter(
        (c) => !["ListQualificationRequests", "ListHITs", "GetHIT", "ListAssignmentsForHIT"].includes(c.operation),
      );
    expect(others).toEqual([]);
    // Every subscriber got the event, and resolving it for 200 subscribers called MTurk for nothing more.
    await one.until(2, 5_000);
    for (const s of many) await s.until(1, 5_000);
    const latest = (s: SseStream) => s.events.at(-1)?.data.data?.qualificationRequestSubmitted.qualificationRequestId;
    expect(many.every((s) => s.events.length === 1)).toBe(true);
    expect(new Set([one, ...many].map(latest))).toEqual(new Set([id]));
    console.log(`upstream calls per minute: 1 subscriber ${alone.toFixed(0)}, 200 subscribers ${shared.toFixed(0)}`);
    expect(Math.abs(shared - alone) / alone).toBeLessThanOrEqual(0.05);
    await Promise.all([one, ...many].map((s) => s.close()));
  }, 30_000);

  it("refuses both or neither of hitId and hitTypeId, and ids that are not MTurk's", async () => {
    const both = sse(
      fetcher(stack),
      URL,
      `subscription { assignmentSubmitted(hitId: "A", hitTypeId: "B") { assignmentId } }`,
    );
    await both.until(1);
    expect(both.events[0]?.data.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const bad = sse(fetcher(stack), URL, `subscription { hitStatusChanged(hitId: "x:y") { hitId } }`);
    await bad.until(1);
    expect(bad.events[0]?.data.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});

describe("subscriptions: the gateway's own mutations, limits and scopes", () => {
  let stack: Stack;
  const key = "live-reader-key-0123456789";
  const writer = "live-writer-key-0123456789";
  beforeAll(async () => {
    stack = await startStack({
      env: {
        // A poll too slow to matter: what arrives came from the mutation.
        SUBSCRIPTION_POLL_MS: "60000",
        MAX_SUBSCRIPTIONS_PER_PRINCIPAL: "2",
        AUTH_API_KEYS: JSON.stringify([
          { name: "reader", sha256: hashApiKey(key), scopes: ["read", "write", "pay"] },
          { name: "writer", sha256: hashApiKey(writer), scopes: ["write"] },
        ]),
      },
    });
  });
  afterAll(() => stack.close());
  const auth = { "x-api-key": key };

  it("publishes a HIT's change at once when the gateway made it", async () => {
    const created = await stack.yoga.fetch(URL, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify({ query: CREATE_HIT, variables: { i: hitInput("live-mutation-1") } }),
    });
    const hitId = ((await created.json()) as any).data.createHIT.hit.hitId as string;
    const stream = sse(fetcher(stack), URL, HIT_CHANGED, { h: hitId }, auth);
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    await stack.yoga.fetch(URL, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify({
        query: `mutation($h: String!) { expireHIT(input: { hitId: $h }) { __typename } }`,
        variables: { h: hitId },
      }),
    });
    const [event] = await stream.until(1, 2_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(event?.data.data?.hitStatusChanged).toMatchObject({ hitId, status: "Reviewable" });
    await stream.close();
  });

  it(`allows a principal MAX_SUBSCRIPTIONS_PER_PRINCIPAL open subscriptions, and needs the read scope`, async () => {
    const open = [0, 1].map(() => sse(fetcher(stack), URL, HIT_CHANGED, { h: "3ABC" }, auth));
    await new Promise((r) => setTimeout(r, 200));
    const third = sse(fetcher(stack), URL, HIT_CHANGED, { h: "3ABC" }, auth);
    await third.until(1).catch((e) => {
      console.log(
        "third",
        third.status,
        third.ended,
        open.map((o) => [o.status, o.events.length, JSON.stringify(o.events)]),
      );
      throw e;
    });
    expect(third.events[0]?.data.errors?.[0]?.extensions?.code).toBe("TOO_MANY_SUBSCRIPTIONS");
    await Promise.all(open.map((s) => s.close()));
    await new Promise((r) => setTimeout(r, 100));
    const again = sse(fetcher(stack), URL, HIT_CHANGED, { h: "3ABC" }, auth);
    await new Promise((r) => setTimeout(r, 300));
    expect(again.events.filter((e) => e.data.errors)).toEqual([]);
    await again.close();
    const forbidden = sse(fetcher(stack), URL, HIT_CHANGED, { h: "3ABC" }, { "x-api-key": writer });
    await forbidden.until(1);
    expect(forbidden.events[0]?.data.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const anonymous = sse(fetcher(stack), URL, HIT_CHANGED, { h: "3ABC" });
    await waitFor(() => anonymous.ended);
    expect(anonymous.status).toBe(401);
  });
});

describe("pollers a principal leaves behind", () => {
  let stack: Stack;
  beforeAll(async () => {
    // The default linger (30 s): every poller a closed subscription leaves would outlast this test.
    stack = await startStack({ env: { SUBSCRIPTION_POLL_MS: "200", MAX_SUBSCRIPTIONS_PER_PRINCIPAL: "2" } });
  });
  afterAll(() => stack.close());

  it("linger at most MAX_SUBSCRIPTIONS_PER_PRINCIPAL: opening and closing subscriptions to new ids cannot pile up polls", async () => {
    for (let round = 0; round < 15; round += 1) {
      const open = [0, 1].map((i) => sse(fetcher(stack), URL, HIT_CHANGED, { h: `3CHURN${round}X${i}` }));
      await new Promise((r) => setTimeout(r, 60));
      await Promise.all(open.map((s) => s.close()));
    }
    await new Promise((r) => setTimeout(r, 300));
    stack.simulator.instrumentation.resetCalls();
    await new Promise((r) => setTimeout(r, 1000));
    const polled = new Set(
      stack.simulator.instrumentation.calls
        .filter((c) => c.operation === "GetHIT")
        .map((c) => (c.input as { HITId?: string }).HITId),
    );
    // 30 subscriptions were opened and closed; only the last two of the principal's topics are still polled.
    expect(polled.size).toBeLessThanOrEqual(2);
  });
});
