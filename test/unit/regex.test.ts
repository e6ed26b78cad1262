import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkSync } from "recheck";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * Every regular expression the gateway runs may meet untrusted text (ids, messages, headers): each must run in
 * linear time. recheck proves it statically (a quadratic one made `hit(hitId: <95,000 spaces>)` take 11 s).
 */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "simulator" ? [] : sources(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

function regexLiterals(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) found.push(node.getText(source));
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe("regular expressions on untrusted text", () => {
  const all = sources("src").flatMap((file) => regexLiterals(file).map((literal) => ({ file, literal })));

  it("finds the gateway's regular expressions", () => {
    expect(all.length).toBeGreaterThan(5);
  });

  it.each(all)("$literal ($file) runs in linear time", ({ literal }) => {
    const end = literal.lastIndexOf("/");
    const result = checkSync(literal.slice(1, end), literal.slice(end + 1));
    expect(result.status, JSON.stringify(result)).toBe("safe");
  });
});
