import { z } from "zod";

/**
 * What public sources do not settle about MTurk: each unknown is a switch, so the gateway can be tested under
 * every variant. Set by startSimulator options, `npm run simulator` flags, SIMULATOR_* variables, or at run time
 * with PUT /_simulator/switches.
 */
export interface SimulatorSwitches {
  /** keyset: a token is the last item's position (today). offset: a token names the next absolute offset, so items removed before it shift what the next page holds. page: a token names the next page NUMBER and the offset is page * MaxResults of the call that uses it, so asking a different MaxResults mid-walk moves the window. */
  paging: "keyset" | "offset" | "page";
  /** A NextToken also on the last page (including a short last page); following it returns an empty page without a token. Default true: three captures show MTurk sending one on short pages (psiTurk list_hits.pickle, aws-sdk-js#2522). false stays a setting the gateway is tested under (an exactly full last page is unknown). */
  tokenOnLastPage: boolean;
  /** How a reused UniqueRequestToken on SendBonus / CreateAdditionalAssignmentsForHIT (and a repeated UpdateExpirationForHIT) is answered: "DuplicateRequest" = RequestError with TurkErrorCode AWS.MechanicalTurk.DuplicateRequest (today); "message" = RequestError with no TurkErrorCode whose Message is `The idempotency token "<token>" has already been processed.`; "opaque" = RequestError with no TurkErrorCode and a message that says nothing useful (e.g. "Your request could not be processed."). CreateHIT's HitAlreadyExists (documented, message contains the HIT id) stays as is under every setting. */
  duplicateError: "DuplicateRequest" | "message" | "opaque";
  /** Eventual consistency: seconds after a write before List operations reflect it (0 = at once). */
  listLagSeconds: number;
  /** What MTurk's 120 days of automatic disposal count from: a HIT nobody deleted is forgotten (no listing shows it; GetHIT, its assignments and its bonuses answer as for ones that never existed) 120 days after its "creation" or its "expiration" (default: the FAQ's "not used for 120 days", and a HIT is in use until it expires). */
  autoDisposal: "creation" | "expiration";
}
export type PagingMode = SimulatorSwitches["paging"];

export const PAGING_MODES = ["keyset", "offset", "page"] as const;
export const DUPLICATE_ERRORS = ["DuplicateRequest", "message", "opaque"] as const;
export const AUTO_DISPOSALS = ["expiration", "creation"] as const;

export const DEFAULT_SWITCHES: Readonly<SimulatorSwitches> = Object.freeze({
  paging: "keyset",
  tokenOnLastPage: true,
  duplicateError: "DuplicateRequest",
  listLagSeconds: 0,
  autoDisposal: "expiration",
});

/** A partial set of switches as JSON (options, PUT /_simulator/switches): unknown names are refused. */
const switchesPatch = z
  .object({
    paging: z.enum(PAGING_MODES),
    tokenOnLastPage: z.boolean(),
    duplicateError: z.enum(DUPLICATE_ERRORS),
    listLagSeconds: z.number().finite().min(0),
    autoDisposal: z.enum(AUTO_DISPOSALS),
  })
  .partial()
  .strict();

/** The same switches as text (CLI flags, environment variables). */
const switchesText = z.object({
  paging: z.enum(PAGING_MODES).optional(),
  tokenOnLastPage: z.union([z.boolean(), z.enum(["true", "false"]).transform((s) => s === "true")]).optional(),
  duplicateError: z.enum(DUPLICATE_ERRORS).optional(),
  listLagSeconds: z.coerce.number().finite().min(0).optional(),
  autoDisposal: z.enum(AUTO_DISPOSALS).optional(),
});

/** One line naming each bad value, for an operator to fix. */
const describeIssues = (error: z.ZodError, names: Record<string, string>) =>
  `Invalid simulator switches: ${error.issues
    .map((i) => `${names[String(i.path[0])] ?? i.path.join(".")}: ${i.message}`)
    .join("; ")}`;

/** Parses switches given as text; `names` says where each came from, for the error message. */
export function parseSwitchText(
  text: Partial<Record<keyof SimulatorSwitches, string | boolean | undefined>>,
  names: Record<string, string> = {},
): Partial<SimulatorSwitches> {
  const parsed = switchesText.safeParse(text);
  if (!parsed.success) throw new Error(describeIssues(parsed.error, names));
  return Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined));
}

export const SWITCH_ENV = {
  paging: "SIMULATOR_PAGING",
  tokenOnLastPage: "SIMULATOR_TOKEN_ON_LAST_PAGE",
  duplicateError: "SIMULATOR_DUPLICATE_ERROR",
  listLagSeconds: "SIMULATOR_LIST_LAG_SECONDS",
  autoDisposal: "SIMULATOR_AUTO_DISPOSAL",
} as const;

/** SIMULATOR_PAGING, _TOKEN_ON_LAST_PAGE, _DUPLICATE_ERROR, _LIST_LAG_SECONDS, _AUTO_DISPOSAL. */
export function switchesFromEnv(env: Record<string, string | undefined>): Partial<SimulatorSwitches> {
  return parseSwitchText(
    Object.fromEntries(Object.entries(SWITCH_ENV).map(([name, variable]) => [name, env[variable]])),
    SWITCH_ENV,
  );
}

/** The full set from defaults and a partial one; throws on a value that is not a switch setting. */
export function resolveSwitches(
  patch: unknown = {},
  base: Readonly<SimulatorSwitches> = DEFAULT_SWITCHES,
): SimulatorSwitches {
  const parsed = switchesPatch.safeParse(patch ?? {});
  if (!parsed.success) throw new Error(describeIssues(parsed.error, {}));
  return { ...base, ...Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)) };
}
