import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { badInput } from "./errors.js";

/** Signs and checks cursors, so a client can neither forge one nor use one on another connection. */
export class CursorCodec {
  private readonly secret: Buffer;

  constructor(secret?: string) {
    this.secret = secret ? Buffer.from(secret) : randomBytes(32);
  }

  private mac(body: string): string {
    return createHmac("sha256", this.secret).update(body).digest("base64url").slice(0, 22);
  }

  encode(scope: string, position: unknown): string {
    const body = Buffer.from(JSON.stringify({ c: scopeHash(scope), p: position })).toString("base64url");
    return `${body}.${this.mac(body)}`;
  }

  /** Whether this gateway issued the cursor for this scope (a cursor of another kind of page is not an error here). */
  accepts(scope: string, cursor: string): boolean {
    try {
      this.decode(scope, cursor);
      return true;
    } catch {
      return false;
    }
  }

  decode<P>(scope: string, cursor: string): P {
    const [body = "", mac = ""] = cursor.split(".");
    const expected = this.mac(body);
    if (mac.length !== expected.length || !timingSafeEqual(Buffer.from(mac), Buffer.from(expected)))
      throw badInput("The cursor is malformed or was not issued by this gateway.", { argument: "after" });
    const parsed = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as { c: string; p: P };
    if (parsed.c !== scopeHash(scope))
      throw badInput("The cursor belongs to another connection or other arguments.", { argument: "after" });
    return parsed.p;
  }
}

const scopeHash = (scope: string) => createHash("sha256").update(scope).digest("base64url").slice(0, 12);

/**
 * A short, fixed-size tag of an item id for cursors (48 bits: a collision among the ~100 items a resume compares
 * is about 1 in 10^10).
 */
export const idTag = (id: string) => createHash("sha256").update(id).digest("base64url").slice(0, 8);
