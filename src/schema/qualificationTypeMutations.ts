import type { QualificationType } from "@aws-sdk/client-mturk";
import type { InputObjectRef } from "@pothos/core";
import { z } from "zod";
import type { GatewayContext } from "../context.js";
import { builder } from "./builder.js";
import { idInput, QualificationTypeStatusEnum } from "./common.js";
import { defineMutation, type Types } from "./mutation.js";
import { QualificationTypeRef } from "./qualificationType.js";
import { xmlRule } from "./validators.js";

/** The test and grant settings CreateQualificationType and UpdateQualificationType share. */
const testSettings = (input: {
  retryDelayInSeconds?: number | null;
  test?: string | null;
  answerKey?: string | null;
  testDurationInSeconds?: number | null;
  autoGranted?: boolean | null;
  autoGrantedValue?: number | null;
}) => ({
  RetryDelayInSeconds: input.retryDelayInSeconds ?? undefined,
  Test: input.test ?? undefined,
  AnswerKey: input.answerKey ?? undefined,
  TestDurationInSeconds: input.testDurationInSeconds ?? undefined,
  AutoGranted: input.autoGranted ?? undefined,
  AutoGrantedValue: input.autoGrantedValue ?? undefined,
});

const TypePayload = builder.objectRef<{ type: QualificationType }>("QualificationTypePayload").implement({
  description: "A qualification type after a write.",
  fields: (t) => ({
    qualificationType: t.expose("type", {
      type: QualificationTypeRef,
      nullable: false,
      description: "The type as MTurk now has it.",
    }),
  }),
});

const CreateQualificationTypeInput = builder.inputType("CreateQualificationTypeInput", {
  description: "CreateQualificationType. A test needs testDurationInSeconds and cannot be auto-granted.",
  fields: (t) => ({
    name: t.string({ required: true, description: "Unique among your types (Name).", validate: z.string().min(1) }),
    description: t.string({
      required: true,
      description: "Shown to workers (Description).",
      validate: z.string().min(1),
    }),
    keywords: t.string({ description: "Comma-separated Keywords." }),
    status: t.field({ type: QualificationTypeStatusEnum, required: true, description: "Active or Inactive." }),
    retryDelayInSeconds: t.int({
      description: "Seconds before a rejected worker may ask again; omit for never.",
      validate: z.number().int().min(0),
    }),
    test: t.string({ description: "A QuestionForm test (Test), at most 65,535 bytes.", validate: xmlRule }),
    answerKey: t.string({ description: "An AnswerKey that lets MTurk score the test itself.", validate: xmlRule }),
    testDurationInSeconds: t.int({
      description: "Time for the test (TestDurationInSeconds).",
      validate: z.number().int().min(1),
    }),
    autoGranted: t.boolean({ description: "Grant on request, without review (AutoGranted)." }),
    autoGrantedValue: t.int({ description: "The value an automatic grant gives (default 1)." }),
  }),
  // A loose object: validating the whole input must not strip the fields it does not name.
  validate: z
    .looseObject({
      test: z.string().nullish(),
      testDurationInSeconds: z.number().nullish(),
      autoGranted: z.boolean().nullish(),
    })
    .refine((v) => !v.test || v.testDurationInSeconds != null, {
      message: "A test needs testDurationInSeconds.",
      path: ["testDurationInSeconds"],
    })
    .refine((v) => !(v.test && v.autoGranted), {
      message: "A type with a test cannot be auto-granted.",
      path: ["autoGranted"],
    }),
});

const UpdateQualificationTypeInput = builder.inputType("UpdateQualificationTypeInput", {
  description: "UpdateQualificationType. MTurk does not allow changing the name or keywords, or removing a test.",
  fields: (t) => ({
    qualificationTypeId: idInput(t, "The type's id."),
    description: t.string({ description: "New Description." }),
    status: t.field({ type: QualificationTypeStatusEnum, description: "Active or Inactive." }),
    retryDelayInSeconds: t.int({ description: "New RetryDelayInSeconds.", validate: z.number().int().min(0) }),
    test: t.string({ description: "New Test.", validate: xmlRule }),
    answerKey: t.string({ description: "New AnswerKey.", validate: xmlRule }),
    testDurationInSeconds: t.int({ description: "New TestDurationInSeconds.", validate: z.number().int().min(1) }),
    autoGranted: t.boolean({ description: "New AutoGranted." }),
    autoGrantedValue: t.int({ description: "New AutoGrantedValue." }),
  }),
});

const DeleteQualificationTypeInput = builder.inputType("DeleteQualificationTypeInput", {
  description: "DeleteQualificationType.",
  fields: (t) => ({
    qualificationTypeId: idInput(t, "The type's id."),
  }),
});
const DeleteQualificationTypePayload = builder.objectRef<{ id: string }>("DeleteQualificationTypePayload").implement({
  description: "A deleted qualification type. MTurk rejects its pending requests; granted Qualifications stay.",
  fields: (t) => ({
    deletedQualificationTypeId: t.exposeString("id", {
      nullable: false,
      description: "MTurk's id of the deleted type.",
    }),
  }),
});

/**
 * The create and the update: a write MTurk answers with the type, which the payload returns (an internal error
 * when MTurk's answer has none: it always has).
 */
function defineTypeWrite<I extends object>(
  name: string,
  description: string,
  input: InputObjectRef<Types, I>,
  inputDescription: string,
  write: (input: I, ctx: GatewayContext) => Promise<QualificationType | undefined>,
) {
  defineMutation(name, {
    description,
    scopes: { write: true },
    input,
    inputDescription,
    payload: TypePayload,
    resolve: async (input, ctx) => {
      const type = await write(input, ctx);
      if (!type) throw new Error("MTurk answered a qualification type write without the type.");
      return { type };
    },
  });
}

defineTypeWrite(
  "createQualificationType",
  "Creates a qualification type (CreateQualificationType).",
  CreateQualificationTypeInput,
  "The new type.",
  (input, ctx) =>
    ctx.writes.createQualificationType({
      Name: input.name,
      Description: input.description,
      Keywords: input.keywords ?? undefined,
      QualificationTypeStatus: input.status,
      ...testSettings(input),
    }),
);
defineTypeWrite(
  "updateQualificationType",
  "Updates a qualification type (UpdateQualificationType).",
  UpdateQualificationTypeInput,
  "The type and what changes.",
  (input, ctx) =>
    ctx.writes.updateQualificationType({
      QualificationTypeId: input.qualificationTypeId,
      Description: input.description ?? undefined,
      QualificationTypeStatus: input.status ?? undefined,
      ...testSettings(input),
    }),
);
defineMutation("deleteQualificationType", {
  description: "Deletes a qualification type (DeleteQualificationType); MTurk may take up to 48 h to free its name.",
  scopes: { write: true },
  input: DeleteQualificationTypeInput,
  inputDescription: "The type to delete.",
  payload: DeleteQualificationTypePayload,
  resolve: async (input, ctx) => {
    await ctx.writes.deleteQualificationType(input.qualificationTypeId);
    return { id: input.qualificationTypeId };
  },
});
