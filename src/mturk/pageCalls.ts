import DataLoader from "dataloader";
import type { UpstreamPage } from "./pagination.js";
import { settle } from "./strategies.js";

/**
 * Identical page calls within one request (aliases, repeated fragments) share one upstream call. One cache per
 * kind of item, so that each knows the type of its pages.
 */
export class PageCalls<T> {
  private readonly calls = new Map<string, () => Promise<UpstreamPage<T>>>();
  private readonly loader = new DataLoader<string, UpstreamPage<T>, string>((keys) =>
    Promise.all(keys.map((key) => settle(this.calls.get(key)?.() ?? Promise.reject(new Error(key))))),
  );

  /** The page that `key` names (its operation and arguments), called once per request. */
  load(key: unknown[], call: () => Promise<UpstreamPage<T>>): Promise<UpstreamPage<T>> {
    const cacheKey = JSON.stringify(key);
    if (!this.calls.has(cacheKey)) this.calls.set(cacheKey, call);
    return this.loader.load(cacheKey);
  }

  clear(): void {
    this.loader.clearAll();
    this.calls.clear();
  }
}
