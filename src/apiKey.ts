import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { hashApiKey, SCOPES } from "./security/auth.js";

/** `npm run api-key -- --name ci --scopes read,write`: prints a new key once, and the entry to configure (its hash). */
const { values } = parseArgs({ options: { name: { type: "string" }, scopes: { type: "string", default: "read" } } });
const scopes = (values.scopes ?? "read").split(",").map((s) => s.trim());
const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
if (!values.name || unknown.length) {
  console.error(
    `usage: npm run api-key -- --name NAME --scopes ${SCOPES.join(",")}${unknown.length ? ` (unknown: ${unknown})` : ""}`,
  );
  process.exit(2);
}
const key = `mtg_${randomBytes(24).toString("base64url")}`;
console.log(`API key (shown once; give it to the client, send it as x-api-key): ${key}`);
console.log(
  `Add to AUTH_API_KEYS (JSON array): ${JSON.stringify({ name: values.name, sha256: hashApiKey(key), scopes })}`,
);
