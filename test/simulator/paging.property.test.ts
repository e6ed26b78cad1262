import {
  CreateHITCommand,
  CreateQualificationTypeCommand,
  ListHITsCommand,
  ListQualificationRequestsCommand,
  paginateListQualificationRequests,
  RejectQualificationRequestCommand,
} from "@aws-sdk/client-mturk";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PAGING_MODES, type PagingMode } from "../../src/simulator/switches.js";
import { type SdkPair, startSdkPair } from "../support/sdk.js";

let pair: SdkPair;
beforeAll(async () => {
  pair = await startSdkPair({ qualificationTypes: 6, workers: 60, pendingRequests: 80, hits: 5 });
});
afterAll(() => pair.close());

const hitIds = async () => {
  const ids: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await pair.client.send(new ListHITsCommand({ MaxResults: 100, NextToken }));
    ids.push(...(page.HITs ?? []).map((h) => h.HITId as string));
    NextToken = page.NextToken;
  } while (NextToken);
  return ids;
};
const createHit = async () =>
  (
    await pair.client.send(
      new CreateHITCommand({
        Title: "Paging",
        Description: "d",
        Reward: "0.05",
        LifetimeInSeconds: 3600,
        AssignmentDurationInSeconds: 600,
        Question: "<HTMLQuestion><HTMLContent>x</HTMLContent><FrameHeight>400</FrameHeight></HTMLQuestion>",
      }),
    )
  ).HIT?.HITId as string;

const pendingIds = async () => {
  const ids: string[] = [];
  for await (const page of paginateListQualificationRequests({ client: pair.client, pageSize: 100 }, {}))
    ids.push(...(page.QualificationRequests ?? []).map((r) => r.QualificationRequestId as string));
  return ids;
};

/**
 * The pages a walk over an unchanging list must give in each mode: keyset and offset continue where the last page
 * ended, page reads page number p with the MaxResults of the call that reads it.
 */
function expectedPages(mode: PagingMode, all: string[], sizes: number[], tokenOnLastPage: boolean) {
  const pages: string[][] = [];
  let position = 0;
  for (let i = 0; ; i += 1) {
    const size = sizes[i % sizes.length] as number;
    const start = mode === "page" ? i * size : position;
    const items = all.slice(start, start + size);
    pages.push(items);
    position = start + items.length;
    const more = start + size < all.length;
    if (items.length === 0 || (!more && !tokenOnLastPage)) return pages;
  }
}

const settings = PAGING_MODES.flatMap((paging) =>
  [false, true].map((tokenOnLastPage) => ({ paging, tokenOnLastPage })),
);

describe.each(settings)(
  "NextToken paging ($paging, tokenOnLastPage $tokenOnLastPage)",
  ({ paging, tokenOnLastPage }) => {
    beforeAll(() => pair.control("PUT", "switches", { paging, tokenOnLastPage }));

    it("any sequence of page sizes gives the mode's pages (keyset and offset: every item exactly once)", async () => {
      const all = await pendingIds();
      expect(all.length).toBe(80);
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 100 }),
          async (sizes) => {
            const pages: string[][] = [];
            let token: string | undefined;
            let i = 0;
            do {
              const MaxResults = sizes[i % sizes.length] as number;
              const page = await pair.client.send(
                new ListQualificationRequestsCommand({ MaxResults, NextToken: token }),
              );
              expect(page.NumResults).toBe(page.QualificationRequests?.length);
              expect(page.NumResults).toBeLessThanOrEqual(MaxResults);
              pages.push((page.QualificationRequests ?? []).map((r) => r.QualificationRequestId as string));
              token = page.NextToken;
              if (page.NumResults === 0) expect(token).toBeUndefined();
              i += 1;
            } while (token);
            expect(pages).toEqual(expectedPages(paging, all, sizes, tokenOnLastPage));
            if (paging !== "page") expect(pages.flat()).toEqual(all);
          },
        ),
        { numRuns: 25 },
      );
    });

    it("never skips or repeats an item while items are added during the scan (page: at one MaxResults)", async () => {
      const type = await pair.client.send(
        new CreateQualificationTypeCommand({
          Name: `Growing ${paging} ${tokenOnLastPage}`,
          Description: "d",
          QualificationTypeStatus: "Active",
        }),
      );
      const typeId = type.QualificationType?.QualificationTypeId as string;
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
              const [size, additions] = steps[i % steps.length] as [number, number];
              // A page walk stays consistent only at one MaxResults: changing it moves the window by design.
              const MaxResults = paging === "page" ? steps[0]?.[0] : size;
              const page = await pair.client.send(
                new ListQualificationRequestsCommand({ MaxResults, NextToken: token }),
              );
              seen.push(...(page.QualificationRequests ?? []).map((r) => r.QualificationRequestId as string));
              token = page.NextToken;
              // Additions only in the first round, so a walk that follows last-page tokens ends.
              for (let k = 0; i < steps.length && k < additions; k += 1) {
                const { workerId } = await pair.control<{ workerId: string }>("POST", "workers", {});
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
            // Back to the 80 seeded requests for the next run.
            for (const id of added)
              await pair.client.send(new RejectQualificationRequestCommand({ QualificationRequestId: id }));
          },
        ),
        { numRuns: 10 },
      );
    });

    it("ListHITs, newest first, while HITs are created: no HIT listed before the walk is skipped; keyset repeats none", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 2 })), {
            minLength: 1,
            maxLength: 8,
          }),
          async (steps) => {
            const before = await hitIds();
            const seen: string[] = [];
            let token: string | undefined;
            let i = 0;
            do {
              const [size, additions] = steps[i % steps.length] as [number, number];
              const MaxResults = paging === "page" ? steps[0]?.[0] : size;
              const page = await pair.client.send(new ListHITsCommand({ MaxResults, NextToken: token }));
              seen.push(...(page.HITs ?? []).map((h) => h.HITId as string));
              token = page.NextToken;
              for (let k = 0; i < steps.length && k < additions; k += 1) await createHit();
              i += 1;
            } while (token);
            // New HITs go first. Keyset: the walk shows none of them and each earlier HIT once. Offset and page: the
            // positions move on by the HITs created, so HITs repeat (or new ones show), but none is skipped.
            if (paging === "keyset") expect(seen).toEqual(before);
            else expect([...new Set(seen.filter((id) => before.includes(id)))]).toEqual(before);
          },
        ),
        { numRuns: 8 },
      );
    });
  },
);
