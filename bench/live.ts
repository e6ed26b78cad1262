/**
 * `npm run bench`'s section on subscriptions (issue 12): upstream calls per minute of one watched type with 1 and
 * with 200 subscribers, and the latency from a worker's submit in the simulator to the subscriber, by polling
 * (SUBSCRIPTION_POLL_MS 1,000, the embedded simulator's default) and by MTurk's notifications over SNS.
 */
import { CreateQualificationTypeCommand } from "@aws-sdk/client-mturk";
import { notifiedStack } from "../test/live/notified.js";
import { ASSIGNMENT_SUBMITTED, CREATE_HIT, hitInput, REQUEST_SUBMITTED, sse } from "../test/live/support.js";
import { type Stack, startStack } from "../test/support/stack.js";

const POLL_MS = 1_000;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.ceil(p * xs.length) - 1] as number;

/** Calls per minute of the type's polls in the call log since `from`: (n - 1) over the time from first to last. */
function perMinute(stack: Stack, typeId: string, from: number): number {
  const starts = stack.simulator.instrumentation.calls
    .slice(from)
    .filter((c) => (c.input as { QualificationTypeId?: string }).QualificationTypeId === typeId)
    .map((c) => c.start);
  return ((starts.length - 1) * 60_000) / ((starts.at(-1) ?? 0) - (starts[0] ?? 0));
}

async function fanOut(stack: Stack, url: string) {
  const r = await stack.client.send(
    new CreateQualificationTypeCommand({ Name: "Bench live", Description: "bench", QualificationTypeStatus: "Active" }),
  );
  const type = r.QualificationType?.QualificationTypeId as string;
  const fetcher = (u: string, init: RequestInit) => stack.yoga.fetch(u, init);
  const one = sse(fetcher, url, REQUEST_SUBMITTED, { t: type });
  await pause(1_500);
  let from = stack.simulator.instrumentation.calls.length;
  await pause(10_000);
  const alone = perMinute(stack, type, from);
  const many = Array.from({ length: 199 }, () => sse(fetcher, url, REQUEST_SUBMITTED, { t: type }));
  await pause(1_500);
  from = stack.simulator.instrumentation.calls.length;
  await pause(10_000);
  const shared = perMinute(stack, type, from);
  console.log(
    `| 1 | ${alone.toFixed(0)} |\n| 200 | ${shared.toFixed(0)} (${(((shared - alone) / alone) * 100).toFixed(1)} %) |`,
  );
  await Promise.all([one, ...many].map((s) => s.close()));
}

/** p50 and p95 of `n` submits, each timed from the worker's submit to the event at the subscriber. */
async function latency(stack: Stack, url: string, key: string, n = 20) {
  const fetcher = (u: string, init: RequestInit) => stack.yoga.fetch(u, init);
  const created = await stack.query<{ createHIT: { hit: { hitId: string } } }>(CREATE_HIT, { i: hitInput(key, n) });
  const hitId = created.data?.createHIT.hit.hitId as string;
  const stream = sse(fetcher, url, ASSIGNMENT_SUBMITTED, { h: hitId });
  await pause(2 * POLL_MS);
  const times: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const { workerId } = await stack.control<{ workerId: string }>("POST", "workers", {});
    const { assignment } = await stack.control<{ assignment: { AssignmentId: string } }>(
      "POST",
      `hits/${hitId}/accept`,
      { workerId },
    );
    await pause(Math.random() * POLL_MS);
    const start = performance.now();
    await stack.control("POST", `assignments/${assignment.AssignmentId}/submit`, { answer: "<a/>" });
    await stream.until(i + 1, 10_000);
    times.push(performance.now() - start);
  }
  await stream.close();
  return { p50: percentile(times, 0.5), p95: percentile(times, 0.95) };
}

export async function liveSubscriptions() {
  console.log(`\n## Subscriptions (SUBSCRIPTION_POLL_MS ${POLL_MS})`);
  const polled = await startStack({
    env: { SUBSCRIPTION_POLL_MS: String(POLL_MS), MAX_SUBSCRIPTIONS_PER_PRINCIPAL: "1000" },
  });
  console.log("| subscribers to one type | ListQualificationRequests calls a minute |\n|---|---|");
  await fanOut(polled, "http://gateway.test/graphql");
  const byPoll = await latency(polled, "http://gateway.test/graphql", "bench-poll");
  await polled.close();

  // Notifications: the poll a minute away, the simulator delivering SNS messages to the gateway over HTTP.
  const notified = await notifiedStack(60_000);
  const stream = notified.subscribe(ASSIGNMENT_SUBMITTED, { h: notified.hitId });
  await pause(500);
  const times: number[] = [];
  for (let i = 0; i < 20; i += 1) {
    const job = await notified.work();
    const start = performance.now();
    await job.submit();
    await stream.until(i + 1, 10_000);
    times.push(performance.now() - start);
  }
  await stream.close();
  await notified.close();
  console.log("\n| source | submit → subscriber p50 | p95 | target |\n|---|---|---|---|");
  console.log(`| polling | ${byPoll.p50.toFixed(0)} ms | ${byPoll.p95.toFixed(0)} ms | <= ${POLL_MS + 1000} ms |`);
  console.log(
    `| notifications | ${percentile(times, 0.5).toFixed(0)} ms | ${percentile(times, 0.95).toFixed(0)} ms | <= 1000 ms |`,
  );
}
