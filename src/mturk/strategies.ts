import type { Qualification } from "@aws-sdk/client-mturk";
import { idOf } from "./ids.js";
import { scanAll, type UpstreamPage } from "./pagination.js";

/**
 * What the gateway has learned about how long listings are, shared across requests for a short time. MTurk gives
 * no totals, so a set-based strategy (one scan instead of many Gets) is a bet; these hints keep a lost bet from
 * being made again.
 */
export class StrategyHints {
  private readonly pages = new Map<string, { pages: number; until: number }>();

  constructor(private readonly ttlMs = 60_000) {}

  /** Pages a listing took (or at least took, when a scan was cut short), if learned recently. */
  get(listing: string): number | undefined {
    const hint = this.pages.get(listing);
    if (!hint || Date.now() > hint.until) return undefined;
    return hint.pages;
  }

  set(listing: string, pages: number, ttlMs = this.ttlMs): void {
    this.pages.set(listing, { pages, until: Date.now() + ttlMs });
  }
}

type Pager = <T>(fetchPage: (token: string | undefined) => Promise<UpstreamPage<T>>) => Promise<T[]>;

/**
 * Runs full scans of one or more listings only while they fit in `budget` upstream calls, the cost of the
 * per-item calls they replace minus one. Returns their items, or undefined when the scans did not fit (then the
 * caller makes the per-item calls, having spent at most `budget` calls on the attempt, once per hint lifetime).
 */
export async function scanWithBudget<T>(
  hints: StrategyHints,
  listing: string,
  budget: number,
  run: (pages: Pager) => Promise<T[]>,
): Promise<T[] | undefined> {
  const known = hints.get(listing);
  if (budget < 1 || (known !== undefined && known > budget)) return undefined;
  let used = 0;
  let cut = false;
  const pages: Pager = async (fetchPage) => {
    const { items, complete } = await scanAll(
      (token) => {
        used += 1;
        return fetchPage(token);
      },
      () => used < budget,
    );
    if (!complete) cut = true;
    return items;
  };
  const items = await run(pages);
  hints.set(listing, cut ? budget + 1 : used);
  return cut ? undefined : items;
}

/** A promise's value or its error, so that one failed key of a batch does not fail the others. */
export const settle = <T>(promise: Promise<T>): Promise<T | Error> => promise.catch((error: Error) => error);

/**
 * A worker's Qualification as GetQualificationScore tells it. MTurk scores only a granted one: for a revoked one it
 * answers "This operation can be called with a status of: Granted" (no public TurkErrorCode), so the gateway says
 * Revoked without a value or grant time. A ListWorkersWithQualificationType item is cut to the same, so that every
 * strategy gives the same answer.
 */
export const asScored = (q: Qualification): Qualification =>
  q.Status === "Revoked" ? { QualificationTypeId: q.QualificationTypeId, WorkerId: q.WorkerId, Status: "Revoked" } : q;

/** GetQualificationScore's answer as a Qualification (Revoked when MTurk refuses to score it); other errors pass. */
export const scoreOf = (
  QualificationTypeId: string,
  WorkerId: string,
  answer: Promise<{ Qualification?: Qualification }>,
): Promise<Qualification | null> =>
  answer.then(
    (r) => r.Qualification ?? null,
    (error) => {
      if (error instanceof Error && error.message.includes("can be called with a status of: Granted"))
        return asScored({ QualificationTypeId, WorkerId, Status: "Revoked" });
      throw error;
    },
  );

/**
 * Qualifications of workers by "typeId|workerId": per type, two ListWorkersWithQualificationType scans (Granted
 * and Revoked, as GetQualificationScore would answer) when they fit in fewer calls than one Get per worker; else
 * a Get each. A failed scan answers only its own type's keys.
 */
