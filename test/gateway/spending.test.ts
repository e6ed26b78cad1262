import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../src/security/auth.js";
import { type Stack, startStack } from "../support/stack.js";
import { hitWithSubmissions, KEYED_ERRORS, runOk } from "../support/work.js";

/** Cost before paying: estimates, HIT.cost and dry runs that send no write. */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ size: "tiny", seed: 41 });
});
afterAll(() => stack.close());

const DRY = `... on DryRunCost { cost { assignments rewards { amount } bonuses { amount } fee { amount } total { amount } } availableBalance { amount } balanceAfter { amount } sufficientFunds }`;
const isWrite = (operation: string) => !/^(Get|List)/.test(operation);
const balance = async () =>
  Number(
    (await runOk(stack, "{ accountBalance { availableBalance { amount } } }")).accountBalance.availableBalance.amount,
  );

async function dryRunOf(document: string, variables: Record<string, unknown>) {
  const { result, calls } = await stack.measured<any>(document, variables);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  expect(calls.map((c) => c.operation).filter(isWrite)).toEqual([]);
  return Object.values(result.data as object)[0] as any;
}

describe("estimates", () => {
  it("estimateCost prices rewards and bonuses with MTurk's fee", async () => {
    const data = await runOk(
      stack,
      `{ a: estimateCost(input: { reward: "0.25", maxAssignments: 9 }) { assignments rewards { amount } fee { amount } total { formatted } }
         b: estimateCost(input: { reward: "0.01", maxAssignments: 10, bonuses: ["1.00", "0.01"] }) { rewards { amount } bonuses { amount } fee { amount } total { amount } } }`,
    );
    expect(data.a).toEqual({
      assignments: 9,
      rewards: { amount: "2.25" },
      fee: { amount: "0.45" },
      total: { formatted: "$2.70" },
    });
    expect(data.b).toEqual({
      rewards: { amount: "0.10" },
      bonuses: { amount: "1.01" },
      fee: { amount: "0.31" },
      total: { amount: "1.42" },
    });
  });

  it("refuses amounts that are not USD", async () => {
    const result = await stack.query(`{ estimateCost(input: { reward: "1.234" }) { total { amount } } }`);
    expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("HIT.cost is every assignment approved", async () => {
    const { hitId } = await hitWithSubmissions(stack, 0, "spending-cost", 12);
    const data = await runOk(
      stack,
      `query($h: String!) { hit(hitId: $h) { cost { assignments rewards { amount } fee { amount } total { amount } } } }`,
      { h: hitId },
    );
    expect(data.hit.cost).toEqual({
      assignments: 12,
      rewards: { amount: "6.00" },
      fee: { amount: "2.40" },
      total: { amount: "8.40" },
    });
  });
});

describe("dry runs", () => {
  const createHIT = `mutation($i: CreateHITInput!) { createHIT(input: $i) { __typename ${DRY} ... on CreatedHITPayload { hit { hitId } } ${KEYED_ERRORS} } }`;
  const hitInput = {
    title: "Dry",
    description: "d",
    reward: "0.50",
    lifetimeInSeconds: 3600,
    assignmentDurationInSeconds: 600,
    maxAssignments: 3,
    question: "<HTMLQuestion><HTMLContent>x</HTMLContent></HTMLQuestion>",
    idempotencyKey: "dry-create",
  };

  it("createHIT: the cost and the balance after, no HIT created; without dryRun it creates as before", async () => {
    const before = await balance();
    const dry = await dryRunOf(createHIT, { i: { ...hitInput, dryRun: true } });
    expect(dry.__typename).toBe("DryRunCost");
    expect(dry.cost.total.amount).toBe("1.80");
    expect(Number(dry.availableBalance.amount)).toBe(before);
    expect(Number(dry.balanceAfter.amount)).toBeCloseTo(before - 1.8, 2);
    expect(dry.sufficientFunds).toBe(true);
    const real = await runOk(stack, createHIT, { i: hitInput });
    expect(real.createHIT.__typename).toBe("CreatedHITPayload");
  });

  it("createHITWithHITType reads the type's reward from one of its HITs; createAdditionalAssignmentsForHIT from the HIT", async () => {
    const { hitId } = await hitWithSubmissions(stack, 0, "spending-type", 12);
    const { hit } = await runOk(stack, `query($h: String!) { hit(hitId: $h) { hitTypeId } }`, { h: hitId });
    const withType = await dryRunOf(
      `mutation($i: CreateHITWithHITTypeInput!) { createHITWithHITType(input: $i) { __typename ${DRY} } }`,
      {
        i: {
          hitTypeId: hit.hitTypeId,
          lifetimeInSeconds: 3600,
          maxAssignments: 2,
          question: "<HTMLQuestion>x</HTMLQuestion>",
          idempotencyKey: "dry-type",
          dryRun: true,
        },
      },
    );
    expect(withType.cost).toMatchObject({ assignments: 2, total: { amount: "1.20" } });
    const more = await dryRunOf(
      `mutation($i: CreateAdditionalAssignmentsForHITInput!) { createAdditionalAssignmentsForHIT(input: $i) { __typename ${DRY} } }`,
      { i: { hitId, numberOfAdditionalAssignments: 3, idempotencyKey: "dry-more", dryRun: true } },
    );
    // 12 + 3 assignments: 40 % fee.
    expect(more.cost).toMatchObject({ assignments: 3, rewards: { amount: "1.50" }, fee: { amount: "0.60" } });
  });

  it("approvals and bonuses: only what would be paid is counted, and nothing is paid", async () => {
    const { hitId, submissions } = await hitWithSubmissions(stack, 3, "spending-approve", 5);
    const [first, second] = submissions as [(typeof submissions)[0], (typeof submissions)[0]];
    const before = await balance();
    const one = await dryRunOf(
      `mutation($i: ApproveAssignmentInput!) { approveAssignment(input: $i) { __typename ${DRY} } }`,
      { i: { assignmentId: first.assignmentId, dryRun: true } },
    );
    expect(one.cost.total.amount).toBe("0.60");
    const all = await dryRunOf(
      `mutation($i: ApproveAssignmentsInput!) { approveAssignments(input: $i) { __typename ${DRY} } }`,
      { i: { select: { hitId }, dryRun: true } },
    );
    expect(all.cost).toMatchObject({ assignments: 3, total: { amount: "1.80" } });
    const bonuses = await dryRunOf(`mutation($i: SendBonusesInput!) { sendBonuses(input: $i) { __typename ${DRY} } }`, {
      i: {
        idempotencyKey: "dry-bonus",
        dryRun: true,
        items: [
          { workerId: second.workerId, assignmentId: second.assignmentId, bonusAmount: "0.03", reason: "r" },
          { workerId: first.workerId, assignmentId: first.assignmentId, bonusAmount: "2.00", reason: "r" },
        ],
      },
    });
    expect(bonuses.cost).toMatchObject({
      bonuses: { amount: "2.03" },
      fee: { amount: "0.41" },
      total: { amount: "2.44" },
    });
    const single = await dryRunOf(`mutation($i: SendBonusInput!) { sendBonus(input: $i) { __typename ${DRY} } }`, {
      i: {
        workerId: first.workerId,
        assignmentId: first.assignmentId,
        bonusAmount: "1.00",
        reason: "r",
        idempotencyKey: "dry-one",
        dryRun: true,
      },
    });
    expect(single.cost.total.amount).toBe("1.20");
    expect(await balance()).toBe(before);
    // Approved once, an assignment costs nothing more.
    await runOk(stack, `mutation($a: String!) { approveAssignment(input: { assignmentId: $a }) { __typename } }`, {
      a: first.assignmentId,
    });
    const again = await dryRunOf(
      `mutation($i: ApproveAssignmentInput!) { approveAssignment(input: $i) { __typename ${DRY} } }`,
      { i: { assignmentId: first.assignmentId, dryRun: true } },
    );
    expect(again.cost.total.amount).toBe("0.00");
  });

  it("inputs and result unions keep their names: existing clients are unaffected", async () => {
    const schema = (await import("../../src/schema/index.js")).schema;
    const field = schema.getMutationType()?.getFields().sendBonus;
    expect(field?.args[0]?.type.toString()).toBe("SendBonusInput!");
    expect(String(schema.getType("MutationSendBonusResult")?.toString())).toBe("MutationSendBonusResult");
  });

  it("shows the balance only to a key with read", async () => {
    const keys = [{ name: "payer", sha256: hashApiKey("payer-key-0001"), scopes: ["write", "pay"] }];
    const secured = await startStack({ size: "tiny", seed: 42, env: { AUTH_API_KEYS: JSON.stringify(keys) } });
    try {
      const response = await secured.yoga.fetch("http://gateway.test/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": "payer-key-0001" },
        body: JSON.stringify({
          query: `mutation { createHIT(input: { title: "t", description: "d", reward: "1.00", lifetimeInSeconds: 60, assignmentDurationInSeconds: 60, question: "<HTMLQuestion>x</HTMLQuestion>", idempotencyKey: "k", dryRun: true }) { __typename ${DRY} } }`,
        }),
      });
      const body = (await response.json()) as any;
      expect(body.errors?.map((e: any) => e.extensions?.code)).toContain("FORBIDDEN");
      expect(JSON.stringify(body.data)).not.toContain("availableBalance");
    } finally {
      await secured.close();
    }
  });
});
