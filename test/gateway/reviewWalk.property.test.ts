import {
  AcceptQualificationRequestCommand,
  paginateListQualificationRequests,
  RejectQualificationRequestCommand,
} from "@aws-sdk/client-mturk";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";
import { listingSwitches, walkConnection } from "../support/walk.js";

/**
 * Review walks through the gateway against the simulator under every switch that models an unknown of the real
 * MTurk: token model, a token on the last page, list lag. Random page sizes and mid-page cursors; between pages
 * random decisions of items already shown (through the gateway, or through the SDK as another tool would) and new
 * requests. An item pending for the whole walk is returned at least once; exactly once when only this gateway
 * changes the list.
 */
let stack: Stack;
let typeId: string;
const SEED = { qualificationTypes: 2, workers: 500, pendingRequests: 320, hits: 2 };

beforeAll(async () => {
  stack = await startStack({ size: SEED, seed: 11 });
});
afterAll(() => stack.close());

const walkDoc = `query($t: String!, $first: Int, $after: String) {
  qualificationType(qualificationTypeId: $t) {
    requests(first: $first, after: $after) { edges { cursor node { id qualificationRequestId } } pageInfo { hasNextPage endCursor } }
  }
}`;

const switches = listingSwitches;
const step = fc.record({
  first: fc.integer({ min: 1, max: 120 }),
  midPage: fc.option(fc.nat(), { nil: undefined }),
  decide: fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 6 }),
  inserts: fc.integer({ min: 0, max: 2 }),
});

let seed = 11;
/** A fresh account per run: a new seed gives new ids (the gateway's journal remembers the last run's writes). */
async function reset(s: Record<string, unknown>) {
  seed += 1;
  await stack.control("POST", "reset", { seed, size: SEED });
  await stack.control("PUT", "switches", s);
  const f = await stack.control<{ typesWithPendingRequests: string[] }>("GET", "fixtures");
  typeId = f.typesWithPendingRequests[0] as string;
}

/** The type's pending requests as another tool sees them (the SDK's paginator). */
async function pendingNow(): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of paginateListQualificationRequests(
    { client: stack.client, pageSize: 100 },
    { QualificationTypeId: typeId },
  ))
    ids.push(...(page.QualificationRequests ?? []).map((r) => r.QualificationRequestId as string));
  return ids;
}

type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;
type Node = { id: string; qualificationRequestId: string };

async function walk(steps: Step[], directly: boolean) {
  const decidedBySomeone = new Set<string>();
  const nodes = await walkConnection<Step, Node>(
    stack,
    walkDoc,
    { t: typeId },
    (d) => d.qualificationType.requests,
    steps,
    async (st, taken, s) => {
      for (const [k, accept] of st.decide) {
        const edge = taken[k % Math.max(1, taken.length)];
        if (!edge || decidedBySomeone.has(edge.node.qualificationRequestId)) continue;
        decidedBySomeone.add(edge.node.qualificationRequestId);
        if (directly && k % 2 === 0) {
          const id = edge.node.qualificationRequestId;
          await stack.client.send(
            accept
              ? new AcceptQualificationRequestCommand({ QualificationRequestId: id })
              : new RejectQualificationRequestCommand({ QualificationRequestId: id, Reason: "no" }),
          );
        } else {
          const name = accept ? "acceptQualificationRequest" : "rejectQualificationRequest";
          const input = accept ? "AcceptQualificationRequestInput" : "RejectQualificationRequestInput";
          const r = await stack.query<any>(`mutation($i: ${input}!) { ${name}(input: $i) { __typename } }`, {
            i: { id: edge.node.id },
          });
          expect(r.data[name].__typename).toBe("DecidedQualificationRequest");
        }
      }
      if (s < 30)
        for (let i = 0; i < st.inserts; i += 1) {
          const { workerId } = await stack.control<{ workerId: string }>("POST", "workers", {});
          await stack.control("POST", `workers/${workerId}/qualification-requests`, { qualificationTypeId: typeId });
        }
    },
  );
  return nodes.map((n) => n.qualificationRequestId);
}

describe("review walks under every NextToken model, last-page token and list lag", () => {
  it("decisions through the gateway between pages: every pending request exactly once", async () => {
    await fc.assert(
      fc.asyncProperty(switches, fc.array(step, { minLength: 1, maxLength: 12 }), async (s, steps) => {
        await reset(s);
        const before = await pendingNow();
        const seen = await walk(steps, false);
        expect(new Set(seen).size, "no request twice").toBe(seen.length);
        for (const id of before) expect(seen, "every request pending at the start").toContain(id);
      }),
      { numRuns: 18 },
    );
  });

  it("decisions through the SDK too (another tool): every request that stays pending at least once", async () => {
    await fc.assert(
      fc.asyncProperty(switches, fc.array(step, { minLength: 1, maxLength: 12 }), async (s, steps) => {
        await reset(s);
        const before = await pendingNow();
        const seen = new Set(await walk(steps, true));
        const after = new Set(await pendingNow());
        for (const id of before) if (after.has(id)) expect(seen.has(id), id).toBe(true);
      }),
      { numRuns: 12 },
    );
  });
});
