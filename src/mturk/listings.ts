import type {
  Assignment,
  BonusPayment,
  HIT,
  Qualification,
  QualificationRequest,
  QualificationType,
  WorkerBlock,
} from "@aws-sdk/client-mturk";

/**
 * MTurk's list operations, the arguments that name one listing (its scope), and each listing's item id. Cursors,
 * shared scans and the mirror's listings all key on these scopes; this is the one place they are made.
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
