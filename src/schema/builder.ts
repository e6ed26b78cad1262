import { GraphQLDeferDirective, GraphQLStreamDirective } from "@graphql-tools/utils";
import SchemaBuilder, { PothosValidationError } from "@pothos/core";
import ComplexityPlugin from "@pothos/plugin-complexity";
import DataloaderPlugin from "@pothos/plugin-dataloader";
import ErrorsPlugin from "@pothos/plugin-errors";
import RelayPlugin, { decodeGlobalID } from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import ValidationPlugin from "@pothos/plugin-validation";
import { GraphQLError, GraphQLSchema } from "graphql";
import { DateTimeResolver } from "graphql-scalars";
import type { GatewayContext } from "../context.js";
import { connectionCost, nodesCost, singleNodeCost } from "./cost.js";
import { InputInvalid } from "./inputInvalid.js";
import UnselectedErrorsPlugin from "./unselectedErrors.js";

/** The Relay node types (`node(id:)`): HITs, assignments, qualification types and requests, workers. */
const NODE_TYPES = new Set(["HIT", "Assignment", "QualificationType", "QualificationRequest", "Worker"]);

export const builder = new SchemaBuilder<{
  Context: GatewayContext;
  Scalars: { DateTime: { Input: Date; Output: Date } };
  AuthScopes: { read: boolean; write: boolean; pay: boolean };
  // What every connection has beside edges and pageInfo (see globalConnectionFields in connections.ts).
  Connection: { totalCount: number; pageNumber: number | null; asOf: Date; source?: "mirror" | "mturk" };
}>({
  // Errors before validation, so that invalid input becomes a typed ValidationError result; around both, the
  // check that the client sees an error it did not select (unselectedErrors.ts).
  plugins: [
    ScopeAuthPlugin,
    ComplexityPlugin,
    UnselectedErrorsPlugin,
    ErrorsPlugin,
    ValidationPlugin,
    RelayPlugin,
    DataloaderPlugin,
  ],
  // Every field needs a scope of the caller's principal (an API key's or a JWT's); see src/security/auth.ts.
  scopeAuth: {
    authScopes: (ctx) => ({
      read: ctx.principal.scopes.has("read"),
      write: ctx.principal.scopes.has("write"),
      pay: ctx.principal.scopes.has("pay"),
    }),
    unauthorizedError: (_parent, ctx, info) =>
      new GraphQLError(
        `${ctx.principal.name} may not use ${info.parentType.name}.${info.fieldName}: its scopes do not allow it.`,
        {
          extensions: { code: "FORBIDDEN" },
        },
      ),
  },
  // Validation failures become typed ValidationError results (they reveal nothing an authorized caller would not see).
  errors: {
    defaultTypes: [],
    unsafelyHandleInputErrors: true,
    defaultUnionOptions: {
      description: "The mutation's payload on success, or a typed error (every error implements MutationError).",
    },
  },
  validation: {
    validationError: (result) => {
      const issue = result.issues[0];
      const path = (issue?.path ?? []).map((p) => (typeof p === "object" ? String(p.key) : String(p))).join(".");
      return new InputInvalid(issue?.message ?? "Invalid input.", path);
    },
  },
  // Prices only: the limit is checked once per operation before it runs (usePrice, src/schema/price.ts).
  complexity: {
    defaultComplexity: 1,
    defaultListMultiplier: 10,
  },
  relay: {
    clientMutationId: "omit",
    // A global id of a type this API does not have is the caller's mistake (BAD_USER_INPUT), not an internal one.
    decodeGlobalID: (globalID) => {
      const decoded = decodeGlobalID(globalID);
      if (!NODE_TYPES.has(decoded.typename))
        throw new PothosValidationError(`"${globalID.slice(0, 100)}" is not the global id of an object of this API.`);
      return decoded;
    },
    cursorType: "String",
    nodeQueryOptions: {
      authScopes: { read: true },
      complexity: singleNodeCost,
      description: "Fetches any object by its global id (the Relay Node interface).",
      args: { id: { description: "A global id, as any object's `id` field gives it." } },
    },
    nodesQueryOptions: {
      authScopes: { read: true },
      complexity: nodesCost,
      description: "Fetches several objects by their global ids, batched like every other read.",
      args: { ids: { description: "Global ids, as objects' `id` fields give them." } },
    },
    nodeTypeOptions: { description: "An object with a global id that `node` and `nodes` can fetch again." },
    pageInfoTypeOptions: { description: "Where a page of a connection sits: whether more follows, and its cursors." },
    idFieldOptions: { description: "The global id (Relay), for `node(id:)`. The raw MTurk id is a field of its own." },
    cursorFieldOptions: { description: "An opaque position: pass it as `after` to continue after this edge." },
    nodeFieldOptions: { description: "The item at this edge." },
    edgesFieldOptions: {
      description: "The items of this page with their cursors.",
      // The connection field's own price multiplies by its page size (see cost.ts): edges add nothing.
      complexity: { field: 0, multiplier: 1 },
    },
    defaultConnectionFieldOptions: { complexity: connectionCost },
    pageInfoFieldOptions: { description: "Paging information for this page." },
    hasNextPageFieldOptions: { description: "True when items follow this page (MTurk returned a NextToken)." },
    hasPreviousPageFieldOptions: { description: "True when this page was asked for `after` a cursor." },
    startCursorFieldOptions: { description: "The cursor of the first edge of this page." },
    endCursorFieldOptions: {
      description: "The cursor of the last edge of this page: pass it as `after` for the next.",
    },
    firstArgOptions: { description: "How many items to return (default 10, at most the gateway's MAX_PAGE_SIZE)." },
    afterArgOptions: { description: "Return the items after this cursor." },
    lastArgOptions: { description: "Not supported: MTurk's NextToken only moves forward (BAD_USER_INPUT)." },
    beforeArgOptions: { description: "Not supported: MTurk's NextToken only moves forward (BAD_USER_INPUT)." },
  },
});

