import type { MTurkClient } from "@aws-sdk/client-mturk";
import type { Upstream } from "./client.js";
import { codeOf, isNotFound } from "./errors.js";
import { settle } from "./strategies.js";

/** How the loaders make Get calls: one per key (MTurk has no batch Get), each failure its key's own. */

export const orNullWhenMissing = <T>(promise: Promise<T>): Promise<T | null> =>
  promise.catch((error) => {
    if (isNotFound(error)) return null;
    throw error;
  });

/** A batch function that makes one Get call per key; a failed key gets its error (or the fallback's answer). */
export function getEach<R, V>(
  /** The request's door (read when the batch runs: the loaders' fields are built before their constructor runs). */
  upstream: () => Upstream,
  operation: string,
  send: (client: MTurkClient, id: string) => Promise<R>,
  pick: (r: R) => V,
  fallback?: (id: string, error: Error) => Promise<V | Error>,
) {
  return (ids: readonly string[]) =>
    Promise.all(
      ids.map((id) =>
        settle(upstream().call(operation, (c) => send(c, id))).then((r) =>
          r instanceof Error ? (fallback ? fallback(id, r) : r) : pick(r),
        ),
      ),
    );
}

/**
 * A Get whose entity MTurk no longer knows (a HIT disposed of after 120 days, with its assignments) or cannot answer
 * now (an outage) comes from the mirror, if it holds it; otherwise the key keeps MTurk's error.
 */
export function remembered<V>(recall: (id: string, forgotten: boolean) => Promise<V | undefined> | undefined) {
  return async (id: string, error: Error): Promise<V | Error> => {
    const code = codeOf(error);
    if (code !== "NOT_FOUND" && code !== "UPSTREAM_UNAVAILABLE") return error;
    return (await Promise.resolve(recall(id, code === "NOT_FOUND")).catch(() => undefined)) ?? error;
  };
}
