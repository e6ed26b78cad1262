import {
  type FieldNode,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  getArgumentValues,
  getNamedType,
  isObjectType,
} from "graphql";
// graphql's own field collection (fragments, type conditions, @skip/@include), as execution uses it.
import { collectSubfields } from "graphql/execution/collectFields.js";
import type { GatewayContext } from "../context.js";

/** A selected field of the result: its name and its arguments with variables applied. */
interface Selected {
  name: string;
  args: Record<string, unknown>;
}

/** The fields selected under the field being resolved, as graphql will execute them. */
function selectedFields(info: GraphQLResolveInfo): Selected[] {
  const type = getNamedType(info.returnType);
  if (!isObjectType(type)) return [];
  const fields = collectSubfields(info.schema, info.fragments, info.variableValues, type, info.fieldNodes);
  return [...fields.values()].flatMap((nodes) => nodes.slice(0, 1).map((node) => selectedField(type, node, info)));
}

function selectedField(type: GraphQLObjectType, node: FieldNode, info: GraphQLResolveInfo): Selected {
  const name = node.name.value;
  const definition = type.getFields()[name];
  return { name, args: definition ? getArgumentValues(definition, node, info.variableValues) : {} };
}

/** Starts an upstream call a child field will make, so that it runs in the parent's wave. */
export type Prefetch = (id: string, args: Record<string, unknown>, ctx: GatewayContext) => Promise<unknown> | undefined;

/**
 * An entity for a link or root field: a stub with its id when the selection needs nothing else (then it is not
 * fetched at all), else its id to load. Either way the calls of selected links that depend on the id alone start
 * now, beside the entity's own Get: one round trip per level of dependency.
 */
export function entityOrStub<T>(
  info: GraphQLResolveInfo,
  ctx: GatewayContext,
  entity: { fromId: ReadonlySet<string>; links?: Record<string, Prefetch> },
  id: string,
  stub: T,
): T | string {
  const selected = selectedFields(info);
  // The prefetched call is cached for the child; its failure is the child's to report. Only for a principal that
  // may read it: a mutation payload reaches entities before their type's `read` scope is checked.
  if (ctx.principal.scopes.has("read"))
    for (const field of selected) entity.links?.[field.name]?.(id, field.args, ctx)?.catch(() => undefined);
  return selected.every((f) => f.name === "__typename" || entity.fromId.has(f.name)) ? stub : id;
}
