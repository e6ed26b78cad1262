import type { EventType } from "@aws-sdk/client-mturk";
import type { InputFieldMap, InputObjectRef } from "@pothos/core";
import { GraphQLError } from "graphql";
import { z } from "zod";
import type { GatewayContext } from "../context.js";
import { createAdditionalAssignments, createHIT } from "../mturk/exactlyOnce.js";
import type { Applied } from "../mturk/writes.js";
import { builder } from "./builder.js";
import { type InputFields, idInput } from "./common.js";
import { hitLink } from "./hit.js";
import {
  hitFields,
  hitTypeFields,
  NotificationInput,
  questionRule,
  toHitInput,
  toHitTypeInput,
  toNotification,
} from "./hitInputs.js";
import { InputInvalid } from "./inputInvalid.js";
import type { Types } from "./mutation.js";
import { defineMutation, retryFlag } from "./mutation.js";
import { dryRunAdditionalAssignments, dryRunCreateHIT, dryRunCreateHITWithHITType, keyAndDryRun } from "./spending.js";

const CreatedHITPayload = builder.objectRef<{ hitId: string; alreadyExisted: boolean }>("CreatedHITPayload").implement({
  description: "A created HIT. A retry with the same idempotency key returns the HIT the first attempt created.",
  fields: (t) => ({
    hit: hitLink(t, "The HIT (GetHIT when not known from the creation).", (p) => p.hitId, false),
    alreadyExisted: retryFlag(t, "alreadyExisted", "True when an earlier attempt with this key had created it."),
  }),
});
const HITPayload = builder.objectRef<{ hitId: string; alreadyApplied?: boolean }>("HITPayload").implement({
  description: "A HIT after a write, read again from MTurk.",
  fields: (t) => ({
    alreadyApplied: retryFlag(
      t,
      "alreadyApplied",
      "True when MTurk refused to repeat the write (the same expiration twice) and the gateway found the HIT already in that state.",
    ),
    hit: hitLink(t, "The HIT as MTurk now has it.", (p) => p.hitId, false),
  }),
});

const OkPayload = builder.objectRef<{ ok: boolean; hitTypeId?: string }>("OkPayload").implement({
  description: "A write with nothing to return but its success.",
  fields: (t) => ({
    ok: t.exposeBoolean("ok", { nullable: false, description: "Always true: failures come back as error types." }),
    hitTypeId: t.exposeString("hitTypeId", { description: "The HIT type the write concerned, if any." }),
  }),
});

/** A write whose payload is its success (OkPayload), with the HIT type it concerned, if any. */
function defineOkWrite<I extends object>(
  name: string,
  options: Pick<Parameters<typeof defineMutation<I, unknown>>[1], "description" | "inputDescription"> & {
    input: InputObjectRef<Types, I>;
    /** The write; it answers with the HIT type it concerned, if any. */
    write: (input: I, ctx: GatewayContext) => Promise<string | undefined>;
  },
) {
  const { write, ...described } = options;
  defineMutation(name, {
    ...described,
    scopes: { write: true },
    payload: OkPayload,
    resolve: async (input, ctx) => ({ ok: true, hitTypeId: await write(input, ctx) }),
  });
}

/**
 * MTurk's rule for UpdateExpirationForHIT, checked before the call: a time in the past expires the HIT; otherwise
 * the change from the HIT's current expiration must be 60 s to 365 days (MTurk turns ExpireAt into that increment).
 * True when the HIT already expires at that time (a retry): nothing is sent.
 */
async function expirationUnchanged(ctx: GatewayContext, hitId: string, expireAt: Date): Promise<boolean> {
  if (expireAt.getTime() <= Date.now()) return false;
  const current = (await ctx.writes.freshHit(hitId)).Expiration?.getTime();
  if (current === undefined) return false;
  // MTurk keeps whole seconds (an ExpireAt's fraction is dropped): the change is counted in them.
  const change = Math.floor(expireAt.getTime() / 1000) - Math.floor(current / 1000);
  if (change === 0) return true;
  if (change < 60 || change > 31_536_000)
    throw new InputInvalid(
      `MTurk accepts a new expiration 60 s to 365 days after the current one (${new Date(current).toISOString()}), or a time in the past to expire the HIT now; this is a change of ${change} s.`,
      "input.expireAt",
    );
  return false;
}

