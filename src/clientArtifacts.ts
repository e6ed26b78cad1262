import { type GraphQLSchema, isAbstractType, isObjectType } from "graphql";

/**
 * Apollo Client's `possibleTypes`: for each union and interface, the object types that can stand for it. Without
 * it Apollo cannot know that MTurkRequestError is a MutationError, and silently drops `... on MutationError`.
 * Written to clients/possibleTypes.json by `npm run schema`, from the same schema as schema.graphql.
 */
function possibleTypesOf(schema: GraphQLSchema): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const type of Object.values(schema.getTypeMap()).sort((a, b) => a.name.localeCompare(b.name)))
    if (isAbstractType(type) && !type.name.startsWith("__"))
      result[type.name] = schema
        .getPossibleTypes(type)
        .map((t) => t.name)
        .sort();
  return result;
}

export const printedPossibleTypes = (schema: GraphQLSchema) => `${JSON.stringify(possibleTypesOf(schema), null, 2)}\n`;

/**
 * Object types without an `id`, which normalized caches must embed in their parent rather than key: urql's
 * graphcache wants `keys: { Money: () => null, … }` for each (it warns and guesses otherwise).
 */
function embeddedTypesOf(schema: GraphQLSchema): string[] {
  const roots = new Set([schema.getQueryType()?.name, schema.getMutationType()?.name]);
  return Object.values(schema.getTypeMap())
    .filter((t) => isObjectType(t) && !t.name.startsWith("__") && !roots.has(t.name) && !("id" in t.getFields()))
    .map((t) => t.name)
    .sort();
}

export const printedEmbeddedTypes = (schema: GraphQLSchema) => `${JSON.stringify(embeddedTypesOf(schema), null, 2)}\n`;
