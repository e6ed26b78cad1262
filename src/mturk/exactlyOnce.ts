import {
  type BonusPayment,
  CreateAdditionalAssignmentsForHITCommand,
  CreateHITCommand,
  type CreateHITCommandInput,
  CreateHITWithHITTypeCommand,
  type CreateHITWithHITTypeCommandInput,
  type HIT,
  SendBonusCommand,
} from "@aws-sdk/client-mturk";
import { canonicalAmount } from "../money/fees.js";
import { IdempotencyKeyConflict, isAlreadyProcessed, messageOf, OutcomeUnknown, UpstreamError } from "./errors.js";
import { fingerprint, requestToken } from "./idempotency.js";
import { answered } from "./ids.js";
import { MTURK_MAX_RESULTS, scanAll } from "./pagination.js";
import type { MTurkWrites } from "./writes.js";

/**
 * Money and creation, exactly once per idempotency key, without trusting one error code. MTurk dedupes the
 * UniqueRequestToken for 24 h, but how it says so for SendBonus and CreateAdditionalAssignmentsForHIT is not
 * documented, and a lost answer says nothing. After any ambiguous outcome the gateway reads the truth back and
 * reports what happened: done (alreadyProcessed), not done (the original error), or OutcomeUnknown.
 */

/** MTurk's clock and ours may differ: a read-back counts bonuses granted this long before the first attempt. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** MTurk's reply to a reused CreateHIT token names the HIT it created first. */
const HIT_ID_IN_MESSAGE = /\b(3[A-Z0-9]{29})\b/;

type HitInput = (CreateHITCommandInput | CreateHITWithHITTypeCommandInput) & { HITTypeId?: string };

/** What makes two HIT creations the same: not the time-dependent lifetime, nor the token. */
const hitContent = (input: HitInput) => ({
  HITTypeId: input.HITTypeId,
  Title: "Title" in input ? input.Title : undefined,
  Description: "Description" in input ? input.Description : undefined,
  Reward: "Reward" in input && input.Reward !== undefined ? canonicalAmount(input.Reward) : undefined,
  Question: input.Question,
  HITLayoutId: input.HITLayoutId,
  MaxAssignments: input.MaxAssignments ?? 1,
  RequesterAnnotation: input.RequesterAnnotation,
});

/** Whether an existing HIT is the one `input` would create (compares what MTurk echoes back). */
function sameHit(hit: HIT, input: HitInput): boolean {
  const want = hitContent(input);
  return (
    (want.HITTypeId === undefined || hit.HITTypeId === want.HITTypeId) &&
    (want.Title === undefined || hit.Title === want.Title) &&
    (want.Reward === undefined || canonicalAmount(hit.Reward ?? "NaN") === want.Reward) &&
    (want.Question === undefined || hit.Question === want.Question) &&
    hit.MaxAssignments !== undefined &&
    hit.MaxAssignments >= want.MaxAssignments
  );
}

const conflict = (operation: string, key: string, what: string) =>
  new IdempotencyKeyConflict(
    `The idempotencyKey "${key.slice(0, 100)}" was already used for ${what}. Use a new key for a new write.`,
    operation,
    key,
  );

/** Claims the key for this content; a key seen before with other content is refused before any call. */
async function claimKey(
  w: MTurkWrites,
  operation: string,
  key: string,
  content: unknown,
  before?: Record<string, number>,
) {
  const print = fingerprint(content);
  const claimed = await w.idempotency.claim(operation, key, { fingerprint: print, firstAttemptAt: Date.now(), before });
  if (claimed.record.fingerprint !== print) throw conflict(operation, key, "another write with other content");
  return claimed;
}

const hitAlreadyExists = (error: unknown) =>
  error instanceof UpstreamError && error.turkErrorCode === "AWS.MechanicalTurk.HitAlreadyExists"
    ? HIT_ID_IN_MESSAGE.exec(error.message)?.[1]
    : undefined;

