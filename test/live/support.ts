import { setTimeout as sleep } from "node:timers/promises";

export interface StreamEvent {
  id?: string;
  data: { data?: Record<string, any>; errors?: { message: string; extensions?: Record<string, unknown> }[] } & {
    extensions?: Record<string, unknown>;
  };
}

type Fetch = (url: string, init: RequestInit) => Promise<Response> | Response;

/**
 * A subscription over SSE (`Accept: text/event-stream`, yoga's built-in transport), read as a browser's
 * EventSource would: `id:` lines remembered, `next` events collected.
 */
export function sse(
  fetch: Fetch,
  url: string,
  document: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  const controller = new AbortController();
  const events: StreamEvent[] = [];
  let status = 0;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let ended = false;
  const reading = (async () => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", ...headers },
      body: JSON.stringify({ query: document, variables }),
      signal: controller.signal,
    });
    status = response.status;
    if (!response.body) return;
    reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(
          block
            .split("\n")
            .filter((l) => l && !l.startsWith(":"))
            .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()]),
        );
        if (fields.event === "next") events.push({ id: fields.id, data: JSON.parse(fields.data ?? "{}") });
      }
    }
  })()
    .catch(() => undefined)
    .finally(() => {
      ended = true;
    });
  return {
    events,
    get status() {
      return status;
    },
    get ended() {
      return ended;
    },
    /** Waits until `count` events have arrived (or throws after `ms`). */
    async until(count: number, ms = 10_000): Promise<StreamEvent[]> {
      const deadline = Date.now() + ms;
      while (events.length < count) {
        if (Date.now() > deadline) throw new Error(`${events.length} of ${count} events within ${ms} ms`);
        if (ended && events.length < count) throw new Error(`stream ended after ${events.length} events`);
        await sleep(10);
      }
      return events;
    },
    lastId: () => events.at(-1)?.id,
    async close() {
      await reader?.cancel().catch(() => undefined);
      controller.abort();
      await reading;
    },
  };
}
export type SseStream = ReturnType<typeof sse>;

/** Polls `condition` until it holds or `ms` pass. */
export async function waitFor(condition: () => boolean | Promise<boolean>, ms = 10_000, what = "condition") {
  const until = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`${what} did not hold within ${ms} ms`);
    await sleep(20);
  }
}

export const REQUEST_SUBMITTED = `subscription($t: String!) { qualificationRequestSubmitted(qualificationTypeId: $t) { qualificationRequestId qualificationTypeId workerId submitTime worker { workerId } } }`;
export const ASSIGNMENT_SUBMITTED = `subscription($h: String, $ht: String) { assignmentSubmitted(hitId: $h, hitTypeId: $ht) { assignmentId workerId status hit { hitId title } } }`;
export const HIT_CHANGED = `subscription($h: String!) { hitStatusChanged(hitId: $h) { hitId status reviewStatus expiration numberOfAssignmentsPending numberOfAssignmentsAvailable numberOfAssignmentsCompleted } }`;
export const CREATE_HIT = `mutation($i: CreateHITInput!) { createHIT(input: $i) { __typename ... on CreatedHITPayload { hit { hitId hitTypeId } } ... on MutationError { message } } }`;

export const hitInput = (key: string, maxAssignments = 3) => ({
  title: `Live HIT ${key}`,
  description: "Watched by subscriptions",
  reward: "0.10",
  lifetimeInSeconds: 3600,
  assignmentDurationInSeconds: 600,
  maxAssignments,
  question: "<HTMLQuestion><HTMLContent>x</HTMLContent></HTMLQuestion>",
  idempotencyKey: key,
});
