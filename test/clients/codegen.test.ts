import { describe, expect, it } from "vitest";
import { runClientPreset } from "./support/codegen.js";

const DOCUMENTS = { "hit.graphql": "query OneHit($id: String!) { hit(hitId: $id) { hitId creationTime expiration } }" };

describe("graphql-codegen's client-preset", () => {
  it("types DateTime as a string with the README's scalars config, and as unknown without it", async () => {
    const typed = await runClientPreset({
      outDir: `${process.cwd()}/.tmp/clients-codegen/typed`,
      documents: DOCUMENTS,
      config: { scalars: { DateTime: "string" }, strictScalars: true },
    });
    expect(typed["graphql.ts"]).toMatch(/creationTime: string \| null/);
    const untyped = await runClientPreset({
      outDir: `${process.cwd()}/.tmp/clients-codegen/untyped`,
      documents: DOCUMENTS,
    });
    expect(untyped["graphql.ts"]).toMatch(/creationTime: unknown/);
  });
});
