import { describe, expect, it } from "vitest";
import { qualificationsByWorker, StrategyHints, scanWithBudget } from "../../src/mturk/strategies.js";

/** Set-based strategies and sorted listings in process. */
const pagesOf =
  <T>(items: T[], size = 100) =>
  (token: string | undefined) => {
    const start = Number(token ?? 0);
    const next = start + size < items.length ? String(start + size) : undefined;
    return Promise.resolve({ items: items.slice(start, start + size), nextToken: next });
  };

describe("strategies", () => {
  it("a scan that does not fit its budget is cut off, remembered, and not tried again", async () => {
    const hints = new StrategyHints();
    let calls = 0;
    const items = Array.from({ length: 450 }, (_, i) => i);
    const run = () =>
      scanWithBudget(hints, "L", 3, (pages) =>
        pages((token) => {
          calls += 1;
          return pagesOf(items)(token);
        }),
      );
    expect(await run()).toBeUndefined();
    expect(calls).toBe(3);
    expect(await run()).toBeUndefined();
    expect(calls).toBe(3);
  });

  it("many workers of one type: two scans instead of a Get each, when they fit", async () => {
    const held = Array.from({ length: 30 }, (_, i) => ({ WorkerId: `AW${i}`, Status: "Granted" }));
    const gets: string[] = [];
    const keys = held.slice(0, 10).map((q) => `3T|${q.WorkerId}`);
    const result = await qualificationsByWorker(keys, {
      hints: new StrategyHints(),
      threshold: 4,
      listPage: (_t, status, token) => pagesOf(status === "Granted" ? held : [])(token),
      get: async (_t, w) => {
        gets.push(w);
        return null;
      },
    });
    expect(gets).toEqual([]);
    expect(result.map((q) => (q as { WorkerId: string }).WorkerId)).toEqual(held.slice(0, 10).map((q) => q.WorkerId));
  });
});

describe("scanning all pending requests", () => {
  it("the first scan reads page after page; the next reads each type's listing in parallel", async () => {
    const { pendingRequestsOfAllTypes } = await import("../../src/mturk/strategies.js");
    const types = ["3T1", "3T2", "3T3"];
    const requests = Array.from({ length: 900 }, (_, i) => ({
      QualificationRequestId: `R${String(i).padStart(4, "0")}`,
      QualificationTypeId: types[i % 3] as string,
      SubmitTime: new Date(1_700_000_000_000 + i * 1000),
    }));
    const hints = new StrategyHints();
    const log: string[] = [];
    const deps = {
      hints,
      listTypes: async () => {
        log.push("types");
        return { items: types.map((QualificationTypeId) => ({ QualificationTypeId })), complete: true };
      },
      listPage: (typeId: string | undefined, token: string | undefined) => {
        log.push(typeId ?? "all");
        return pagesOf(requests.filter((r) => !typeId || r.QualificationTypeId === typeId))(token);
      },
    };
    const first = await pendingRequestsOfAllTypes(deps);
    expect(log).toEqual(Array(9).fill("all"));
    log.length = 0;
    const second = await pendingRequestsOfAllTypes(deps);
    expect(log.filter((l) => l === "all")).toEqual([]);
    expect(log.filter((l) => l.startsWith("3T")).length).toBe(9);
    expect(second).toEqual(first);
  });
});
