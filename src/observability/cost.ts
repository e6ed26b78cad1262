import { complexityFromQuery } from "@pothos/plugin-complexity";
import { type DocumentNode, getOperationAST, Kind } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";

interface CostedContext {
  usage?(): { attempts: number; queueMs: number };
}

/** The executed operation with the document's fragments: the price of what runs, not of the document's first operation. */
function executed(document: DocumentNode, operationName?: string | null): DocumentNode | undefined {
  const operation = getOperationAST(document, operationName);
  if (!operation) return undefined;
  const definitions = document.definitions.filter((d) => d.kind !== Kind.OPERATION_DEFINITION || d === operation);
  return { ...document, definitions };
}

/**
 * `extensions.cost` on the answer of every query and mutation: its `price` (what the complexity limit counted, an
 * upper bound of its MTurk calls; absent when it was refused before), the `upstreamCalls` its own door sent (retries
 * included; shared scans it joined are not its own) and `queueMs`, their time waiting for the rate budget.
 * Subscriptions and incremental (@defer/@stream) answers have none.
 */
export function useCostExtension(): Plugin {
  return {
    onExecute({ args }) {
      const ctx = args.contextValue as CostedContext;
      if (!ctx.usage) return;
      return {
        onExecuteDone({ result, setResult }) {
          if (isAsyncIterable(result)) return;
          let price: number | undefined;
          try {
            const document = executed(args.document, args.operationName);
            if (document)
              price = complexityFromQuery(document, {
                schema: args.schema,
                variables: (args.variableValues ?? {}) as Record<string, unknown>,
                ctx: args.contextValue as object,
              }).complexity;
          } catch {
            // Refused while priced (MAX_NODES, bad variables): the error says why.
          }
          const usage = ctx.usage?.() ?? { attempts: 0, queueMs: 0 };
          const cost = { price, upstreamCalls: usage.attempts, queueMs: Math.round(usage.queueMs) };
          setResult({ ...result, extensions: { ...result.extensions, cost } });
        },
      };
    },
  };
}
