import { GraphQLStreamDirective } from "@graphql-tools/utils";
import { BREAK, type DirectiveNode, type DocumentNode, GraphQLError, getDirectiveValues, Kind, visit } from "graphql";
import type { Plugin } from "graphql-yoga";

const seen = new WeakMap<DocumentNode, boolean>();
const streams = new WeakMap<DocumentNode, DirectiveNode[]>();

/** The document's @stream directives (documents are cached, so is the answer). */
function streamDirectives(document: DocumentNode): DirectiveNode[] {
  let found = streams.get(document);
  if (!found) {
    const list: DirectiveNode[] = [];
    visit(document, {
      [Kind.DIRECTIVE](directive) {
        if (directive.name.value === "stream") list.push(directive);
      },
    });
    found = list;
    streams.set(document, found);
  }
  return found;
}

/**
 * A @stream whose initialCount is negative (a literal or a variable; its type is only Int): the client's input, so
 * BAD_USER_INPUT before execution (graphql's executor would fail an invariant midway, an INTERNAL_SERVER_ERROR).
 */
function streamArgumentError(
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
): GraphQLError | undefined {
  for (const directive of streamDirectives(document)) {
    let initialCount: unknown;
    try {
      initialCount = getDirectiveValues(GraphQLStreamDirective, { directives: [directive] }, variables)?.initialCount;
    } catch {
      continue; // a variable of the wrong type: graphql's own coercion reports it
    }
    if (typeof initialCount === "number" && initialCount < 0)
      return new GraphQLError(`@stream's initialCount must be 0 or more; it is ${initialCount}.`, {
        nodes: [directive],
        extensions: { code: "BAD_USER_INPUT" },
      });
  }
  return undefined;
}

/** Whether a document streams a connection's edges (`edges @stream`); documents are cached, so is the answer. */
function streamsEdges(document: DocumentNode): boolean {
  let answer = seen.get(document);
  if (answer === undefined) {
    answer = false;
    visit(document, {
      [Kind.FIELD](field) {
        if (field.name.value === "edges" && field.directives?.some((d) => d.name.value === "stream")) {
          answer = true;
          return BREAK;
        }
        return undefined;
      },
    });
    seen.set(document, answer);
  }
  return answer;
}

/**
 * Tells the resolvers that the operation streams edges: only then do connections hand out their edges as an async
 * iterable, window by window. Every other operation keeps the plain array (no per-edge promise, nothing to wait for).
 */
export function useStreamedEdges(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const refused = streamArgumentError(args.document, args.variableValues ?? undefined);
      if (refused) return setResultAndStopExecution({ errors: [refused] });
      if (streamsEdges(args.document)) (args.contextValue as { streamEdges?: boolean }).streamEdges = true;
    },
  };
}
