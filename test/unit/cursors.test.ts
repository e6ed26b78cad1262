import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CursorCodec, idTag } from "../../src/mturk/cursors.js";

/** Cursors are signed and bound to their connection: a client can neither forge one nor carry one elsewhere. */
describe("the cursor codec", () => {
  const codec = new CursorCodec("unit-test-secret-0123456789");

  it("gives back any position it encoded, for the same scope", () => {
    fc.assert(
      fc.property(fc.string(), fc.jsonValue(), (scope, position) => {
        expect(codec.decode(scope, codec.encode(scope, position))).toEqual(JSON.parse(JSON.stringify(position)));
        expect(codec.accepts(scope, codec.encode(scope, position))).toBe(true);
      }),
    );
  });

  it("refuses a cursor of another scope, another secret, or one tampered with, as BAD_USER_INPUT", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.jsonValue(), fc.nat(), (a, b, position, at) => {
        const cursor = codec.encode(a, position);
        const refused = (scope: string, text: string) => {
          try {
            codec.decode(scope, text);
            return false;
          } catch (error) {
            return (error as { extensions?: { code?: string } }).extensions?.code === "BAD_USER_INPUT";
          }
        };
        if (a !== b) expect(refused(b, cursor)).toBe(true);
        expect(refused(a, new CursorCodec("another-secret-0123456789").encode(a, position))).toBe(true);
        const i = at % cursor.length;
        const flipped = cursor.slice(0, i) + (cursor[i] === "A" ? "B" : "A") + cursor.slice(i + 1);
        if (flipped !== cursor) expect(refused(a, flipped)).toBe(true);
        expect(codec.accepts(a === b ? `${b}x` : b, cursor)).toBe(false);
      }),
    );
  });

  it("tags ids in 8 characters, the same id always alike", () => {
    fc.assert(
      fc.property(fc.string(), (id) => {
        expect(idTag(id)).toHaveLength(8);
        expect(idTag(id)).toBe(idTag(id));
      }),
    );
  });
});
