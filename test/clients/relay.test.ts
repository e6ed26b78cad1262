import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Environment, fetchQuery, type GraphQLTaggedNode, Network, RecordSource, Store } from "relay-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";

const ROOT = `${process.cwd()}/.tmp/clients-relay`;
const COMPILER = `${process.cwd()}/node_modules/.bin/relay-compiler`;
let stack: Stack;

/** A Relay project with one query, compiled by relay-compiler against schema.graphql with `config`. */
function compile(config: Record<string, unknown>) {
  rmSync(ROOT, { recursive: true, force: true });
  mkdirSync(`${ROOT}/src`, { recursive: true });
  writeFileSync(
    `${ROOT}/src/HitsQuery.ts`,
    'import { graphql } from "relay-runtime";\nexport const query = graphql`query HitsQuery($first: Int!) { hits(first: $first) { edges { node { id hitId creationTime } } } }`;\n',
  );
  writeFileSync(
    `${ROOT}/relay.config.json`,
    JSON.stringify({ src: "./src", schema: `${process.cwd()}/schema.graphql`, language: "typescript", ...config }),
  );
  execFileSync(COMPILER, [], { cwd: ROOT, stdio: "pipe" });
  return readFileSync(`${ROOT}/src/__generated__/HitsQuery.graphql.ts`, "utf8");
}

beforeAll(async () => {
  stack = await startStack({ size: "tiny" });
});
afterAll(() => stack?.close());

describe("Relay (relay-compiler and relay-runtime)", () => {
  it("types DateTime as a string with customScalarTypes (README), and as any without", () => {
    expect(compile({})).toMatch(/readonly creationTime: any/);
    expect(compile({ customScalarTypes: { DateTime: "string" } })).toMatch(/readonly creationTime: string \| null/);
  });

  it("runs the compiled query through relay-runtime's network layer (POST, JSON)", async () => {
    compile({ customScalarTypes: { DateTime: "string" } });
    const artifact = (await import(`${ROOT}/src/__generated__/HitsQuery.graphql.ts`)).default as GraphQLTaggedNode;
    const environment = new Environment({
      network: Network.create(async (params, variables) => {
        const response = await stack.yoga.fetch("http://gateway.test/graphql", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: params.text, variables }),
        });
        return response.json();
      }),
      store: new Store(new RecordSource()),
    });
    const data = (await fetchQuery(environment, artifact, { first: 2 }).toPromise()) as {
      hits: { edges: { node: { id: string; creationTime: string } }[] };
    };
    expect(data.hits.edges).toHaveLength(2);
    expect(data.hits.edges[0]?.node.creationTime).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});
