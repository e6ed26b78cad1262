import type { AssignmentStatus, MTurkClient } from "@aws-sdk/client-mturk";
import type { Plugin } from "graphql-yoga";
import { parseAnswers } from "../answers/answers.js";
import { parseQuestion } from "../answers/question.js";
import type { GatewayConfig } from "../config.js";
import { type ErrorCode, isErrorCode } from "../errorCodes.js";
import type { Mirror } from "../mirror/mirror.js";
import { Upstream } from "../mturk/client.js";
import { codeOf, messageOf } from "../mturk/errors.js";
import { claimantOf } from "../mturk/scheduler.js";
import type { Metrics } from "../observability/metrics.js";
import { authEnabled, type Principal, principalForApiKey, UNRESTRICTED } from "../security/auth.js";
import { CsvRows, jsonlRow } from "./rows.js";
import { type ExportPage, type ExportTarget, exportSource } from "./source.js";

/**
 * GET /exports/assignments.csv and /exports/assignments.jsonl with ?hitId=… or ?hitTypeId=… (and optionally
 * &status=Submitted,Approved): every assignment, one row each, streamed as MTurk's pages arrive. An API key with
 * `read` is needed when authentication is on.
 */
const ROUTE = /^\/exports\/assignments\.(csv|jsonl)$/;
const ID = /^[A-Z0-9]{1,64}$/;
const STATUSES: ReadonlySet<string> = new Set(["Submitted", "Approved", "Rejected"]);
const isStatus = (s: string): s is AssignmentStatus => STATUSES.has(s);
const encoder = new TextEncoder();

const problem = (status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ errors: [{ message, extensions: { code } }] }), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });

/** The caller's right to read, as for /graphql: an API key with the read scope (JWTs are for /graphql only). */
function reader(config: GatewayConfig, request: Request): Principal | Response {
  if (!authEnabled(config.auth)) return UNRESTRICTED;
  const authorization = request.headers.get("authorization") ?? "";
  const key = request.headers.get("x-api-key") ?? (authorization.startsWith("ApiKey ") ? authorization.slice(7) : "");
  const principal = key ? principalForApiKey(config.auth.apiKeys, key) : undefined;
  if (!principal)
    return problem(401, "UNAUTHENTICATED", "An API key with the read scope is required.", {
      "WWW-Authenticate": 'ApiKey realm="mturk-graphql-gateway"',
    });
  if (!principal.scopes.has("read")) return problem(403, "FORBIDDEN", `${principal.name} may not read.`);
  return principal;
}

function targetOf(url: URL): ExportTarget | string {
  const hitId = url.searchParams.get("hitId") ?? undefined;
  const hitTypeId = url.searchParams.get("hitTypeId") ?? undefined;
  if (!hitId === !hitTypeId) return "Give exactly one of hitId and hitTypeId.";
  if (!ID.test(hitId ?? hitTypeId ?? "")) return "hitId and hitTypeId are MTurk ids (A-Z, 0-9).";
  const status = url.searchParams.get("status");
  const statuses = status ? status.split(",") : undefined;
  if (statuses && !statuses.every(isStatus)) return "status is a list of Submitted, Approved, Rejected.";
  return { hitId, hitTypeId, statuses };
}

/** The rows of one page; for CSV, the header first, with the question identifiers known by then. */
function encoderFor(format: "csv" | "jsonl") {
  let csv: CsvRows | undefined;
  const questions = new Set<string>();
  return (page: ExportPage, last: boolean): string => {
    if (format === "jsonl") return page.assignments.map((a) => jsonlRow(page.hit, a, parseAnswers(a.Answer))).join("");
    for (const id of parseQuestion(page.hit.Question)?.questionIdentifiers ?? []) questions.add(id);
    const parsed = page.assignments.map((a) => ({ a, answers: parseAnswers(a.Answer) }));
    let out = "";
    // The columns are fixed by the first page with work (or the end): its HITs' questions and its answers.
    if (!csv && (parsed.length || last)) {
      for (const { answers } of parsed)
        for (const x of answers) if (x.questionIdentifier) questions.add(x.questionIdentifier);
      csv = new CsvRows(questions);
      out = csv.header();
    }
    const rows = csv;
    return rows ? out + parsed.map(({ a, answers }) => rows.row(page.hit, a, answers)).join("") : out;
  };
}

