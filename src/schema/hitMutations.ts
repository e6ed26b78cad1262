import type { EventType } from "@aws-sdk/client-mturk";
import { z } from "zod";
import type { GatewayContext } from "../context.js";
import { createAdditionalAssignments, createHIT } from "../mturk/exactlyOnce.js";
import { builder } from "./builder.js";
import { keyedMutationErrors, mutationErrors } from "./errors.js";
import { HITRef } from "./hit.js";
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
import { idempotencyKeyRule, mturkId } from "./validators.js";

const CreatedHITPayload = builder.objectRef<{ hitId: string; alreadyExisted: boolean }>("CreatedHITPayload").implement({
  description: "A created HIT. A retry with the same idempotency key returns the HIT the first attempt created.",
  fields: (t) => ({
    hit: t.field({
      type: HITRef,
      nullable: false,
      description: "The HIT (GetHIT when not known from the creation).",
      resolve: (p) => p.hitId,
    }),
    alreadyExisted: t.exposeBoolean("alreadyExisted", {
      nullable: false,
      description: "True when an earlier attempt with this key had created it.",
    }),
  }),
});
const HITPayload = builder.objectRef<{ hitId: string; alreadyApplied?: boolean }>("HITPayload").implement({
  description: "A HIT after a write, read again from MTurk.",
  fields: (t) => ({
    alreadyApplied: t.boolean({
      nullable: false,
      description:
        "True when MTurk refused to repeat the write (the same expiration twice) and the gateway found the HIT already in that state.",
      resolve: (p) => p.alreadyApplied ?? false,
    }),
    hit: t.field({
      type: HITRef,
      nullable: false,
      description: "The HIT as MTurk now has it.",
      resolve: (p) => p.hitId,
    }),
  }),
});
const hitIdInput = (name: string, description: string) =>
  builder.inputType(name, {
    description,
    fields: (t) => ({ hitId: t.string({ required: true, description: "The HITId.", validate: mturkId }) }),
  });

const OkPayload = builder.objectRef<{ ok: true; hitTypeId?: string }>("OkPayload").implement({
  description: "A write with nothing to return but its success.",
  fields: (t) => ({
    ok: t.exposeBoolean("ok", { nullable: false, description: "Always true: failures come back as error types." }),
    hitTypeId: t.exposeString("hitTypeId", { description: "The HIT type the write concerned, if any." }),
  }),
});

/**
 * MTurk's rule for UpdateExpirationForHIT, checked before the call: a time in the past expires the HIT; otherwise
 * the change from the HIT's current expiration must be 60 s to 365 days (MTurk turns ExpireAt into that increment).
 * True when the HIT already expires at that time (a retry): nothing is sent.
 */
async function expirationUnchanged(ctx: GatewayContext, hitId: string, expireAt: Date): Promise<boolean> {
  if (expireAt.getTime() <= Date.now()) return false;
  const current = (await ctx.writes.freshHit(hitId)).Expiration?.getTime();
  if (current === undefined) return false;
  const change = Math.round((expireAt.getTime() - current) / 1000);
  if (change === 0) return true;
  if (change < 60 || change > 31_536_000)
    throw new InputInvalid(
      `MTurk accepts a new expiration 60 s to 365 days after the current one (${new Date(current).toISOString()}), or a time in the past to expire the HIT now; this is a change of ${change} s.`,
      "input.expireAt",
    );
  return false;
}

