import { SimulatorError } from "./errors.js";

/** A JSON object, its members read one by one. */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const badRequest = (message: string) => new SimulatorError("BadRequest", message, 400);

/** The body of a /_simulator/ route: a JSON object, or nothing. */
export function jsonBody(rawBody: string): Record<string, unknown> {
  const body: unknown = rawBody ? JSON.parse(rawBody) : {};
  if (!isRecord(body)) throw badRequest("The body must be a JSON object.");
  return body;
}

/** A member that is a string when given. */
export function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || typeof value === "string") return value;
  throw badRequest(`${name} must be a string.`);
}

/** A member that is a list of strings when given. */
export function optionalStrings(body: Record<string, unknown>, name: string): string[] | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (Array.isArray(value) && value.every((item): item is string => typeof item === "string")) return value;
  throw badRequest(`${name} must be a list of strings.`);
}

/** A member that is one of these values. */
export function oneOfMember<V extends string>(body: Record<string, unknown>, name: string, values: readonly V[]): V {
  const value = body[name];
  const found = values.find((v) => v === value);
  if (found === undefined) throw badRequest(`${name} must be one of ${values.join(", ")}.`);
  return found;
}