const hitId = (t: InputFields) => idInput(t, "The HITId.");

/** The input of a write to one HIT: its required `hitId`, then the write's own fields. */
const hitInput = <F extends InputFieldMap = Record<never, never>>(
  name: string,
  description: string,
  fields?: (t: InputFields) => F,
) => builder.inputType(name, { description, fields: (t) => ({ hitId: hitId(t), ...(fields?.(t) as F) }) });

const CreateHITInput = builder.inputType("CreateHITInput", {
  description: "CreateHIT.",
  fields: (t) => ({ ...hitTypeFields(t), ...hitFields(t) }),
  validate: questionRule,
});
const CreateHITTypeInput = builder.inputType("CreateHITTypeInput", {
  description: "CreateHITType.",
  fields: (t) => hitTypeFields(t),
});
const CreateHITWithHITTypeInput = builder.inputType("CreateHITWithHITTypeInput", {
  description: "CreateHITWithHITType.",
  fields: (t) => ({
    hitTypeId: idInput(t, "The HIT type."),
    ...hitFields(t),
  }),
  validate: questionRule,
});
const CreateAdditionalAssignmentsForHITInput = builder.inputType("CreateAdditionalAssignmentsForHITInput", {
  description: "CreateAdditionalAssignmentsForHIT.",
  fields: (t) => ({
    hitId: hitId(t),
    numberOfAdditionalAssignments: t.int({
      required: true,
      description: "How many to add.",
      validate: z.number().int().min(1),
    }),
    ...keyAndDryRun(t, "Your key: a retry adds nothing twice."),
  }),
});
const UpdateExpirationForHITInput = hitInput("UpdateExpirationForHITInput", "UpdateExpirationForHIT.", (t) => ({
  expireAt: t.field({ type: "DateTime", required: true, description: "The new expiration (ExpireAt)." }),
}));
const ExpireHITInput = hitInput("ExpireHITInput", "The HIT to expire.");
const UpdateHITReviewStatusInput = hitInput("UpdateHITReviewStatusInput", "UpdateHITReviewStatus.", (t) => ({
  revert: t.boolean({ defaultValue: false, description: "Reviewing back to Reviewable (Revert)." }),
}));
const UpdateHITTypeOfHITInput = hitInput("UpdateHITTypeOfHITInput", "UpdateHITTypeOfHIT.", (t) => ({
  hitTypeId: idInput(t, "The new HITTypeId."),
}));
const DeleteHITInput = hitInput("DeleteHITInput", "The HIT to delete.");
const UpdateNotificationSettingsInput = builder.inputType("UpdateNotificationSettingsInput", {
  description: "UpdateNotificationSettings: give notification, active, or both.",
  fields: (t) => ({
    hitTypeId: idInput(t, "The HIT type."),
    notification: t.field({ type: NotificationInput, description: "Where to send events." }),
    active: t.boolean({ description: "Whether notifications are sent." }),
  }),
  validate: z
    .looseObject({ notification: z.unknown().nullish(), active: z.boolean().nullish() })
    .refine((v) => v.notification != null || v.active != null, {
      message: "Give notification or active.",
      path: ["active"],
    }),
});
const SendTestEventNotificationInput = builder.inputType("SendTestEventNotificationInput", {
  description: "SendTestEventNotification.",
  fields: (t) => ({
    notification: t.field({ type: NotificationInput, required: true, description: "The destination to test." }),
    testEventType: t.string({ required: true, description: "The event to simulate, e.g. Ping." }),
  }),
});