async function exportResponse(
  upstream: Upstream,
  mirror: Mirror | undefined,
  target: ExportTarget,
  format: "csv" | "jsonl",
  /**
   * Ends the connection itself (node:http), if there is one: node's adapter leaves a response whose body errors
   * open (the client waits forever), and cancels that body on a client's error with a rejection nobody handles.
   */
  cut: () => boolean,
  /** Told once the export is over: its last row sent, broken, or its client gone. */
  ended: () => void,
) {
  const pages = await exportSource(upstream, mirror, target);
  const encode = encoderFor(format);
  // The first page is read before answering: a missing HIT is a 404, not a broken download.
  let next = await pages.next();
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          // A stream calls pull again only after an enqueue: read on past pages without rows (HITs without work).
          for (;;) {
            const current = next;
            if (current.done) {
              ended();
              controller.close();
              return;
            }
            next = await pages.next();
            const chunk = encode(current.value, next.done === true);
            if (chunk) return controller.enqueue(encoder.encode(chunk));
          }
        } catch (error) {
          ended();
          // Past the headers a failure can only cut the download short: the connection is closed, so that the
          // client sees a broken download instead of waiting for the rest forever (without one, the stream errors).
          if (cut()) controller.close();
          else controller.error(error);
        }
      },
      cancel() {
        ended();
        upstream.cancel("The client went away.");
        void pages.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
  const name = `assignments-${target.hitId ?? target.hitTypeId}.${format}`;
  return new Response(body, {
    headers: {
      "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
      "content-disposition": `attachment; filename="${name}"`,
      "cache-control": "no-store",
    },
  });
}

const statusOf = (error: unknown) => {
  const code = codeOf(error);
  return code === "NOT_FOUND"
    ? 404
    : code === "BAD_USER_INPUT"
      ? 400
      : code === "UPSTREAM_UNAUTHORIZED" || code === "UPSTREAM_CREDENTIALS_MISSING"
        ? 502
        : 503;
};

export function useExports(options: {
  config: GatewayConfig;
  client: MTurkClient;
  metrics?: Metrics;
  mirror?: Mirror;
}): Plugin {
  const { config } = options;
  /** Exports streaming now, by caller: each holds a share of the rate budget for as long as it runs. */
  const running = new Map<string, number>();
  return {
    async onRequest({ request, url, endResponse, serverContext }) {
      const format = ROUTE.exec(url.pathname)?.[1];
      if (format !== "csv" && format !== "jsonl") return;
      if (request.method !== "GET") return endResponse(problem(405, "BAD_USER_INPUT", "Use GET.", { allow: "GET" }));
      const principal = reader(config, request);
      if (principal instanceof Response) return endResponse(principal);
      const target = targetOf(url);
      if (typeof target === "string") return endResponse(problem(400, "BAD_USER_INPUT", target));
      const claimant = claimantOf(principal, config.UPSTREAM_DEFAULT_WEIGHT);
      const open = running.get(claimant.id) ?? 0;
      if (open >= config.MAX_EXPORTS_PER_KEY)
        return endResponse(
          problem(
            429,
            "TOO_MANY_EXPORTS",
            `${principal.name} already has ${open} exports running (MAX_EXPORTS_PER_KEY ${config.MAX_EXPORTS_PER_KEY}); wait for one to end.`,
          ),
        );
      running.set(claimant.id, open + 1);
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        const left = (running.get(claimant.id) ?? 1) - 1;
        if (left > 0) running.set(claimant.id, left);
        else running.delete(claimant.id);
      };
      // One page at a time, class export under the caller's share: rows stream while interactive reads go first.
      const upstream = new Upstream(options.client, {
        concurrency: 1,
        metrics: options.metrics,
        claimant,
        class: "export",
      });
      request.signal.addEventListener(
        "abort",
        () => {
          upstream.cancel("The client went away.");
          end();
        },
        { once: true },
      );
      try {
        // node:http's response, when the gateway is served by it (yoga.fetch has none).
        const res = (serverContext as { res?: { destroy(): void } } | undefined)?.res;
        const cut = () => {
          res?.destroy();
          return res !== undefined;
        };
        endResponse(await exportResponse(upstream, options.mirror, target, format, cut, end));
      } catch (error) {
        end();
        // The gateway's coded errors are safe to show; anything else keeps its message to itself.
        const code = codeOf(error);
        const known = isErrorCode(code) ? code : undefined;
        const message = known ? messageOf(error) : "The export could not be read from MTurk.";
        endResponse(problem(statusOf(error), known ?? "UPSTREAM_UNAVAILABLE", message));
      }
    },
  };
}
