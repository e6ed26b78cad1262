import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { requestError } from "./errors.js";
import type { PagingMode } from "./switches.js";

/** Where a walk stands: a sequence number (keyset), an absolute offset (offset) or a page number (page). */
export interface Cursor {
  mode: PagingMode;
  at: number;
}

const MODE_CODES: Record<PagingMode, string> = { keyset: "k", offset: "o", page: "p" };
const MODES: PagingMode[] = ["keyset", "offset", "page"];
const MODES_BY_CODE = new Map(MODES.map((mode) => [MODE_CODES[mode], mode]));

/**
 * NextTokens sealed with AES-GCM under a key of one store: a forged token, or one from another instance, fails to
 * open. A token binds a short hash of the operation and its filter, never the filter itself, so it stays far below
 * the model's 255 characters whatever the filter (a 255-character Query included).
 */
export class TokenSealer {
  private readonly key = randomBytes(32);

  /** The hash a token is bound to: the operation and its filter. */
  scope(operation: string, filter: unknown): string {
    return createHash("sha256")
      .update(`${operation}\u0000${JSON.stringify(filter ?? null)}`)
      .digest("base64url")
      .slice(0, 16);
  }

  seal(scope: string, cursor: Cursor): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const plain = JSON.stringify([scope, MODE_CODES[cursor.mode], cursor.at]);
    const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
  }

  /** Opens a NextToken; a token that was not sealed here for this operation and filter is a RequestError. */
  open(token: string, scope: string, operation: string): Cursor {
    let sealed: [string, string, number];
    try {
      const raw = Buffer.from(token, "base64url");
      const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      sealed = JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8"));
    } catch {
      throw requestError("InvalidParameterValue", `The value "${token}" is not valid for the parameter NextToken.`);
    }
    const mode = MODES_BY_CODE.get(sealed[1]);
    if (sealed[0] !== scope || !mode)
      throw requestError(
        "InvalidParameterValue",
        `The NextToken was issued for a different request and is not valid for ${operation} with these parameters.`,
      );
    return { mode, at: sealed[2] };
  }
}
