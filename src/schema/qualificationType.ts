import { type Qualification, QualificationStatus, type QualificationType } from "@aws-sdk/client-mturk";
import type { GatewayContext } from "../context.js";
import { idOf } from "../mturk/ids.js";
import { scopes } from "../mturk/listings.js";
import { type FetchPage, MTURK_MAX_RESULTS } from "../mturk/pagination.js";
import { builder } from "./builder.js";
import {
  dateTimeField,
  idField,
  isEnumValue,
  pageOf,
  QualificationStatusEnum,
  QualificationTypeStatusEnum,
  readable,
} from "./common.js";
import { listing, listingArgs, mapNodes, prefetchFirstWindow } from "./connections.js";
import { entityReach, mturkNodeRef } from "./entity.js";
import { HITRef, hitListing, hitListingArgs } from "./hit.js";
import { pendingRequests, QualificationRequestRef, requestListingArgs } from "./qualificationRequest.js";
import type { Prefetch } from "./selection.js";
import { QualificationRef, WorkerRef } from "./worker.js";

export const QualificationTypeRef = mturkNodeRef(
  "QualificationType",
  "QualificationTypeId",
  (ctx) => ctx.loaders.qualificationTypes,
);

/** Fields answerable from a QualificationTypeId alone, and the links whose first page can start with the type. */
const QUALIFICATION_TYPE = {
  fromId: new Set(["id", "qualificationTypeId", "requests", "hits", "workers"]),
  links: {
    requests: (id, args, ctx) =>
      prefetchFirstWindow(args, () => ctx.loaders.qualificationRequestsPage(id, undefined, MTURK_MAX_RESULTS)),
    hits: (id, args, ctx) =>
      prefetchFirstWindow(args, () => ctx.loaders.listHITsForQualificationTypePage(id, undefined, MTURK_MAX_RESULTS)),
    workers: (id, args, ctx) =>
      prefetchFirstWindow(args, () =>
        typeWorkers(ctx, id, isQualificationStatus(args.status) ? args.status : undefined).fetchPage(
          undefined,
          MTURK_MAX_RESULTS,
        ),
      ),
  } satisfies Record<string, Prefetch>,
};
/** A qualification type for a root field, and a link to one (GetQualificationType, batched). */
const qualificationTypeReach = entityReach<QualificationType>(QualificationTypeRef, QUALIFICATION_TYPE, (id) => ({
  QualificationTypeId: id,
}));
const qualificationTypeOrStub = qualificationTypeReach.orStub;
export const qualificationTypeLink = qualificationTypeReach.link;

const isQualificationStatus = isEnumValue(QualificationStatus);

/** The workers connection's edges carry the listed Qualification beside the worker (mapNodes' edge field). */
const carriesQualification = (edge: object): edge is { qualification: Qualification } => "qualification" in edge;

/** The workers of a type (ListWorkersWithQualificationType): the prefetch and the connection ask for one first page. */
function typeWorkers(ctx: GatewayContext, typeId: string, status: QualificationStatus | null | undefined) {
  const granted = status ?? "Granted";
  const fetchPage: FetchPage<Qualification> = (token, size) =>
    ctx.loaders.listWorkersWithQualificationTypePage(typeId, granted, token, size);
  return { scope: scopes.workersWithType(typeId, granted), fetchPage };
}

QualificationTypeRef.implement({
  ...readable,
  description:
    "A qualification type (MTurk's QualificationType), fetched with GetQualificationType and listed by ListQualificationTypes.",
  fields: (t) => ({
    qualificationTypeId: idField(t, "QualificationTypeId"),
    creationTime: dateTimeField(t, "CreationTime", "When the type was created (CreationTime)."),
    name: t.exposeString("Name", { description: "The type's Name, unique among the requester's types." }),
    description: t.exposeString("Description", { description: "The type's Description, shown to workers." }),
    keywords: t.exposeString("Keywords", { description: "Comma-separated Keywords for worker search." }),
    status: t.expose("QualificationTypeStatus", {
      type: QualificationTypeStatusEnum,
      description: "QualificationTypeStatus: only Active types can be requested.",
    }),
    test: t.exposeString("Test", { description: "The QuestionForm test workers answer to request it (Test)." }),
    testDurationInSeconds: t.exposeInt("TestDurationInSeconds", {
      description: "Seconds a worker has to finish the test (TestDurationInSeconds).",
    }),
    answerKey: t.exposeString("AnswerKey", {
      description: "The AnswerKey MTurk scores the test with; only the owner sees it.",
    }),
    retryDelayInSeconds: t.exposeInt("RetryDelayInSeconds", {
      description: "Seconds before a rejected worker may request again; null means never (RetryDelayInSeconds).",
    }),
    isRequestable: t.exposeBoolean("IsRequestable", { description: "Whether workers can request it (IsRequestable)." }),
    autoGranted: t.exposeBoolean("AutoGranted", { description: "Whether a request is granted at once (AutoGranted)." }),
    autoGrantedValue: t.exposeInt("AutoGrantedValue", {
      description: "The value an automatic grant gives (AutoGrantedValue).",
    }),
  }),
});

