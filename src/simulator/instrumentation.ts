/** What tests and benchmarks read and steer: the call log, counters, latency and injected faults. */

export interface CallRecord {
  operation: string;
  input: unknown;
  /** Milliseconds since the simulator started (performance.now()), so waves can be told apart. */
  start: number;
  end: number;
  outcome: string;
}

export const FAULT_KINDS = [
  "ThrottlingException",
  "ServiceFault",
  "ValidationException",
  "drop",
  "dropAfterApply",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRates {
  throttleRate: number;
  serviceFaultRate: number;
  dropRate: number;
}

const MAX_LOG = 200_000;

export class Instrumentation {
  calls: CallRecord[] = [];
  counters: Record<string, number> = {};
  latency = { fixedMs: 0, jitterMs: 0 };
  rates: FaultRates = { throttleRate: 0, serviceFaultRate: 0, dropRate: 0 };
  private scheduled: { operation: string; remaining: number; fault: FaultKind }[] = [];

  record(call: CallRecord): void {
    if (this.calls.length >= MAX_LOG) this.calls.shift();
    this.calls.push(call);
    this.counters[call.operation] = (this.counters[call.operation] ?? 0) + 1;
  }

  resetCalls(): void {
    this.calls = [];
    this.counters = {};
  }

  /** Fail the next `count` calls of `operation` ("*" for any) with `fault`. */
  schedule(operation: string, count: number, fault: FaultKind): void {
    this.scheduled.push({ operation, remaining: count, fault });
  }

  clearFaults(): void {
    this.scheduled = [];
    this.rates = { throttleRate: 0, serviceFaultRate: 0, dropRate: 0 };
  }

  /** The fault to apply to this call, if any: scheduled ones first, then the random rates. */
  faultFor(operation: string): FaultKind | undefined {
    const rule = this.scheduled.find((r) => r.remaining > 0 && (r.operation === operation || r.operation === "*"));
    if (rule) {
      rule.remaining -= 1;
      this.scheduled = this.scheduled.filter((r) => r.remaining > 0);
      return rule.fault;
    }
    const roll = Math.random();
    if (roll < this.rates.throttleRate) return "ThrottlingException";
    if (roll < this.rates.throttleRate + this.rates.serviceFaultRate) return "ServiceFault";
    if (roll < this.rates.throttleRate + this.rates.serviceFaultRate + this.rates.dropRate) return "drop";
    return undefined;
  }

  delayMs(): number {
    return this.latency.fixedMs + Math.random() * this.latency.jitterMs;
  }
}
