import {
  type Assignment,
  AssignmentStatus,
  type BonusPayment,
  type HIT,
  HITStatus,
  type Qualification,
  type QualificationRequest,
  type QualificationType,
  type WorkerBlock,
} from "@aws-sdk/client-mturk";
import type { MirrorTables } from "./schema.js";

/**
 * MTurk's items ⇄ the mirror's rows, one codec per table. A row's `data` is the item as MTurk sent it, so a read
 * gives back the SDK's shape; the other columns are what listings filter and sort by. `Extra` is what the mirror
 * knows of an item beyond MTurk's fields (a request's status, a block's presence, a type's ownership).
 */

type Row = Record<string, unknown>;
/** A table's row as a select reads it; `data` is put back from item_data for the tables that keep it there. */
type Stored<T extends keyof MirrorTables> = MirrorTables[T] & { data: string };

export interface TableCodec<Item, Extra = Record<string, never>, R extends Row = Row> {
  table: keyof MirrorTables;
  /** Primary key columns. */
  key: readonly string[];
  /** Its rows' `data` (the item's JSON) is kept in item_data, apart from the row. */
  hasData?: boolean;
  keyOf(item: Item): string[];
  /** Every column an item determines (not the stamp, not the sync's bookkeeping). */
  row(item: Item, extra: Extra): Row;
  item(row: R): Item;
  extra(row: R): Extra;
}

const DATE_KEYS = new Set([
  "CreationTime",
  "Expiration",
  "SubmitTime",
  "AcceptTime",
  "ApprovalTime",
  "RejectionTime",
  "AutoApprovalTime",
  "Deadline",
  "GrantTime",
]);

const encodeItem = (item: object) => JSON.stringify(item);
export const decodeItem = <T>(text: string): T =>
  JSON.parse(text, (key, value) => (DATE_KEYS.has(key) && typeof value === "string" ? new Date(value) : value)) as T;

const epoch = (date: Date | undefined | null) => (date ? date.getTime() : null);
const date = (ms: unknown) => (ms === null || ms === undefined ? undefined : new Date(Number(ms)));
export const cents = (amount: string | undefined) => {
  if (amount === undefined) return null;
  const value = Number.parseFloat(amount);
  return Number.isFinite(value) ? Math.round(value * 100) : null;
};
const lower = (text: string | undefined) => text?.toLowerCase() ?? null;
const text = (value: unknown) => (value === null || value === undefined ? undefined : String(value));
const none = (): Record<string, never> => ({});
/** An id MTurk always sends with the item (the SDK types every member optional). */
export const itemId = (value: string | undefined): string => {
  if (value === undefined) throw new Error("MTurk sent an item without its id.");
  return value;
};
/** A column's text as one of the SDK's values, or undefined when it holds none. */
export const sdkMember = <V extends string>(values: Record<string, V>, value: unknown): V | undefined =>
  Object.values(values).find((v) => v === value);

export const HITS: TableCodec<HIT, Record<string, never>, Stored<"hits">> = {
  table: "hits",
  hasData: true,
  key: ["hit_id"],
  keyOf: (hit) => [itemId(hit.HITId)],
  row: (hit) => ({
    hit_id: itemId(hit.HITId),
    hit_type_id: hit.HITTypeId ?? null,
    status: hit.HITStatus ?? null,
    review_status: hit.HITReviewStatus ?? null,
    creation_time: epoch(hit.CreationTime),
    expiration: epoch(hit.Expiration),
    title_lower: lower(hit.Title),
    reward_cents: cents(hit.Reward),
    max_assignments: hit.MaxAssignments ?? null,
    pending: hit.NumberOfAssignmentsPending ?? null,
    available: hit.NumberOfAssignmentsAvailable ?? null,
    completed: hit.NumberOfAssignmentsCompleted ?? null,
    data: encodeItem(hit),
  }),
  // The status column may say more than the item MTurk last sent (Disposed, learned from GetHIT or a deletion).
  item: (row) => {
    const hit = decodeItem<HIT>(row.data);
    const status = sdkMember(HITStatus, row.status);
    return status && status !== hit.HITStatus ? { ...hit, HITStatus: status } : hit;
  },
  extra: none,
};

/** The counters ListHITs gives: when they differ from those at the last read of a HIT's work, it is read again. */
export const workCounters = (hit: HIT) =>
  JSON.stringify([
    hit.HITStatus ?? null,
    hit.MaxAssignments ?? null,
    hit.NumberOfAssignmentsPending ?? null,
    hit.NumberOfAssignmentsAvailable ?? null,
    hit.NumberOfAssignmentsCompleted ?? null,
  ]);

