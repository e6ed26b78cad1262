import { DAY_MS, DISPOSAL_MS, DueQueue, forgetAt } from "./disposal.js";
import { parameterError, requestError } from "./errors.js";
import { change } from "./history.js";
import type {
  AssignmentRecord,
  BlockRecord,
  BonusRecord,
  HITRecord,
  HITTypeRecord,
  NotificationSpec,
  QualificationRecord,
  QualificationRequestRecord,
  QualificationTypeRecord,
  ReviewResultRecord,
  WorkerRecord,
} from "./model.js";
import { DEFAULT_SWITCHES, type SimulatorSwitches } from "./switches.js";
import { TokenSealer } from "./tokens.js";

export { DAY_MS };
/**
 * MTurk's commission on a reward or bonus: 20 %, another 20 % on a HIT with 10 or more assignments, at least one
 * cent. Integer percent arithmetic, so 15 cents give 3, not 3.0000000000000004 rounded up to 4.
 */
export const feeCents = (amountCents: number, maxAssignments = 1) =>
  Math.max(1, Math.ceil((amountCents * (maxAssignments >= 10 ? 40 : 20)) / 100));
export const toCents = (amount: string) => Math.round(Number.parseFloat(amount) * 100);
export const fromCents = (cents: number) => (cents / 100).toFixed(2);

/** A deterministic PRNG (mulberry32) so that a seed always yields the same ids and data. */
function createRandom(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T extends NonNullable<unknown> | null>(items: readonly T[]): T => {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error("Nothing to pick from.");
      return item;
    },
    chance: (p: number) => next() < p,
  };
}
export type Random = ReturnType<typeof createRandom>;

const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** The whole state of one simulated requester account. */
export class Store {
  readonly random: Random;
  /** Offset of the simulated clock from the real one, moved by /_simulator/clock. */
  clockOffsetMs = 0;
  private seqCounter = 0;
  readonly tokens = new TokenSealer();

  availableBalanceCents = 10_000_00;
  readonly qualificationTypes = new Map<string, QualificationTypeRecord>();
  readonly qualifications = new Map<string, QualificationRecord>();
  readonly qualificationRequests = new Map<string, QualificationRequestRecord>();
  readonly workers = new Map<string, WorkerRecord>();
  readonly hitTypes = new Map<string, HITTypeRecord>();
  /** Canonical CreateHITType parameters to the HITTypeId they produced. */
  readonly hitTypeByParameters = new Map<string, string>();
  readonly hits = new Map<string, HITRecord>();
  readonly assignments = new Map<string, AssignmentRecord>();
  readonly assignmentsByHit = new Map<string, AssignmentRecord[]>();
  readonly bonuses: BonusRecord[] = [];
  readonly blocks = new Map<string, BlockRecord>();
  readonly requestTokens = new Map<string, { operation: string; resultId: string; at: number }>();
  readonly notificationSettings = new Map<string, { notification?: NotificationSpec; active: boolean }>();
  readonly reviewResults: ReviewResultRecord[] = [];
  readonly sentMessages: { workerIds: string[]; subject: string; text: string; at: number }[] = [];
  readonly testEvents: { notification: NotificationSpec; eventType: string; at: number }[] = [];
  /** Per HIT, ids of returned and abandoned assignments, oldest first: MTurk gives them to the next workers. */
  private readonly freeAssignmentIds = new Map<string, string[]>();
  /** Assignments that a clock deadline can still move (Accepted: abandonment; Submitted: auto-approval). */
  private readonly timedAssignments = new Set<AssignmentRecord>();
  private nextDeadline = Number.POSITIVE_INFINITY;
  /** HITs by when the clock forgets them (see disposal.ts), and the autoDisposal setting the times were made for. */
  readonly disposals = new DueQueue();
  private disposalMode: SimulatorSwitches["autoDisposal"];

  /** The simulator's switches: the same object across resets, changed in place by PUT /_simulator/switches. */
  constructor(
    seed: number,
    readonly switches: SimulatorSwitches = { ...DEFAULT_SWITCHES },
  ) {
    this.random = createRandom(seed);
    this.disposalMode = switches.autoDisposal;
  }

  /** The simulated time in whole seconds, as MTurk's replies carry every timestamp (no fraction in any capture). */
  now(): number {
    return Math.floor((Date.now() + this.clockOffsetMs) / 1000) * 1000;
  }

  nextSeq(): number {
    this.seqCounter += 1;
    return this.seqCounter;
  }

  newId(length = 30, prefix = ""): string {
    // One string per id (a huge seed makes half a million): no intermediate strings for the collector.
    const codes: number[] = [];
    for (let i = prefix.length; i < length; i += 1)
      codes.push(ID_ALPHABET.charCodeAt(Math.floor(this.random.next() * ID_ALPHABET.length)));
    return prefix + String.fromCharCode(...codes);
  }

