import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadConfig, SETTINGS } from "../../src/config.js";
import { printedConfiguration } from "../../src/printConfiguration.js";

describe("docs/configuration.md", () => {
  const doc = readFileSync(new URL("../../docs/configuration.md", import.meta.url), "utf8");

  it("is what `npm run docs` prints from the settings' schema", () => {
    expect(doc).toBe(printedConfiguration());
  });

  it("names every setting the gateway reads, each with a description", () => {
    const undescribed = Object.values(SETTINGS)
      .flatMap((group) => Object.entries(group))
      .filter(([name, schema]) => !schema.description || !doc.includes(`| \`${name}\` |`))
      .map(([name]) => name);
    expect(undescribed).toEqual([]);
  });
});

describe("list settings", () => {
  it("are split at commas, trimmed, empty items dropped; unset stays unset", () => {
    const config = loadConfig({ CORS_ORIGINS: " https://a.example , https://b.example,,", SNS_TOPIC_ARNS: "" });
    expect(config.CORS_ORIGINS).toEqual(["https://a.example", "https://b.example"]);
    expect(config.SNS_TOPIC_ARNS).toEqual([]);
    expect(loadConfig({}).ALLOWED_HOSTS).toBeUndefined();
    expect(loadConfig({}).SNS_CERT_ORIGINS).toEqual(["https://sns.us-east-1.amazonaws.com"]);
  });
});
