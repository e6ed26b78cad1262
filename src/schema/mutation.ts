import type { InputObjectRef, ObjectRef, SchemaTypes } from "@pothos/core";
import type { GatewayContext } from "../context.js";
import { builder } from "./builder.js";
import { type BulkItem, bulkPayload, runBulk } from "./bulk.js";
import { bulkCost } from "./cost.js";
import { keyedMutationErrors, mutationErrors } from "./errors.js";
import { InputInvalid } from "./inputInvalid.js";
import { DryRun } from "./spending.js";

export type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T extends SchemaTypes> ? T : never;
type Scopes = { write: true; pay?: true };

/** Who may run a mutation: `write`, and `pay` too for anything that can raise what the account pays. */
const authScopes = (scopes: Scopes) => (scopes.pay ? { $all: { write: true, pay: true } } : { write: true });

/**
 * A Relay mutation over one MTurk write: one required `input`, a payload, and a result union of the payload and
 * the typed errors the write can meet (`keyed` adds those of an idempotency key: a reused key, an unknown outcome).
 */
export function defineMutation<I extends object, P>(
  name: string,
  options: {
    description: string;
    scopes: Scopes;
    input: InputObjectRef<Types, I>;
    inputDescription: string;
    payload: ObjectRef<Types, P>;
    keyed?: boolean;
    /** The price when the write takes more than a few calls (see cost.ts). */
    complexity?: (input: I, ctx: GatewayContext) => { field: number; multiplier: number };
    resolve: (input: I, ctx: GatewayContext) => Promise<P>;
    /** For money: the cost instead of the write when the input says `dryRun: true` (see spending.ts). */
    dryRun?: (input: I, ctx: GatewayContext) => Promise<DryRun>;
  },
) {
  const errors = options.keyed ? keyedMutationErrors : mutationErrors;
  const price = (input: I, ctx: GatewayContext) => {
    const base = options.complexity?.(input, ctx) ?? { field: WRITE_COST, multiplier: 1 };
    // A dry run reads instead of writing: the balance, and a listing's scan at most (a HIT type's reward).
    return isDryRun(input) ? { ...base, field: base.field + ctx.limits.scanCost + 1 } : base;
  };
  builder.mutationField(name, (t) =>
    t.field({
      authScopes: authScopes(options.scopes),
      type: options.payload,
      description: options.description,
      errors: options.dryRun ? { ...errors, types: [...errors.types, DryRun] } : errors,
      // A write, its read-back and the payload's reads.
      complexity: (args: { input: I }, ctx: GatewayContext) => price(args.input, ctx),
      args: { input: t.arg({ type: options.input, required: true, description: options.inputDescription }) },
      resolve: (_root: unknown, args: { input: I }, ctx: GatewayContext) =>
        options.dryRun && isDryRun(args.input) ? options.dryRun(args.input, ctx) : options.resolve(args.input, ctx),
    } as never),
  );
}

/**
 * A payload's flag that the write was a retry of one already done: its idempotency key was used before, or MTurk
 * refused to repeat it and the gateway found it applied.
 */
export function retryFlag<P extends { readonly [k in K]?: boolean }, K extends string>(
  t: PothosSchemaTypes.ObjectFieldBuilder<Types, P>,
  name: K,
  description: string,
) {
  return t.boolean({ nullable: false, description, resolve: (payload) => payload[name] === true });
}

const isDryRun = (input: object) => (input as { dryRun?: boolean | null }).dryRun === true;

const bulkPayloads = new Map<string, unknown>();
/** A single write's price: the call, a read-back when MTurk's answer is ambiguous, and the payload's reads. */
const WRITE_COST = 3;

/**
 * A bulk mutation: the items an input names run one MTurk write each (within the request's upstream concurrency),
 * and the payload has one result per item in input order, with `succeeded` and `failed`.
 */
export function defineBulkMutation<I extends object, Item, R>(
  name: string,
  options: {
    description: string;
    /** What one call does, for the generated types' descriptions ("a bulk approval"). */
    what: string;
    scopes: Scopes;
    input: InputObjectRef<Types, I>;
    inputDescription: string;
    /** The field that names an item in its result (assignmentId, workerId). */
    keyName: string;
    /** The payload's type name without "Payload", when several bulk mutations share it. */
    payloadName?: string;
    result: ObjectRef<Types, R>;
    items: (input: I, ctx: GatewayContext) => Item[] | Promise<Item[]>;
    /** Whether the input's items are listed from MTurk rather than named (their keys then need read to be seen). */
    listed?: (input: I) => boolean;
    /** How many items the input names, for the price; null when a scan decides (then MAX_BULK_ITEMS). */
    count: (input: I) => number | null;
    key: (item: Item) => string;
    /** Money with a batch key: the key is claimed for the items before any is run (IdempotencyKeyConflictError). */
    claim?: (input: I, ctx: GatewayContext, items: Item[]) => Promise<void>;
    run: (item: Item, ctx: GatewayContext, input: I) => Promise<R>;
    /** The dry run of the items the write would take (capped at MAX_BULK_ITEMS as the write is). */
    dryRun?: (input: I, ctx: GatewayContext, items: Item[]) => Promise<DryRun>;
  },
) {
  const dryRun = options.dryRun;
  const payloadName = options.payloadName ?? name.charAt(0).toUpperCase() + name.slice(1);
  let payload = bulkPayloads.get(payloadName) as ObjectRef<Types, { results: BulkItem<R>[] }> | undefined;
  if (!payload) {
    payload = bulkPayload(payloadName, options.what, options.keyName, options.result);
    bulkPayloads.set(payloadName, payload);
  }
  defineMutation(name, {
    description: options.description,
    scopes: options.scopes,
    input: options.input,
    inputDescription: options.inputDescription,
    payload,
    keyed: options.claim !== undefined,
    complexity: (input, ctx) => {
      const count = options.count(input);
      return count === null ? bulkCost(ctx.limits.maxBulkItems, ctx, ctx.limits.scanCost) : bulkCost(count, ctx);
    },
    // A dry run reads what the write would (an approval's GetAssignment per item): it takes no more items than
    // the write, or its reads would exceed the price.
    dryRun: dryRun && (async (input, ctx) => dryRun(input, ctx, capped(await options.items(input, ctx), ctx))),
    resolve: async (input, ctx) => {
      const items = capped(await options.items(input, ctx), ctx);
      await options.claim?.(input, ctx, items);
      return runBulk(items, options.key, (item) => options.run(item, ctx, input), options.listed?.(input) ?? false);
    },
  });
}

/** A bulk mutation's items, refused beyond MAX_BULK_ITEMS before any write. */
function capped<Item>(items: Item[], ctx: GatewayContext): Item[] {
  if (items.length > ctx.limits.maxBulkItems)
    throw new InputInvalid(
      `A bulk mutation takes at most ${ctx.limits.maxBulkItems} items (MAX_BULK_ITEMS); this one names ${items.length}.`,
      "input",
    );
  return items;
}