  /**
   * A new assignment record. Its id names the current holder (GetAssignment, SendBonus); a returned or abandoned
   * record whose id was given again stays in its HIT's list with its own worker and status.
   */
  addAssignment(assignment: AssignmentRecord): void {
    this.assignments.set(assignment.id, assignment);
    const list = this.assignmentsByHit.get(assignment.hitId) ?? [];
    list.push(assignment);
    this.assignmentsByHit.set(assignment.hitId, list);
    this.watchDeadline(assignment);
    this.releaseAssignmentId(assignment);
  }

  /** A returned or abandoned assignment's id is free for the next worker who accepts its HIT. */
  releaseAssignmentId(a: AssignmentRecord): void {
    if (a.status !== "Returned" && a.status !== "Abandoned") return;
    const free = this.freeAssignmentIds.get(a.hitId) ?? [];
    free.push(a.id);
    this.freeAssignmentIds.set(a.hitId, free);
  }

  /** The id for a HIT's next assignment: the oldest returned or abandoned one still free (MTurk reuses them). */
  assignmentIdFor(hitId: string): string {
    const free = this.freeAssignmentIds.get(hitId);
    for (let id = free?.shift(); id !== undefined; id = free?.shift()) {
      const holder = this.assignments.get(id)?.status;
      if (holder === "Returned" || holder === "Abandoned") return id;
    }
    return this.newId(30, "3");
  }

  /** Registers an assignment whose status the clock will move, keeping the earliest deadline at hand. */
  watchDeadline(assignment: AssignmentRecord): void {
    const due = this.deadlineOf(assignment);
    if (due === undefined) {
      this.timedAssignments.delete(assignment);
      return;
    }
    this.timedAssignments.add(assignment);
    this.nextDeadline = Math.min(this.nextDeadline, due);
  }

  private deadlineOf(a: AssignmentRecord): number | undefined {
    if (a.status === "Accepted") return a.deadline;
    if (a.status === "Submitted") return a.autoApprovalTime;
    return undefined;
  }

  /** A new HIT of the account, due to be forgotten when its time comes. */
  addHit(hit: HITRecord): void {
    this.hits.set(hit.id, hit);
    this.scheduleDisposal(hit);
  }

  /** After a HIT's creation, expiration or deletion: when the clock forgets it. */
  scheduleDisposal(hit: HITRecord): void {
    this.disposals.add(forgetAt(hit, this.disposalMode), hit.id);
  }

  /**
   * Applies what the clock has made due: abandoned assignments and auto-approvals (which pay the reward), then
   * HITs aged out. Each costs a look at what is due only (the next deadline, the disposal heap's top).
   */
  tick(): void {
    const now = this.now();
    if (now >= this.nextDeadline) this.applyDeadlines(now);
    if (this.disposalMode !== this.switches.autoDisposal) this.rescheduleDisposals();
    if (now >= this.disposals.next()) this.forgetAged(now);
  }

  private applyDeadlines(now: number): void {
    this.nextDeadline = Number.POSITIVE_INFINITY;
    for (const a of [...this.timedAssignments]) {
      const due = this.deadlineOf(a);
      if (due === undefined) {
        this.timedAssignments.delete(a);
      } else if (due <= now) {
        if (a.status === "Accepted") {
          change(a, { status: "Abandoned" }, due);
          this.releaseAssignmentId(a);
        } else this.approve(a, due);
        this.timedAssignments.delete(a);
      } else {
        this.nextDeadline = Math.min(this.nextDeadline, due);
      }
    }
  }

  /** The autoDisposal switch changed: every HIT's time is counted again (rare: a test flips it). */
  private rescheduleDisposals(): void {
    this.disposalMode = this.switches.autoDisposal;
    this.disposals.clear();
    for (const hit of this.hits.values()) this.scheduleDisposal(hit);
  }

  /** Forgets the HITs whose time has come, with their assignments, bonuses and review results. */
  private forgetAged(now: number): void {
    const gone = new Set<string>();
    while (now >= this.disposals.next()) {
      const due = this.disposals.take();
      if (!due) break;
      const { id } = due;
      const hit = this.hits.get(id);
      if (!hit || gone.has(id)) continue;
      const at = forgetAt(hit, this.disposalMode);
      // A stale entry: the HIT's expiration moved later since.
      if (at > now) this.disposals.add(at, id);
      else {
        this.forgetHit(hit, at);
        gone.add(id);
      }
    }
    if (!gone.size) return;
    // In place, in one pass each: these arrays hold every bonus and review result of the account.
    const keep = <T extends { hitId: string }>(records: T[]) => {
      let kept = 0;
      for (const r of records) if (!gone.has(r.hitId)) records[kept++] = r;
      records.length = kept;
    };
    keep(this.bonuses);
    keep(this.reviewResults);
  }

