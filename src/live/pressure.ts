/**
 * Whether callers wait for MTurk's rate budget (the fair scheduler measures it, src/mturk/scheduler.ts): the
 * subscriptions' pollers poll less often while it is tight, leaving the budget to requests.
 */
export interface Pressure {
  tight(): boolean;
}

export const NO_PRESSURE: Pressure = { tight: () => false };
