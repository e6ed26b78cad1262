/**
 * MTurk's pricing (shared/reference/mturk-realities.md): the commission is 20 % of each reward and bonus, another
 * 20 % of rewards on a HIT with 10 or more assignments, and at least $0.01 per assignment or bonus. All in integer
 * cents, rounded up per assignment and per bonus, as the simulator charges (a test holds the two equal).
 */

/** USD text ("0.25", "3", "1.5") to cents. */
export const toCents = (amount: string) => Math.round(Number.parseFloat(amount) * 100);
export const fromCents = (cents: number) => (cents / 100).toFixed(2);
/**
 * An amount as it is keyed, fingerprinted and compared: its cents, written "2.00". "2", "2.0" and "02.00" are one
 * payment; an idempotency key or a dedupe that hashed the text as written would pay each spelling once.
 */
export const canonicalAmount = (amount: string) => fromCents(toCents(amount));

/** The commission on one reward (of a HIT with `maxAssignments`) or one bonus (maxAssignments 1). */
export const feeCents = (amountCents: number, maxAssignments = 1) =>
  amountCents > 0 ? Math.max(1, Math.ceil((amountCents * (maxAssignments >= 10 ? 40 : 20)) / 100)) : 0;

export interface Estimate {
  /** Assignments whose reward is counted. */
  assignments: number;
  rewards: number;
  bonuses: number;
  fee: number;
  total: number;
}

/**
 * What paying `assignments` rewards (of a HIT with `maxAssignments`) and some bonuses costs, in cents. A HIT's
 * rewards are paid at most once per assignment: its cost is every assignment approved.
 */
export function estimate(input: {
  rewardCents?: number;
  assignments?: number;
  maxAssignments?: number;
  bonusCents?: number[];
}): Estimate {
  const reward = input.rewardCents ?? 0;
  const assignments = reward > 0 ? (input.assignments ?? input.maxAssignments ?? 1) : 0;
  const maxAssignments = input.maxAssignments ?? assignments;
  const bonusList = input.bonusCents ?? [];
  const rewards = reward * assignments;
  const bonuses = bonusList.reduce((sum, b) => sum + b, 0);
  const fee = assignments * feeCents(reward, maxAssignments) + bonusList.reduce((sum, b) => sum + feeCents(b), 0);
  return { assignments, rewards, bonuses, fee, total: rewards + bonuses + fee };
}

/** Sums estimates (a bulk approval over several HITs). */
export const sumEstimates = (list: Estimate[]): Estimate =>
  list.reduce(
    (a, b) => ({
      assignments: a.assignments + b.assignments,
      rewards: a.rewards + b.rewards,
      bonuses: a.bonuses + b.bonuses,
      fee: a.fee + b.fee,
      total: a.total + b.total,
    }),
    { assignments: 0, rewards: 0, bonuses: 0, fee: 0, total: 0 },
  );