const AdditionalAssignmentsPayload = builder
  .objectRef<{ hitId: string; alreadyProcessed: boolean }>("AdditionalAssignmentsPayload")
  .implement({
    description: "A HIT after more assignments were added.",
    fields: (t) => ({
      hit: hitLink(t, "The HIT, read again.", (p) => p.hitId, false),
      alreadyProcessed: retryFlag(t, "alreadyProcessed", "True when an earlier attempt with this key had added them."),
    }),
  });
const DeleteHITPayload = builder.objectRef<{ hitId: string; alreadyApplied: boolean }>("DeleteHITPayload").implement({
  description: "A deleted HIT.",
  fields: (t) => ({
    deletedHitId: t.exposeString("hitId", { nullable: false, description: "MTurk's id of the deleted HIT." }),
    alreadyApplied: retryFlag(t, "alreadyApplied", "True when the HIT was already deleted (Disposed): a retry."),
  }),
});

/** Extending a HIT's life lets more work be done and paid: it needs `pay` beside `write`. */
function requirePayToExtend(ctx: GatewayContext, expireAt: Date) {
  if (expireAt.getTime() > Date.now() && !ctx.principal.scopes.has("pay"))
    throw new GraphQLError(`${ctx.principal.name} may not extend a HIT: that needs the pay scope.`, {
      extensions: { code: "FORBIDDEN" },
    });
}

