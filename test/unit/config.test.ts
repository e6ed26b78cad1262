import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { principalForApiKey } from "../../src/security/auth.js";

const errorOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("no error");
};

describe("configuration errors", () => {
  it("are one line each, naming the variable and what is wrong", () => {
    expect(errorOf({ AUTH_API_KEYS: "not json" })).toMatch(/^Invalid configuration: AUTH_API_KEYS: not valid JSON/);
    expect(errorOf({ AUTH_API_KEYS: "not json" })).not.toContain("\n");
    const single = `{"name":"a","sha256":"${"a".repeat(64)}","scopes":["read"]}`;
    expect(errorOf({ AUTH_API_KEYS: single })).toMatch(/^Invalid configuration: AUTH_API_KEYS: must be a JSON array/);
    expect(errorOf({ AUTH_API_KEYS: `[{"name":"a","sha256":"00","scopes":["read"]}]` })).toMatch(
      /^Invalid configuration: AUTH_API_KEYS: entry 0 field sha256: must be the key's SHA-256/,
    );
    expect(errorOf({ AUTH_API_KEYS_FILE: "/nonexistent/keys.json" })).toBe(
      "Invalid configuration: AUTH_API_KEYS_FILE: cannot read /nonexistent/keys.json (ENOENT)",
    );
    const lines = errorOf({ PORT: "abc", MTURK_ENV: "prod" }).split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^Invalid configuration: PORT: /);
    expect(lines[1]).toMatch(/^Invalid configuration: MTURK_ENV: .*"sandbox"/);
  });

  it("never echo a value (a secret may be wrong)", () => {
    expect(errorOf({ CURSOR_SECRET: "short-secret" })).not.toContain("short-secret");
  });
});

describe("npm run api-key", () => {
  const run = (env: Record<string, string> = {}) =>
    execFileSync(process.execPath, ["--import", "tsx", "src/apiKey.ts", "--name", "lab-ui", "--scopes", "read,write"], {
      env: { ...process.env, ...env },
      encoding: "utf8",
    });
  /** What a shell makes of the printed line: it is pasted, so the shell's quoting must give the JSON back. */
  const pasted = (output: string) => {
    const line = output.split("\n").find((l) => l.startsWith("AUTH_API_KEYS=")) as string;
    return execFileSync("bash", ["-c", `${line}; printf %s "$AUTH_API_KEYS"`], { encoding: "utf8" });
  };

  it("prints AUTH_API_KEYS='[…]' ready to paste, and the key works with it", () => {
    const output = run();
    const key = /(mtg_[\w-]+)/.exec(output)?.[1] as string;
    const config = loadConfig({ AUTH_API_KEYS: pasted(output) });
    expect(principalForApiKey(config.auth.apiKeys, key)?.name).toBe("lab-ui");
    expect(output).toContain("To add this key to an existing list");
  });

  it("adds the new entry to the list already in AUTH_API_KEYS", () => {
    const first = run();
    const second = run({ AUTH_API_KEYS: pasted(first) });
    const config = loadConfig({ AUTH_API_KEYS: pasted(second) });
    expect(config.auth.apiKeys).toHaveLength(2);
    for (const output of [first, second])
      expect(principalForApiKey(config.auth.apiKeys, /(mtg_[\w-]+)/.exec(output)?.[1] as string)).toBeDefined();
  });
});
