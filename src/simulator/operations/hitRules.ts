import { Comparator, HITAccessActions } from "@aws-sdk/client-mturk";
import { parameterError, requestError } from "../errors.js";
import type { HITTypeRecord, QualificationRequirementInput } from "../model.js";
import { feeCents, type Store, toCents } from "../store.js";
import {
  bool,
  entityId,
  type InputOf,
  idempotencyToken,
  int,
  list,
  money,
  oneOf,
  opt,
  req,
  str,
  struct,
} from "../validate.js";

/** MTurk's rules for HIT types and HITs: the model's members and the documented rules it cannot express. */
export const SYSTEM_LOCALE_TYPE_ID = "00000000000000000071";
/** HIT layouts are made in MTurk's web UI; the simulator's account has this one. */
export const SIMULATOR_LAYOUT_ID = "3LAYOUTSIMULATOR00000000000001";
export const SECONDS_IN_YEAR = 31_536_000;

const locale = struct({
  ...req({ Country: str({ min: 2, max: 2 }) }),
  ...opt({ Subdivision: str({ min: 2, max: 2 }) }),
});

const qualificationRequirement = struct({
  ...req({ QualificationTypeId: str(), Comparator: oneOf(...Object.values(Comparator)) }),
  ...opt({
    IntegerValues: list(int()),
    LocaleValues: list(locale),
    RequiredToPreview: bool,
    ActionsGuarded: oneOf(...Object.values(HITAccessActions)),
  }),
});
const reviewPolicy = struct({
  ...req({ PolicyName: oneOf("SimplePlurality/2011-09-01", "ScoreMyKnownAnswers/2011-09-01") }),
  ...opt({
    Parameters: list(
      struct(
        opt({ Key: str(), Values: list(str()), MapEntries: list(struct(opt({ Key: str(), Values: list(str()) }))) }),
      ),
    ),
  }),
});

export const hitTypeMembers = {
  ...req({
    AssignmentDurationInSeconds: int(30, SECONDS_IN_YEAR),
    Reward: money,
    Title: str({ min: 1, max: 128 }),
    Description: str({ min: 1, max: 2000 }),
  }),
  ...opt({
    AutoApprovalDelayInSeconds: int(0, 30 * 86_400),
    Keywords: str({ max: 1000 }),
    QualificationRequirements: list(qualificationRequirement, 10),
  }),
};
export const hitMembers = {
  ...req({ LifetimeInSeconds: int(30, SECONDS_IN_YEAR) }),
  ...opt({
    MaxAssignments: int(1, 1_000_000),
    Question: str({ min: 1 }),
    RequesterAnnotation: str({ max: 255 }),
    UniqueRequestToken: idempotencyToken,
    AssignmentReviewPolicy: reviewPolicy,
    HITReviewPolicy: reviewPolicy,
    HITLayoutId: entityId,
    HITLayoutParameters: list(struct(req({ Name: str(), Value: str() }))),
  }),
};

/** CreateHIT's members beyond the HIT type's, as a handler sees them. */
export type HitInput = InputOf<typeof hitMembers>;