/** The two creations of a HIT, each exactly once per idempotencyKey: with its HIT type's parameters, or the type's id. */
function defineHITCreation<I extends Parameters<typeof toHitInput>[0] & { idempotencyKey: string }>(
  name: string,
  options: Pick<Parameters<typeof defineMutation<I, unknown>>[1], "description" | "dryRun"> & {
    input: InputObjectRef<Types, I>;
    hitType: (input: I) => ReturnType<typeof toHitTypeInput> | { HITTypeId: string };
  },
) {
  defineMutation(name, {
    description: options.description,
    scopes: { write: true, pay: true },
    input: options.input,
    inputDescription: "The HIT.",
    payload: CreatedHITPayload,
    keyed: true,
    resolve: (input, ctx) =>
      createHIT(ctx.writes, { ...options.hitType(input), ...toHitInput(input) }, input.idempotencyKey),
    dryRun: options.dryRun,
  });
}
defineHITCreation("createHIT", {
  description: "Creates a HIT with its own HIT type parameters (CreateHIT), exactly once per idempotencyKey.",
  input: CreateHITInput,
  hitType: toHitTypeInput,
  dryRun: (input, ctx) => dryRunCreateHIT(ctx, input),
});
defineOkWrite("createHITType", {
  description: "Creates (or finds) a HIT type (CreateHITType): identical parameters give the same HITTypeId.",
  input: CreateHITTypeInput,
  inputDescription: "The HIT type.",
  write: (input, ctx) => ctx.writes.createHITType(toHitTypeInput(input)),
});
defineHITCreation("createHITWithHITType", {
  description: "Creates a HIT of an existing HIT type (CreateHITWithHITType), exactly once per idempotencyKey.",
  input: CreateHITWithHITTypeInput,
  hitType: (input) => ({ HITTypeId: input.hitTypeId }),
  dryRun: (input, ctx) => dryRunCreateHITWithHITType(ctx, input),
});
defineMutation("createAdditionalAssignmentsForHIT", {
  description:
    "Adds assignments to a HIT (CreateAdditionalAssignmentsForHIT), exactly once per idempotencyKey. A HIT created with fewer than 10 cannot reach 10 or more.",
  scopes: { write: true, pay: true },
  input: CreateAdditionalAssignmentsForHITInput,
  inputDescription: "The HIT and how many.",
  payload: AdditionalAssignmentsPayload,
  keyed: true,
  resolve: async (input, ctx) => ({
    hitId: input.hitId,
    ...(await createAdditionalAssignments(
      ctx.writes,
      input.hitId,
      input.numberOfAdditionalAssignments,
      input.idempotencyKey,
    )),
  }),
  dryRun: (input, ctx) => dryRunAdditionalAssignments(ctx, input.hitId, input.numberOfAdditionalAssignments),
});
/** A write to one HIT, answered with the HIT read again (HITPayload), and whether it was already so. */
function defineHITWrite<I extends { hitId: string }>(
  name: string,
  options: Pick<Parameters<typeof defineMutation<I, unknown>>[1], "description" | "scopes" | "inputDescription"> & {
    input: InputObjectRef<Types, I>;
    write: (input: I, ctx: GatewayContext) => Promise<Applied | undefined>;
  },
) {
  defineMutation(name, {
    ...options,
    payload: HITPayload,
    resolve: async (input, ctx) => ({ hitId: input.hitId, ...(await options.write(input, ctx)) }),
  });
}
defineHITWrite("updateExpirationForHIT", {
  description:
    "Sets when a HIT expires (UpdateExpirationForHIT); a time in the past expires it now. Extending needs the pay scope.",
  scopes: { write: true },
  input: UpdateExpirationForHITInput,
  inputDescription: "The HIT and its new expiration.",
  write: async (input, ctx) => {
    requirePayToExtend(ctx, input.expireAt);
    if (await expirationUnchanged(ctx, input.hitId, input.expireAt)) return { alreadyApplied: true };
    return ctx.writes.updateExpirationForHIT(input.hitId, input.expireAt);
  },
});
defineHITWrite("expireHIT", {
  description: "Expires a HIT now: the only way MTurk offers to cancel one (UpdateExpirationForHIT with a past time).",
  scopes: { write: true },
  input: ExpireHITInput,
  inputDescription: "The HIT.",
  write: (input, ctx) => ctx.writes.updateExpirationForHIT(input.hitId, new Date(0)),
});
defineHITWrite("updateHITReviewStatus", {
  description: "Moves a Reviewable HIT to Reviewing, or back with revert (UpdateHITReviewStatus).",
  scopes: { write: true },
  input: UpdateHITReviewStatusInput,
  inputDescription: "The HIT.",
  write: async (input, ctx) => {
    await ctx.writes.updateHITReviewStatus(input.hitId, input.revert ?? false);
    return undefined;
  },
});
defineHITWrite("updateHITTypeOfHIT", {
  description: "Moves a HIT to another HIT type (UpdateHITTypeOfHIT); the reward may change, so it needs pay.",
  scopes: { write: true, pay: true },
  input: UpdateHITTypeOfHITInput,
  inputDescription: "The HIT and its new type.",
  write: async (input, ctx) => {
    await ctx.writes.updateHITTypeOfHIT(input.hitId, input.hitTypeId);
    return undefined;
  },
});
defineMutation("deleteHIT", {
  description:
    "Deletes a HIT (DeleteHIT): only a Reviewable or Reviewing HIT whose submitted work is all approved or rejected.",
  scopes: { write: true },
  input: DeleteHITInput,
  inputDescription: "The HIT.",
  payload: DeleteHITPayload,
  resolve: async (input, ctx) => ({ hitId: input.hitId, ...(await ctx.writes.deleteHIT(input.hitId)) }),
});
defineOkWrite("updateNotificationSettings", {
  description: "Sets or (de)activates a HIT type's notifications (UpdateNotificationSettings).",
  input: UpdateNotificationSettingsInput,
  inputDescription: "The HIT type and its settings.",
  write: async (input, ctx) => {
    const notification = input.notification ? toNotification(input.notification) : undefined;
    await ctx.writes.updateNotificationSettings(input.hitTypeId, notification, input.active ?? undefined);
    return input.hitTypeId;
  },
});
defineOkWrite("sendTestEventNotification", {
  description: "Sends a test event to a notification destination (SendTestEventNotification).",
  input: SendTestEventNotificationInput,
  inputDescription: "The destination and the event.",
  write: async (input, ctx) => {
    await ctx.writes.sendTestEventNotification(toNotification(input.notification), input.testEventType as EventType);
    return undefined;
  },
});
