import SchemaBuilder, { BasePlugin, completeValue, type PothosOutputFieldConfig, type SchemaTypes } from "@pothos/core";
import {
  GraphQLError,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  getNamedType,
  isObjectType,
  isUnionType,
  responsePathAsArray,
} from "graphql";
import { collectSubfields } from "graphql/execution/collectFields.js";
import { handleStreamOrSingleExecutionResult, type Plugin } from "graphql-yoga";
import { itemFailure } from "./failures.js";

/**
 * No failure is silent. A mutation's result is a union of its payload and typed errors; a client that selected only
 * the payload (`... on BonusPaid { … }`) would get `{}` for a refusal and no error at all. When the resolved member is
 * an error type of which the client selected nothing (no field of it or of MutationError, no __typename), the error
 * is answered in the response's `errors` too, with its `extensions.code` and path.
 *
 * Two halves: a Pothos plugin around every mutation field (outside the errors plugin, so that it sees the member it
 * chose, validation errors included) notes such errors per request; a yoga plugin adds them to the result.
 */
const unselected = new WeakMap<object, GraphQLError[]>();

class UnselectedErrorsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  // Around the argument mappers too: validation fails there, and the errors plugin makes it a ValidationError.
  override wrapArgMappers(
    resolver: GraphQLFieldResolver<unknown, Types["Context"], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types["Context"], object> {
    if (fieldConfig.kind !== "Mutation") return resolver;
    return (parent, args, ctx, info) =>
      completeValue(resolver(parent, args, ctx, info), (value) => {
        // The errors plugin answers an error as a proxy that is no Error until its member is chosen.
        if (value !== null && typeof value === "object") noteIfUnselected(value, ctx, info);
        return value;
      });
  }
}

function noteIfUnselected(value: object, ctx: object, info: GraphQLResolveInfo) {
  const union = getNamedType(info.returnType);
  if (!isUnionType(union)) return;
  // The member graphql will choose: the union's own resolveType (isTypeOf would unwrap the errors plugin's proxy).
  const name = union.resolveType?.(value, ctx, info, union);
  const member = typeof name === "string" ? info.schema.getType(name) : undefined;
  if (!member || !isObjectType(member) || !member.getInterfaces().some((i) => i.name === "MutationError")) return;
  if (collectSubfields(info.schema, info.fragments, info.variableValues, member, info.fieldNodes).size > 0) return;
  const failure = itemFailure(value);
  if (!failure) return;
  const { message, ...extensions } = failure;
  const noted = unselected.get(ctx) ?? [];
  noted.push(new GraphQLError(message, { nodes: info.fieldNodes, path: responsePathAsArray(info.path), extensions }));
  unselected.set(ctx, noted);
}

/** Adds the errors the mutations noted to the result's `errors`. */
export function useUnselectedErrors(): Plugin {
  return {
    onExecute: ({ args }) => ({
      onExecuteDone: (payload) =>
        handleStreamOrSingleExecutionResult(payload, ({ result, setResult }) => {
          const ctx = args.contextValue;
          if (typeof ctx !== "object" || ctx === null) return;
          const noted = unselected.get(ctx);
          if (!noted?.length) return;
          unselected.delete(ctx);
          setResult({ ...result, errors: [...(result.errors ?? []), ...noted] });
        }),
    }),
  };
}

const pluginName = "unselectedErrors";
SchemaBuilder.registerPlugin(pluginName, UnselectedErrorsPlugin);
export default pluginName;

declare global {
  export namespace PothosSchemaTypes {
    interface Plugins<Types extends SchemaTypes> {
      unselectedErrors: UnselectedErrorsPlugin<Types>;
    }
  }
}
