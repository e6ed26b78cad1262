import { missingParameter, parameterError, serializationError, validationException } from "./errors.js";

/** One member's rule, taken from the 2017-01-17 service model (botocore service-2.json). */
export type Rule =
  | { kind: "string"; min?: number; max?: number; pattern?: RegExp; oneOf?: readonly string[] }
  | { kind: "int"; min?: number; max?: number }
  | { kind: "bool" }
  | { kind: "timestamp" }
  | { kind: "list"; of: Rule; max?: number }
  | { kind: "struct"; members: Members };

export type Members = Record<string, { rule: Rule; required?: boolean }>;

export const str = (opts: Omit<Extract<Rule, { kind: "string" }>, "kind"> = {}): Rule => ({ kind: "string", ...opts });
export const int = (min?: number, max?: number): Rule => ({ kind: "int", min, max });
export const bool: Rule = { kind: "bool" };
export const timestamp: Rule = { kind: "timestamp" };
export const list = (of: Rule, max?: number): Rule => ({ kind: "list", of, max });
export const struct = (members: Members): Rule => ({ kind: "struct", members });
export const oneOf = (...values: string[]): Rule => ({ kind: "string", oneOf: values });

export const entityId = str({ min: 1, max: 64, pattern: /^[A-Z0-9]+$/ });
export const workerId = str({ min: 1, max: 64, pattern: /^A[A-Z0-9]+$/ });
export const money = str({ pattern: /^[0-9]+(\.)?[0-9]{0,2}$/ });
export const nextToken = str({ min: 1, max: 255 });
export const maxResults = int(1, 100);
export const idempotencyToken = str({ min: 1, max: 64 });

/** Marks members required: `req({ HITId: entityId })`. */
export const req = (rules: Record<string, Rule>): Members =>
  Object.fromEntries(Object.entries(rules).map(([k, rule]) => [k, { rule, required: true }]));
export const opt = (rules: Record<string, Rule>): Members =>
  Object.fromEntries(Object.entries(rules).map(([k, rule]) => [k, { rule }]));

/** A member of the wrong JSON type: refused before the operation (ValidationException, as AWS's front door does). */
const wrongType = (path: string, type: string) =>
  validationException(`Value at '${path}' failed to satisfy constraint: Member must be ${type}`);

function check(path: string, rule: Rule, value: unknown): void {
  switch (rule.kind) {
    case "string": {
      if (typeof value !== "string") throw wrongType(path, "a string");
      if (rule.min !== undefined && value.length < rule.min)
        throw parameterError(path, value, `It must be at least ${rule.min} characters.`);
      if (rule.max !== undefined && value.length > rule.max)
        throw parameterError(path, value, `It must be at most ${rule.max} characters.`);
      if (rule.pattern && !rule.pattern.test(value)) throw parameterError(path, value);
      if (rule.oneOf && !rule.oneOf.includes(value))
        throw parameterError(path, value, `Expected one of: ${rule.oneOf.join(", ")}.`);
      return;
    }
    case "int": {
      if (typeof value !== "number" || !Number.isInteger(value)) throw wrongType(path, "an integer");
      if ((rule.min !== undefined && value < rule.min) || (rule.max !== undefined && value > rule.max))
        throw parameterError(path, value, `It must be between ${rule.min ?? "-inf"} and ${rule.max ?? "inf"}.`);
      return;
    }
    case "bool":
      if (typeof value !== "boolean") throw wrongType(path, "a boolean");
      return;
    case "timestamp":
      if (typeof value !== "number" || !Number.isFinite(value)) throw wrongType(path, "a timestamp (epoch seconds)");
      return;
    case "list": {
      if (!Array.isArray(value)) throw wrongType(path, "a list");
      if (rule.max !== undefined && value.length > rule.max)
        throw parameterError(path, `${value.length} items`, `At most ${rule.max} are allowed.`);
      for (const [i, item] of value.entries()) check(`${path}.${i + 1}`, rule.of, item);
      return;
    }
    case "struct":
      if (typeof value !== "object" || value === null || Array.isArray(value)) throw wrongType(path, "a structure");
      checkMembers(rule.members, value as Record<string, unknown>, `${path}.`);
  }
}

function checkMembers(members: Members, input: Record<string, unknown>, prefix = ""): void {
  for (const [name, { rule, required }] of Object.entries(members)) {
    const value = input[name];
    if (value === undefined || value === null) {
      if (required) throw missingParameter(`${prefix}${name}`);
      continue;
    }
    check(`${prefix}${name}`, rule, value);
  }
}

/** Validates an operation's input against its model members, throwing MTurk's error for the first violation. */
export function validateInput(members: Members, input: unknown): Record<string, unknown> {
  if (typeof input !== "object" || input === null || Array.isArray(input))
    throw serializationError("The request body must be a JSON object");
  checkMembers(members, input as Record<string, unknown>);
  return input as Record<string, unknown>;
}
