import { writeFileSync } from "node:fs";
import { lexicographicSortSchema, printSchema } from "graphql";
import { printedEmbeddedTypes, printedPossibleTypes } from "./clientArtifacts.js";
import { schema } from "./schema/index.js";

/** `npm run schema`: writes schema.graphql, sorted, from the code. A test fails when the file differs. */
export const printedSchema = () => `${printSchema(lexicographicSortSchema(schema))}\n`;

if (process.argv[1]?.endsWith("printSchema.ts")) {
  writeFileSync(new URL("../schema.graphql", import.meta.url), printedSchema());
  // Shipped for Apollo Client (docs/clients.md); a test fails when it differs from the schema too.
  writeFileSync(new URL("../clients/possibleTypes.json", import.meta.url), printedPossibleTypes(schema));
  writeFileSync(new URL("../clients/embeddedTypes.json", import.meta.url), printedEmbeddedTypes(schema));
  console.log("schema.graphql, clients/possibleTypes.json and clients/embeddedTypes.json written");
}
