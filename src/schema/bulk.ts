import type { ObjectRef } from "@pothos/core";
import { builder } from "./builder.js";
import { ItemFailureRef, isItemError, itemFailure } from "./errors.js";

/** One item of a bulk mutation: its position, its key (an id), and its result or failure. */
export interface BulkItem<T> {
  index: number;
  key: string;
  result?: T;
  error?: Error;
}

/** The payload type of a bulk mutation: per-item results in input order, with counts. */
type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

export function bulkPayload<T>(name: string, what: string, keyName: string, resultRef: ObjectRef<Types, T>) {
  const ItemRef = builder.objectRef<BulkItem<T>>(`${name}ItemResult`).implement({
    description: `One item of ${what}: its result or why it failed.`,
    fields: (t) => ({
      index: t.exposeInt("index", { nullable: false, description: "The item's position in the input." }),
      [keyName]: t.string({ nullable: false, description: `The item's ${keyName}.`, resolve: (i) => i.key }),
      result: t.field({
        type: resultRef as never,
        description: "What changed, when the item succeeded.",
        resolve: (i) => (i.result ?? null) as never,
      }),
      error: t.field({
        type: ItemFailureRef,
        description: "Why the item failed, or null.",
        resolve: (i) => itemFailure(i.error),
      }),
    }),
  });
  return builder.objectRef<{ results: BulkItem<T>[] }>(`${name}Payload`).implement({
    description: `The result of ${what}: one entry per item, in input order; partial success is normal.`,
    fields: (t) => ({
      results: t.field({
        type: [ItemRef],
        nullable: false,
        description: "Per-item results.",
        resolve: (p) => p.results,
      }),
      succeeded: t.int({
        nullable: false,
        description: "Items that succeeded.",
        resolve: (p) => p.results.filter((r) => !r.error).length,
      }),
      failed: t.int({
        nullable: false,
        description: "Items that failed.",
        resolve: (p) => p.results.filter((r) => r.error).length,
      }),
    }),
  });
}

/**
 * Runs every item (within the request's upstream concurrency limit) and collects per-item results: an item's
 * MTurk error is its result; anything else fails the mutation.
 */
export async function runBulk<I, T>(
  items: I[],
  key: (item: I) => string,
  run: (item: I, index: number) => Promise<T>,
): Promise<{ results: BulkItem<T>[] }> {
  const results = await Promise.all(
    items.map(async (item, index): Promise<BulkItem<T>> => {
      try {
        return { index, key: key(item), result: await run(item, index) };
      } catch (error) {
        if (isItemError(error)) return { index, key: key(item), error };
        throw error;
      }
    }),
  );
  return { results };
}
