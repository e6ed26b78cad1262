import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { estimate, feeCents, toCents } from "../../src/money/fees.js";
import { feeCents as simulatorFee } from "../../src/simulator/store.js";

describe("MTurk's fee", () => {
  it("is the simulator's, to the cent, for every reward and bonus up to $1,000", () => {
    for (let cents = 1; cents <= 100_000; cents += 1)
      for (const max of [1, 9, 10, 50]) expect(feeCents(cents, max)).toBe(simulatorFee(cents, max));
  });

  it("follows the published rule: 20 %, 40 % from 10 assignments, at least a cent", () => {
    expect(feeCents(100)).toBe(20);
    expect(feeCents(100, 10)).toBe(40);
    expect(feeCents(1)).toBe(1);
    expect(feeCents(1, 10)).toBe(1);
    expect(feeCents(15)).toBe(3);
    expect(feeCents(0)).toBe(0);
  });

  it("prices a HIT by its assignments and bonuses one by one", () => {
    expect(estimate({ rewardCents: 25, maxAssignments: 9 })).toEqual({
      assignments: 9,
      rewards: 225,
      bonuses: 0,
      fee: 45,
      total: 270,
    });
    expect(estimate({ rewardCents: 1, maxAssignments: 12, bonusCents: [1, 250] })).toEqual({
      assignments: 12,
      rewards: 12,
      bonuses: 251,
      fee: 12 + 1 + 50,
      total: 12 + 251 + 63,
    });
    expect(toCents("0.29")).toBe(29);
    expect(toCents("1.1")).toBe(110);
  });

  it("never charges less than 20 % nor less than a cent per payment", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 1, max: 100 }), (cents, max) => {
        const fee = feeCents(cents, max);
        expect(fee).toBeGreaterThanOrEqual(Math.max(1, cents * (max >= 10 ? 0.4 : 0.2)));
        expect(fee).toBeLessThan(Math.max(1, cents * (max >= 10 ? 0.4 : 0.2)) + 1);
      }),
    );
  });
});