builder.addScalarType("DateTime", DateTimeResolver, {
  description: "A date and time as an ISO 8601 string (MTurk sends epoch seconds; the gateway converts).",
  // Code generators and clients read the format from here (RFC 3339 date-time, as a string on the wire).
  specifiedByURL: "https://scalars.graphql.org/andimarek/date-time",
});

/** The schema's own description: GraphiQL's documentation opens on it. */
const SCHEMA_DESCRIPTION = [
  "Amazon Mechanical Turk's requester API (2017-01-17) as one linked graph: qualification types and requests,",
  "workers, HITs, assignments and bonuses as Relay nodes with connections, and every write as a mutation with typed",
  "errors.\n\nStart at Query (reads: scope read) or Mutation (writes: scopes write and pay). Connections page with",
  "first/after and also take orderBy, page and filter; totalCount counts the whole list. @defer and @stream work:",
  "`edges @stream` sends a connection's edges as MTurk's pages arrive. DateTime is an RFC 3339 string.",
].join(" ");

/**
 * The built schema with its description (Pothos's toSchema has no option for it) and @defer/@stream, so that
 * schema.graphql declares them for code generators and yoga's defer-stream plugin finds them already there.
 */
export const completeSchema = (schema: GraphQLSchema) => {
  const config = schema.toConfig();
  return new GraphQLSchema({
    ...config,
    description: SCHEMA_DESCRIPTION,
    directives: [...config.directives, GraphQLDeferDirective, GraphQLStreamDirective],
  });
};

builder.queryType({
  description: "Reads of the MTurk requester API (2017-01-17) as one linked graph. Every field needs the `read` scope.",
  authScopes: { read: true },
});
builder.mutationType({
  description:
    "Writes of the MTurk requester API as Relay mutations: one `input`, a payload with the changed nodes, typed errors. Each needs the `write` scope, or `pay` where it spends or commits money.",
});
