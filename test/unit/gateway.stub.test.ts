import { describe, expect, it } from "vitest";
import { sdkError, stubGateway } from "../support/stubClient.js";

/** The gateway over a stub client: the core's defects as unit tests, each in milliseconds. */
const HIT_ID = "3HITSTUB00000000000000000000001";

function hitStore() {
  let expiration = new Date(Date.now() + 86_400_000);
  const hit = () => ({ HITId: HIT_ID, HITStatus: "Assignable", Title: "t", Expiration: expiration, MaxAssignments: 1 });
  return {
    GetHIT: () => ({ HIT: hit() }),
    UpdateExpirationForHIT: (input: Record<string, unknown>) => {
      expiration = input.ExpireAt as Date;
      return {};
    },
  };
}

describe("the core over a stub client", () => {
  it("one cache per entity: the second of two writes in a document reads its own result", async () => {
    const { query } = stubGateway(hitStore());
    const a = new Date(Date.now() + 200 * 86_400_000).toISOString();
    const b = new Date(Date.now() + 300 * 86_400_000).toISOString();
    const r = await query(
      `mutation($h: String!, $a: DateTime!, $b: DateTime!) {
        a: updateExpirationForHIT(input: { hitId: $h, expireAt: $a }) { ... on HITPayload { hit { expiration } } }
        b: updateExpirationForHIT(input: { hitId: $h, expireAt: $b }) { ... on HITPayload { hit { expiration } } }
      }`,
      { h: HIT_ID, a, b },
    );
    expect(r.data.a.hit.expiration).toBe(a);
    expect(r.data.b.hit.expiration).toBe(b);
  });

  it("one error path: a throttled single mutation is a typed, retryable result", async () => {
    const { query } = stubGateway({
      CreateWorkerBlock: () => {
        throw sdkError("ThrottlingException", "Rate exceeded", { $fault: "client" });
      },
    });
    const r = await query(
      `mutation { createWorkerBlock(input: { workerId: "AW1", reason: "x" }) { __typename ... on UpstreamUnavailableError { retryable operation } } }`,
    );
    expect(r.data.createWorkerBlock).toEqual({
      __typename: "UpstreamUnavailableError",
      retryable: true,
      operation: "CreateWorkerBlock",
    });
  });

  it("cursors depend on the connection and its arguments only, not on the selection", async () => {
    const blocks = Array.from({ length: 5 }, (_, i) => ({ WorkerId: `AW${i}`, Reason: "r" }));
    const { query } = stubGateway({ ListWorkerBlocks: () => ({ WorkerBlocks: blocks, NumResults: 5 }) });
    const plain = await query(`{ workerBlocks(first: 2) { pageInfo { endCursor } } }`);
    const counted = await query(`{ workerBlocks(first: 2) { totalCount pageInfo { endCursor } } }`);
    expect(counted.data.workerBlocks.totalCount).toBe(5);
    expect(plain.data.workerBlocks.pageInfo.endCursor).toBe(counted.data.workerBlocks.pageInfo.endCursor);
  });

  it("an entity and its first page start in one wave", async () => {
    const events: string[] = [];
    const { query } = stubGateway({
      GetQualificationType: async () => {
        events.push("get started");
        await new Promise((r) => setTimeout(r, 20));
        events.push("get answered");
        return { QualificationType: { QualificationTypeId: "3T", Name: "n" } };
      },
      ListQualificationRequests: async () => {
        events.push("list started");
        return { QualificationRequests: [], NumResults: 0 };
      },
    });
    const r = await query(
      `{ qualificationType(qualificationTypeId: "3T") { name requests(first: 5) { edges { cursor } } } }`,
    );
    expect(r.errors).toBeUndefined();
    expect(events.indexOf("list started")).toBeLessThan(events.indexOf("get answered"));
  });

  it.each([
    ["DuplicateRequest", { TurkErrorCode: "AWS.MechanicalTurk.DuplicateRequest" }],
    ["a message", {}],
    ["nothing useful", {}],
  ])("a bonus whose token MTurk answers with %s is read back and reported paid once", async (_kind, extra) => {
    const paid: Record<string, unknown>[] = [];
    const { query, calls } = stubGateway({
      SendBonus: (input) => {
        if (paid.length) {
          const message =
            _kind === "a message"
              ? `The idempotency token "${input.UniqueRequestToken}" has already been processed.`
              : "Your request could not be processed.";
          throw sdkError("RequestError", message, extra);
        }
        paid.push({ ...input, GrantTime: new Date() });
        // The answer is lost after MTurk paid.
        throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
      },
      ListBonusPayments: () => ({ BonusPayments: paid, NumResults: paid.length }),
    });
    const doc = `mutation { sendBonus(input: { workerId: "AW1", assignmentId: "3A", bonusAmount: "1.00", reason: "r", idempotencyKey: "k" }) { __typename ... on BonusPaid { alreadyProcessed } } }`;
    expect((await query(doc)).data.sendBonus).toEqual({ __typename: "BonusPaid", alreadyProcessed: true });
    expect((await query(doc)).data.sendBonus).toEqual({ __typename: "BonusPaid", alreadyProcessed: true });
    expect(paid).toHaveLength(1);
    expect(calls.filter((c) => c.operation === "ListBonusPayments").length).toBeGreaterThan(0);
  });

  it("asOf is the mirror's read of the listing when a count comes from it, whatever the order of the fields", async () => {
    const blocks = [{ WorkerId: "AW1", Reason: "r" }];
    const { query } = stubGateway(
      { ListWorkerBlocks: () => ({ WorkerBlocks: blocks, NumResults: 1 }) },
      { MIRROR_MAX_AGE_MS: "60000" },
    );
    await query(`{ workerBlocks(first: 1) { totalCount } }`);
    await new Promise((r) => setTimeout(r, 30));
    const counted = await query(`{ workerBlocks(first: 1) { asOf totalCount } }`);
    const plain = await query(`{ workerBlocks(first: 1) { asOf } }`);
    expect(Date.parse(counted.data.workerBlocks.asOf)).toBeLessThanOrEqual(Date.now() - 30);
    expect(Date.parse(plain.data.workerBlocks.asOf)).toBeGreaterThan(Date.parse(counted.data.workerBlocks.asOf));
  });
});
