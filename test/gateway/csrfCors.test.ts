import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";

/** What a newcomer's browser or client meets first: CSRF prevention says what to send; a preflight is a preflight. */
const preflight = {
  origin: "https://app.example",
  "access-control-request-method": "POST",
  "access-control-request-headers": "content-type, x-api-key",
};

describe.each([
  { cors: "off", env: {} as Record<string, string> },
  { cors: "for https://app.example", env: { CORS_ORIGINS: "https://app.example" } },
])("CSRF and CORS (CORS $cors)", ({ env }) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ size: "empty", env });
  });
  afterAll(() => stack.close());

  it("a request CSRF prevention refuses is told what to send: the x-graphql-csrf header, or a JSON POST", async () => {
    for (const init of [
      { method: "GET" },
      { method: "POST", headers: { "content-type": "text/plain" }, body: '{"query":"{ __typename }"}' },
    ]) {
      const response = await stack.yoga.fetch("http://gateway.test/graphql?query=%7B__typename%7D", init);
      const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
      expect(response.status).toBe(403);
      expect(body.errors[0]?.extensions.code).toBe("FORBIDDEN");
      expect(body.errors[0]?.message).toContain("x-graphql-csrf: 1");
      expect(body.errors[0]?.message).toContain("content-type application/json");
    }
    const allowed = await stack.yoga.fetch("http://gateway.test/graphql?query=%7B__typename%7D", {
      headers: { "x-graphql-csrf": "1" },
    });
    expect(await allowed.json()).toMatchObject({ data: { __typename: "Query" } });
  });

  it("a CORS preflight is answered as a preflight: 204, allowed only for a configured origin", async () => {
    const response = await stack.yoga.fetch("http://gateway.test/graphql", { method: "OPTIONS", headers: preflight });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe("");
    const allowed = response.headers.get("access-control-allow-origin");
    expect(allowed).toBe(env.CORS_ORIGINS ? "https://app.example" : null);
    const other = await stack.yoga.fetch("http://gateway.test/graphql", {
      method: "OPTIONS",
      headers: { ...preflight, origin: "https://other.example" },
    });
    expect([other.status, other.headers.get("access-control-allow-origin")]).toEqual([204, null]);
  });
});

describe("the documentation", () => {
  const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
  const readme = read("README.md");
  const section = (title: string) => {
    const start = readme.indexOf(`\n## ${title}\n`);
    return readme.slice(start, readme.indexOf("\n## ", start + 1));
  };
  it("names CORS_ORIGINS and the CSRF header where a newcomer looks: the README's client section and docs/clients.md", () => {
    const places: [string, string][] = [
      ["README: An example client", section("An example client")],
      ["docs/clients.md", read("docs/clients.md")],
    ];
    for (const [where, text] of places)
      expect([where, text.includes("CORS_ORIGINS"), text.includes("x-graphql-csrf: 1")]).toEqual([where, true, true]);
  });
});