/** CreateHIT or CreateHITWithHITType, exactly once per idempotency key. */
export async function createHIT(w: MTurkWrites, input: HitInput, key: string) {
  const operation = input.HITTypeId ? "CreateHITWithHITType" : "CreateHIT";
  await claimKey(w, "CreateHIT", key, hitContent(input));
  const UniqueRequestToken = requestToken("CreateHIT", key);
  const attempt = () =>
    w.send(operation, (c) =>
      input.HITTypeId
        ? c.send(
            new CreateHITWithHITTypeCommand({ ...(input as CreateHITWithHITTypeCommandInput), UniqueRequestToken }),
          )
        : c.send(new CreateHITCommand({ ...(input as CreateHITCommandInput), UniqueRequestToken })),
    );
  let created: HIT | undefined;
  let existing: string | undefined;
  try {
    created = (await attempt()).HIT;
  } catch (error) {
    existing = hitAlreadyExists(error);
    if (!existing) {
      if (!(error instanceof UpstreamError) || !error.ambiguous) throw error;
      // The read-back for a creation is the same token once more: MTurk creates the HIT now, or names it.
      try {
        created = (await attempt()).HIT;
      } catch (again) {
        existing = hitAlreadyExists(again);
        if (!existing && again instanceof UpstreamError && again.ambiguous)
          throw new OutcomeUnknown(
            `MTurk did not answer whether the HIT was created (${again.message}). Retry with the same idempotencyKey: MTurk creates at most one HIT per key within 24 hours.`,
            operation,
            "Retry with the same idempotencyKey, or look for the HIT in `hits` (newest CreationTime).",
          );
        if (!existing) throw again;
      }
    }
  }
  const hit = created ?? (existing === undefined ? undefined : await w.freshHit(existing).catch(() => undefined));
  if (existing && hit && !sameHit(hit, input))
    throw conflict(operation, key, `HIT ${existing}, which has other content`);
  const hitId = answered(hit?.HITId ?? existing, operation);
  if (hit) {
    w.loaders.hits.clear(hitId).prime(hitId, hit);
    await w.changed([{ kind: "hit", hit }]);
  }
  return { hitId, alreadyExisted: existing !== undefined };
}

/** CreateAdditionalAssignmentsForHIT exactly once: the read-back is the HIT's MaxAssignments. */
export async function createAdditionalAssignments(w: MTurkWrites, HITId: string, count: number, key: string) {
  const operation = "CreateAdditionalAssignmentsForHIT";
  const maxNow = async () => (await w.freshHit(HITId)).MaxAssignments ?? 0;
  const { record, fresh } = await claimKey(w, operation, key, { HITId, count }, { max: await maxNow() });
  const before = record.before?.max ?? 0;
  const UniqueRequestToken = requestToken(operation, key);
  try {
    await w.send(operation, (c) =>
      c.send(
        new CreateAdditionalAssignmentsForHITCommand({
          HITId,
          NumberOfAdditionalAssignments: count,
          UniqueRequestToken,
        }),
      ),
    );
    await w.hitChanged(HITId, ["MaxAssignments", "NumberOfAssignmentsAvailable", "HITStatus"]);
    return { alreadyProcessed: false };
  } catch (error) {
    const duplicate = error instanceof UpstreamError && isAlreadyProcessed(error);
    if (!duplicate && !(error instanceof UpstreamError && error.ambiguous)) throw error;
    let max: number;
    try {
      max = await maxNow();
    } catch {
      throw new OutcomeUnknown(
        `MTurk did not answer whether assignments were added to HIT ${HITId}.`,
        operation,
        `Read hit(hitId: "${HITId}") { maxAssignments }: it was ${before} before; retrying with the same idempotencyKey is safe.`,
      );
    }
    await w.hitChanged(HITId);
    if (max >= before + count) return { alreadyProcessed: true };
    // MTurk saw the token, yet this HIT did not grow: the key was used for another HIT (in another process).
    if (duplicate && !fresh) throw conflict(operation, key, "another HIT or another count");
    // No record of the key survived (its store lost it) and MTurk knows the token: whether it added these
    // assignments before the record was made or was used for another HIT, nothing tells. Not added now either way.
    if (duplicate)
      throw new OutcomeUnknown(
        `MTurk has already processed this idempotencyKey, and the gateway has no record of what for (${error.message}). Nothing was added now.`,
        operation,
        `Read hit(hitId: "${HITId}") { maxAssignments } (${max} now): if this key's assignments are not in it, the key was used for another write; use a new key only then.`,
      );
    throw error;
  }
}

export interface BonusInput {
  WorkerId: string;
  AssignmentId: string;
  BonusAmount: string;
  Reason: string;
}

/** A bonus as it is keyed and paid: its amount in its canonical form. */
const bonusContent = (bonus: BonusInput): BonusInput => ({
  WorkerId: bonus.WorkerId,
  AssignmentId: bonus.AssignmentId,
  BonusAmount: canonicalAmount(bonus.BonusAmount),
  Reason: bonus.Reason,
});

