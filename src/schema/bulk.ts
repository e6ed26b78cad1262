import type { InputObjectRef, ObjectRef } from "@pothos/core";
import { GraphQLError } from "graphql";
import type { GatewayContext } from "../context.js";
import { builder } from "./builder.js";
import { ItemFailureRef } from "./errors.js";
import { isItemError, itemFailure } from "./failures.js";

/** A bulk mutation's input that lists its items: `{ items: [<Item>!]! }`. */
export function itemsInput<T extends object>(
  name: string,
  description: string,
  item: InputObjectRef<Types, T>,
  itemDescription: string,
) {
  return builder.inputType(name, {
    description,
    fields: (t) => ({ items: t.field({ type: [item], required: true, description: itemDescription }) }),
  });
}

/** One item of a bulk mutation: its position, its key (an id), and its result or failure. */
export interface BulkItem<T> {
  index: number;
  key: string;
  result?: T;
  error?: Error;
  /** The key came from MTurk (a HIT's assignments, its workers), not from the input: showing it needs read. */
  listed?: boolean;
}

/** A listed item's key (or its failure, which may name it) is a read: a key without read does not get it. */
function readable<T>(item: BulkItem<T>, ctx: GatewayContext, field: string) {
  if (item.listed && !ctx.principal.scopes.has("read"))
    throw new GraphQLError(
      `${ctx.principal.name} may not read ${field}: its scopes do not include read (the items were listed from MTurk).`,
      { extensions: { code: "FORBIDDEN" } },
    );
}

/** The payload type of a bulk mutation: per-item results in input order, with counts. */
type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

export function bulkPayload<T>(name: string, what: string, keyName: string, resultRef: ObjectRef<Types, T>) {
  const ItemRef = builder.objectRef<BulkItem<T>>(`${name}ItemResult`).implement({
    description: `One item of ${what}: its result or why it failed.`,
    fields: (t) => ({
      index: t.exposeInt("index", { nullable: false, description: "The item's position in the input." }),
      [keyName]: t.string({
        nullable: false,
        description: `The item's ${keyName}.`,
        resolve: (i, _args, ctx) => {
          readable(i, ctx, keyName);
          return i.key;
        },
      }),
      result: t.field({
        type: resultRef as never,
        description: "What changed, when the item succeeded.",
        resolve: (i) => (i.result ?? null) as never,
      }),
      error: t.field({
        type: ItemFailureRef,
        description: "Why the item failed, or null.",
        resolve: (i, _args, ctx) => {
          if (i.error) readable(i, ctx, "error");
          return itemFailure(i.error);
        },
      }),
    }),
  });
  return builder.objectRef<{ results: BulkItem<T>[] }>(`${name}Payload`).implement({
    description: `The result of ${what}: one entry per item, in input order; partial success is normal.`,
    fields: (t) => ({
      results: t.field({
        type: [ItemRef],
        nullable: false,
        // The mutation's price multiplies the payload by its items (bulkCost): not again by a list's default.
        complexity: { field: 0, multiplier: 1 },
        description: "Per-item results.",
        resolve: (p) => p.results,
      }),
      succeeded: t.int({
        nullable: false,
        complexity: 0,
        description: "Items that succeeded.",
        resolve: (p) => p.results.filter((r) => !r.error).length,
      }),
      failed: t.int({
        nullable: false,
        complexity: 0,
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
  /** The items were listed from MTurk, not named by the input (see BulkItem.listed). */
  listed = false,
): Promise<{ results: BulkItem<T>[] }> {
  const results = await Promise.all(
    items.map(async (item, index): Promise<BulkItem<T>> => {
      try {
        return { index, key: key(item), result: await run(item, index), listed };
      } catch (error) {
        if (isItemError(error)) return { index, key: key(item), error, listed };
        throw error;
      }
    }),
  );
  return { results };
}
