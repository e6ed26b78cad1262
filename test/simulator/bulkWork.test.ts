import { CreateHITCommand, ListAssignmentsForHITCommand, paginateListAssignmentsForHIT } from "@aws-sdk/client-mturk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SdkPair, startSdkPair } from "../support/sdk.js";

/** POST /_simulator/hits/:id/submissions: many workers submit at once (exports and benchmarks). */
let pair: SdkPair;
beforeAll(async () => {
  pair = await startSdkPair("empty");
});
afterAll(() => pair.close());

const createHit = async (MaxAssignments: number) =>
  (
    await pair.client.send(
      new CreateHITCommand({
        Title: "Bulk",
        Description: "d",
        Reward: "0.01",
        LifetimeInSeconds: 3600,
        AssignmentDurationInSeconds: 600,
        MaxAssignments,
        Question: "<HTMLQuestion>q</HTMLQuestion>",
      }),
    )
  ).HIT?.HITId as string;

describe("bulk submissions", () => {
  it("makes listable, submitted assignments of distinct new workers, with numbered or given answers", async () => {
    const hitId = await createHit(2500);
    const result = await pair.control<{ submitted: number }>("POST", `hits/${hitId}/submissions`, { count: 2400 });
    expect(result.submitted).toBe(2400);
    const listed = [];
    for await (const page of paginateListAssignmentsForHIT({ client: pair.client, pageSize: 100 }, { HITId: hitId }))
      listed.push(...(page.Assignments ?? []));
    expect(listed).toHaveLength(2400);
    expect(new Set(listed.map((a) => a.WorkerId)).size).toBe(2400);
    expect(listed.every((a) => a.AssignmentStatus === "Submitted")).toBe(true);
    expect(listed[0]?.Answer).toContain("<QuestionIdentifier>q1</QuestionIdentifier>");
    await pair.control("POST", `hits/${hitId}/submissions`, { count: 2, answers: ["<a/>"] });
    const last = await pair.client.send(new ListAssignmentsForHITCommand({ HITId: hitId, MaxResults: 100 }));
    expect(last.NumResults).toBe(100);
  });

  it("refuses more submissions than the HIT has assignments available", async () => {
    const hitId = await createHit(3);
    await expect(pair.control("POST", `hits/${hitId}/submissions`, { count: 4 })).rejects.toThrow(/available/);
  });
});