export const ASSIGNMENTS: TableCodec<Assignment, Record<string, never>, MirrorTables["assignments"]> = {
  table: "assignments",
  // MTurk gives a returned assignment's id to the next worker: an assignment is its id and its worker.
  key: ["assignment_id", "worker_id"],
  keyOf: (a) => [itemId(a.AssignmentId), itemId(a.WorkerId)],
  row: (a) => ({
    assignment_id: itemId(a.AssignmentId),
    worker_id: itemId(a.WorkerId),
    hit_id: itemId(a.HITId),
    status: a.AssignmentStatus ?? null,
    accept_time: epoch(a.AcceptTime),
    submit_time: epoch(a.SubmitTime),
    approval_time: epoch(a.ApprovalTime),
    rejection_time: epoch(a.RejectionTime),
    auto_approval_time: epoch(a.AutoApprovalTime),
    deadline: epoch(a.Deadline),
    answer: a.Answer ?? null,
    requester_feedback: a.RequesterFeedback ?? null,
  }),
  item: (r) => ({
    AssignmentId: r.assignment_id,
    WorkerId: r.worker_id,
    HITId: r.hit_id,
    AssignmentStatus: sdkMember(AssignmentStatus, r.status),
    AcceptTime: date(r.accept_time),
    SubmitTime: date(r.submit_time),
    ApprovalTime: date(r.approval_time),
    RejectionTime: date(r.rejection_time),
    AutoApprovalTime: date(r.auto_approval_time),
    Deadline: date(r.deadline),
    Answer: text(r.answer),
    RequesterFeedback: text(r.requester_feedback),
  }),
  extra: none,
};

/** A bonus as the mirror keeps it: the HIT it was listed under, and its identity (see bonusId). */
export type ListedBonus = BonusPayment & { HITId?: string; BonusKey?: string };

/**
 * A bonus's identity: MTurk gives it none. The assignment, worker, time, amount and reason tell bonuses apart, but
 * for two alike ones paid in one second (MTurk's times have whole seconds): a listing numbers the repeats
 * (distinctIds), and that number is part of the identity (BonusKey).
 */
export const bonusId = (b: ListedBonus) =>
  b.BonusKey ?? [b.AssignmentId, b.WorkerId, epoch(b.GrantTime), cents(b.BonusAmount), b.Reason ?? ""].join("\u0000");

export const BONUSES: TableCodec<ListedBonus, Record<string, never>, MirrorTables["bonus_payments"]> = {
  table: "bonus_payments",
  key: ["bonus_id"],
  keyOf: (b) => [bonusId(b)],
  row: (b) => ({
    bonus_id: bonusId(b),
    hit_id: b.HITId ?? null,
    assignment_id: itemId(b.AssignmentId),
    worker_id: itemId(b.WorkerId),
    amount_cents: cents(b.BonusAmount) ?? 0,
    reason: b.Reason ?? null,
    grant_time: epoch(b.GrantTime),
  }),
  item: (r) => ({
    AssignmentId: r.assignment_id,
    WorkerId: r.worker_id,
    BonusAmount: (Number(r.amount_cents) / 100).toFixed(2),
    Reason: text(r.reason),
    GrantTime: date(r.grant_time),
    HITId: text(r.hit_id),
    BonusKey: r.bonus_id,
  }),
  extra: none,
};

export const TYPES: TableCodec<
  QualificationType,
  { owned: number; deleted_at: number | null },
  Stored<"qualification_types">
> = {
  table: "qualification_types",
  hasData: true,
  key: ["qualification_type_id"],
  keyOf: (t) => [itemId(t.QualificationTypeId)],
  row: (t, extra) => ({
    qualification_type_id: itemId(t.QualificationTypeId),
    name_lower: lower(t.Name),
    status: t.QualificationTypeStatus ?? null,
    creation_time: epoch(t.CreationTime),
    is_requestable: t.IsRequestable ? 1 : 0,
    owned: extra.owned,
    deleted_at: extra.deleted_at,
    data: encodeItem(t),
  }),
  item: (row) => decodeItem(row.data),
  extra: (row) => ({ owned: Number(row.owned), deleted_at: row.deleted_at }),
};

export const REQUESTS: TableCodec<
  QualificationRequest,
  { status: string; decided_at: number | null },
  Stored<"qualification_requests">
> = {
  table: "qualification_requests",
  hasData: true,
  key: ["qualification_request_id"],
  keyOf: (r) => [itemId(r.QualificationRequestId)],
  row: (r, extra) => ({
    qualification_request_id: itemId(r.QualificationRequestId),
    qualification_type_id: itemId(r.QualificationTypeId),
    worker_id: itemId(r.WorkerId),
    submit_time: epoch(r.SubmitTime),
    status: extra.status,
    decided_at: extra.decided_at,
    data: encodeItem(r),
  }),
  item: (row) => decodeItem(row.data),
  extra: (row) => ({ status: row.status, decided_at: row.decided_at }),
};

export const QUALIFICATIONS: TableCodec<Qualification, Record<string, never>, Stored<"qualifications">> = {
  table: "qualifications",
  hasData: true,
  key: ["qualification_type_id", "worker_id"],
  keyOf: (q) => [itemId(q.QualificationTypeId), itemId(q.WorkerId)],
  row: (q) => ({
    qualification_type_id: itemId(q.QualificationTypeId),
    worker_id: itemId(q.WorkerId),
    status: q.Status ?? null,
    integer_value: q.IntegerValue ?? null,
    grant_time: epoch(q.GrantTime),
    data: encodeItem(q),
  }),
  item: (row) => decodeItem(row.data),
  extra: none,
};

export const BLOCKS: TableCodec<WorkerBlock, { present: number }, MirrorTables["worker_blocks"]> = {
  table: "worker_blocks",
  key: ["worker_id"],
  keyOf: (b) => [itemId(b.WorkerId)],
  row: (b, extra) => ({ worker_id: itemId(b.WorkerId), reason: b.Reason ?? null, present: extra.present }),
  item: (r) => ({ WorkerId: r.worker_id, Reason: text(r.reason) }),
  extra: (r) => ({ present: Number(r.present) }),
};