/** SendBonus keys: one key space for sendBonus, sendBonuses' batch keys and their items' keys. */
const BONUS_KEYS = "SendBonus";

/**
 * Claims a sendBonuses batch key for its items (each item's key and content, in any order). A retry may name the
 * same items, in any order, or some of them (the ones that failed): every item keeps its own key, so none can be
 * paid twice. Any other item, or a key used for a single bonus, is refused before anything is paid.
 */
export async function claimBonusBatch(w: MTurkWrites, batchKey: string, items: { key: string; bonus: BonusInput }[]) {
  const digests = [
    ...new Set(items.map((i) => fingerprint([i.key, bonusContent(i.bonus)]).slice(0, ITEM_DIGEST_LENGTH))),
  ].sort();
  const { record } = await w.idempotency.claim(BONUS_KEYS, batchKey, {
    fingerprint: fingerprint({ batch: digests }),
    firstAttemptAt: Date.now(),
    items: digests,
  });
  const known = new Set(record.items ?? []);
  if (!record.items || digests.some((d) => !known.has(d)))
    throw conflict(
      "SendBonus",
      batchKey,
      record.items
        ? "a batch with other items (a retry may name the batch's items in any order, or some of them, but no other)"
        : "a single bonus (sendBonus)",
    );
}
/** 128 bits of an item's digest: a batch of 500 items keeps about 17 KB of record. */
const ITEM_DIGEST_LENGTH = 32;

/** This request's bonus payments by key: items of one batch that share a key pay once, whatever MTurk answers. */
const paying = new WeakMap<MTurkWrites, Map<string, { print: string; done: Promise<unknown> }>>();

const sameBonus = (b: BonusPayment, input: BonusInput) =>
  b.WorkerId === input.WorkerId &&
  b.Reason === input.Reason &&
  canonicalAmount(b.BonusAmount ?? "NaN") === canonicalAmount(input.BonusAmount);

/** SendBonus exactly once: the read-back is the assignment's bonus payments. */
export async function sendBonus(w: MTurkWrites, bonus: BonusInput, key: string) {
  const input = bonusContent(bonus);
  const print = fingerprint(input);
  const inRequest = paying.get(w) ?? new Map();
  paying.set(w, inRequest);
  const earlier = inRequest.get(key);
  if (earlier) {
    if (earlier.print !== print) throw conflict(BONUS_KEYS, key, "another bonus of this request");
    await earlier.done;
    return { alreadyProcessed: true };
  }
  const done = payBonusOnce(w, input, key);
  inRequest.set(key, { print, done });
  return done;
}

async function payBonusOnce(w: MTurkWrites, input: BonusInput, key: string) {
  const operation = BONUS_KEYS;
  const { record } = await claimKey(w, operation, key, input);
  const UniqueRequestToken = requestToken(operation, key);
  const paid = (at: Date) => w.changed([{ kind: "bonusPaid", bonus: { ...input, GrantTime: at } }]);
  try {
    await w.send(operation, (c) => c.send(new SendBonusCommand({ ...input, UniqueRequestToken })));
    await paid(new Date());
    return { alreadyProcessed: false };
  } catch (error) {
    const duplicate = error instanceof UpstreamError && isAlreadyProcessed(error);
    if (!duplicate && !(error instanceof UpstreamError && error.ambiguous)) throw error;
    let bonuses: BonusPayment[];
    try {
      w.loaders.forgetPages();
      bonuses = (
        await scanAll((token) =>
          w.loaders.listBonusPaymentsPage({ assignmentId: input.AssignmentId }, token, MTURK_MAX_RESULTS),
        )
      ).items;
    } catch {
      throw new OutcomeUnknown(
        `MTurk did not answer whether the bonus was paid (${messageOf(error)}).`,
        operation,
        `Read assignment(assignmentId: "${input.AssignmentId}") { bonusPayments }; retrying with the same idempotencyKey is safe.`,
      );
    }
    const since = record.firstAttemptAt - CLOCK_SKEW_MS;
    // Already processed: any matching bonus is this key's. Otherwise only one granted since the key's first try.
    const match = bonuses.find((b) => sameBonus(b, input) && (duplicate || (b.GrantTime?.getTime() ?? 0) >= since));
    if (match) return { alreadyProcessed: true };
    if (duplicate) throw conflict(operation, key, "another bonus (other worker, assignment, amount or reason)");
    throw error;
  }
}
