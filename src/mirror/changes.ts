import type { Assignment, HIT, Qualification, QualificationType } from "@aws-sdk/client-mturk";
import type { MirrorDb } from "./database.js";
import { replaceRequirements } from "./refresh.js";
import { ASSIGNMENTS, BLOCKS, BONUSES, HITS, type ListedBonus, QUALIFICATIONS, REQUESTS, TYPES } from "./rows.js";
import { applyWrite, rowsByKey, upsertListed } from "./upsert.js";

/**
 * What one of the gateway's own writes did, as plain data: applied to the mirror at once (and published to the
 * subscriptions), so that every listing, history and export shows it before MTurk's own listings do.
 */
export type MirrorChange =
  /** A HIT as MTurk returned it after the write (created, extended, moved to another type), `fields` its change. */
  | { kind: "hit"; hit: HIT; fields?: (keyof HIT)[] }
  /** The HIT was deleted: it stays in the mirror as Disposed. */
  | { kind: "hitDeleted"; hitId: string }
  | { kind: "assignmentReviewed"; assignmentId: string; fields: Partial<Assignment> }
  | { kind: "bonusPaid"; bonus: ListedBonus }
  | {
      kind: "requestDecided";
      requestId: string;
      status: "Accepted" | "Rejected";
      typeId?: string;
      workerId?: string;
    }
  | { kind: "qualification"; qualification: Qualification }
  | { kind: "type"; type: QualificationType; created?: boolean }
  | { kind: "typeDeleted"; typeId: string }
  | { kind: "block"; workerId: string; reason?: string; present: boolean }
  /** A write whose effect the gateway cannot compute: these units are read again. */
  | { kind: "stale"; units: string[] };

/**
 * A first review completes one more of the HIT's assignments: its counter says so until ListHITs says otherwise (not
 * an overlay: other changes to the counter, made elsewhere, must show at once).
 */
async function countReview(db: MirrorDb, hitId: string, options: Options) {
  const row = (await rowsByKey(db, HITS, [[hitId]])).get(hitId);
  if (!row) return;
  const hit = HITS.item(row);
  const counted = { ...hit, NumberOfAssignmentsCompleted: (hit.NumberOfAssignmentsCompleted ?? 0) + 1 };
  await upsertListed(db, HITS, [{ item: counted, extra: {} }], options);
}

type Options = { now: number; protectMs: number };
type Apply<K extends MirrorChange["kind"]> = (
  db: MirrorDb,
  change: Extract<MirrorChange, { kind: K }>,
  options: Options,
) => Promise<string[] | undefined>;

/** How each kind of change lands in the mirror; the units it names are read again (their effect is unknown). */
const APPLY: { [K in MirrorChange["kind"]]: Apply<K> } = {
  hit: async (db, change, options) => {
    // Only the fields the write set win over lagging listings; the rest is MTurk's to update.
    const fields = change.fields ?? [];
    const overlay = { item: Object.fromEntries(fields.map((f) => [f, change.hit[f]])) as Partial<HIT> };
    await applyWrite(db, HITS, { key: HITS.keyOf(change.hit), overlay, base: change.hit, baseExtra: {} }, options);
    // Its requirements (another HIT type) come with it.
    if (change.hit.QualificationRequirements) await replaceRequirements(db, [change.hit]);
    return undefined;
  },
  hitDeleted: async (db, change, options) => {
    const overlay = { item: { HITStatus: "Disposed" as const } };
    await applyWrite(db, HITS, { key: [change.hitId], overlay }, { ...options, also: { disposed_at: options.now } });
    return undefined;
  },
  assignmentReviewed: async (db, change, options) => {
    // The holder of the id now: the one whose work was submitted (an earlier worker's returned it).
    const row = await db
      .selectFrom("assignments")
      .select(["worker_id", "hit_id", "status"])
      .where("assignment_id", "=", change.assignmentId)
      .orderBy("accept_time", "desc")
      .executeTakeFirst();
    if (!row) return undefined;
    const key = [change.assignmentId, row.worker_id];
    await applyWrite(db, ASSIGNMENTS, { key, overlay: { item: change.fields } }, options);
    // A first review completes one more of the HIT's assignments: its counter says so until ListHITs does.
    if (row.status === "Submitted") await countReview(db, row.hit_id, options);
    return undefined;
  },
  bonusPaid: async (db, change, options) => {
    await applyWrite(
      db,
      BONUSES,
      { key: BONUSES.keyOf(change.bonus), overlay: {}, base: change.bonus, baseExtra: {} },
      options,
    );
    return undefined;
  },
  requestDecided: async (db, change, options) => {
    const overlay = { extra: { status: change.status, decided_at: options.now } };
    await applyWrite(db, REQUESTS, { key: [change.requestId], overlay }, options);
    return undefined;
  },
  qualification: async (db, { qualification: q }, options) => {
    await applyWrite(
      db,
      QUALIFICATIONS,
      { key: QUALIFICATIONS.keyOf(q), overlay: { item: q }, base: q, baseExtra: {} },
      options,
    );
    return undefined;
  },
  type: async (db, { type }, options) => {
    const change = {
      key: TYPES.keyOf(type),
      overlay: { item: type },
      base: type,
      baseExtra: { owned: 1, deleted_at: null },
    };
    await applyWrite(db, TYPES, change, options);
    return undefined;
  },
  typeDeleted: async (db, change, options) => {
    await applyWrite(db, TYPES, { key: [change.typeId], overlay: { extra: { deleted_at: options.now } } }, options);
    // MTurk rejects the type's pending requests; which ones it had is read again.
    return ["requests", `requests:${change.typeId}`];
  },
  block: async (db, change, options) => {
    const present = change.present ? 1 : 0;
    const overlay = { item: { Reason: change.reason }, extra: { present } };
    const base = { WorkerId: change.workerId, Reason: change.reason };
    await applyWrite(db, BLOCKS, { key: [change.workerId], overlay, base, baseExtra: { present } }, options);
    return undefined;
  },
  stale: async (_db, change) => change.units,
};

/** Applies one change; returns the units to read again. */
export async function applyChange(db: MirrorDb, change: MirrorChange, protectMs: number): Promise<string[]> {
  const apply = APPLY[change.kind] as Apply<MirrorChange["kind"]>;
  return (await apply(db, change as never, { now: Date.now(), protectMs })) ?? [];
}
