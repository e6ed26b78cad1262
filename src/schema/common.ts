import {
  AssignmentStatus,
  Comparator,
  HITAccessActions,
  HITReviewStatus,
  HITStatus,
  type Locale,
  QualificationStatus,
  QualificationTypeStatus,
  ReviewableHITStatus,
} from "@aws-sdk/client-mturk";
import { type IdKey, idOf } from "../mturk/ids.js";
import { builder } from "./builder.js";
import type { Types } from "./mutation.js";
import { mturkId, workerIdRule } from "./validators.js";

/** An amount of money as MTurk gives it (a decimal string in USD), with the legacy API's FormattedPrice. */
export interface MoneyShape {
  amount: string;
  currencyCode: string;
  formatted: string;
}

export function money(amount: string): MoneyShape;
export function money(amount: string | undefined): MoneyShape | null;
export function money(amount: string | undefined): MoneyShape | null {
  if (amount === undefined) return null;
  const value = Number.parseFloat(amount);
  return { amount: value.toFixed(2), currencyCode: "USD", formatted: `$${value.toFixed(2)}` };
}

export const Money = builder.objectRef<MoneyShape>("Money").implement({
  description: "An amount in US dollars, as MTurk's Reward, BonusAmount and balances (the legacy Price structure).",
  fields: (t) => ({
    amount: t.exposeString("amount", { nullable: false, description: 'The amount as a decimal string, e.g. "0.25".' }),
    currencyCode: t.exposeString("currencyCode", {
      nullable: false,
      description: "Always USD: MTurk pays in US dollars.",
    }),
    formatted: t.exposeString("formatted", { nullable: false, description: 'The amount for display, e.g. "$0.25".' }),
  }),
});

export const LocaleRef = builder.objectRef<Locale>("Locale").implement({
  description: "A country and optional subdivision (MTurk's Locale), as in Worker_Locale requirements.",
  fields: (t) => ({
    country: t.exposeString("Country", { description: "ISO 3166-1 alpha-2 country code, e.g. US." }),
    subdivision: t.exposeString("Subdivision", { description: "ISO 3166-2 subdivision code, e.g. CA for California." }),
  }),
});

/** A DateTime field of the parent's (MTurk's epoch seconds, converted by the SDK), nullable as MTurk's are. */
export function dateTimeField<P extends { readonly [k in K]?: Date | null }, K extends string>(
  t: PothosSchemaTypes.ObjectFieldBuilder<Types, P>,
  key: K,
  description: string,
) {
  return t.field({ type: "DateTime", description, resolve: (parent) => parent[key] });
}

/** An entity's own id field, never null: MTurk always sends it (see idOf). */
export function idField<P extends { readonly [k in K]?: string }, K extends IdKey>(
  t: PothosSchemaTypes.ObjectFieldBuilder<Types, P>,
  key: K,
  description = `MTurk's ${key}.`,
) {
  return t.string({ nullable: false, description, resolve: (parent) => idOf(parent, key) });
}

/**
 * The scope to read an object type: whatever field reaches it (a mutation payload too), reading it needs `read`.
 * Spread it into the type's options.
 */
export const readable = { authScopes: { read: true } } as const;

/** What an input type's fields are built with. */
export type InputFields = PothosSchemaTypes.InputFieldBuilder<Types, "InputObject">;

/** A required MTurk id of an input (HITId, AssignmentId, QualificationTypeId...), checked before any call. */
export const idInput = (t: InputFields, description: string) =>
  t.string({ required: true, description, validate: mturkId });

/** A required WorkerId of an input, checked before any call. */
export const workerIdInput = (t: InputFields, description = "The WorkerId.") =>
  t.string({ required: true, description, validate: workerIdRule });

/** A type guard for the values of one of the SDK's enums (a prefetch reads its arguments as unknown). */
export function isEnumValue<V extends string>(values: Record<string, V>): (value: unknown) => value is V {
  const known = new Set<unknown>(Object.values(values));
  return (value): value is V => known.has(value);
}

/** A string input its validation (z.enum) holds to one of an SDK enum's values, as that enum's type. */
export function enumValue<V extends string>(values: Record<string, V>, value: string): V {
  const found = Object.values(values).find((v) => v === value);
  if (found === undefined) throw new Error(`"${value}" is none of ${Object.values(values).join(", ")}.`);
  return found;
}

/**
 * A GraphQL enum with exactly the values of one of the SDK's MTurk enums (its values typed as the SDK's), named
 * by its key: `enumOf({ HITStatus }, ...)` is the enum HITStatus.
 */
function enumOf<V extends string>(named: Record<string, Record<string, V>>, description: string) {
  const name = Object.keys(named)[0] ?? "";
  const described = Object.values(named[name] ?? {}).map((v): [V, string] => [v, `MTurk's ${v}.`]);
  return builder.enumType(name, { description, values: enumValues(described) });
}

/** A GraphQL enum's values: each its own name, with its description. */
export function enumValues<V extends string>(
  described: [V, string][],
): Record<string, { value: V; description: string }> {
  const values: Record<string, { value: V; description: string }> = {};
  for (const [value, description] of described) values[value] = { value, description };
  return values;
}

export const HITStatusEnum = enumOf({ HITStatus }, "A HIT's HITStatus.");
export const HITReviewStatusEnum = enumOf({ HITReviewStatus }, "A HIT's HITReviewStatus.");
export const ReviewableHITStatusEnum = enumOf({ ReviewableHITStatus }, "The Status filter of ListReviewableHITs.");
export const AssignmentStatusEnum = enumOf({ AssignmentStatus }, "An assignment's AssignmentStatus.");
export const QualificationTypeStatusEnum = enumOf({ QualificationTypeStatus }, "A QualificationTypeStatus.");
export const QualificationStatusEnum = enumOf({ QualificationStatus }, "A Qualification's Status.");
export const ComparatorEnum = enumOf({ Comparator }, "How a QualificationRequirement compares a worker's value.");
export const ActionsGuardedEnum = enumOf(
  { ActionsGuarded: HITAccessActions },
  "What a QualificationRequirement guards.",
);

/**
 * Descriptions of a connection's generated types (every connection also has `totalCount` and `pageNumber`, see
 * builder.ts). Use as `t.connection(field, ...pageOf("HITs"))`.
 */
export const pageOf = (items: string) =>
  [{ description: `A page of ${items}.` }, { description: `One of ${items}, with its cursor.` }] as const;