builder.mutationFields((t) => ({
  createHIT: t.field({
    authScopes: { pay: true },
    type: CreatedHITPayload,
    description: "Creates a HIT with its own HIT type parameters (CreateHIT), exactly once per idempotencyKey.",
    errors: keyedMutationErrors,
    args: {
      input: t.arg({
        type: builder.inputType("CreateHITInput", {
          description: "CreateHIT.",
          fields: (f) => ({ ...hitTypeFields(f), ...hitFields(f) }),
          validate: questionRule,
        }),
        required: true,
        description: "The HIT.",
      }),
    },
    resolve: (_root, { input }, ctx) =>
      createHIT(ctx.writes, { ...toHitTypeInput(input), ...toHitInput(input) }, input.idempotencyKey),
  }),
  createHITType: t.field({
    authScopes: { write: true },
    type: OkPayload,
    description: "Creates (or finds) a HIT type (CreateHITType): identical parameters give the same HITTypeId.",
    errors: mutationErrors,
    args: {
      input: t.arg({
        type: builder.inputType("CreateHITTypeInput", {
          description: "CreateHITType.",
          fields: (f) => hitTypeFields(f),
        }),
        required: true,
        description: "The HIT type.",
      }),
    },
    resolve: async (_root, { input }, ctx) => ({
      ok: true as const,
      hitTypeId: await ctx.writes.createHITType(toHitTypeInput(input)),
    }),
  }),
  createHITWithHITType: t.field({
    authScopes: { pay: true },
    type: CreatedHITPayload,
    description: "Creates a HIT of an existing HIT type (CreateHITWithHITType), exactly once per idempotencyKey.",
    errors: keyedMutationErrors,
    args: {
      input: t.arg({
        type: builder.inputType("CreateHITWithHITTypeInput", {
          description: "CreateHITWithHITType.",
          fields: (f) => ({
            hitTypeId: f.string({ required: true, description: "The HIT type.", validate: mturkId }),
            ...hitFields(f),
          }),
          validate: questionRule,
        }),
        required: true,
        description: "The HIT.",
      }),
    },
    resolve: (_root, { input }, ctx) =>
      createHIT(ctx.writes, { HITTypeId: input.hitTypeId, ...toHitInput(input) }, input.idempotencyKey),
  }),
  createAdditionalAssignmentsForHIT: t.field({
    authScopes: { pay: true },
    type: builder.objectRef<{ hitId: string; alreadyProcessed: boolean }>("AdditionalAssignmentsPayload").implement({
      description: "A HIT after more assignments were added.",
      fields: (f) => ({
        hit: f.field({ type: HITRef, nullable: false, description: "The HIT, read again.", resolve: (p) => p.hitId }),
        alreadyProcessed: f.exposeBoolean("alreadyProcessed", {
          nullable: false,
          description: "True when an earlier attempt with this key had added them.",
        }),
      }),
    }),
    description:
      "Adds assignments to a HIT (CreateAdditionalAssignmentsForHIT), exactly once per idempotencyKey. A HIT created with fewer than 10 cannot reach 10 or more.",
    errors: keyedMutationErrors,
    args: {
      input: t.arg({
        type: builder.inputType("CreateAdditionalAssignmentsForHITInput", {
          description: "CreateAdditionalAssignmentsForHIT.",
          fields: (f) => ({
            hitId: f.string({ required: true, description: "The HITId.", validate: mturkId }),
            numberOfAdditionalAssignments: f.int({
              required: true,
              description: "How many to add.",
              validate: z.number().int().min(1),
            }),
            idempotencyKey: f.string({
              required: true,
              description: "Your key: a retry adds nothing twice.",
              validate: idempotencyKeyRule,
            }),
          }),
        }),
        required: true,
        description: "The HIT and how many.",
      }),
    },
    resolve: async (_root, { input }, ctx) => ({
      hitId: input.hitId,
      ...(await createAdditionalAssignments(
        ctx.writes,
        input.hitId,
        input.numberOfAdditionalAssignments,
        input.idempotencyKey,
      )),
    }),
  }),
  updateExpirationForHIT: t.field({
    authScopes: { write: true },
    type: HITPayload,
    description: "Sets when a HIT expires (UpdateExpirationForHIT); a time in the past expires it now.",
    errors: mutationErrors,
    args: {
      input: t.arg({
        type: builder.inputType("UpdateExpirationForHITInput", {
          description: "UpdateExpirationForHIT.",
          fields: (f) => ({
            hitId: f.string({ required: true, description: "The HITId.", validate: mturkId }),
            expireAt: f.field({ type: "DateTime", required: true, description: "The new expiration (ExpireAt)." }),
          }),
        }),
        required: true,
        description: "The HIT and its new expiration.",
      }),
    },
    resolve: async (_root, { input }, ctx) => {
      if (await expirationUnchanged(ctx, input.hitId, input.expireAt))
        return { hitId: input.hitId, alreadyApplied: true };
      return { hitId: input.hitId, ...(await ctx.writes.updateExpirationForHIT(input.hitId, input.expireAt)) };
    },
  }),
  expireHIT: t.field({
    authScopes: { write: true },
    type: HITPayload,
    description:
      "Expires a HIT now: the only way MTurk offers to cancel one (UpdateExpirationForHIT with a past time).",
    errors: mutationErrors,
    args: {
      input: t.arg({
        type: hitIdInput("ExpireHITInput", "The HIT to expire."),
        required: true,
        description: "The HIT.",
      }),
    },
    resolve: async (_root, { input }, ctx) => ({
      hitId: input.hitId,
      ...(await ctx.writes.updateExpirationForHIT(input.hitId, new Date(0))),
    }),
  }),
  updateHITReviewStatus: t.field({
    authScopes: { write: true },
    type: HITPayload,
    description: "Moves a Reviewable HIT to Reviewing, or back with revert (UpdateHITReviewStatus).",
    errors: mutationErrors,
    args: {
      input: t.arg({
        type: builder.inputType("UpdateHITReviewStatusInput", {
          description: "UpdateHITReviewStatus.",
          fields: (f) => ({
            hitId: f.string({ required: true, description: "The HITId.", validate: mturkId }),
            revert: f.boolean({ defaultValue: false, description: "Reviewing back to Reviewable (Revert)." }),
          }),
        }),
        required: true,
        description: "The HIT.",
      }),
    },
    resolve: async (_root, { input }, ctx) => {
      await ctx.writes.updateHITReviewStatus(input.hitId, input.revert ?? false);
      return { hitId: input.hitId };
    },
  }),
  updateHITTypeOfHIT: t.field({
    authScopes: { write: true },
    type: HITPayload,
    description: "Moves a HIT to another HIT type (UpdateHITTypeOfHIT).",
    errors: mutationErrors,
    args: {
      input: t.arg({
        type: builder.inputType("UpdateHITTypeOfHITInput", {
          description: "UpdateHITTypeOfHIT.",
          fields: (f) => ({
            hitId: f.string({ required: true, description: "The HITId.", validate: mturkId }),
            hitTypeId: f.string({ required: true, description: "The new HITTypeId.", validate: mturkId }),
          }),
        }),
        required: true,
        description: "The HIT and its new type.",
      }),
    },
    resolve: async (_root, { input }, ctx) => {
      await ctx.writes.updateHITTypeOfHIT(input.hitId, input.hitTypeId);
      return { hitId: input.hitId };
    },
  }),
  deleteHIT: t.field({
    authScopes: { write: true },
    type: builder.objectRef<{ hitId: string; alreadyApplied: boolean }>("DeleteHITPayload").implement({
      description: "A deleted HIT.",
      fields: (f) => ({
        deletedHitId: f.exposeString("hitId", { nullable: false, description: "MTurk's id of the deleted HIT." }),
        alreadyApplied: f.exposeBoolean("alreadyApplied", {
          nullable: false,
          description: "True when the HIT was already deleted (Disposed): a retry.",
        }),
      }),
    }),
    description:
      "Deletes a HIT (DeleteHIT): only a Reviewable or Reviewing HIT whose submitted work is all approved or rejected.",
    errors: mutationErrors,
    args: {
      input: t.arg({
        type: hitIdInput("DeleteHITInput", "The HIT to delete."),
        required: true,
        description: "The HIT.",
      }),
    },
    resolve: async (_root, { input }, ctx) => ({ hitId: input.hitId, ...(await ctx.writes.deleteHIT(input.hitId)) }),
  }),
  updateNotificationSettings: t.field({
    authScopes: { write: true },
    type: OkPayload,
    description: "Sets or (de)activates a HIT type's notifications (UpdateNotificationSettings).",
    errors: mutationErrors,
    args: {
      input: t.arg({
        type: builder.inputType("UpdateNotificationSettingsInput", {
          description: "UpdateNotificationSettings: give notification, active, or both.",
          fields: (f) => ({
            hitTypeId: f.string({ required: true, description: "The HIT type.", validate: mturkId }),
            notification: f.field({ type: NotificationInput, description: "Where to send events." }),
            active: f.boolean({ description: "Whether notifications are sent." }),
          }),
          validate: z
            .looseObject({ notification: z.unknown().nullish(), active: z.boolean().nullish() })
            .refine((v) => v.notification != null || v.active != null, {
              message: "Give notification or active.",
              path: ["active"],
            }),
        }),
        required: true,
        description: "The HIT type and its settings.",
      }),
    },
    resolve: async (_root, { input }, ctx) => {
      await ctx.writes.updateNotificationSettings(
        input.hitTypeId,
        input.notification ? toNotification(input.notification) : undefined,
        input.active ?? undefined,
      );
      return { ok: true as const, hitTypeId: input.hitTypeId };
    },
  }),
  sendTestEventNotification: t.field({
    authScopes: { write: true },
    type: OkPayload,
    description: "Sends a test event to a notification destination (SendTestEventNotification).",
    errors: mutationErrors,
    args: {
      input: t.arg({
        type: builder.inputType("SendTestEventNotificationInput", {
          description: "SendTestEventNotification.",
          fields: (f) => ({
            notification: f.field({ type: NotificationInput, required: true, description: "The destination to test." }),
            testEventType: f.string({ required: true, description: "The event to simulate, e.g. Ping." }),
          }),
        }),
        required: true,
        description: "The destination and the event.",
      }),
    },
    resolve: async (_root, { input }, ctx) => {
      await ctx.writes.sendTestEventNotification(toNotification(input.notification), input.testEventType as EventType);
      return { ok: true as const };
    },
  }),
}));
