import { readFileSync } from "node:fs";
import type { z } from "zod";
import { type ApiKeyEntry, apiKeySchema } from "./security/auth.js";

/**
 * One line per problem, each starting with the variable it is about: an operator reads the first words and knows
 * what to fix. Values are never echoed (a secret may be among them).
 */
export function configurationErrors(error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    const variable = issue.path.map(String).join(".");
    // One line: zod's own messages may span several (no regex: it would meet the operator's text).
    const message = issue.message
      .split("\n")
      .map((line) => line.trim())
      .join(" ");
    return variable ? `${variable}: ${message}` : message;
  });
  return lines.map((line) => `Invalid configuration: ${line}`).join("\n");
}

type IssueSink = { addIssue(issue: { code: "custom"; path: string[]; message: string }): void };

/**
 * AUTH_API_KEYS (or AUTH_API_KEYS_FILE) as entries, each problem reported under that variable's name: not JSON,
 * not an array (the common mistake: one entry pasted alone), or an entry without name, sha256 or scopes.
 */
export function apiKeysFrom(env: { AUTH_API_KEYS?: string; AUTH_API_KEYS_FILE?: string }, ctx: IssueSink) {
  const variable = env.AUTH_API_KEYS_FILE ? "AUTH_API_KEYS_FILE" : "AUTH_API_KEYS";
  const fail = (message: string): ApiKeyEntry[] => {
    ctx.addIssue({ code: "custom", path: [variable], message });
    return [];
  };
  let text: string | undefined = env.AUTH_API_KEYS;
  if (env.AUTH_API_KEYS_FILE) {
    try {
      text = readFileSync(env.AUTH_API_KEYS_FILE, "utf8");
    } catch (error) {
      return fail(`cannot read ${env.AUTH_API_KEYS_FILE} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
    }
  }
  if (!text) return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail(`not valid JSON; expected '[{"name":…,"sha256":…,"scopes":[…]}]' as \`npm run api-key\` prints it`);
  }
  if (!Array.isArray(json))
    return fail(
      `must be a JSON array of entries ([{…}, {…}]), not ${json === null ? "null" : typeof json}; wrap a single entry in [ ]`,
    );
  const parsed = apiKeySchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0] as z.core.$ZodIssue;
  const [index, ...field] = issue.path.map(String);
  return fail(`entry ${index}${field.length ? ` field ${field.join(".")}` : ""}: ${describe(field[0], issue.message)}`);
}

/** zod's messages name types; these say what the field must be. */
function describe(field: string | undefined, message: string): string {
  if (field === "sha256") return "must be the key's SHA-256 as 64 lowercase hex digits (npm run api-key prints it)";
  if (field === "scopes") return 'must be a non-empty array of "read", "write", "pay"';
  if (field === "name") return "must be a non-empty string";
  return message;
}
