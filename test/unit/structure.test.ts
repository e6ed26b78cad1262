import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/** The house rules that keep src/ readable: files under 400 lines, functions under 80 (docs/architecture.md). */
const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : [],
  );

describe("src/", () => {
  const files = sources("src").map((path) => ({ path, text: readFileSync(path, "utf8") }));

  it(`has no file over ${MAX_FILE_LINES} lines`, () => {
    const long = files.filter((f) => f.text.split("\n").length > MAX_FILE_LINES).map((f) => f.path);
    expect(files.length).toBeGreaterThan(50);
    expect(long).toEqual([]);
  });

  it(`has no function over ${MAX_FUNCTION_LINES} lines`, () => {
    const long: string[] = [];
    for (const { path, text } of files) {
      const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node) => {
        if (ts.isFunctionLike(node) && (node as ts.FunctionLikeDeclaration).body) {
          const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
          const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
          if (last - first + 1 > MAX_FUNCTION_LINES) long.push(`${path}:${first + 1} (${last - first + 1} lines)`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    expect(long).toEqual([]);
  });
});
