import { type Comparator, type EventType, type HITAccessActions, NotificationTransport } from "@aws-sdk/client-mturk";
import { z } from "zod";
import { builder } from "./builder.js";
import { ActionsGuardedEnum, ComparatorEnum, enumValue, idInput } from "./common.js";
import { keyAndDryRun } from "./spending.js";
import { lifetimeRule, moneyRule, mturkId, xmlRule } from "./validators.js";

/** Input types of the HIT mutations and their mapping to the SDK's input shapes. */
const LOCALE_TYPE = "00000000000000000071";

const LocaleInput = builder.inputType("LocaleInput", {
  description: "A Locale: ISO country code and optional subdivision.",
  fields: (t) => ({
    country: t.string({ required: true, description: "ISO 3166-1 alpha-2, e.g. US.", validate: z.string().length(2) }),
    subdivision: t.string({ description: "ISO 3166-2 subdivision, e.g. CA.", validate: z.string().length(2) }),
  }),
});

const RequirementInput = builder.inputType("QualificationRequirementInput", {
  description: "A QualificationRequirement of a HIT or HIT type.",
  fields: (t) => ({
    qualificationTypeId: idInput(t, "The required type (yours or a system type)."),
    comparator: t.field({ type: ComparatorEnum, required: true, description: "How the worker's value is compared." }),
    integerValues: t.intList({
      description: "Values: exactly 1, or 1 to 15 with In/NotIn; none with Exists/DoesNotExist.",
    }),
    localeValues: t.field({
      type: [LocaleInput],
      description: "Locales (Worker_Locale only): 1 with EqualTo/NotEqualTo, up to 30 with In/NotIn.",
    }),
    actionsGuarded: t.field({ type: ActionsGuardedEnum, description: "What a worker without it cannot do." }),
  }),
  // MTurk's documented rules for requirement values, which its model cannot express.
  validate: z
    .looseObject({
      qualificationTypeId: z.string(),
      comparator: z.string(),
      integerValues: z.array(z.number()).nullish(),
      localeValues: z.array(z.unknown()).nullish(),
    })
    .superRefine((r, issue) => {
      const ints = r.integerValues?.length ?? 0;
      const locales = r.localeValues?.length ?? 0;
      const set = r.comparator === "In" || r.comparator === "NotIn";
      const fail = (message: string, path: string) => issue.addIssue({ code: "custom", message, path: [path] });
      if (r.comparator === "Exists" || r.comparator === "DoesNotExist") {
        if (ints || locales) fail(`${r.comparator} takes no value.`, "comparator");
      } else if (locales) {
        if (r.qualificationTypeId !== LOCALE_TYPE) fail("localeValues apply only to Worker_Locale.", "localeValues");
        if (ints) fail("Give integerValues or localeValues, not both.", "integerValues");
        if (set ? locales > 30 : locales !== 1) fail("Give 1 locale, or up to 30 with In/NotIn.", "localeValues");
      } else if (set ? ints < 1 || ints > 15 : ints !== 1) {
        fail("Give 1 value, or 1 to 15 with In/NotIn.", "integerValues");
      }
    }),
});

const ReviewPolicyInput = builder.inputType("ReviewPolicyInput", {
  description:
    "An AssignmentReviewPolicy or HITReviewPolicy (ScoreMyKnownAnswers/2011-09-01, SimplePlurality/2011-09-01).",
  fields: (t) => ({
    policyName: t.string({ required: true, description: "The policy's PolicyName." }),
    parameters: t.field({
      type: [
        builder.inputType("PolicyParameterInput", {
          description: "A PolicyParameter: a key and its values.",
          fields: (f) => ({
            key: f.string({ required: true, description: "Key." }),
            values: f.stringList({ description: "Values." }),
          }),
        }),
      ],
      description: "Parameters.",
    }),
  }),
});

export const hitTypeFields = (
  t: PothosSchemaTypes.InputFieldBuilder<
    typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never,
    "InputObject"
  >,
) => ({
  title: t.string({ required: true, description: "Title shown to workers.", validate: z.string().min(1).max(128) }),
  description: t.string({
    required: true,
    description: "Description shown to workers.",
    validate: z.string().min(1).max(2000),
  }),
  reward: t.string({ required: true, description: 'Reward per assignment in USD, e.g. "0.25".', validate: moneyRule }),
  assignmentDurationInSeconds: t.int({
    required: true,
    description: "Time a worker has (30 s to 1 year).",
    validate: lifetimeRule,
  }),
  autoApprovalDelayInSeconds: t.int({
    description: "Seconds until MTurk approves automatically (0 to 30 days; default 30 days).",
    validate: z.number().int().min(0).max(2_592_000),
  }),
  keywords: t.string({ description: "Comma-separated Keywords.", validate: z.string().max(1000) }),
  qualificationRequirements: t.field({
    type: [RequirementInput],
    description: "At most 10.",
    validate: z.array(z.unknown()).max(10),
  }),
});

const toRequirements = (
  list:
    | {
        qualificationTypeId: string;
        comparator: Comparator;
        integerValues?: number[] | null;
        localeValues?: { country: string; subdivision?: string | null }[] | null;
        actionsGuarded?: HITAccessActions | null;
      }[]
    | null
    | undefined,
) =>
  list?.map((r) => ({
    QualificationTypeId: r.qualificationTypeId,
    Comparator: r.comparator,
    IntegerValues: r.integerValues ?? undefined,
    LocaleValues: r.localeValues?.map((l) => ({ Country: l.country, Subdivision: l.subdivision ?? undefined })),
    ActionsGuarded: r.actionsGuarded ?? undefined,
  }));

