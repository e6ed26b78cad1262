import {
  ApproveAssignmentCommand,
  type Assignment,
  CreateHITCommand,
  type HIT,
  ListAssignmentsForHITCommand,
  ListBonusPaymentsCommand,
  ListHITsCommand,
  ListQualificationRequestsCommand,
  type MTurkClient,
  type QualificationRequest,
  RejectAssignmentCommand,
  SendBonusCommand,
} from "@aws-sdk/client-mturk";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";
import { runOk, submitWork } from "../support/work.js";

/**
 * After any sequence of changes (work submitted, reviewed and paid on MTurk itself and through the gateway, new HITs,
 * new requests), the mirror's answers equal MTurk's ground truth read through the SDK.
 */

async function scan<T>(page: (token?: string) => Promise<{ items?: T[]; NextToken?: string }>): Promise<T[]> {
  const all: T[] = [];
  let token: string | undefined;
  do {
    const r = await page(token);
    all.push(...(r.items ?? []));
    token = r.items?.length ? r.NextToken : undefined;
  } while (token);
  return all;
}

/** MTurk's truth, through the SDK: every listed HIT, pending request, and each HIT's work and bonuses. */
async function truth(sdk: MTurkClient) {
  const hits = await scan<HIT>(async (NextToken) => {
    const r = await sdk.send(new ListHITsCommand({ NextToken, MaxResults: 100 }));
    return { items: r.HITs, NextToken: r.NextToken };
  });
  const requests = await scan<QualificationRequest>(async (NextToken) => {
    const r = await sdk.send(new ListQualificationRequestsCommand({ NextToken, MaxResults: 100 }));
    return { items: r.QualificationRequests, NextToken: r.NextToken };
  });
  const work: Assignment[] = [];
  let bonusCents = new Map<string, number>();
  for (const hit of hits) {
    work.push(
      ...(await scan<Assignment>(async (NextToken) => {
        const r = await sdk.send(new ListAssignmentsForHITCommand({ HITId: hit.HITId, NextToken, MaxResults: 100 }));
        return { items: r.Assignments, NextToken: r.NextToken };
      })),
    );
    const bonuses = await sdk.send(new ListBonusPaymentsCommand({ HITId: hit.HITId, MaxResults: 100 }));
    for (const b of bonuses.BonusPayments ?? [])
      bonusCents = bonusCents.set(
        b.WorkerId as string,
        (bonusCents.get(b.WorkerId as string) ?? 0) + Math.round(Number(b.BonusAmount) * 100),
      );
  }
  return { hits, requests, work, bonusCents };
}

/** Waits for a pass of the background sync that began after now to have read every unit. */
async function nextPass(stack: Stack) {
  const since = Date.now();
  for (let i = 0; i < 400; i += 1) {
    const { mirror } = await runOk(stack, `{ mirror { units { unit syncedAt } } }`);
    const read = (unit: string) =>
      Date.parse(mirror.units.find((u: { unit: string }) => u.unit === unit)?.syncedAt ?? "") >= since;
    if (["work", "recheck", "requests"].every(read)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("no pass of the background sync read the account in 10 s");
}

type Action =
  | { kind: "submit"; hit: number }
  | { kind: "approveOnMTurk" | "rejectOnMTurk" | "approveHere" | "bonusOnMTurk" | "bonusHere"; pick: number }
  | { kind: "newHit" }
  | { kind: "request"; type: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant("submit" as const), hit: fc.nat() }),
  fc.record({
    kind: fc.constantFrom(
      "approveOnMTurk" as const,
      "rejectOnMTurk" as const,
      "approveHere" as const,
      "bonusOnMTurk" as const,
      "bonusHere" as const,
    ),
    pick: fc.nat(),
  }),
  fc.record({ kind: fc.constant("newHit" as const) }),
  fc.record({ kind: fc.constant("request" as const), type: fc.nat() }),
);

