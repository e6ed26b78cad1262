import { writeFileSync } from "node:fs";
import { lexicographicSortSchema, printSchema } from "graphql";
import { schema } from "./schema/index.js";

/** `npm run schema`: writes schema.graphql, sorted, from the code. A test fails when the file differs. */
export const printedSchema = () => `${printSchema(lexicographicSortSchema(schema))}\n`;

if (process.argv[1]?.endsWith("printSchema.ts")) {
  writeFileSync(new URL("../schema.graphql", import.meta.url), printedSchema());
  console.log("schema.graphql written");
}
