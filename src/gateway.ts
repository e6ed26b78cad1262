import type { MTurkClient } from "@aws-sdk/client-mturk";
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import { GraphQLError } from "graphql";
import { createYoga } from "graphql-yoga";
import type { GatewayConfig } from "./config.js";
import type { GatewayContext } from "./context.js";
import { Upstream } from "./mturk/client.js";
import { MTurkLoaders } from "./mturk/loaders.js";
import { CursorCodec } from "./mturk/pagination.js";
import { SnapshotCache } from "./mturk/snapshots.js";
import { StrategyHints } from "./mturk/strategies.js";
import { MTurkWrites } from "./mturk/writes.js";
import { schema } from "./schema/index.js";

/** Operations GraphiQL opens with: each walks the seeded account from a different starting point. */
export const EXAMPLE_OPERATIONS = `# Example operations over the seeded simulator. Pick one with the run button.

query PendingRequestsByType {
  qualificationTypes(first: 5) {
    edges {
      node {
        qualificationTypeId
        name
        status
        requests(first: 3) {
          edges { node { qualificationRequestId submitTime worker { workerId block { reason } } } }
          pageInfo { hasNextPage endCursor }
        }
      }
    }
  }
}

query HitsWithWork {
  hits(first: 5) {
    edges {
      node {
        hitId
        title
        status
        reward { formatted }
        qualificationRequirements { comparator integerValues qualificationType { name } }
        assignments(first: 3) {
          edges { node { assignmentId status worker { workerId } bonusPayments { edges { node { bonusAmount { formatted } } } } } }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}

query ReviewQueue {
  reviewableHits(first: 5) {
    edges { node { hitId title numberOfAssignmentsCompleted assignments(statuses: [Submitted]) { edges { node { assignmentId submitTime } } } } }
  }
  accountBalance { availableBalance { formatted } onHoldBalance { formatted } }
}

query BlockedWorkers {
  workerBlocks(first: 10) { edges { node { reason worker { workerId } } } }
}
`;

export interface GatewayOptions {
  config: GatewayConfig;
  client: MTurkClient;
}

/** The GraphQL server (a yoga instance, usable with node:http or `yoga.fetch`). */
export function createGateway({ config, client }: GatewayOptions) {
  const codec = new CursorCodec(config.CURSOR_SECRET);
  // Learned listing lengths outlive a request; loaders and their caches never do.
  const hints = new StrategyHints();
  // Snapshots outlive a request by design (the consistency window); loaders and their caches never do.
  const snapshots = new SnapshotCache({ ttlMs: config.SNAPSHOT_TTL_MS, maxItems: config.SNAPSHOT_MAX_ITEMS });
  const complexityLimit = { complexity: config.MAX_COMPLEXITY, depth: config.MAX_DEPTH, breadth: config.MAX_BREADTH };
  const settings = {
    scoreScanThreshold: config.SCORE_SCAN_THRESHOLD,
    requestScanThreshold: config.REQUEST_SCAN_THRESHOLD,
  };
  return createYoga<Record<string, unknown>, GatewayContext>({
    schema,
    graphqlEndpoint: "/graphql",
    landingPage: false,
    graphiql: { title: "MTurk GraphQL gateway", defaultQuery: EXAMPLE_OPERATIONS },
    // GraphiQL's assets are served from the package, not a CDN: it works on closed networks.
    renderGraphiQL,
    context: () => {
      const upstream = new Upstream(client, config.MTURK_MAX_CONCURRENCY);
      const loaders = new MTurkLoaders(upstream, settings, hints);
      return {
        loaders,
        writes: new MTurkWrites(upstream, loaders, snapshots),
        codec,
        maxPageSize: config.MAX_PAGE_SIZE,
        snapshots,
        scanCost: config.SCAN_COST,
        complexityLimit,
      };
    },
    maskedErrors: {
      // Errors the gateway raised on purpose carry a code and pass; anything else loses its message and stack.
      maskError: (error, message) => {
        const graphqlError = error as GraphQLError;
        const original = graphqlError.originalError as GraphQLError | undefined;
        if (isCoded(original) || (isCoded(graphqlError) && !original)) return graphqlError;
        // Pothos raises these for input it cannot parse, such as a malformed global id.
        if (original?.name === "PothosValidationError")
          return new GraphQLError(original.message, {
            nodes: graphqlError.nodes,
            path: graphqlError.path,
            extensions: { code: "BAD_USER_INPUT" },
          });
        return new GraphQLError(message, {
          nodes: graphqlError.nodes,
          path: graphqlError.path,
          extensions: { code: "INTERNAL_SERVER_ERROR" },
        });
      },
    },
  });
}

/** A GraphQLError with an `extensions.code` (checked by shape: graphql may be loaded twice, ESM and CJS). */
function isCoded(error: unknown): boolean {
  const candidate = error as { name?: string; extensions?: { code?: unknown } } | undefined;
  return candidate?.name === "GraphQLError" && typeof candidate.extensions?.code === "string";
}
