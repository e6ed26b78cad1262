import { writeFileSync } from "node:fs";
import { z } from "zod";
import { SETTINGS } from "./config.js";

/** `npm run docs`: writes docs/configuration.md from the settings' schema. A test fails when the file differs. */

const GROUPS: Record<keyof typeof SETTINGS, string> = {
  server: "Server: where it listens and what HTTP accepts",
  upstream: "Upstream: which MTurk, and how it is called",
  limits: "Limits: what one request may ask",
  mirror: "Mirror: the account's durable copy",
  fleet: "Fleet: several instances as one",
  live: "Live: subscriptions and notifications",
  auth: "Authentication",
  observability: "Observability",
};

interface JsonSchemaOfSetting {
  type?: string;
  enum?: unknown[];
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  minLength?: number;
  format?: string;
  default?: unknown;
  description?: string;
  accepts?: string;
}

/** What a value may be, in words: from the JSON Schema zod gives of the setting's input. */
function accepts(setting: JsonSchemaOfSetting): string {
  if (setting.accepts) return setting.accepts;
  if (setting.enum) return setting.enum.map((value) => `\`${String(value)}\``).join(", ");
  if (setting.format === "uri") return "URL";
  if (setting.type === "integer" || setting.type === "number") {
    // zod bounds every integer by the safe range: that is no limit worth printing.
    const bound = (value: number | undefined) =>
      value !== undefined && Math.abs(value) < Number.MAX_SAFE_INTEGER ? value : undefined;
    const [min, max] = [bound(setting.minimum), bound(setting.maximum)];
    const more = bound(setting.exclusiveMinimum);
    const from = min !== undefined ? ` ≥ ${min}` : more !== undefined ? ` > ${more}` : "";
    return `${setting.type}${from}${max !== undefined ? `, ≤ ${max}` : ""}`;
  }
  return setting.minLength ? `text, ${setting.minLength}+ characters` : "text";
}

const shown = (value: unknown) =>
  value === undefined ? "–" : `\`${Array.isArray(value) ? value.join(",") : String(value)}\``;
const cell = (text: string) => text.replaceAll("|", "\\|");

export function printedConfiguration(): string {
  const lines = [
    "# Configuration",
    "",
    "<!-- Generated from src/config.ts by `npm run docs`; test/unit/configurationDoc.test.ts fails when it differs. -->",
    "",
    "Environment variables, checked with zod at start: a bad value stops the gateway with one line per problem, naming",
    "the variable and never echoing its value. A default of – means unset (what unset means is in the text).",
  ];
  for (const [group, settings] of Object.entries(SETTINGS) as [keyof typeof SETTINGS, Record<string, z.ZodType>][]) {
    lines.push("", `## ${GROUPS[group]}`, "", "| variable | default | accepts | meaning |", "|---|---|---|---|");
    for (const [name, schema] of Object.entries(settings)) {
      const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchemaOfSetting;
      lines.push(`| \`${name}\` | ${shown(json.default)} | ${accepts(json)} | ${cell(json.description ?? "")} |`);
    }
  }
  return `${lines.join("\n")}\n`;
}

if (process.argv[1]?.endsWith("printConfiguration.ts")) {
  writeFileSync(new URL("../docs/configuration.md", import.meta.url), printedConfiguration());
  console.log("docs/configuration.md written");
}
