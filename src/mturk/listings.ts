import type {
  Assignment,
  BonusPayment,
  HIT,
  Qualification,
  QualificationRequest,
  QualificationType,
  WorkerBlock,
} from "@aws-sdk/client-mturk";
import { canonicalAmount } from "../money/fees.js";

/**
 * MTurk's list operations, the arguments that name one listing (its scope), and each listing's item id. Snapshots,
 * cursors and the journal of the gateway's own writes all key on these scopes; this is the one place they are made.
 */
export interface ListingItems {
  ListQualificationRequests: QualificationRequest;
  ListQualificationTypes: QualificationType;
  ListHITs: HIT;
  ListReviewableHITs: HIT;
  ListHITsForQualificationType: HIT;
  ListAssignmentsForHIT: Assignment;
  ListBonusPayments: BonusPayment;
  ListWorkersWithQualificationType: Qualification;
  ListWorkerBlocks: WorkerBlock;
}
export type ListingOperation = keyof ListingItems;

export interface TypeListFilter {
  query?: string;
  mustBeRequestable: boolean;
  mustBeOwnedByCaller?: boolean;
}

export const scopes = {
  requests: (typeId?: string) => ["ListQualificationRequests", typeId ?? null] as const,
  types: (filter: TypeListFilter) => ["ListQualificationTypes", filter] as const,
  hits: () => ["ListHITs"] as const,
  reviewableHits: (filter: { hitTypeId?: string; status?: string }) => ["ListReviewableHITs", filter] as const,
  hitsForType: (typeId: string) => ["ListHITsForQualificationType", typeId] as const,
  assignments: (hitId: string, statuses?: string[]) =>
    ["ListAssignmentsForHIT", hitId, statuses ? [...statuses].sort() : null] as const,
  bonuses: (of: { hitId?: string; assignmentId?: string }) =>
    ["ListBonusPayments", { hitId: of.hitId ?? null, assignmentId: of.assignmentId ?? null }] as const,
  workersWithType: (typeId: string, status: "Granted" | "Revoked") =>
    ["ListWorkersWithQualificationType", typeId, status] as const,
  blocks: () => ["ListWorkerBlocks"] as const,
};
export type Scope = ReturnType<(typeof scopes)[keyof typeof scopes]>;

const epoch = (date: Date | undefined) => date?.getTime();

/** Each listing's item id: cursors anchor on it, ties in sorted lists break on it, the journal matches on it. */
export const listingIds: { [O in ListingOperation]: (item: ListingItems[O]) => string } = {
  ListQualificationRequests: (r) => r.QualificationRequestId ?? "",
  ListQualificationTypes: (t) => t.QualificationTypeId ?? "",
  ListHITs: (h) => h.HITId ?? "",
  ListReviewableHITs: (h) => h.HITId ?? "",
  ListHITsForQualificationType: (h) => h.HITId ?? "",
  ListAssignmentsForHIT: (a) => a.AssignmentId ?? "",
  // MTurk gives bonuses no id: the assignment, time and amount tell them apart.
  ListBonusPayments: (b) => `${b.AssignmentId}:${epoch(b.GrantTime)}:${b.BonusAmount}`,
  ListWorkersWithQualificationType: (q) => q.WorkerId ?? "",
  ListWorkerBlocks: (b) => b.WorkerId ?? "",
};

/**
 * Ids that tell every item of a list apart: each item's listing id, with "#2", "#3", … on its repeats. A bonus's
 * made-up id is shared by alike bonuses paid in one second (MTurk's GrantTime has no fraction): two payments still.
 */
export function distinctIds<T>(items: readonly T[], idOf: (item: T) => string): string[] {
  const seen = new Map<string, number>();
  return items.map((item) => {
    const id = idOf(item);
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    return n === 1 ? id : `${id}#${n}`;
  });
}

/** Whether a listing's ids are MTurk's own, one per item (a bonus's is made up: two alike bonuses share it). */
export const idsAreMTurks = (operation: ListingOperation) => operation !== "ListBonusPayments";

export const scopeKey = (scope: readonly unknown[]) => JSON.stringify(scope);
export const operationOfKey = (key: string) => JSON.parse(key)[0] as ListingOperation;

/**
 * Whether the listing `scope` lists `item` as it now is; undefined when the gateway cannot tell (that listing is
 * then scanned again instead of patched).
 */
export const listingIncludes: {
  [O in ListingOperation]: (scope: readonly unknown[], item: ListingItems[O]) => boolean | undefined;
} = {
  ListQualificationRequests: (scope, r) => scope[1] === null || r.QualificationTypeId === scope[1],
  ListQualificationTypes: (scope, t) => {
    const filter = scope[1] as TypeListFilter;
    // MTurk's text search is its own: a listing with a Query is scanned again.
    if (filter.query) return undefined;
    return !filter.mustBeRequestable || t.IsRequestable === true;
  },
  ListHITs: () => true,
  ListReviewableHITs: (scope, h) => {
    const filter = scope[1] as { hitTypeId?: string; status?: string };
    if (h.HITStatus === undefined) return undefined;
    return h.HITStatus === (filter.status ?? "Reviewable") && (!filter.hitTypeId || h.HITTypeId === filter.hitTypeId);
  },
  ListHITsForQualificationType: (scope, h) =>
    h.QualificationRequirements === undefined
      ? undefined
      : h.QualificationRequirements.some((r) => r.QualificationTypeId === scope[1]),
  ListAssignmentsForHIT: (scope, a) => {
    const statuses = scope[2] as string[] | null;
    return a.HITId === scope[1] && (!statuses || statuses.includes(a.AssignmentStatus as string));
  },
  ListBonusPayments: (scope, b) => {
    const of = scope[1] as { hitId: string | null; assignmentId: string | null };
    // A bonus names its assignment, not its HIT: a HIT's bonus listing is scanned again.
    return of.assignmentId !== null ? b.AssignmentId === of.assignmentId : undefined;
  },
  ListWorkersWithQualificationType: (scope, q) => q.QualificationTypeId === scope[1] && q.Status === scope[2],
  ListWorkerBlocks: () => true,
};

/**
 * For listings whose ids MTurk makes up at write time (a bonus's GrantTime): whether a listed item is the one the
 * gateway wrote, so that it is not shown twice once MTurk lists it.
 */
export const listingSameItem: {
  [O in ListingOperation]?: (listed: ListingItems[O], written: ListingItems[O]) => boolean;
} = {
  ListBonusPayments: (listed, written) =>
    listed.AssignmentId === written.AssignmentId &&
    listed.WorkerId === written.WorkerId &&
    listed.Reason === written.Reason &&
    canonicalAmount(listed.BonusAmount ?? "NaN") === canonicalAmount(written.BonusAmount ?? "NaN") &&
    Math.abs((epoch(listed.GrantTime) ?? 0) - (epoch(written.GrantTime) ?? 0)) < 10 * 60_000,
};
