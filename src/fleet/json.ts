/**
 * JSON for what instances share through Redis. MTurk's items carry Dates (SubmitTime, GrantTime, Expiration) that
 * the listings sort and compare: they travel tagged, so a string that merely looks like a date stays a string.
 */
export function encode(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, encoded) {
    // JSON.stringify has already called Date#toJSON on `encoded`; the holder still has the Date.
    const raw = this[key];
    return raw instanceof Date ? { $date: raw.getTime() } : encoded;
  });
}

export function decode<T>(text: string): T {
  return JSON.parse(text, (_key, value) =>
    value !== null && typeof value === "object" && typeof value.$date === "number" && Object.keys(value).length === 1
      ? new Date(value.$date)
      : value,
  ) as T;
}
