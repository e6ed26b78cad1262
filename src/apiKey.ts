import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { apiKeySchema, hashApiKey, SCOPES } from "./security/auth.js";

/**
 * `npm run api-key -- --name ci --scopes read,write`: prints a new key once, and AUTH_API_KEYS as a shell line
 * ready to paste. With AUTH_API_KEYS set in the environment, the line holds the existing entries plus the new one.
 */
const { values } = parseArgs({ options: { name: { type: "string" }, scopes: { type: "string", default: "read" } } });
const scopes = (values.scopes ?? "read").split(",").map((s) => s.trim());
const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
if (!values.name || unknown.length) {
  console.error(
    `usage: npm run api-key -- --name NAME --scopes ${SCOPES.join(",")}${unknown.length ? ` (unknown: ${unknown})` : ""}`,
  );
  process.exit(2);
}

/** The entries already configured, if AUTH_API_KEYS holds a valid list; a broken one is left for the operator. */
function existing(): unknown[] {
  const current = process.env.AUTH_API_KEYS;
  if (!current) return [];
  try {
    return apiKeySchema.parse(JSON.parse(current));
  } catch {
    console.error("AUTH_API_KEYS in this environment is not a valid list: it is left out of the line below.");
    return [];
  }
}

/** Single quotes keep the shell from reading the JSON; a quote inside is closed, escaped and reopened. */
const shellQuoted = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

const key = `mtg_${randomBytes(24).toString("base64url")}`;
const entry = { name: values.name, sha256: hashApiKey(key), scopes };
const before = existing();
console.log(`API key for ${values.name} (shown once; the client sends it as x-api-key): ${key}`);
console.log("");
console.log(
  before.length ? `AUTH_API_KEYS with the ${before.length} existing entries and this one:` : "AUTH_API_KEYS:",
);
console.log(`AUTH_API_KEYS=${shellQuoted(JSON.stringify([...before, entry]))}`);
console.log("");
console.log("To add this key to an existing list, put this entry inside its brackets, after a comma:");
console.log(JSON.stringify(entry));
console.log(`or run again with the current list in the environment: AUTH_API_KEYS='[…]' npm run api-key -- …`);
