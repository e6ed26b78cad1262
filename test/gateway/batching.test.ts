import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { countWaves, endOfListing, operationsOf, type Stack, startStack } from "../support/stack.js";

let stack: Stack;
let f: {
  typesWithPendingRequests: string[];
  qualificationTypeIds: string[];
  hitIds: string[];
  assignmentIdsByStatus: Record<string, string[]>;
};

const count = (ops: string[], op: string) => ops.filter((o) => o === op).length;
const lastPage = () => endOfListing(stack.simulator);

// MTurk sends a NextToken on short last pages (the default); whether also on an exactly full one is unknown.
describe.each([true, false])(
  "upstream calls and waves against MTurk's floor (tokenOnLastPage %s)",
  (tokenOnLastPage) => {
    beforeAll(async () => {
      stack = await startStack({ size: "demo", seed: 4, switches: { tokenOnLastPage } });
      f = await stack.control<typeof f>("GET", "fixtures");
    });
    // Latency makes concurrent calls overlap, so waves can be counted from the simulator's call log (100 ms: calls of
    // one wave start within a few milliseconds of each other even on a loaded machine).
    beforeEach(() => stack.control("PUT", "latency", { fixedMs: 100, jitterMs: 0 }));
    afterAll(() => stack.close());

    it("a type's requests call ListQualificationRequests only: no GetQualificationType for unselected fields", async () => {
      const { result, calls, waves } = await stack.measured(
        `query($t: String!) { qualificationType(qualificationTypeId: $t) { requests(first: 10) { edges { node { qualificationRequestId } } } } }`,
        { t: f.typesWithPendingRequests[0] },
      );
      expect(result.errors).toBeUndefined();
      expect(operationsOf(calls)).toEqual(["ListQualificationRequests"]);
      expect(waves).toBe(1);
    });

    it("listed HITs are never fetched again; one ListAssignmentsForHIT per HIT, all in one wave", async () => {
      const { result, calls, waves } = await stack.measured(`{
      hits(first: 20) { edges { node { title assignments(first: 5) { edges { node { status hit { title } worker { workerId } } } } } } }
    }`);
      expect(result.errors).toBeUndefined();
      const ops = operationsOf(calls);
      // A HIT that listed 1 to 4 assignments (fewer than asked) reads on to the end of its listing.
      const short = (result.data as any).hits.edges.filter(
        (e: any) => e.node.assignments.edges.length % 5 !== 0,
      ).length;
      expect(short).toBeGreaterThan(0);
      expect(count(ops, "ListHITs")).toBe(1);
      expect(count(ops, "ListAssignmentsForHIT")).toBe(20 + short * lastPage());
      expect(count(ops, "GetHIT")).toBe(0);
      expect(waves).toBe(2 + lastPage());
    });

    it("GetAssignment primes the HIT; repeated and aliased reads are deduplicated", async () => {
      const { calls, waves } = await stack.measured(
        `query($a: String!, $h: String!) {
        assignment(assignmentId: $a) { hit { title hitId } }
        x: hit(hitId: $h) { title } y: hit(hitId: $h) { title } z: hit(hitId: $h) { reward { formatted } }
        b1: accountBalance { availableBalance { amount } } b2: accountBalance { onHoldBalance { amount } }
      }`,
        { a: f.assignmentIdsByStatus.Submitted?.[0], h: f.hitIds[5] },
      );
      expect(operationsOf(calls)).toEqual(["GetAccountBalance", "GetAssignment", "GetHIT"]);
      expect(waves).toBe(1);
    });

    it("an entity and its links start in the same wave: GetQualificationType beside ListQualificationRequests", async () => {
      const { result, calls, waves } = await stack.measured(
        `query($t: String!) { qualificationType(qualificationTypeId: $t) { name requests(first: 50) { edges { node { qualificationRequestId } } } } }`,
        { t: f.typesWithPendingRequests[0] },
      );
      expect(result.errors).toBeUndefined();
      expect(operationsOf(calls)).toEqual(["GetQualificationType", "ListQualificationRequests"]);
      expect(waves).toBe(1);
    });

    it("selections are read as graphql executes them: a skipped field costs no Get, an included fragment does", async () => {
      const doc = `query($t: String!, $skip: Boolean!) { qualificationType(qualificationTypeId: $t) { ...Name @skip(if: $skip) requests(first: 5) { edges { cursor } } } } fragment Name on QualificationType { name }`;
      const skipped = await stack.measured(doc, { t: f.typesWithPendingRequests[0], skip: true });
      expect(operationsOf(skipped.calls)).toEqual(["ListQualificationRequests"]);
      const included = await stack.measured(doc, { t: f.typesWithPendingRequests[0], skip: false });
      expect(operationsOf(included.calls)).toEqual(["GetQualificationType", "ListQualificationRequests"]);
    });

    it("a HIT and its assignments start in the same wave: GetHIT beside ListAssignmentsForHIT", async () => {
      const { result, calls, waves } = await stack.measured(
        `query($h: String!) { hit(hitId: $h) { title assignments(first: 20, statuses: [Submitted, Approved]) { edges { node { assignmentId } } } } }`,
        { h: f.hitIds[1] },
      );
      expect(result.errors).toBeUndefined();
      const listed = (result.data as any).hit.assignments.edges.length;
      expect(listed).toBeGreaterThan(0);
      expect(listed).toBeLessThan(20);
      const more = Array(lastPage()).fill("ListAssignmentsForHIT");
      expect(operationsOf(calls)).toEqual(["GetHIT", "ListAssignmentsForHIT", ...more]);
      // The HIT and the first page in one wave; the listing's end (the empty page) after it.
      expect(waves).toBe(1 + lastPage());
      expect(countWaves(calls.filter((c) => !(c.input as any).NextToken))).toBe(1);
    });

    it("blocks of many workers cost one ListWorkerBlocks scan", async () => {
      const { result, calls, waves } = await stack.measured(
        `{ qualificationRequests(first: 60) { edges { node { worker { block { reason } } } } } }`,
      );
      expect(result.errors).toBeUndefined();
      const scan = Array(1 + lastPage()).fill("ListWorkerBlocks");
      expect(operationsOf(calls)).toEqual(["ListQualificationRequests", ...scan]);
      expect(waves).toBe(2 + lastPage());
    });

    it("many workers' qualification of one type: a ListWorkersWithQualificationType scan instead of one Get each", async () => {
      const typeId = f.qualificationTypeIds[1] as string;
      const { result, calls } = await stack.measured(
        `query($t: String!) { qualificationRequests(first: 40) { edges { node { worker { workerId qualification(qualificationTypeId: $t) { integerValue status } } } } } }`,
        { t: typeId },
      );
      expect(result.errors).toBeUndefined();
      const ops = operationsOf(calls);
      expect(count(ops, "GetQualificationScore")).toBe(0);
      // The Granted and the Revoked listing, one page each (and the empty page after each).
      expect(count(ops, "ListWorkersWithQualificationType")).toBe(2 * (1 + lastPage()));
      // The same answers as one GetQualificationScore per worker would give.
      const edges = (result.data as any).qualificationRequests.edges.slice(0, 3);
      await stack.control("PUT", "latency", { fixedMs: 0, jitterMs: 0 });
      for (const edge of edges) {
        const single = await stack.measured(
          `query($w: String!, $t: String!) { worker(workerId: $w) { qualification(qualificationTypeId: $t) { integerValue status } } }`,
          { w: edge.node.worker.workerId, t: typeId },
        );
        expect(operationsOf(single.calls)).toEqual(["GetQualificationScore"]);
        expect((single.result.data as any).worker.qualification).toEqual(edge.node.worker.qualification);
      }
    });

    it("a revoked qualification reads as Revoked without a value, the same through GetQualificationScore and the scan", async () => {
      // MTurk's GetQualificationScore refuses a revoked qualification; the type's listing knows it was revoked.
      const store = stack.simulator.store;
      const held = [...store.qualifications.values()].filter(
        (q) => store.qualificationTypes.get(q.typeId)?.owner === "caller",
      );
      const revoked = held.find((q) => q.status === "Revoked") as (typeof held)[number];
      const ofType = held.filter((q) => q.typeId === revoked.typeId && q !== revoked).slice(0, 4);
      const single = `query($w: String!, $t: String!) { worker(workerId: $w) { qualification(qualificationTypeId: $t) { workerId status integerValue grantTime } } }`;
      await stack.control("PUT", "latency", { fixedMs: 0, jitterMs: 0 });
      const one = await stack.measured(single, { w: revoked.workerId, t: revoked.typeId });
      expect(one.result.errors).toBeUndefined();
      expect(operationsOf(one.calls)).toEqual(["GetQualificationScore"]);
      expect((one.result.data as any).worker.qualification).toEqual({
        workerId: revoked.workerId,
        status: "Revoked",
        integerValue: null,
        grantTime: null,
      });
      const workers = [revoked, ...ofType].map((q) => q.workerId);
      const aliases = workers.map(
        (w, i) =>
          `w${i}: worker(workerId: "${w}") { qualification(qualificationTypeId: $t) { workerId status integerValue grantTime } }`,
      );
      const many = await stack.measured(`query($t: String!) { ${aliases.join(" ")} }`, { t: revoked.typeId });
      expect(many.result.errors).toBeUndefined();
      expect(count(operationsOf(many.calls), "GetQualificationScore")).toBe(0);
      for (const [i, w] of workers.entries()) {
        const alone = await stack.query<any>(single, { w, t: revoked.typeId });
        expect(alone.errors, w).toBeUndefined();
        expect((many.result.data as any)[`w${i}`].qualification, w).toEqual(alone.data.worker.qualification);
      }
    });

    it("first pages of requests of many types come from one unfiltered scan, with the same edges", async () => {
      const document = `{ qualificationTypes(first: 12) { edges { node { qualificationTypeId requests(first: 3) { edges { cursor node { qualificationRequestId } } pageInfo { hasNextPage endCursor } } } } } }`;
      const batched = await stack.measured(document);
      const ops = operationsOf(batched.calls);
      // 300 pending requests: 3 pages (and the empty one after the last) instead of 12 per-type calls.
      expect(count(ops, "ListQualificationTypes")).toBe(1);
      expect(count(ops, "ListQualificationRequests")).toBe(3 + lastPage());
      expect(
        batched.calls
          .filter((c) => c.operation === "ListQualificationRequests")
          .every((c) => !(c.input as any).QualificationTypeId),
      ).toBe(true);
      for (const edge of (batched.result.data as any).qualificationTypes.edges) {
        const single = await stack.query<any>(
          `query($t: String!) { qualificationType(qualificationTypeId: $t) { requests(first: 3) { edges { node { qualificationRequestId } } pageInfo { hasNextPage } } } }`,
          { t: edge.node.qualificationTypeId },
        );
        const alone = single.data?.qualificationType.requests;
        expect(edge.node.requests.edges.map((e: any) => e.node)).toEqual(alone.edges.map((e: any) => e.node));
        expect(edge.node.requests.pageInfo.hasNextPage).toBe(alone.pageInfo.hasNextPage);
        if (edge.node.requests.pageInfo.hasNextPage) {
          // A cursor from the scan-served page resumes on the per-type listing.
          const next = await stack.query<any>(
            `query($t: String!, $a: String!) { qualificationType(qualificationTypeId: $t) { requests(first: 3, after: $a) { edges { node { qualificationRequestId } } } } }`,
            { t: edge.node.qualificationTypeId, a: edge.node.requests.pageInfo.endCursor },
          );
          const truth = await stack.query<any>(
            `query($t: String!) { qualificationType(qualificationTypeId: $t) { requests(first: 6) { edges { node { qualificationRequestId } } } } }`,
            { t: edge.node.qualificationTypeId },
          );
          expect(next.data?.qualificationType.requests.edges).toEqual(
            truth.data?.qualificationType.requests.edges.slice(3),
          );
        }
      }
    });

    it("upstream concurrency stays within the configured limit", async () => {
      const limited = await startStack({ size: "demo", seed: 4, env: { MTURK_MAX_CONCURRENCY: "3" } });
      try {
        await limited.control("PUT", "latency", { fixedMs: 100, jitterMs: 0 });
        const ids = (await limited.control<{ hitIds: string[] }>("GET", "fixtures")).hitIds.slice(0, 12);
        const document = `{ ${ids.map((id, i) => `h${i}: hit(hitId: "${id}") { title }`).join(" ")} }`;
        const { calls } = await limited.measured(document);
        expect(calls).toHaveLength(12);
        // The most calls in flight at any moment (a sweep over starts and ends).
        const events = calls.flatMap((c) => [
          { at: c.start, delta: 1 },
          { at: c.end, delta: -1 },
        ]);
        events.sort((a, b) => a.at - b.at || a.delta - b.delta);
        let inFlight = 0;
        let most = 0;
        for (const e of events) {
          inFlight += e.delta;
          most = Math.max(most, inFlight);
        }
        expect(most).toBe(3);
      } finally {
        await limited.close();
      }
    });
  },
);