describe.each(["keyset", "offset", "page"] as const)(
  "the mirror against MTurk's ground truth (paging %s)",
  (paging) => {
    let stack: Stack;
    let fixtures: { typesWithPendingRequests: string[] };
    let key = 0;
    const ours = new Set<string>();
    /** A HIT on MTurk itself (not through the gateway), open to any worker. */
    async function newHit() {
      const r = await stack.client.send(
        new CreateHITCommand({
          Title: "Truth",
          Description: "A HIT made on MTurk",
          Reward: "0.20",
          AssignmentDurationInSeconds: 600,
          LifetimeInSeconds: 3600,
          MaxAssignments: 4,
          Question: "<HTMLQuestion><HTMLContent>x</HTMLContent></HTMLQuestion>",
        }),
      );
      ours.add(r.HIT?.HITId as string);
    }
    beforeAll(async () => {
      // The background sync is what is under test: reads answer from the mirror as it is (a long MIRROR_MAX_AGE_MS);
      // each pass also reads again every HIT whose counters did not change (a bonus paid on MTurk changes none).
      stack = await startStack({
        size: "tiny",
        seed: 43,
        switches: { paging },
        env: { MIRROR_MAX_AGE_MS: "600000", MIRROR_SYNC_INTERVAL_MS: "20", MIRROR_RECHECKS_PER_PASS: "1000" },
      });
      fixtures = await stack.control("GET", "fixtures");
      for (let i = 0; i < 3; i += 1) await newHit();
    });
    afterAll(() => stack.close());

    async function run(a: Action) {
      const store = stack.simulator.store;
      // HITs anyone may accept: those this test made (the seed's require qualifications new workers lack).
      const open = [...store.hits.values()].filter((h) => ours.has(h.id) && store.hitStatus(h) === "Assignable");
      const submitted = [...store.assignments.values()].filter((x) => x.status === "Submitted");
      const target = "pick" in a ? submitted[a.pick % Math.max(1, submitted.length)] : undefined;
      const sdk = stack.client;
      switch (a.kind) {
        case "submit":
          if (open.length) await submitWork(stack, (open[a.hit % open.length] as { id: string }).id);
          return;
        case "approveOnMTurk":
          if (target) await sdk.send(new ApproveAssignmentCommand({ AssignmentId: target.id }));
          return;
        case "rejectOnMTurk":
          if (target) await sdk.send(new RejectAssignmentCommand({ AssignmentId: target.id, RequesterFeedback: "no" }));
          return;
        case "approveHere":
          if (target)
            await runOk(
              stack,
              `mutation($a: String!) { approveAssignment(input: { assignmentId: $a }) { __typename } }`,
              {
                a: target.id,
              },
            );
          return;
        case "bonusOnMTurk":
          if (target)
            await sdk.send(
              new SendBonusCommand({
                WorkerId: target.workerId,
                AssignmentId: target.id,
                BonusAmount: "0.30",
                Reason: "x",
              }),
            );
          return;
        case "bonusHere":
          key += 1;
          if (target)
            await runOk(stack, `mutation($i: SendBonusInput!) { sendBonus(input: $i) { __typename } }`, {
              i: {
                workerId: target.workerId,
                assignmentId: target.id,
                bonusAmount: "0.45",
                reason: "y",
                idempotencyKey: `p${key}`,
              },
            });
          return;
        case "newHit":
          await newHit();
          return;
        case "request": {
          const types = fixtures.typesWithPendingRequests;
          const { workerId } = await stack.control<{ workerId: string }>("POST", "workers", {});
          await stack.control("POST", `workers/${workerId}/qualification-requests`, {
            qualificationTypeId: types[a.type % types.length],
          });
        }
      }
    }

    it("sorted lists, totals and every worker's history equal what MTurk lists", async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 8 }), async (actions) => {
          for (const a of actions) await run(a);
          await nextPass(stack);
          const real = await truth(stack.client);
          const mirrored = await runOk(
            stack,
            `{ hits(orderBy: { field: CREATION_TIME, direction: DESC }, first: 1000) { totalCount edges { node { hitId status numberOfAssignmentsCompleted } } }
             qualificationRequests(orderBy: { field: SUBMIT_TIME }, first: 1000) { totalCount edges { node { qualificationRequestId } } } }`,
          );
          const byCreation = [...real.hits].sort(
            (x, y) =>
              (y.CreationTime?.getTime() ?? 0) - (x.CreationTime?.getTime() ?? 0) ||
              ((x.HITId ?? "") < (y.HITId ?? "") ? -1 : 1),
          );
          expect(mirrored.hits.edges.map((e: any) => e.node.hitId)).toEqual(byCreation.map((h) => h.HITId));
          expect(mirrored.hits.edges.map((e: any) => e.node.numberOfAssignmentsCompleted)).toEqual(
            byCreation.map((h) => h.NumberOfAssignmentsCompleted),
          );
          expect(new Set(mirrored.qualificationRequests.edges.map((e: any) => e.node.qualificationRequestId))).toEqual(
            new Set(real.requests.map((r) => r.QualificationRequestId)),
          );
          expect(mirrored.qualificationRequests.totalCount).toBe(real.requests.length);
          const workers = [...new Set(real.work.map((w) => w.WorkerId as string))];
          for (const workerId of workers) {
            const mine = real.work.filter((w) => w.WorkerId === workerId);
            const { worker } = await runOk(
              stack,
              `query($w: String!) { worker(workerId: $w) { stats { submitted pending approved rejected bonusTotal { amount } } } }`,
              { w: workerId },
            );
            const n = (s: string) => mine.filter((w) => w.AssignmentStatus === s).length;
            expect(worker.stats, workerId).toEqual({
              submitted: mine.length,
              pending: n("Submitted"),
              approved: n("Approved"),
              rejected: n("Rejected"),
              bonusTotal: { amount: ((real.bonusCents.get(workerId) ?? 0) / 100).toFixed(2) },
            });
          }
        }),
        { numRuns: 5 },
      );
    }, 120_000);
  },
);
