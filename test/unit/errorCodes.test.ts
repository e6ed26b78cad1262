import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../src/errorCodes.js";

/**
 * One list of error codes: every `extensions.code` the gateway's code writes is in src/errorCodes.ts, every code
 * of the list is written by the gateway or by a library of its pipeline, and docs/errors.md's table lists
 * exactly the list.
 */
const root = new URL("../../", import.meta.url).pathname;
const files = (dir: string, extensions = [".js", ".ts"]): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? files(join(dir, entry.name), extensions)
      : extensions.some((extension) => entry.name.endsWith(extension))
        ? [join(dir, entry.name)]
        : [],
  );
const read = (file: string) => readFileSync(join(root, file), "utf8");
/**
 * Constants the way codes are written: upper case words joined by underscores anywhere, and any upper case word on
 * a line that sets a code (`code: "FORBIDDEN"`, `code = … ? "UNAUTHENTICATED" : …`, `problem(403, "FORBIDDEN", …)`).
 */
const constants = (text: string) => [
  ...[...text.matchAll(/["']([A-Z]{2,}(?:_[A-Z0-9]+)+)["']/g)].map((m) => m[1] as string),
  ...text
    .split("\n")
    .filter((line) => /\bcode\b\s*(?::|=[^=]|\?\?)/.test(line))
    .flatMap((line) => [...line.matchAll(/(?:[:=?]\s*|\?\?\s*)"([A-Z][A-Z_]{2,})"/g)].map((m) => m[1] as string)),
  ...[...text.matchAll(/problem\(\d+,\s*"([A-Z][A-Z_]{2,})"/g)].map((m) => m[1] as string),
];

const errorsDoc = read("docs/errors.md");
const tableCodes = [...errorsDoc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
/** The names the other documents give in backticks: configuration variables. */
const documentedNames = new Set(
  ["README.md", ...files("docs", [".md"]).filter((f) => f !== "docs/errors.md")]
    .flatMap((f) => [...read(f).matchAll(/`([A-Z]{2,}(?:_[A-Z0-9]+)+)/g)])
    .map((m) => m[1] as string),
);
/** Codes a library of the pipeline answers with, and where it writes them. */
const LIBRARY_CODES: Record<string, string> = {
  GRAPHQL_PARSE_FAILED: "node_modules/graphql-yoga/esm",
  GRAPHQL_VALIDATION_FAILED: "node_modules/graphql-yoga/esm",
  PERSISTED_QUERY_NOT_IN_LIST: "node_modules/@graphql-yoga/plugin-persisted-operations/esm",
  PERSISTED_QUERY_ID_REQUIRED: "node_modules/@graphql-yoga/plugin-persisted-operations/esm",
  CANNOT_SEND_PQ_ID_AND_BODY: "node_modules/@graphql-yoga/plugin-persisted-operations/esm",
};

describe("error codes", () => {
  const gatewaySources = files("src").filter((f) => !f.startsWith("src/simulator") && f !== "src/errorCodes.ts");
  const written = new Map<string, string>();
  for (const file of gatewaySources) for (const constant of constants(read(file))) written.set(constant, file);

  it("every code the gateway writes is in the one list (the other such constants are documented settings)", () => {
    const unknown = [...written].filter(([c]) => !(c in ERROR_CODES) && !documentedNames.has(c));
    expect(unknown).toEqual([]);
  });

  it("every code of the list is written by the gateway or by a library of its pipeline", () => {
    const unused = Object.keys(ERROR_CODES).filter((code) => {
      if (written.has(code)) return false;
      const library = LIBRARY_CODES[code];
      return !library || !files(library).some((f) => read(f).includes(`'${code}'`));
    });
    expect(unused).toEqual([]);
  });

  it("docs/errors.md's table lists exactly the list, in its order", () => {
    expect(tableCodes).toEqual(Object.keys(ERROR_CODES));
  });
});
