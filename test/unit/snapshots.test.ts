import { describe, expect, it } from "vitest";
import { scopes } from "../../src/mturk/listings.js";
import { SnapshotCache } from "../../src/mturk/snapshots.js";

/** The snapshot cache in process: bounds, sharing and the journal of the gateway's own writes. */
describe("SnapshotCache", () => {
  it("3,000 distinct empty listings keep at most maxEntries snapshots", async () => {
    const cache = new SnapshotCache({ ttlMs: 60_000, maxItems: 200_000, maxEntries: 100 });
    for (let i = 0; i < 3_000; i += 1)
      await cache.get(scopes.types({ query: `q${i}-${"x".repeat(200)}`, mustBeRequestable: false }), async () => []);
    expect(cache.size.entries).toBeLessThanOrEqual(100);
    expect(cache.size.items).toBeLessThanOrEqual(100);
  });

  it("expired snapshots are swept when another is stored, and an expired one is scanned again", async () => {
    const cache = new SnapshotCache({ ttlMs: 5, maxItems: 1_000 });
    let scans = 0;
    const scan = async () => {
      scans += 1;
      return [{ WorkerId: "A1" }];
    };
    await cache.get(scopes.blocks(), scan);
    await cache.get(scopes.blocks(), scan);
    expect(scans).toBe(1);
    await new Promise((r) => setTimeout(r, 10));
    await cache.get(scopes.hits(), async () => []);
    expect(cache.size.entries).toBe(1);
    await cache.get(scopes.blocks(), scan);
    expect(scans).toBe(2);
  });

  it("concurrent gets share one scan; a recorded write shows in the next read without a scan", async () => {
    const cache = new SnapshotCache({ ttlMs: 60_000, maxItems: 1_000 });
    let scans = 0;
    const scan = async () => {
      scans += 1;
      await new Promise((r) => setTimeout(r, 5));
      return [
        { WorkerId: "A1", Reason: "x" },
        { WorkerId: "A2", Reason: "y" },
      ];
    };
    const [a, b] = await Promise.all([cache.get(scopes.blocks(), scan), cache.get(scopes.blocks(), scan)]);
    expect(scans).toBe(1);
    expect(a).toEqual(b);
    cache.record([
      { operation: "ListWorkerBlocks", id: "A1", change: { kind: "remove" }, at: Date.now() },
      {
        operation: "ListWorkerBlocks",
        id: "A3",
        change: { kind: "insert", item: { WorkerId: "A3", Reason: "z" } },
        at: Date.now(),
      },
    ]);
    const after = await cache.get(scopes.blocks(), scan);
    expect(scans).toBe(1);
    expect(after.map((b) => (b as { WorkerId: string }).WorkerId)).toEqual(["A2", "A3"]);
  });
});