  /** Submitted work still waiting is approved (MTurk pays what it does not let the requester review), then all goes. */
  private forgetHit(hit: HITRecord, at: number): void {
    for (const a of this.assignmentsByHit.get(hit.id) ?? []) {
      if (a.status === "Submitted") this.approve(a, at);
      this.timedAssignments.delete(a);
      if (this.assignments.get(a.id) === a) this.assignments.delete(a.id);
    }
    this.assignmentsByHit.delete(hit.id);
    this.freeAssignmentIds.delete(hit.id);
    this.hits.delete(hit.id);
  }

  /**
   * Moves an assignment to Approved and pays its reward plus commission from the available balance. The reward is
   * the HIT type's current one: whether MTurk pays the reward at submission after UpdateHITTypeOfHIT is unknown.
   */
  approve(a: AssignmentRecord, at: number, feedback?: string): void {
    const hit = this.hits.get(a.hitId);
    const reward = hit ? toCents(this.hitTypes.get(hit.hitTypeId)?.reward ?? "0") : 0;
    this.availableBalanceCents -= reward + (hit && reward > 0 ? feeCents(reward, hit.maxAssignments) : 0);
    change(
      a,
      {
        status: "Approved",
        approvalTime: at,
        rejectionTime: undefined,
        ...(feedback !== undefined ? { requesterFeedback: feedback } : {}),
      },
      at,
    );
    this.watchDeadline(a);
  }

  /** Rewards of submitted work that is waiting for approval: MTurk's OnHoldBalance. */
  onHoldCents(): number {
    let cents = 0;
    for (const a of this.timedAssignments) {
      if (a.status !== "Submitted") continue;
      const hit = this.hits.get(a.hitId);
      if (hit) cents += toCents(this.hitTypes.get(hit.hitTypeId)?.reward ?? "0");
    }
    return cents;
  }

  hitStatus(hit: HITRecord): "Assignable" | "Unassignable" | "Reviewable" | "Reviewing" | "Disposed" {
    if (hit.deletedAt !== undefined) return "Disposed";
    if (hit.reviewing) return "Reviewing";
    const counts = this.assignmentCounts(hit);
    if (this.now() < hit.expiration && counts.available > 0) return "Assignable";
    if (counts.pending > 0) return "Unassignable";
    return "Reviewable";
  }

  assignmentCounts(hit: HITRecord) {
    let pending = 0;
    let submitted = 0;
    let completed = 0;
    for (const a of this.assignmentsByHit.get(hit.id) ?? []) {
      if (a.status === "Accepted") pending += 1;
      else if (a.status === "Submitted") submitted += 1;
      else if (a.status === "Approved" || a.status === "Rejected") completed += 1;
    }
    return {
      pending,
      submitted,
      completed,
      available: Math.max(0, hit.maxAssignments - pending - submitted - completed),
    };
  }

  /** A HIT GetHIT and DeleteHIT can see: live, or Disposed less than 120 days ago; else HITDoesNotExist. */
  knownHit(hitId: string): HITRecord {
    const hit = this.hits.get(hitId);
    if (!hit || (hit.deletedAt !== undefined && this.now() - hit.deletedAt > DISPOSAL_MS))
      throw requestError("HITDoesNotExist", `Hit ${hitId} does not exist.`);
    return hit;
  }

  /** A live HIT of this account, or MTurk's HITDoesNotExist: every write but DeleteHIT treats Disposed as gone. */
  liveHit(hitId: string): HITRecord {
    const hit = this.hits.get(hitId);
    if (!hit || hit.deletedAt !== undefined) throw requestError("HITDoesNotExist", `Hit ${hitId} does not exist.`);
    return hit;
  }

  /** A qualification type the caller owns and has not deleted. */
  ownedQualificationType(typeId: string): QualificationTypeRecord {
    const type = this.qualificationTypes.get(typeId);
    if (!type || type.deletedAt !== undefined)
      throw requestError(
        "QualificationTypeDoesNotExist",
        `You requested a Qualification type that does not exist. (${typeId})`,
      );
    if (type.owner !== "caller")
      throw requestError("PermissionDenied", `You do not own the Qualification type ${typeId}.`);
    return type;
  }

  knownWorker(workerId: string): WorkerRecord {
    const worker = this.workers.get(workerId);
    // MTurk answers an unknown worker as an invalid WorkerId (aws/aws-sdk-java#2055).
    if (!worker) throw parameterError("WorkerId", workerId);
    return worker;
  }

  /** Remembers a UniqueRequestToken for 24 hours; returns the earlier result id when it was already used. */
  claimRequestToken(token: string | undefined, operation: string): { resultId: string } | undefined {
    if (token === undefined) return undefined;
    const seen = this.requestTokens.get(`${operation}:${token}`);
    if (seen && this.now() - seen.at < DAY_MS) return { resultId: seen.resultId };
    return undefined;
  }

  recordRequestToken(token: string | undefined, operation: string, resultId: string): void {
    if (token !== undefined) this.requestTokens.set(`${operation}:${token}`, { operation, resultId, at: this.now() });
  }
}
