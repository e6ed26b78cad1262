/**
 * The mirror's tables, as Kysely sees them. Times are epoch milliseconds; flags are 0/1 integers; `data` columns
 * hold the item as MTurk returned it (JSON, dates as epoch milliseconds), so that a row gives back the SDK's shape.
 * The item itself (JSON) is kept apart in item_data, so that rows stay narrow. Every row says when MTurk last confirmed it (`confirmed_at`) and, if the gateway itself changed it, when
 * (`written_at`: the gateway's own write wins over MTurk's lagging listings for WRITE_JOURNAL_MS).
 */
export interface MirrorTables {
  hits: HitRow;
  hit_requirements: { hit_id: string; qualification_type_id: string };
  assignments: AssignmentRow;
  bonus_payments: BonusRow;
  qualification_types: QualificationTypeRow;
  qualification_requests: QualificationRequestRow;
  qualifications: QualificationRow;
  worker_blocks: WorkerBlockRow;
  idempotency_keys: IdempotencyRow;
  sync_units: SyncUnitRow;
  mirror_meta: { key: string; value: string };
  /** The JSON of items as MTurk sent them, apart from their rows (see migrations): by table and key. */
  item_data: { kind: string; id: string; data: string };
}

// Rows are type aliases, not interfaces: a row then passes where a Record<string, unknown> is read.
type Confirmed = {
  confirmed_at: number;
  written_at: number | null;
  /** What the gateway's own write set (JSON): kept over what MTurk's listings say while written_at is recent. */
  overlay: string | null;
};

type HitRow = Confirmed & {
  hit_id: string;
  hit_type_id: string | null;
  status: string | null;
  review_status: string | null;
  creation_time: number | null;
  expiration: number | null;
  title_lower: string | null;
  reward_cents: number | null;
  max_assignments: number | null;
  pending: number | null;
  available: number | null;
  completed: number | null;
  /** The HIT's counters when its assignments and bonuses were last read whole, committed with those rows. */
  work_synced: string | null;
  work_synced_at: number | null;
  /** When a ListHITs scan last listed it: a HIT no scan lists any more is asked for (GetHIT) once. */
  listed_at: number | null;
  /** When the mirror learned that MTurk disposed of it; `forgotten` once MTurk answers HITDoesNotExist. */
  disposed_at: number | null;
  forgotten: number;
};

type AssignmentRow = Confirmed & {
  /** MTurk gives a returned assignment's id to the next worker: an assignment is its id and its worker. */
  assignment_id: string;
  worker_id: string;
  hit_id: string;
  status: string | null;
  accept_time: number | null;
  submit_time: number | null;
  approval_time: number | null;
  rejection_time: number | null;
  auto_approval_time: number | null;
  deadline: number | null;
  answer: string | null;
  requester_feedback: string | null;
};

type BonusRow = Confirmed & {
  /** MTurk gives bonuses no id: the assignment, worker, time, amount and reason tell them apart. */
  bonus_id: string;
  hit_id: string | null;
  assignment_id: string;
  worker_id: string;
  amount_cents: number;
  reason: string | null;
  grant_time: number | null;
};

type QualificationTypeRow = Confirmed & {
  qualification_type_id: string;
  name_lower: string | null;
  status: string | null;
  creation_time: number | null;
  is_requestable: number;
  /** Listed as the caller's own (MustBeOwnedByCaller). */
  owned: number;
  deleted_at: number | null;
};

type QualificationRequestRow = Confirmed & {
  qualification_request_id: string;
  qualification_type_id: string;
  worker_id: string;
  submit_time: number | null;
  /** Pending while MTurk lists it; Accepted or Rejected by the gateway; Resolved when it left the list otherwise. */
  status: string;
  decided_at: number | null;
};

type QualificationRow = Confirmed & {
  qualification_type_id: string;
  worker_id: string;
  status: string | null;
  integer_value: number | null;
  grant_time: number | null;
};

type WorkerBlockRow = Confirmed & {
  worker_id: string;
  reason: string | null;
  /** 0 once unblocked (kept while the gateway's own unblock must win over a lagging listing). */
  present: number;
};

type IdempotencyRow = {
  /** SHA-256 of the operation and the client's key (the key itself is not stored). */
  id: string;
  operation: string;
  fingerprint: string;
  first_attempt_at: number;
  /** The rest of the record (facts learned before the first attempt, a batch's items), as JSON. */
  details: string | null;
  /** The UniqueRequestToken sent to MTurk, derived from the key: written before the call. */
  request_token: string;
  claim: string;
};

type SyncUnitRow = {
  unit: string;
  synced_at: number | null;
  /** A refresh in progress (any instance of a fleet): its holder and until when the lease holds. */
  lease_holder: string | null;
  lease_until: number | null;
  progress: string | null;
};