/** MTurk's documented requirement rules that the model cannot express. */
function checkRequirements(store: Store, requirements: QualificationRequirementInput[]) {
  requirements.forEach((r, i) => {
    const at = `QualificationRequirements.${i + 1}`;
    const type = store.qualificationTypes.get(r.QualificationTypeId);
    if (!type || type.deletedAt !== undefined)
      throw requestError(
        "QualificationTypeDoesNotExist",
        `Qualification type ${r.QualificationTypeId} does not exist.`,
      );
    const ints = r.IntegerValues ?? [];
    const locales = r.LocaleValues ?? [];
    const setComparator = r.Comparator === "In" || r.Comparator === "NotIn";
    if (r.Comparator === "Exists" || r.Comparator === "DoesNotExist") {
      if (ints.length || locales.length) throw parameterError(`${at}.Comparator`, r.Comparator, "It takes no value.");
    } else if (locales.length) {
      if (r.QualificationTypeId !== SYSTEM_LOCALE_TYPE_ID)
        throw parameterError(`${at}.LocaleValues`, locales, "LocaleValues apply only to Worker_Locale.");
      if (ints.length)
        throw parameterError(`${at}.IntegerValues`, ints, "Give IntegerValues or LocaleValues, not both.");
      if (
        setComparator ? locales.length > 30 : locales.length !== 1 || !["EqualTo", "NotEqualTo"].includes(r.Comparator)
      )
        throw parameterError(`${at}.LocaleValues`, locales, "Give 1 with EqualTo/NotEqualTo, up to 30 with In/NotIn.");
    } else if (r.QualificationTypeId === SYSTEM_LOCALE_TYPE_ID && ints.length) {
      throw parameterError(`${at}.IntegerValues`, ints, "IntegerValues cannot be used with the Worker_Locale type.");
    } else if (setComparator ? ints.length < 1 || ints.length > 15 : ints.length !== 1) {
      throw parameterError(`${at}.IntegerValues`, ints, "Give 1 value, or 1 to 15 with In/NotIn.");
    }
    if (r.RequiredToPreview !== undefined && r.ActionsGuarded !== undefined)
      throw parameterError(`${at}.RequiredToPreview`, r.RequiredToPreview, "Do not combine it with ActionsGuarded.");
  });
}

/** CreateHITType's rule: identical parameters give the same HITTypeId. */
export function hitTypeFor(store: Store, input: InputOf<typeof hitTypeMembers>): HITTypeRecord {
  const requirements = input.QualificationRequirements ?? [];
  checkRequirements(store, requirements);
  if (toCents(input.Reward) < 1) throw parameterError("Reward", input.Reward, "The reward must be at least 0.01.");
  const params = {
    autoApprovalDelayInSeconds: input.AutoApprovalDelayInSeconds ?? 30 * 86_400,
    assignmentDurationInSeconds: input.AssignmentDurationInSeconds,
    reward: Number.parseFloat(input.Reward).toFixed(2),
    title: input.Title,
    description: input.Description,
    keywords: input.Keywords,
    qualificationRequirements: requirements,
  };
  const key = JSON.stringify(params);
  const known = store.hitTypes.get(store.hitTypeByParameters.get(key) ?? "");
  if (known) return known;
  const type = { id: store.newId(30, "3"), ...params };
  store.hitTypes.set(type.id, type);
  store.hitTypeByParameters.set(key, type.id);
  return type;
}

export function checkQuestion(input: HitInput) {
  const question = input.Question;
  if ((question !== undefined) === (input.HITLayoutId !== undefined))
    throw requestError("InvalidParameterValue", "Provide exactly one of Question or HITLayoutId.");
  if (question !== undefined) {
    if (Buffer.byteLength(question, "utf8") > 65_535)
      throw parameterError("Question", `${question.slice(0, 40)}...`, "It must be at most 65535 bytes.");
    if (!/<(QuestionForm|ExternalQuestion|HTMLQuestion)[\s/>]/.test(question))
      throw parameterError(
        "Question",
        question.slice(0, 80),
        "It must be a QuestionForm, ExternalQuestion or HTMLQuestion.",
      );
  } else if (input.HITLayoutId !== SIMULATOR_LAYOUT_ID) {
    throw requestError("HITLayoutDoesNotExist", `HIT layout ${input.HITLayoutId} does not exist.`);
  }
}

/** The funds check of HIT creation and extension: each assignment's reward plus its commission. */
export function requireFunds(store: Store, rewardCents: number, assignments: number, maxAssignments: number) {
  const total = assignments * (rewardCents + feeCents(rewardCents, maxAssignments));
  if (store.availableBalanceCents < total)
    throw requestError(
      "InsufficientFunds",
      "This Requester has insufficient funds in their account to complete this transaction.",
    );
}