const toPolicy = (
  p: { policyName: string; parameters?: { key: string; values?: string[] | null }[] | null } | null | undefined,
) =>
  p
    ? {
        PolicyName: p.policyName,
        Parameters: p.parameters?.map((x) => ({ Key: x.key, Values: x.values ?? undefined })),
      }
    : undefined;

export const questionRule = z
  .looseObject({ question: z.string().nullish(), hitLayoutId: z.string().nullish() })
  .refine((v) => !!v.question !== !!v.hitLayoutId, {
    message: "Give exactly one of question or hitLayoutId.",
    path: ["question"],
  });

const LayoutParameterInput = builder.inputType("HITLayoutParameterInput", {
  description: "A HITLayoutParameter: a placeholder of the layout and its value.",
  fields: (f) => ({
    name: f.string({ required: true, description: "Name." }),
    value: f.string({ required: true, description: "Value." }),
  }),
});

export const hitFields = (t: Parameters<typeof hitTypeFields>[0]) => ({
  lifetimeInSeconds: t.int({
    required: true,
    description: "How long the HIT is available (30 s to 1 year).",
    validate: lifetimeRule,
  }),
  maxAssignments: t.int({
    description: "How many workers may do it (default 1).",
    validate: z.number().int().min(1).max(1_000_000),
  }),
  question: t.string({
    description: "QuestionForm, ExternalQuestion or HTMLQuestion XML (or give hitLayoutId).",
    validate: xmlRule,
  }),
  hitLayoutId: t.string({ description: "A HIT layout made in MTurk's UI (or give question).", validate: mturkId }),
  hitLayoutParameters: t.field({ type: [LayoutParameterInput], description: "Values for the layout's placeholders." }),
  requesterAnnotation: t.string({
    description: "A private note (RequesterAnnotation).",
    validate: z.string().max(255),
  }),
  assignmentReviewPolicy: t.field({ type: ReviewPolicyInput, description: "AssignmentReviewPolicy." }),
  hitReviewPolicy: t.field({ type: ReviewPolicyInput, description: "HITReviewPolicy." }),
  ...keyAndDryRun(
    t,
    "Your key for this creation: a retry with the same key creates no second HIT (sent as UniqueRequestToken; MTurk keeps it 24 h).",
  ),
});

type RequirementValue = {
  qualificationTypeId: string;
  comparator: Comparator;
  integerValues?: number[] | null;
  localeValues?: { country: string; subdivision?: string | null }[] | null;
  actionsGuarded?: HITAccessActions | null;
};
type PolicyValue = { policyName: string; parameters?: { key: string; values?: string[] | null }[] | null } | null;

/** The HIT type members of a mutation input, as the SDK takes them. */
export const toHitTypeInput = (input: {
  title: string;
  description: string;
  reward: string;
  assignmentDurationInSeconds: number;
  autoApprovalDelayInSeconds?: number | null;
  keywords?: string | null;
  qualificationRequirements?: RequirementValue[] | null;
}) => ({
  Title: input.title,
  Description: input.description,
  Reward: input.reward,
  AssignmentDurationInSeconds: input.assignmentDurationInSeconds,
  AutoApprovalDelayInSeconds: input.autoApprovalDelayInSeconds ?? undefined,
  Keywords: input.keywords ?? undefined,
  QualificationRequirements: toRequirements(input.qualificationRequirements),
});

/** The HIT members of a mutation input, as the SDK takes them. */
export const toHitInput = (input: {
  lifetimeInSeconds: number;
  maxAssignments?: number | null;
  question?: string | null;
  hitLayoutId?: string | null;
  hitLayoutParameters?: { name: string; value: string }[] | null;
  requesterAnnotation?: string | null;
  assignmentReviewPolicy?: PolicyValue;
  hitReviewPolicy?: PolicyValue;
}) => ({
  LifetimeInSeconds: input.lifetimeInSeconds,
  MaxAssignments: input.maxAssignments ?? undefined,
  Question: input.question ?? undefined,
  HITLayoutId: input.hitLayoutId ?? undefined,
  HITLayoutParameters: input.hitLayoutParameters?.map((p) => ({ Name: p.name, Value: p.value })),
  RequesterAnnotation: input.requesterAnnotation ?? undefined,
  AssignmentReviewPolicy: toPolicy(input.assignmentReviewPolicy),
  HITReviewPolicy: toPolicy(input.hitReviewPolicy),
});

export const NotificationInput = builder.inputType("NotificationSpecificationInput", {
  description:
    "Where MTurk sends events (NotificationSpecification). Version is 2006-05-05 (the API reference's) or 2014-08-15 (what clients in production send; MTurk accepts both).",
  fields: (t) => ({
    destination: t.string({ required: true, description: "E-mail address, SQS queue URL or SNS topic ARN." }),
    transport: t.string({
      required: true,
      description: "Email, SQS or SNS.",
      validate: z.enum(["Email", "SQS", "SNS"]),
    }),
    version: t.string({
      defaultValue: "2006-05-05",
      description: "The notification format version: 2006-05-05 (default) or 2014-08-15.",
      validate: z.enum(["2006-05-05", "2014-08-15"]),
    }),
    eventTypes: t.stringList({
      required: true,
      description: "Event types, e.g. AssignmentSubmitted.",
      validate: z.array(z.string()).min(1),
    }),
  }),
});
export const toNotification = (n: {
  destination: string;
  transport: string;
  version?: string | null;
  eventTypes: string[];
}) => ({
  Destination: n.destination,
  Transport: enumValue(NotificationTransport, n.transport),
  Version: n.version ?? "2006-05-05",
  EventTypes: n.eventTypes as EventType[],
});
