import { readFileSync } from "node:fs";
import { buildSchema, isInputObjectType, isScalarType } from "graphql";
import { describe, expect, it } from "vitest";
import { printedEmbeddedTypes, printedPossibleTypes } from "../../src/clientArtifacts.js";

/** What clients and code generators read from schema.graphql (the file they are pointed at). */
const schema = buildSchema(readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8"));

describe("schema.graphql for clients", () => {
  it("has a description (GraphiQL's documentation root)", () => {
    expect(schema.description).toMatch(/Mechanical Turk/);
  });

  it("says what DateTime is (@specifiedBy)", () => {
    const dateTime = schema.getType("DateTime");
    expect(isScalarType(dateTime) && dateTime.specifiedByURL).toBe("https://scalars.graphql.org/andimarek/date-time");
  });

  it("marks inputs where exactly one member is allowed as @oneOf", () => {
    const selection = schema.getType("AssignmentSelection");
    expect(isInputObjectType(selection) && selection.isOneOf).toBe(true);
  });

  it("declares @defer and @stream", () => {
    expect(schema.getDirective("defer")).toBeDefined();
    expect(schema.getDirective("stream")?.args.map((a) => a.name)).toContain("initialCount");
  });
});

describe("clients/possibleTypes.json (Apollo Client) and clients/embeddedTypes.json (urql graphcache)", () => {
  it("match schema.graphql (run `npm run schema` after changing the schema)", () => {
    expect(readFileSync(new URL("../../clients/possibleTypes.json", import.meta.url), "utf8")).toBe(
      printedPossibleTypes(schema),
    );
    expect(readFileSync(new URL("../../clients/embeddedTypes.json", import.meta.url), "utf8")).toBe(
      printedEmbeddedTypes(schema),
    );
  });
});
