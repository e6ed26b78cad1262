import { readFileSync } from "node:fs";
import { ApolloClient, HttpLink, InMemoryCache } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { addTypenameSelectionDocumentTransform } from "@graphql-codegen/client-preset";
import type { DocumentNode } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";
import { runClientPreset } from "./support/codegen.js";

const OUT = `${process.cwd()}/.tmp/clients-persisted`;
const DOCUMENTS = {
  "hits.graphql": `query FirstHits($first: Int!) { hits(first: $first) { edges { node { id hitId title creationTime } } } }`,
};
let stack: Stack;
let manifest: Record<string, string>;
let FirstHitsDocument: DocumentNode & { __meta__?: { hash: string } };

beforeAll(async () => {
  // docs/clients.md: codegen.ts with the client-preset, persistedDocuments on, __typename added for Apollo.
  await runClientPreset({
    outDir: OUT,
    documents: DOCUMENTS,
    config: { scalars: { DateTime: "string" } },
    presetConfig: { persistedDocuments: true, fragmentMasking: false },
    documentTransforms: [addTypenameSelectionDocumentTransform],
  });
  manifest = JSON.parse(readFileSync(`${OUT}/persisted-documents.json`, "utf8"));
  ({ FirstHitsDocument } = await import(`${OUT}/graphql.ts`));
  stack = await startStack({ size: "tiny", env: { PERSISTED_OPERATIONS_FILE: `${OUT}/persisted-documents.json` } });
});
afterAll(() => stack?.close());

const post = async (body: unknown) => {
  const response = await stack.yoga.fetch("http://gateway.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return (await response.json()) as {
    data?: { hits: { edges: unknown[] } };
    errors?: { extensions?: { code?: string } }[];
  };
};

describe("persisted documents from graphql-codegen's client-preset", () => {
  it("the manifest's ids are sha256:<hex> of the document", () => {
    const [id] = Object.keys(manifest);
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(FirstHitsDocument.__meta__?.hash).toBe(id);
  });

  it("runs by documentId with and without the sha256: prefix, and by Apollo's extensions.persistedQuery", async () => {
    const id = Object.keys(manifest)[0] as string;
    const hex = id.slice("sha256:".length);
    const variables = { first: 2 };
    for (const body of [
      { documentId: id, variables },
      { documentId: hex, variables },
      { extensions: { persistedQuery: { version: 1, sha256Hash: hex } }, variables },
      { extensions: { persistedQuery: { version: 1, sha256Hash: id } }, variables },
    ]) {
      const result = await post(body);
      expect(result.errors).toBeUndefined();
      expect(result.data?.hits.edges).toHaveLength(2);
    }
  });

  it("runs by ?documentId= on GET (with the CSRF header a GET needs)", async () => {
    const id = Object.keys(manifest)[0] as string;
    const query = new URLSearchParams({ documentId: id, variables: JSON.stringify({ first: 1 }) });
    const response = await stack.yoga.fetch(`http://gateway.test/graphql?${query}`, {
      headers: { accept: "application/json", "x-graphql-csrf": "1" },
    });
    const result = (await response.json()) as { data?: { hits: { edges: unknown[] } } };
    expect(result.data?.hits.edges).toHaveLength(1);
  });

  it("refuses documents outside the manifest, unknown ids and __proto__", async () => {
    expect((await post({ query: "{ hits { edges { cursor } } }" })).errors?.[0]?.extensions?.code).toBe(
      "CANNOT_SEND_PQ_ID_AND_BODY",
    );
    for (const documentId of [`sha256:${"0".repeat(64)}`, "__proto__", "sha256:__proto__", "constructor"])
      expect((await post({ documentId })).errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_IN_LIST");
  });

  it("Apollo Client's PersistedQueryLink with generateHash from the generated document", async () => {
    const client = new ApolloClient({
      cache: new InMemoryCache(),
      link: new PersistedQueryLink({
        generateHash: (document) => (document as { __meta__?: { hash: string } }).__meta__?.hash as string,
      }).concat(new HttpLink({ uri: "http://gateway.test/graphql", fetch: stack.yoga.fetch as typeof fetch })),
    });
    const { data, error } = await client.query({ query: FirstHitsDocument, variables: { first: 3 } });
    expect(error).toBeUndefined();
    expect((data as { hits: { edges: unknown[] } }).hits.edges).toHaveLength(3);
  });
});
