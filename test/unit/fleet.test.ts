import { describe, expect, it } from "vitest";
import { accountNamespace } from "../../src/fleet/account.js";
import { decode, encode } from "../../src/fleet/json.js";
import { fleetWindow } from "../../src/fleet/rateBudget.js";

/** The fleet's pure parts; test/fleet runs the whole of it against redis-server. */
describe("fleet", () => {
  it("shared items keep their Dates; a string that looks like a date stays a string", () => {
    const item = {
      QualificationRequestId: "3R",
      SubmitTime: new Date("2026-11-01T10:00:00.123Z"),
      Answer: "2026-11-01T10:00:00.123Z",
      nested: [{ GrantTime: new Date(0), $date: "not a tag" }],
    };
    const back = decode<typeof item>(encode(item));
    expect(back).toEqual(item);
    expect(back.SubmitTime).toBeInstanceOf(Date);
    expect(typeof back.Answer).toBe("string");
  });

  it("the budget's one-second windows: the configured rate, and never more than rate + burst in a second", () => {
    expect(fleetWindow(5, 5)).toEqual({ points: 5, duration: 1 });
    expect(fleetWindow(5, 20)).toEqual({ points: 5, duration: 1 });
    expect(fleetWindow(10, 2)).toEqual({ points: 6, duration: 1 });
    expect(fleetWindow(0.5, 1)).toEqual({ points: 1, duration: 2 });
    for (const [rate, burst] of [
      [5, 5],
      [5, 20],
      [10, 2],
      [3, 1],
    ] as const) {
      const { points } = fleetWindow(rate, burst);
      expect(2 * points).toBeLessThanOrEqual(rate + burst);
    }
  });

  it("the key namespace names the account by a hash of endpoint and access key id", () => {
    const ns = accountNamespace("https://mturk-requester.us-east-1.amazonaws.com", "AKIDEXAMPLE");
    expect(ns).toMatch(/^mturk-gateway:[0-9a-f]{16}$/);
    expect(ns).not.toContain("AKIDEXAMPLE");
    expect(accountNamespace("https://mturk-requester.us-east-1.amazonaws.com", "AKIDOTHER")).not.toBe(ns);
  });
});
