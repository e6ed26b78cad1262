/**
 * Eventual consistency for List operations (the listLagSeconds switch), as one mechanism for every record kind:
 * a record remembers when it appeared and what its changed fields held before each change, so a List operation
 * can show it as it was at `now - lag`. Get operations always read the record itself.
 */

/** What a listable record carries; absent fields mean "always listed" and "never changed" (seeded records). */
export interface Tracked<S> {
  /** When the record was created: before this it is not listed. */
  listedFrom?: number;
  /** Earlier values of the fields each change replaced, oldest change first. */
  history?: { at: number; before: Partial<S> }[];
}

/** Applies a change to a record, keeping the values it replaces for lagging listings. */
export function change<T extends Tracked<T>>(record: T, patch: Partial<T>, at: number): T {
  const before: Partial<T> = {};
  for (const key in patch) before[key] = record[key];
  if (!record.history) record.history = [];
  record.history.push({ at, before });
  Object.assign(record, patch);
  return record;
}

/** The record as a listing at `cutoff` shows it, or undefined when it did not exist yet. */
export function viewAt<T extends Tracked<T>>(record: T, cutoff: number): T | undefined {
  if (record.listedFrom !== undefined && record.listedFrom > cutoff) return undefined;
  const history = record.history;
  const latest = history?.at(-1);
  if (!history || !latest || latest.at <= cutoff) return record;
  // A copy with the later changes undone, newest first, so the oldest undone change's values win.
  const view = { ...record };
  for (let i = history.length - 1; i >= 0; i -= 1) {
    const entry = history[i];
    if (!entry || entry.at <= cutoff) break;
    Object.assign(view, entry.before);
  }
  return view;
}
