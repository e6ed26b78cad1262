import { readFileSync } from "node:fs";
import { usePersistedOperations } from "@graphql-yoga/plugin-persisted-operations";

/**
 * A document id as clients send it, without its algorithm prefix: graphql-codegen's client-preset and the
 * GraphQL-over-HTTP persisted documents appendix write `sha256:<hex>`, Apollo's persisted-queries link sends the
 * bare hex (or whatever its generateHash returns, such as the client-preset's `sha256:<hex>`).
 */
const normalizeDocumentId = (id: string) => id.replace(/^sha256:/i, "").toLowerCase();

/** The manifest, `{"<id>": "<document>"}` as the client-preset writes persisted-documents.json, keyed by bare hash. */
function loadManifest(file: string): Map<string, string> {
  const manifest = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  // A Map, not an object: an id such as "__proto__" must find nothing.
  const store = new Map<string, string>();
  for (const [id, document] of Object.entries(manifest))
    if (typeof document === "string") store.set(normalizeDocumentId(id), document);
  return store;
}

/** Where each client puts the id: `documentId` (body or query string), or Apollo's `extensions.persistedQuery`. */
function documentIdOf(params: { extensions?: Record<string, unknown> } & Record<string, unknown>, request: Request) {
  if (typeof params.documentId === "string") return params.documentId;
  const persisted = params.extensions?.persistedQuery as { version?: number; sha256Hash?: unknown } | undefined;
  if (persisted?.version === 1 && typeof persisted.sha256Hash === "string") return persisted.sha256Hash;
  if (request.method === "GET") return new URL(request.url).searchParams.get("documentId");
  return null;
}

/** Only the manifest's documents run (PERSISTED_OPERATIONS_FILE), by any of the ids clients send. */
export function usePersistedDocuments(file: string) {
  const store = loadManifest(file);
  return usePersistedOperations({
    extractPersistedOperationId: (params, request) => documentIdOf(params as never, request),
    getPersistedOperation: (id) => store.get(normalizeDocumentId(id)) ?? null,
    allowArbitraryOperations: false,
  });
}
