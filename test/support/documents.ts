import {
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
} from "graphql";
import { schema } from "../../src/schema/index.js";

/** Values MTurk's rules accept, by the input field's name, so that authorization (not validation) decides. */
function plausible(name: string): string | undefined {
  if (/workerIds?$/i.test(name)) return '"AWORKER1"';
  if (/(Id|Ids|^id)$/.test(name) && name !== "id") return '"3ABC"';
  if (/reward|bonusAmount/i.test(name)) return '"0.10"';
  if (/InSeconds$/.test(name)) return "60";
  if (name === "question") return '"<HTMLQuestion/>"';
  if (name === "transport") return '"SQS"';
  if (name === "testEventType") return '"Ping"';
  return undefined;
}
/** Optional members that MTurk's "one of" rules need. */
const NEEDED_OPTIONAL = new Set(["question", "assignmentIds", "active"]);

/** A GraphQL literal of the right shape for an input type, with the required (and "one of") input fields. */
export function dummyLiteral(type: GraphQLInputType, pick: (n: number) => number = () => 0, name = ""): string {
  if (isNonNullType(type)) return dummyLiteral(type.ofType, pick, name);
  if (isListType(type)) return `[${dummyLiteral(type.ofType, pick, name)}]`;
  if (isScalarType(type) && type.name !== "ID" && plausible(name)) return plausible(name) as string;
  if (isEnumType(type)) {
    const values = type.getValues();
    return values[pick(values.length) % values.length]?.name ?? "";
  }
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields()).filter(
      (f) => (isNonNullType(f.type) && f.defaultValue === undefined) || NEEDED_OPTIONAL.has(f.name),
    );
    return `{ ${fields.map((f) => `${f.name}: ${dummyLiteral(f.type, pick, f.name)}`).join(", ")} }`;
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case "Int":
        return String(pick(3) + 1);
      case "Float":
        return "1.5";
      case "Boolean":
        return pick(2) ? "true" : "false";
      case "DateTime":
        return '"2026-01-01T00:00:00Z"';
      case "ID":
        // A well-formed global id ("HIT:3ABC"), so that authorization, not id parsing, decides.
        return '"SElUOjNBQkM="';
      default:
        return ['"X1"', '"3ABC"', '"AWORKER1"', '""'][pick(4) % 4] as string;
    }
  }
  return "null";
}

const selectionFor = (type: GraphQLOutputType) =>
  isScalarType(getNamedType(type)) || isEnumType(getNamedType(type)) ? "" : " { __typename }";

/** `query { field(requiredArgs) { __typename } }` for a root field. */
export function rootDocument(
  kind: "query" | "mutation",
  field: GraphQLField<unknown, unknown>,
  pick?: (n: number) => number,
) {
  const args = field.args.filter((a) => isNonNullType(a.type));
  const argText = args.length
    ? `(${args.map((a) => `${a.name}: ${dummyLiteral(a.type, pick, a.name)}`).join(", ")})`
    : "";
  return `${kind} { ${field.name}${argText}${selectionFor(field.type)} }`;
}

export const queryFields = () => Object.values(schema.getQueryType()?.getFields() ?? {});
export const mutationFields = () => Object.values(schema.getMutationType()?.getFields() ?? {});
export { schema };
