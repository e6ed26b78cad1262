import { complexityFromQuery } from "@pothos/plugin-complexity";
import { type DocumentNode, type ExecutionArgs, type GraphQLError, getOperationAST, Kind } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import type { Limits } from "../context.js";
import { codeOf } from "../mturk/errors.js";
import { queryTooComplex } from "../security/limits.js";

interface PricedContext {
  limits?: Limits;
  usage?(): { attempts: number; queueMs: number };
}

/** The executed operation with the document's fragments: the price of what runs, not of the document's first operation. */
function executed(document: DocumentNode, operationName?: string | null): DocumentNode | undefined {
  const operation = getOperationAST(document, operationName);
  if (!operation) return undefined;
  const definitions = document.definitions.filter((d) => d.kind !== Kind.OPERATION_DEFINITION || d === operation);
  return { ...document, definitions };
}

type Measured = { complexity: number; depth: number; breadth: number };

/**
 * The measures per document (yoga's parse cache hands out one per text), operation name and variables, for the
 * limits they were measured with: a document sent again is not walked again. A few variants per document at most:
 * variables are the caller's.
 */
const measures = new WeakMap<DocumentNode, { limits?: Limits; byKey: Map<string, Measured | undefined> }>();
function measure(args: ExecutionArgs, ctx: PricedContext): Measured | undefined {
  const variables = args.variableValues ?? {};
  let cached = measures.get(args.document);
  if (!cached) {
    cached = { limits: ctx.limits, byKey: new Map() };
    measures.set(args.document, cached);
  }
  const key = `${args.operationName ?? ""}\n${JSON.stringify(variables)}`;
  if (cached.limits === ctx.limits && cached.byKey.has(key)) return cached.byKey.get(key);
  const document = executed(args.document, args.operationName);
  const measured = document && complexityFromQuery(document, { schema: args.schema, variables, ctx });
  if (cached.limits === ctx.limits && cached.byKey.size < 16) cached.byKey.set(key, measured);
  return measured;
}

const isCoded = (error: unknown): error is GraphQLError =>
  error instanceof Error && error.name === "GraphQLError" && typeof codeOf(error) === "string";

/**
 * The operation's price (src/schema/cost.ts, through Pothos complexity), depth and breadth, against the limits: its
 * price, or why it is refused. Variables that do not coerce are left to graphql's own error.
 */
function priceOf(args: ExecutionArgs, ctx: PricedContext): { price?: number; refusal?: GraphQLError } {
  let measured: Measured | undefined;
  try {
    measured = measure(args, ctx);
  } catch (error) {
    // A price function's own refusal (MAX_NODES) is the answer; anything else graphql reports as it executes.
    return isCoded(error) ? { refusal: error } : {};
  }
  if (!measured) return {};
  const max = ctx.limits?.complexity;
  if (!max) return { price: measured.complexity };
  const kind =
    measured.depth > max.depth
      ? "depth"
      : measured.breadth > max.breadth
        ? "breadth"
        : measured.complexity > max.complexity
          ? "complexity"
          : undefined;
  if (!kind) return { price: measured.complexity };
  const settings: Record<typeof kind, [string, number, number]> = {
    complexity: ["MAX_COMPLEXITY", max.complexity, measured.complexity],
    depth: ["MAX_DEPTH", max.depth, measured.depth],
    breadth: ["MAX_BREADTH", max.breadth, measured.breadth],
  };
  const [setting, limit, found] = settings[kind];
  const refusal = queryTooComplex(kind, setting, limit, found);
  // The other numbers too: a client sees how far over each limit it is.
  Object.assign(refusal.extensions, {
    ...measured,
    maxComplexity: max.complexity,
    maxDepth: max.depth,
    maxBreadth: max.breadth,
  });
  return { refusal };
}

/**
 * The price limit, checked once before an operation runs (nothing is called when it is over: QUERY_TOO_COMPLEX with
 * the numbers), and `extensions.cost` on the answer of every query and mutation: its `price` (an upper bound of its
 * MTurk calls), the `upstreamCalls` its own door sent (retries included; shared scans it joined are not its own) and
 * `queueMs`, their time waiting for the rate budget. Subscriptions and incremental (@defer/@stream) answers have no
 * `cost`. One pricing per request: Pothos's own check is off (no `limit` in the builder).
 */
export function usePrice(): Plugin<PricedContext> {
  return {
    onSubscribe({ args, setResultAndStopExecution }) {
      const { refusal } = priceOf(args, args.contextValue);
      if (refusal) setResultAndStopExecution({ errors: [refusal] });
    },
    onExecute({ args, setResultAndStopExecution }) {
      const ctx = args.contextValue;
      const { price, refusal } = priceOf(args, ctx);
      if (refusal) {
        setResultAndStopExecution({ errors: [refusal] });
        return;
      }
      return {
        onExecuteDone({ result, setResult }) {
          if (isAsyncIterable(result) || !ctx.usage) return;
          const usage = ctx.usage();
          const cost = { price, upstreamCalls: usage.attempts, queueMs: Math.round(usage.queueMs) };
          setResult({ ...result, extensions: { ...result.extensions, cost } });
        },
      };
    },
  };
}
