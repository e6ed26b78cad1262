import {
  CreateQualificationTypeCommand,
  ListQualificationRequestsCommand,
  paginateListQualificationRequests,
} from "@aws-sdk/client-mturk";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SdkPair, startSdkPair } from "../support/sdk.js";

let pair: SdkPair;
beforeAll(async () => {
  pair = await startSdkPair({ qualificationTypes: 6, workers: 60, pendingRequests: 80, hits: 5 });
});
afterAll(() => pair.close());

const pendingIds = async () => {
  const ids: string[] = [];
  for await (const page of paginateListQualificationRequests({ client: pair.client, pageSize: 100 }, {}))
    ids.push(...(page.QualificationRequests ?? []).map((r) => r.QualificationRequestId as string));
  return ids;
};

describe("NextToken paging", () => {
  it("any sequence of page sizes scans every item exactly once", async () => {
    const all = await pendingIds();
    expect(all.length).toBe(80);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 100 }), async (sizes) => {
        const seen: string[] = [];
        let token: string | undefined;
        let i = 0;
        do {
          const MaxResults = sizes[i % sizes.length] as number;
          const page = await pair.client.send(new ListQualificationRequestsCommand({ MaxResults, NextToken: token }));
          expect(page.NumResults).toBe(page.QualificationRequests?.length);
          expect(page.NumResults).toBeLessThanOrEqual(MaxResults);
          seen.push(...(page.QualificationRequests ?? []).map((r) => r.QualificationRequestId as string));
          token = page.NextToken;
          i += 1;
        } while (token);
        expect(seen).toEqual(all);
      }),
      { numRuns: 40 },
    );
  });

  it("never skips or repeats an item while items are added during the scan", async () => {
    const type = await pair.client.send(
      new CreateQualificationTypeCommand({ Name: "Growing", Description: "d", QualificationTypeStatus: "Active" }),
    );
    const typeId = type.QualificationType?.QualificationTypeId as string;
    const fixtures = await pair.control<{ workerIds: string[] }>("GET", "fixtures");
    let workerIndex = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 3 })), {
          minLength: 1,
          maxLength: 20,
        }),
        async (steps) => {
          const before = new Set(await pendingIds());
          const seen: string[] = [];
          const added: string[] = [];
          let token: string | undefined;
          let i = 0;
          do {
            const [MaxResults, additions] = steps[i % steps.length] as [number, number];
            const page = await pair.client.send(new ListQualificationRequestsCommand({ MaxResults, NextToken: token }));
            seen.push(...(page.QualificationRequests ?? []).map((r) => r.QualificationRequestId as string));
            token = page.NextToken;
            for (let k = 0; k < additions && workerIndex < fixtures.workerIds.length; k += 1) {
              const workerId = fixtures.workerIds[workerIndex++] as string;
              const made = await pair.control<{ qualificationRequest: { QualificationRequestId: string } }>(
                "POST",
                `workers/${workerId}/qualification-requests`,
                { qualificationTypeId: typeId },
              );
              added.push(made.qualificationRequest.QualificationRequestId);
            }
            i += 1;
          } while (token);
          expect(new Set(seen).size).toBe(seen.length);
          for (const id of before) expect(seen).toContain(id);
          // Items added during the scan come after every item that existed before it.
          const firstAdded = seen.findIndex((id) => !before.has(id));
          if (firstAdded >= 0) expect(seen.slice(firstAdded).every((id) => !before.has(id))).toBe(true);
        },
      ),
      { numRuns: 15 },
    );
  });
});
