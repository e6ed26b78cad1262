import type { QualificationRequest } from "@aws-sdk/client-mturk";
import { MTURK_MAX_RESULTS } from "../mturk/pagination.js";
import { type RefreshContext, scan } from "./refresh.js";
import { BLOCKS, QUALIFICATIONS, REQUESTS, TYPES } from "./rows.js";
import { upsertListed } from "./upsert.js";

/**
 * The account's units besides its HITs and their work: pending qualification requests, the caller's qualification
 * types, worker blocks, the workers of a type, and searches of MTurk's public types. Each scan is committed with the
 * rows it no longer lists marked so (decided, deleted, unblocked), unless the gateway's own write is newer.
 */

/** Pending requests (all the caller's types, or one): listed ones are Pending; the rest left the list. */
export async function refreshRequests(ctx: RefreshContext, typeId?: string): Promise<void> {
  const started = Date.now();
  const items: QualificationRequest[] = typeId
    ? await scan((token) => ctx.loaders.listQualificationRequestsPage(typeId, token, MTURK_MAX_RESULTS))
    : await ctx.loaders.allPendingRequests();
  await ctx.db.transaction().execute(async (trx) => {
    await upsertListed(
      trx,
      REQUESTS,
      items.map((item) => ({ item, extra: { status: "Pending", decided_at: null } })),
      { now: started, protectMs: ctx.protectMs },
    );
    let gone = trx
      .updateTable("qualification_requests")
      .set({ status: "Resolved", decided_at: started })
      .where("status", "=", "Pending")
      .where("confirmed_at", "<", started)
      .where((eb) => eb.or([eb("written_at", "is", null), eb("written_at", "<", started - ctx.protectMs)]));
    if (typeId) gone = gone.where("qualification_type_id", "=", typeId);
    await gone.execute();
  });
}

/** The caller's own qualification types; one no longer listed was deleted. */
export async function refreshTypes(ctx: RefreshContext): Promise<void> {
  const started = Date.now();
  const items = await scan((token) =>
    ctx.loaders.listQualificationTypesPage(
      { mustBeRequestable: false, mustBeOwnedByCaller: true },
      token,
      MTURK_MAX_RESULTS,
    ),
  );
  await ctx.db.transaction().execute(async (trx) => {
    await upsertListed(
      trx,
      TYPES,
      items.map((item) => ({ item, extra: { owned: 1, deleted_at: null } })),
      { now: started, protectMs: ctx.protectMs },
    );
    await trx
      .updateTable("qualification_types")
      .set({ deleted_at: started })
      .where("owned", "=", 1)
      .where("deleted_at", "is", null)
      .where("confirmed_at", "<", started)
      .where((eb) => eb.or([eb("written_at", "is", null), eb("written_at", "<", started - ctx.protectMs)]))
      .execute();
  });
}

export async function refreshBlocks(ctx: RefreshContext): Promise<void> {
  const started = Date.now();
  const items = await scan((token) => ctx.loaders.listWorkerBlocksPage(token, MTURK_MAX_RESULTS));
  await ctx.db.transaction().execute(async (trx) => {
    await upsertListed(
      trx,
      BLOCKS,
      items.map((item) => ({ item, extra: { present: 1 } })),
      {
        now: started,
        protectMs: ctx.protectMs,
      },
    );
    await trx
      .updateTable("worker_blocks")
      .set({ present: 0 })
      .where("present", "=", 1)
      .where("confirmed_at", "<", started)
      .where((eb) => eb.or([eb("written_at", "is", null), eb("written_at", "<", started - ctx.protectMs)]))
      .execute();
  });
}

/** Workers holding a type with a status; one no longer listed there changed status (it shows in the other list). */
export async function refreshQualifications(ctx: RefreshContext, typeId: string, status: "Granted" | "Revoked") {
  const started = Date.now();
  const items = await scan((token) =>
    ctx.loaders.listWorkersWithQualificationTypePage(typeId, status, token, MTURK_MAX_RESULTS),
  );
  await ctx.db.transaction().execute(async (trx) => {
    await upsertListed(
      trx,
      QUALIFICATIONS,
      items.map((q) => ({ item: { ...q, QualificationTypeId: q.QualificationTypeId ?? typeId }, extra: {} })),
      { now: started, protectMs: ctx.protectMs },
    );
    await trx
      .updateTable("qualifications")
      .set({ status: null })
      .where("qualification_type_id", "=", typeId)
      .where("status", "=", status)
      .where("confirmed_at", "<", started)
      .where((eb) => eb.or([eb("written_at", "is", null), eb("written_at", "<", started - ctx.protectMs)]))
      .execute();
  });
}

/** A search of MTurk's qualification types (public ones, or MTurk's text search) into a scratch mirror of its own. */
export async function refreshSearch(ctx: RefreshContext, scope: readonly unknown[]): Promise<void> {
  const filter = scope[1] as { query?: string; mustBeRequestable: boolean; mustBeOwnedByCaller?: boolean };
  const items = await scan((token) => ctx.loaders.listQualificationTypesPage(filter, token, MTURK_MAX_RESULTS));
  await upsertListed(
    ctx.db,
    TYPES,
    items.map((item) => ({ item, extra: { owned: filter.mustBeOwnedByCaller === false ? 0 : 1, deleted_at: null } })),
    { now: Date.now(), protectMs: ctx.protectMs },
  );
}
