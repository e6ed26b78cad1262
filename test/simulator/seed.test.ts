import { GetHITCommand, ListHITsForQualificationTypeCommand } from "@aws-sdk/client-mturk";
import { describe, expect, it } from "vitest";
import { seedCounts } from "../../src/simulator/seed.js";
import { Simulator } from "../../src/simulator/server.js";
import { startSdkPair } from "../support/sdk.js";

type Fixtures = {
  qualificationTypeIds: string[];
  hitIds: string[];
  workerIds: string[];
  pendingRequestCount: number;
  autoGrantedTypeIds: string[];
  inactiveTypeIds: string[];
  blockedWorkerIds: string[];
  assignmentIdsByStatus: Record<string, string[]>;
};

describe("seed data", () => {
  it("is deterministic for a seed and a size, and differs across seeds", async () => {
    const ids = (sim: Simulator) => [...sim.store.hits.keys(), ...sim.store.qualificationRequests.keys()];
    const a = new Simulator({ seed: 11, size: "tiny" });
    const b = new Simulator({ seed: 11, size: "tiny" });
    const c = new Simulator({ seed: 12, size: "tiny" });
    expect(ids(a)).toEqual(ids(b));
    expect(ids(a)).not.toEqual(ids(c));
  });

  it("covers every kind of record the demo needs", async () => {
    const pair = await startSdkPair("demo", 1);
    try {
      const f = await pair.control<Fixtures>("GET", "fixtures");
      expect(f.pendingRequestCount).toBe(seedCounts("demo").pendingRequests);
      expect(f.hitIds).toHaveLength(seedCounts("demo").hits);
      expect(f.autoGrantedTypeIds.length).toBeGreaterThan(0);
      expect(f.inactiveTypeIds.length).toBeGreaterThan(0);
      expect(f.blockedWorkerIds.length).toBeGreaterThan(0);
      for (const status of ["Accepted", "Submitted", "Approved", "Rejected", "Returned", "Abandoned"])
        expect(f.assignmentIdsByStatus[status]?.length, status).toBeGreaterThan(0);
      // HITs reference system types as well as the requester's own.
      const requirementTypes = [...pair.simulator.store.hitTypes.values()].flatMap((t) =>
        t.qualificationRequirements.map((r) => r.QualificationTypeId),
      );
      expect(requirementTypes).toContain("00000000000000000071");
    } finally {
      await pair.close();
    }
  });

  it("has the large size the benchmarks need", () => {
    const large = new Simulator({ size: "large" });
    expect(large.store.hits.size).toBeGreaterThanOrEqual(2000);
    expect(
      [...large.store.qualificationRequests.values()].filter((r) => r.status === "Pending").length,
    ).toBeGreaterThanOrEqual(10_000);
  });

  it("has a huge size for benchmarks: 20,000 HITs, 200,000 assignments, mostly submitted or approved", () => {
    const huge = new Simulator({ size: "huge" });
    const store = huge.store;
    expect(store.hits.size).toBeGreaterThanOrEqual(20_000);
    const records = [...store.assignmentsByHit.values()].flat();
    expect(records.length).toBeGreaterThanOrEqual(200_000);
    const worked = records.filter((a) => a.status === "Submitted" || a.status === "Approved");
    expect(worked.length / records.length).toBeGreaterThan(0.5);
    expect(worked.every((a) => a.answer?.includes("<QuestionFormAnswers"))).toBe(true);
    expect(store.bonuses.length).toBeGreaterThan(10_000);
  });

  it("holds a HIT shaped like the legacy example (seeds/004), field for field over the SDK", async () => {
    const pair = await startSdkPair("tiny", 5);
    try {
      const f = await pair.control<Fixtures>("GET", "fixtures");
      const { HIT } = await pair.client.send(new GetHITCommand({ HITId: f.hitIds[0] }));
      expect(HIT).toMatchObject({
        Title: "Location and Photograph Identification",
        Description: "Select the image that best represents...",
        Keywords: "location, photograph, image, identification, opinion",
        Reward: "0.25",
        MaxAssignments: 5,
        AutoApprovalDelayInSeconds: 86400,
        AssignmentDurationInSeconds: 300,
        HITReviewStatus: "NotReviewed",
        QualificationRequirements: [
          { QualificationTypeId: f.qualificationTypeIds[0], Comparator: "GreaterThan", IntegerValues: [18] },
        ],
      });
      expect((HIT?.Expiration?.getTime() ?? 0) - (HIT?.CreationTime?.getTime() ?? 0)).toBe(86_400_000);
      const listed = await pair.client.send(
        new ListHITsForQualificationTypeCommand({ QualificationTypeId: f.qualificationTypeIds[0] }),
      );
      expect(listed.HITs?.[0]).toEqual(HIT);
    } finally {
      await pair.close();
    }
  });
});
