/** The simulator's internal records. Times are epoch milliseconds of the simulated clock. */
import type { NotificationTransport } from "@aws-sdk/client-mturk";
import type { Tracked } from "./history.js";

interface LocaleValue {
  Country: string;
  Subdivision?: string;
}

export interface QualificationRequirementInput {
  QualificationTypeId: string;
  Comparator: string;
  IntegerValues?: number[];
  LocaleValues?: LocaleValue[];
  RequiredToPreview?: boolean;
  ActionsGuarded?: string;
}

export interface QualificationTypeRecord extends Tracked<QualificationTypeRecord> {
  id: string;
  seq: number;
  owner: "caller" | "system" | "other";
  name: string;
  description: string;
  keywords?: string;
  status: "Active" | "Inactive";
  test?: string;
  answerKey?: string;
  testDurationInSeconds?: number;
  retryDelayInSeconds?: number;
  autoGranted: boolean;
  autoGrantedValue?: number;
  creationTime: number;
  deletedAt?: number;
}

/** The key of a worker's Qualification of a type in the store. */
export const qualificationKey = (typeId: string, workerId: string) => `${typeId}|${workerId}`;

export interface QualificationRecord extends Tracked<QualificationRecord> {
  typeId: string;
  workerId: string;
  seq: number;
  integerValue?: number;
  localeValue?: LocaleValue;
  grantTime: number;
  status: "Granted" | "Revoked";
  reason?: string;
}

export interface QualificationRequestRecord extends Tracked<QualificationRequestRecord> {
  id: string;
  seq: number;
  typeId: string;
  workerId: string;
  test?: string;
  answer?: string;
  submitTime: number;
  status: "Pending" | "Accepted" | "Rejected";
  reason?: string;
  decidedAt?: number;
}

export interface WorkerRecord {
  id: string;
  locale: LocaleValue;
  adult: boolean;
}

export interface HITTypeRecord {
  id: string;
  autoApprovalDelayInSeconds: number;
  assignmentDurationInSeconds: number;
  reward: string;
  title: string;
  description: string;
  keywords?: string;
  qualificationRequirements: QualificationRequirementInput[];
}

interface ReviewPolicy {
  PolicyName: string;
  Parameters?: { Key?: string; Values?: string[]; MapEntries?: { Key?: string; Values?: string[] }[] }[];
}

export interface HITRecord extends Tracked<HITRecord> {
  id: string;
  seq: number;
  hitTypeId: string;
  hitGroupId: string;
  hitLayoutId?: string;
  creationTime: number;
  question?: string;
  maxAssignments: number;
  /** The MaxAssignments the HIT was created with: the 10-assignment rule of CreateAdditionalAssignmentsForHIT reads it. */
  createdMaxAssignments: number;
  expiration: number;
  requesterAnnotation?: string;
  reviewing: boolean;
  reviewStatus: "NotReviewed" | "MarkedForReview" | "ReviewedAppropriate" | "ReviewedInappropriate";
  assignmentReviewPolicy?: ReviewPolicy;
  hitReviewPolicy?: ReviewPolicy;
  deletedAt?: number;
}

type AssignmentState = "Accepted" | "Submitted" | "Approved" | "Rejected" | "Returned" | "Abandoned";

export interface AssignmentRecord extends Tracked<AssignmentRecord> {
  id: string;
  seq: number;
  hitId: string;
  workerId: string;
  status: AssignmentState;
  acceptTime: number;
  deadline: number;
  submitTime?: number;
  autoApprovalTime?: number;
  approvalTime?: number;
  rejectionTime?: number;
  answer?: string;
  requesterFeedback?: string;
}

export interface BonusRecord extends Tracked<BonusRecord> {
  seq: number;
  workerId: string;
  assignmentId: string;
  hitId: string;
  amountCents: number;
  reason: string;
  grantTime: number;
}

export interface BlockRecord extends Tracked<BlockRecord> {
  workerId: string;
  reason: string;
  seq: number;
}

export interface NotificationSpec {
  Destination: string;
  Transport: NotificationTransport;
  Version: string;
  EventTypes: string[];
}

export interface ReviewResultRecord {
  seq: number;
  hitId: string;
  level: "Assignment" | "HIT";
  result: Record<string, string>;
  action?: Record<string, string | number>;
}