/** A type's links: its pending requests, the HITs that require it, the workers who hold it. */
builder.objectFields(QualificationTypeRef, (t) => ({
  requests: t.connection(
    {
      type: QualificationRequestRef,
      description:
        "Pending requests for this type (ListQualificationRequests with QualificationTypeId). Several types' first pages in one query may be served by one unfiltered scan.",
      args: requestListingArgs,
      resolve: (type, args, ctx) => pendingRequests(ctx, idOf(type, "QualificationTypeId"), args),
    },
    ...pageOf("qualification requests"),
  ),
  hits: t.connection(
    {
      type: HITRef,
      description:
        "The requester's HITs whose requirements use this type, in any status but deleted (ListHITsForQualificationType).",
      args: hitListingArgs,
      resolve: (type, args, ctx) => {
        const id = idOf(type, "QualificationTypeId");
        return hitListing(ctx, args, scopes.hitsForType(id), (token, size) =>
          ctx.loaders.listHITsForQualificationTypePage(id, token, size),
        );
      },
    },
    ...pageOf("HITs"),
  ),
  workers: t.connection(
    {
      type: WorkerRef,
      description:
        "Workers associated with this type; each edge carries the Qualification (ListWorkersWithQualificationType).",
      args: {
        status: t.arg({
          type: QualificationStatusEnum,
          defaultValue: "Granted",
          description: "Granted (default) or Revoked qualifications.",
        }),
        ...qualificationOrderArgs,
      },
      resolve: async (type, args, ctx) => {
        const connection = await listing(ctx, args, typeWorkers(ctx, idOf(type, "QualificationTypeId"), args.status));
        return mapNodes(connection, (q) => ({ workerId: idOf(q, "WorkerId") }), "qualification");
      },
    },
    pageOf("workers holding a qualification type (ListWorkersWithQualificationType)")[0],
    {
      description: "A worker and the Qualification of the type they hold.",
      fields: (e) => ({
        qualification: e.field({
          type: QualificationRef,
          description: "The worker's Qualification of this type: value, locale, grant time and status.",
          resolve: (edge) => (carriesQualification(edge) ? edge.qualification : null),
        }),
      }),
    },
  ),
}));

const typeOrderArgs = listingArgs("QualificationType", {
  NAME: "The type's name (case-insensitive).",
  CREATION_TIME: "When the type was created.",
});
const qualificationOrderArgs = listingArgs("Qualification", {
  GRANT_TIME: "When the qualification was granted.",
  INTEGER_VALUE: "The qualification's value.",
  WORKER_ID: "The worker's id.",
});

builder.queryFields((t) => ({
  qualificationType: t.field({
    type: QualificationTypeRef,
    description:
      "One qualification type by its MTurk id (GetQualificationType); null with a NOT_FOUND error when missing.",
    args: { qualificationTypeId: t.arg.string({ required: true, description: "MTurk's QualificationTypeId." }) },
    resolve: (_root, args, ctx, info) => qualificationTypeOrStub(info, ctx, args.qualificationTypeId),
  }),
  qualificationTypes: t.connection(
    {
      type: QualificationTypeRef,
      description:
        "Qualification types (ListQualificationTypes). By default the requester's own types; set mustBeOwnedByCaller: false to search public types.",
      args: {
        query: t.arg.string({ description: "Text to search for in names, descriptions and keywords (Query)." }),
        mustBeRequestable: t.arg.boolean({
          defaultValue: false,
          description: "Only types workers can request (MustBeRequestable).",
        }),
        mustBeOwnedByCaller: t.arg.boolean({
          defaultValue: true,
          description: "Only the requester's own types (MustBeOwnedByCaller).",
        }),
        ...typeOrderArgs,
      },
      resolve: (_root, args, ctx) => {
        const filter = {
          query: args.query ?? undefined,
          mustBeRequestable: args.mustBeRequestable ?? false,
          mustBeOwnedByCaller: args.mustBeOwnedByCaller ?? true,
        };
        return listing<QualificationType>(ctx, args, {
          scope: scopes.types(filter),
          fetchPage: (token, size) => ctx.loaders.listQualificationTypesPage(filter, token, size),
        });
      },
    },
    ...pageOf("qualification types"),
  ),
}));
