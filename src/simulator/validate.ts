import { missingParameter, parameterError, serializationError, validationException } from "./errors.js";
import { isRecord } from "./json.js";

/** One member's rule, taken from the 2017-01-17 service model (botocore service-2.json). */
interface StringRule {
  kind: "string";
  min?: number;
  max?: number;
  pattern?: RegExp;
  oneOf?: readonly string[];
}
interface IntRule {
  kind: "int";
  min?: number;
  max?: number;
}
interface ListRule<R extends Rule = Rule> {
  kind: "list";
  of: R;
  max?: number;
}
interface StructRule<M extends Members = Members> {
  kind: "struct";
  members: M;
}
export type Rule = StringRule | IntRule | { kind: "bool" } | { kind: "timestamp" } | ListRule | StructRule;

interface Member {
  rule: Rule;
  required?: boolean;
}
export type Members = Record<string, Member>;

/** The value a rule lets through, as a handler sees it. */
type ValueOf<R> = R extends { kind: "string"; oneOf: readonly (infer V)[] }
  ? V
  : R extends { kind: "string" }
    ? string
    : R extends { kind: "int" } | { kind: "timestamp" }
      ? number
      : R extends { kind: "bool" }
        ? boolean
        : R extends ListRule<infer O>
          ? ValueOf<O>[]
          : R extends StructRule<infer M>
            ? InputOf<M>
            : never;

type RequiredKeys<M extends Members> = { [K in keyof M]: M[K] extends { required: true } ? K : never }[keyof M];

/** A validated input of these members: the required ones present, null and unknown members left out. */
export type InputOf<M extends Members> = {
  [K in RequiredKeys<M>]: ValueOf<M[K]["rule"]>;
} & {
  [K in Exclude<keyof M, RequiredKeys<M>>]?: ValueOf<M[K]["rule"]>;
};

export const str = (opts: Omit<StringRule, "kind"> = {}) => ({ kind: "string", ...opts }) satisfies StringRule;
export const int = (min?: number, max?: number) => ({ kind: "int", min, max }) satisfies IntRule;
export const bool = { kind: "bool" } as const satisfies Rule;
export const timestamp = { kind: "timestamp" } as const satisfies Rule;
export const list = <R extends Rule>(of: R, max?: number): ListRule<R> => ({ kind: "list", of, max });
export const struct = <M extends Members>(members: M): StructRule<M> => ({ kind: "struct", members });
export const oneOf = <const V extends readonly string[]>(...values: V) =>
  ({ kind: "string", oneOf: values }) satisfies StringRule;

export const entityId = str({ min: 1, max: 64, pattern: /^[A-Z0-9]+$/ });
export const workerId = str({ min: 1, max: 64, pattern: /^A[A-Z0-9]+$/ });
export const money = str({ pattern: /^[0-9]+(\.)?[0-9]{0,2}$/ });
export const nextToken = str({ min: 1, max: 255 });
export const maxResults = int(1, 100);
export const idempotencyToken = str({ min: 1, max: 64 });

// The two places a member's name meets its rule's type: Object.fromEntries cannot keep the names' types.
/** Marks members required: `req({ HITId: entityId })`. */
export const req = <R extends Record<string, Rule>>(rules: R) =>
  Object.fromEntries(Object.entries(rules).map(([k, rule]) => [k, { rule, required: true }])) as {
    [K in keyof R]: { rule: R[K]; required: true };
  };
export const opt = <R extends Record<string, Rule>>(rules: R) =>
  Object.fromEntries(Object.entries(rules).map(([k, rule]) => [k, { rule }])) as { [K in keyof R]: { rule: R[K] } };

/** A member of the wrong JSON type: refused before the operation (ValidationException, as AWS's front door does). */
const wrongType = (path: string, type: string) =>
  validationException(`Value at '${path}' failed to satisfy constraint: Member must be ${type}`);

function checkString(path: string, rule: StringRule, value: unknown): string {
  if (typeof value !== "string") throw wrongType(path, "a string");
  if (rule.min !== undefined && value.length < rule.min)
    throw parameterError(path, value, `It must be at least ${rule.min} characters.`);
  if (rule.max !== undefined && value.length > rule.max)
    throw parameterError(path, value, `It must be at most ${rule.max} characters.`);
  if (rule.pattern && !rule.pattern.test(value)) throw parameterError(path, value);
  if (rule.oneOf && !rule.oneOf.includes(value))
    throw parameterError(path, value, `Expected one of: ${rule.oneOf.join(", ")}.`);
  return value;
}

/** The member's value once its rule holds (a structure keeps only its modelled, non-null members). */
function parse(path: string, rule: Rule, value: unknown): unknown {
  switch (rule.kind) {
    case "string":
      return checkString(path, rule, value);
    case "int": {
      if (typeof value !== "number" || !Number.isInteger(value)) throw wrongType(path, "an integer");
      if ((rule.min !== undefined && value < rule.min) || (rule.max !== undefined && value > rule.max))
        throw parameterError(path, value, `It must be between ${rule.min ?? "-inf"} and ${rule.max ?? "inf"}.`);
      return value;
    }
    case "bool":
      if (typeof value !== "boolean") throw wrongType(path, "a boolean");
      return value;
    case "timestamp":
      if (typeof value !== "number" || !Number.isFinite(value)) throw wrongType(path, "a timestamp (epoch seconds)");
      return value;
    case "list": {
      if (!Array.isArray(value)) throw wrongType(path, "a list");
      if (rule.max !== undefined && value.length > rule.max)
        throw parameterError(path, `${value.length} items`, `At most ${rule.max} are allowed.`);
      return value.map((item, i) => parse(`${path}.${i + 1}`, rule.of, item));
    }
    case "struct":
      if (!isRecord(value)) throw wrongType(path, "a structure");
      return parseMembers(rule.members, value, `${path}.`);
  }
}

function parseMembers(members: Members, input: Record<string, unknown>, prefix = ""): Record<string, unknown> {
  const valid: Record<string, unknown> = {};
  for (const [name, { rule, required }] of Object.entries(members)) {
    const value = input[name];
    // A null member is an absent one, as for AWS's front door.
    if (value === undefined || value === null) {
      if (required) throw missingParameter(`${prefix}${name}`);
      continue;
    }
    valid[name] = parse(`${prefix}${name}`, rule, value);
  }
  return valid;
}

/** Validates an operation's input against its model members, throwing MTurk's error for the first violation. */
export function validateInput<M extends Members>(members: M, input: unknown): InputOf<M> {
  if (!isRecord(input)) throw serializationError("The request body must be a JSON object");
  // Where the wire meets the rules' types: parseMembers checked every member against the rule it is typed by.
  return parseMembers(members, input) as InputOf<M>;
}
