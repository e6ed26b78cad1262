import type { HITRecord } from "./model.js";
import type { SimulatorSwitches } from "./switches.js";

export const DAY_MS = 86_400_000;
/**
 * "HITs are automatically disposed of after 120 days" (API reference, DeleteHIT); "Amazon will delete HITs … if
 * they are not used for 120 days" (MTurk's requester FAQ). A deleted HIT stays readable as Disposed this long.
 */
export const DISPOSAL_MS = 120 * DAY_MS;

/**
 * When the clock forgets a HIT (it leaves every listing, and GetHIT, its assignments and its bonuses answer as for
 * ones that never existed): 120 days after it was deleted; a HIT nobody deleted, 120 days after its creation or
 * its expiration, as the autoDisposal switch says (which one MTurk counts from is unknown).
 */
export function forgetAt(hit: HITRecord, mode: SimulatorSwitches["autoDisposal"]): number {
  if (hit.deletedAt !== undefined) return hit.deletedAt + DISPOSAL_MS;
  return (mode === "creation" ? hit.creationTime : hit.expiration) + DISPOSAL_MS;
}

interface Due {
  at: number;
  id: string;
}

/**
 * HIT ids by the time they are due, earliest first: a binary heap, so that the clock finds what is due without
 * looking at every HIT. An entry may be stale (the HIT's expiration moved, it was forgotten): the taker checks.
 */
export class DueQueue {
  private readonly heap: Due[] = [];
  /** Entries taken so far: what the clock had to look at. */
  taken = 0;

  /** The earliest due time, or Infinity. */
  next(): number {
    return this.at(0);
  }

  add(at: number, id: string): void {
    this.heap.push({ at, id });
    this.up(this.heap.length - 1);
  }

  /** Takes the earliest entry. */
  take(): Due | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (!top || !last) return undefined;
    this.taken += 1;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    return top;
  }

  clear(): void {
    this.heap.length = 0;
  }

  private at(i: number): number {
    return this.heap[i]?.at ?? Number.POSITIVE_INFINITY;
  }

  private swap(i: number, j: number): void {
    const h = this.heap;
    const a = h[i];
    const b = h[j];
    if (a === undefined || b === undefined) return;
    h[i] = b;
    h[j] = a;
  }

  private up(i: number): void {
    for (let child = i; child > 0; ) {
      const parent = (child - 1) >> 1;
      if (this.at(parent) <= this.at(child)) return;
      this.swap(child, parent);
      child = parent;
    }
  }

  private down(i: number): void {
    for (let node = i; ; ) {
      const left = 2 * node + 1;
      let least = node;
      if (this.at(left) < this.at(least)) least = left;
      if (this.at(left + 1) < this.at(least)) least = left + 1;
      if (least === node) return;
      this.swap(node, least);
      node = least;
    }
  }
}