export async function qualificationsByWorker<Q extends { WorkerId?: string }>(
  keys: readonly string[],
  deps: {
    hints: StrategyHints;
    threshold: number;
    listPage: (typeId: string, status: "Granted" | "Revoked", token: string | undefined) => Promise<UpstreamPage<Q>>;
    get: (typeId: string, workerId: string) => Promise<Q | null>;
  },
): Promise<(Q | null | Error)[]> {
  const byType = new Map<string, string[]>();
  for (const key of keys) {
    const [typeId = "", workerId = ""] = key.split("|");
    byType.set(typeId, [...(byType.get(typeId) ?? []), workerId]);
  }
  const found = new Map<string, Q | null | Error>();
  await Promise.all(
    [...byType].map(async ([typeId, workerIds]) => {
      const scanned =
        workerIds.length >= deps.threshold
          ? await settle(
              scanWithBudget(deps.hints, `ListWorkersWithQualificationType:${typeId}`, workerIds.length - 1, (pages) =>
                Promise.all(
                  (["Granted", "Revoked"] as const).map((status) =>
                    pages((token) => deps.listPage(typeId, status, token)),
                  ),
                ).then((lists) => lists.flat()),
              ),
            )
          : undefined;
      const held = Array.isArray(scanned) ? new Map(scanned.map((q) => [idOf(q, "WorkerId"), q])) : undefined;
      await Promise.all(
        workerIds.map(async (workerId) => {
          const key = `${typeId}|${workerId}`;
          if (scanned instanceof Error) found.set(key, scanned);
          else if (held) found.set(key, held.get(workerId) ?? null);
          else found.set(key, await settle(deps.get(typeId, workerId)));
        }),
      );
    }),
  );
  return keys.map((key) => found.get(key) ?? null);
}

/**
 * The first pages of several types' pending requests: one unfiltered ListQualificationRequests scan when that is
 * fewer calls than one call per type (its pages have no NextToken to go on with: `more` says items follow).
 */
export async function firstPagesOfTypes<R extends { QualificationTypeId?: string }>(
  typeIds: readonly string[],
  deps: {
    hints: StrategyHints;
    threshold: number;
    window: number;
    listPage: (typeId: string | undefined, token: string | undefined) => Promise<UpstreamPage<R>>;
  },
): Promise<(UpstreamPage<R> | Error)[]> {
  const scanned =
    new Set(typeIds).size >= deps.threshold
      ? await scanWithBudget(deps.hints, "ListQualificationRequests:*", typeIds.length - 1, (pages) =>
          pages((token) => deps.listPage(undefined, token)),
        )
      : undefined;
  return Promise.all(
    typeIds.map(async (typeId) => {
      if (!scanned) return settle(deps.listPage(typeId, undefined));
      // The unfiltered listing, filtered by type, has the per-type listing's order.
      const ofType = scanned.filter((r) => r.QualificationTypeId === typeId);
      return { items: ofType.slice(0, deps.window), more: ofType.length > deps.window };
    }),
  );
}

/** The hint (pages of the last full scan) that decides how the next scan of all pending requests runs. */
const ALL_REQUESTS_PAGES = "ListQualificationRequests:all:pages";
/** A listing's size changes slowly: the hint that picks a scan plan lives an hour. */
const SIZE_HINT_MS = 3_600_000;

/**
 * Every pending request of the caller's types. MTurk lists them 100 a call, one after another. When the last full
 * scan took at least twice as many pages as the caller has types, each type's listing is scanned in parallel
 * instead (within the rate budget): 10,000 requests over 20 types take 6 round trips, not 100, for one call more
 * per type. The merged list is in submit order, as MTurk's own.
 */
export async function pendingRequestsOfAllTypes<
  R extends { SubmitTime?: Date; QualificationRequestId?: string },
>(deps: {
  hints: StrategyHints;
  listTypes: () => Promise<{ items: { QualificationTypeId?: string }[]; complete: boolean }>;
  listPage: (typeId: string | undefined, token: string | undefined) => Promise<UpstreamPage<R>>;
}): Promise<R[]> {
  const pages = deps.hints.get(ALL_REQUESTS_PAGES);
  const types = pages !== undefined && pages >= 4 ? await deps.listTypes() : undefined;
  if (!types?.complete || pages === undefined || types.items.length * 2 > pages) {
    let used = 0;
    const scan = await scanAll((token) => {
      used += 1;
      return deps.listPage(undefined, token);
    });
    deps.hints.set(ALL_REQUESTS_PAGES, used, SIZE_HINT_MS);
    return scan.items;
  }
  const parts = await Promise.all(
    types.items.map((type) => scanAll((token) => deps.listPage(type.QualificationTypeId, token)).then((s) => s.items)),
  );
  const all = parts.flat();
  deps.hints.set(ALL_REQUESTS_PAGES, Math.ceil(all.length / 100), SIZE_HINT_MS);
  const submitted = (r: R) => r.SubmitTime?.getTime() ?? 0;
  const id = (r: R) => r.QualificationRequestId ?? "";
  return all.sort((a, b) => submitted(a) - submitted(b) || (id(a) < id(b) ? -1 : 1));
}
