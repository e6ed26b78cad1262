/** How the mirror fails: its database, or a read of what it never held. */

/** The mirror's database failed a query: reads go to MTurk, money waits (see Mirror). */
export class MirrorUnavailable extends Error {
  readonly code = "MIRROR_UNAVAILABLE" as const;

  constructor(reason: string) {
    super(
      `The gateway's database does not answer (${reason.slice(0, 200)}): no payment or creation is sent until it does, so that none can happen twice. Retry with the same idempotencyKey.`,
    );
  }
}

/** The mirror has never read these units: it has nothing to answer with. */
export class NotMirrored extends Error {
  constructor(readonly units: string[]) {
    super(`The mirror holds nothing of ${units.join(", ")} yet.`);
  }
}

/** Errors of the database itself (SQLite, PostgreSQL, the connection to it), not of MTurk or of the input. */
export function isDatabaseError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e: { name?: unknown; code?: unknown; message?: unknown } = error;
  if (e.name === "GraphQLError") return false;
  if (e.name === "SqliteError" || error instanceof MirrorUnavailable) return true;
  if (typeof e.code === "string" && /^([0-9A-Z]{5}|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND)$/.test(e.code))
    return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    typeof e.message === "string" ? e.message : "",
  );
}
