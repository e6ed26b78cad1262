/** The ids MTurk sends with every item of its kind, though the SDK types every member optional. */
export type IdKey =
  | "HITId"
  | "HITTypeId"
  | "AssignmentId"
  | "WorkerId"
  | "QualificationTypeId"
  | "QualificationRequestId";

/**
 * An item's id. MTurk always sends it; an item without one is a broken answer (an error, not an `undefined` id that
 * keys a cache or a cursor).
 */
export function idOf<K extends IdKey>(item: { readonly [P in K]?: string }, key: K): string {
  const id = item[key];
  if (id === undefined) throw new Error(`MTurk sent an item without its ${key}.`);
  return id;
}

/** The item a Get answered with: MTurk always sends it, though the SDK types it optional. */
export function answered<T>(item: T | undefined, operation: string): T {
  if (item === undefined) throw new Error(`MTurk's ${operation} answered without its item.`);
  return item;
}
