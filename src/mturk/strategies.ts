import { scanAll, type UpstreamPage } from "./pagination.js";

/**
 * What the gateway has learned about how long listings are, shared across requests for a short time. MTurk gives
 * no totals, so a set-based strategy (one scan instead of many Gets) is a bet; these hints keep a lost bet from
 * being made again.
 */
export class StrategyHints {
  private readonly pages = new Map<string, { pages: number; at: number }>();

  constructor(private readonly ttlMs = 60_000) {}

  /** Pages a listing took (or at least took, when a scan was cut short), if learned recently. */
  get(listing: string): number | undefined {
    const hint = this.pages.get(listing);
    if (!hint || Date.now() - hint.at > this.ttlMs) return undefined;
    return hint.pages;
  }

  set(listing: string, pages: number): void {
    this.pages.set(listing, { pages, at: Date.now() });
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
