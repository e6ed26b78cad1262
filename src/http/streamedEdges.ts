import { BREAK, type DocumentNode, Kind, visit } from "graphql";
import type { Plugin } from "graphql-yoga";

const seen = new WeakMap<DocumentNode, boolean>();

/** Whether a document streams a connection's edges (`edges @stream`); documents are cached, so is the answer. */
export function streamsEdges(document: DocumentNode): boolean {
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
    onExecute({ args }) {
      if (streamsEdges(args.document)) (args.contextValue as { streamEdges?: boolean }).streamEdges = true;
    },
  };
}
