import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { preset } from "@graphql-codegen/client-preset";
import { codegen } from "@graphql-codegen/core";
import { buildSchema, parse } from "graphql";

const SCHEMA = new URL("../../../schema.graphql", import.meta.url);

/**
 * graphql-codegen's client-preset, run as its CLI runs it (preset.buildGeneratesSection, then codegen for each
 * file), with the configuration docs/clients.md gives (`config` and `presetConfig` of codegen.ts).
 * Writes the generated files under `outDir` and returns the persisted documents manifest if asked for.
 */
export async function runClientPreset(options: {
  documents: Record<string, string>;
  outDir: string;
  config?: Record<string, unknown>;
  presetConfig?: Record<string, unknown>;
  documentTransforms?: unknown[];
}) {
  const sdl = readFileSync(SCHEMA, "utf8");
  const schemaAst = buildSchema(sdl);
  const documents = Object.entries(options.documents).map(([location, text]) => ({
    location,
    document: parse(text),
    rawSDL: text,
  }));
  const outputs = await preset.buildGeneratesSection({
    baseOutputDir: `${options.outDir}/`,
    schema: parse(sdl),
    schemaAst,
    documents,
    config: options.config ?? {},
    presetConfig: options.presetConfig ?? {},
    plugins: [],
    pluginMap: {},
    documentTransforms: (options.documentTransforms ?? []).map((transform) => ({
      name: "transform",
      transformObject: transform,
    })),
  } as never);
  const files: Record<string, string> = {};
  for (const output of outputs) {
    const content = await codegen(output as never);
    mkdirSync(dirname(output.filename), { recursive: true });
    writeFileSync(output.filename, content);
    files[output.filename.slice(options.outDir.length + 1)] = content;
  }
  return files;
}
