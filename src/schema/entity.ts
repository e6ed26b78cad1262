import type { ObjectRef } from "@pothos/core";
import type DataLoader from "dataloader";
import type { GraphQLResolveInfo } from "graphql";
import type { GatewayContext } from "../context.js";
import { type IdKey, idOf } from "../mturk/ids.js";
import { builder } from "./builder.js";
import type { Types } from "./mutation.js";
import { entityOrStub, type Prefetch } from "./selection.js";

/** An MTurk entity as a Relay node, loaded by its id through MTurkLoaders (GetHIT, GetAssignment...). */
export function mturkNodeRef<T extends { readonly [P in K]?: string }, K extends IdKey>(
  name: string,
  key: K,
  loader: (ctx: GatewayContext) => DataLoader<string, T>,
) {
  return builder.loadableNodeRef(name, {
    id: { resolve: (item: T) => idOf(item, key) },
    load: (ids: string[], ctx: GatewayContext) => loader(ctx).loadMany(ids),
    // One cache per entity: MTurkLoaders' (cleared by writes); Pothos's loader only batches.
    loaderOptions: { cache: false },
  });
}

/**
 * How fields reach an entity: `orStub` for a root field, `link` for a field of another object. Neither fetches
 * it when the selection needs only what its id gives (see entityOrStub).
 */
export function entityReach<T>(
  ref: ObjectRef<Types, T | string, T>,
  entity: { fromId: ReadonlySet<string>; links?: Record<string, Prefetch> },
  stubOf: (id: string) => T,
) {
  // Widened for the link's resolver: its result type is not computable for a generic T (the shape is checked here).
  const linked: ObjectRef<Types, unknown, unknown> = ref;
  const orStub = (info: GraphQLResolveInfo, ctx: GatewayContext, id: string) =>
    entityOrStub<T>(info, ctx, entity, id, stubOf(id));
  const link = <P>(
    t: PothosSchemaTypes.ObjectFieldBuilder<Types, P>,
    description: string,
    idOfParent: (parent: P) => string,
    nullable = true,
  ) =>
    t.field({
      type: linked,
      nullable,
      description,
      resolve: (p, _args, ctx, info) => orStub(info, ctx, idOfParent(p)),
    });
  return { orStub, link };
}
