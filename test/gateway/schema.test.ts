import { readFileSync } from "node:fs";
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
} from "graphql";
import { describe, expect, it } from "vitest";
import { printedSchema } from "../../src/printSchema.js";
import { schema } from "../../src/schema/index.js";

describe("the schema", () => {
  it("matches schema.graphql (run `npm run schema` after changing it)", () => {
    expect(readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8")).toBe(printedSchema());
  });

  it("describes every type, field, argument and enum value", () => {
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (
        type.name.startsWith("__") ||
        (isScalarType(type) && ["String", "Int", "Float", "Boolean", "ID"].includes(type.name))
      )
        continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of "args" in field ? field.args : [])
            if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
      if (isEnumType(type))
        for (const value of type.getValues()) if (!value.description) missing.push(`${type.name}.${value.name}`);
      if (isUnionType(type) && !type.description) missing.push(type.name);
    }
    expect(missing).toEqual([]);
  });

  it("says which keys are required: every keyed mutation's input needs its idempotencyKey; a sendBonuses item's is optional", () => {
    const keyed = Object.values(schema.getMutationType()?.getFields() ?? {}).filter((field) => {
      const result = getNamedType(field.type);
      return isUnionType(result) && result.getTypes().some((t) => t.name === "IdempotencyKeyConflictError");
    });
    const keys = Object.fromEntries(
      keyed.map((field) => {
        const input = getNamedType(field.args[0]?.type);
        return [field.name, isInputObjectType(input) ? String(input.getFields().idempotencyKey?.type) : "none"];
      }),
    );
    expect(keys).toEqual({
      createAdditionalAssignmentsForHIT: "String!",
      createHIT: "String!",
      createHITWithHITType: "String!",
      sendBonus: "String!",
      sendBonuses: "String!",
    });
    const items = schema.getType("SendBonusesInput");
    const item = isInputObjectType(items) ? items.getFields().items?.type : undefined;
    expect(String(item)).toBe("[SendBonusesItemInput!]!");
    const itemType = getNamedType(item);
    const itemFields = isInputObjectType(itemType) ? itemType.getFields() : {};
    expect(isNonNullType(itemFields.idempotencyKey?.type)).toBe(false);
    // An item follows its batch's dryRun.
    expect(Object.keys(itemFields).sort()).toEqual([
      "assignmentId",
      "bonusAmount",
      "idempotencyKey",
      "reason",
      "workerId",
    ]);
  });
});
