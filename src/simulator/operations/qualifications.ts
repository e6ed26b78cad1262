import { parameterError, requestError } from "../errors.js";
import { change } from "../history.js";
import {
  type QualificationRecord,
  type QualificationRequestRecord,
  type QualificationTypeRecord,
  qualificationKey,
} from "../model.js";
import { DAY_MS, type Store } from "../store.js";
import { bool, entityId, int, maxResults, nextToken, oneOf, opt, req, str, workerId } from "../validate.js";
import {
  listed,
  mturkAnswerXml,
  operation,
  page,
  wireQualification,
  wireQualificationRequest,
  wireQualificationType,
} from "./common.js";

const MAX_XML_BYTES = 65_535;
const status = oneOf("Active", "Inactive");

function checkXmlSize(member: string, value: unknown) {
  if (typeof value === "string" && Buffer.byteLength(value, "utf8") > MAX_XML_BYTES)
    throw parameterError(member, `${value.slice(0, 40)}...`, `It must be at most ${MAX_XML_BYTES} bytes.`);
}

/** Rules shared by CreateQualificationType and UpdateQualificationType about tests and auto-granting. */
function checkTestSettings(next: Partial<QualificationTypeRecord>) {
  if (next.test !== undefined && next.autoGranted)
    throw requestError("InvalidParameterValue", "A Qualification type with a test cannot also be AutoGranted.");
  if (next.test !== undefined && next.testDurationInSeconds === undefined)
    throw requestError("InvalidParameterValue", "TestDurationInSeconds is required when a Test is given.");
  if (next.answerKey !== undefined && next.test === undefined)
    throw requestError("InvalidParameterValue", "An AnswerKey requires a Test.");
}

/** Grants (or re-grants) a Qualification of a type to a worker. */
function grantQualification(store: Store, typeId: string, workerId: string, integerValue?: number) {
  const key = qualificationKey(typeId, workerId);
  const existing = store.qualifications.get(key);
  const now = store.now();
  // A re-grant changes the record in place: it keeps its first grant's seq, and lagging listings its history.
  if (existing) return change(existing, { integerValue, grantTime: now, status: "Granted", reason: undefined }, now);
  const record: QualificationRecord = {
    typeId,
    workerId,
    seq: store.nextSeq(),
    listedFrom: now,
    integerValue,
    grantTime: now,
    status: "Granted",
  };
  store.qualifications.set(key, record);
  return record;
}

/**
 * A worker asks for a qualification (the worker side, outside MTurk's requester API). Auto-granted types grant at
 * once; a test with an answer key is scored at once; otherwise a pending request waits for the owner.
 */
export function workerRequestsQualification(store: Store, workerId: string, typeId: string, answer?: string) {
  store.knownWorker(workerId);
  const type = store.qualificationTypes.get(typeId);
  if (!type || type.deletedAt !== undefined || type.owner === "system" || type.status !== "Active")
    throw requestError("QualificationTypeNotRequestable", `Qualification type ${typeId} cannot be requested.`);
  const held = store.qualifications.get(qualificationKey(typeId, workerId));
  if (held?.status === "Granted") throw requestError("QualificationAlreadyExists", "The worker already holds it.");
  const earlier = [...store.qualificationRequests.values()].filter(
    (r) => r.typeId === typeId && r.workerId === workerId,
  );
  if (earlier.some((r) => r.status === "Pending"))
    throw requestError("QualificationRequestAlreadyExists", "The worker already has a pending request.");
  const lastRejection = earlier.filter((r) => r.status === "Rejected").at(-1);
  if (lastRejection) {
    const retryAt =
      type.retryDelayInSeconds === undefined
        ? Number.POSITIVE_INFINITY
        : (lastRejection.decidedAt ?? 0) + type.retryDelayInSeconds * 1000;
    if (store.now() < retryAt) throw requestError("RetryDelayNotElapsed", "The worker cannot request it again yet.");
  }
  if (type.autoGranted) return { granted: grantQualification(store, typeId, workerId, type.autoGrantedValue ?? 1) };
  if (type.test !== undefined && type.answerKey !== undefined) {
    // A type with an answer key is scored by MTurk itself: the request never waits for the owner.
    const score = answer && type.answerKey.length > 0 ? Math.min(100, answer.length % 101) : 0;
    return { granted: grantQualification(store, typeId, workerId, score) };
  }
  const request: QualificationRequestRecord = {
    id: store.newId(30),
    seq: store.nextSeq(),
    typeId,
    workerId,
    test: type.test,
    answer: type.test !== undefined ? mturkAnswerXml(answer ?? "") : undefined,
    submitTime: store.now(),
    listedFrom: store.now(),
    status: "Pending",
  };
  store.qualificationRequests.set(request.id, request);
  return { request };
}

function pendingRequest(store: Store, requestId: string): QualificationRequestRecord {
  const request = store.qualificationRequests.get(requestId);
  const type = request && store.qualificationTypes.get(request.typeId);
  if (!request || !type || type.owner !== "caller")
    throw requestError("QualificationRequestDoesNotExist", `Qualification request ${requestId} does not exist.`);
  if (request.status !== "Pending")
    throw requestError(
      "InvalidQualificationRequestState",
      `Qualification request ${requestId} is ${request.status}. This operation can be called with a status of: Pending`,
    );
  return request;
}

const typeFilterMembers = {
  ...req({ QualificationTypeId: entityId }),
  ...opt({ NextToken: nextToken, MaxResults: maxResults }),
};

export const qualificationOperations = {
  CreateQualificationType: operation({
    members: {
      ...req({ Name: str(), Description: str(), QualificationTypeStatus: status }),
      ...opt({
        Keywords: str(),
        RetryDelayInSeconds: int(0),
        Test: str({ min: 1 }),
        AnswerKey: str({ min: 1 }),
        TestDurationInSeconds: int(1),
        AutoGranted: bool,
        AutoGrantedValue: int(),
      }),
    },
    handle(store, input) {
      checkXmlSize("Test", input.Test);
      checkXmlSize("AnswerKey", input.AnswerKey);
      const name = input.Name;
      const clash = [...store.qualificationTypes.values()].find(
        (t) =>
          t.owner === "caller" &&
          t.name === name &&
          (t.deletedAt === undefined || store.now() - t.deletedAt < 2 * DAY_MS),
      );
      if (clash)
        throw requestError(
          "QualificationTypeAlreadyExists",
          `You have already created a QualificationType with this name. A QualificationType's name must be unique among all of the QualificationTypes created by the same user. (${clash.id})`,
        );
      const record: QualificationTypeRecord = {
        id: store.newId(30, "3"),
        seq: store.nextSeq(),
        owner: "caller",
        name,
        description: input.Description,
        keywords: input.Keywords,
        status: input.QualificationTypeStatus,
        test: input.Test,
        answerKey: input.AnswerKey,
        testDurationInSeconds: input.TestDurationInSeconds,
        retryDelayInSeconds: input.RetryDelayInSeconds,
        autoGranted: input.AutoGranted === true,
        autoGrantedValue: input.AutoGranted === true ? (input.AutoGrantedValue ?? 1) : undefined,
        creationTime: store.now(),
        listedFrom: store.now(),
      };
      checkTestSettings(record);
      store.qualificationTypes.set(record.id, record);
      return { QualificationType: wireQualificationType(record) };
    },
  }),

  GetQualificationType: operation({
    members: req({ QualificationTypeId: entityId }),
    handle(store, input) {
      const type = store.qualificationTypes.get(input.QualificationTypeId);
      if (!type || type.deletedAt !== undefined)
        throw requestError(
          "QualificationTypeDoesNotExist",
          `You requested a Qualification type that does not exist. (${input.QualificationTypeId})`,
        );
      return { QualificationType: wireQualificationType(type) };
    },
  }),

  ListQualificationTypes: operation({
    members: {
      ...req({ MustBeRequestable: bool }),
      ...opt({ Query: str({ max: 255 }), MustBeOwnedByCaller: bool, NextToken: nextToken, MaxResults: maxResults }),
    },
    handle(store, input) {
      const query = input.Query?.toLowerCase();
      const { page: types, NextToken } = page(
        store,
        "ListQualificationTypes",
        [input.Query, input.MustBeRequestable, input.MustBeOwnedByCaller],
        listed(store, store.qualificationTypes.values(), (t) => {
          if (t.deletedAt !== undefined) return false;
          if (input.MustBeOwnedByCaller === true && t.owner !== "caller") return false;
          if (input.MustBeRequestable === true && (t.owner === "system" || t.status !== "Active")) return false;
          // Types of other requesters are found only when they are active (MTurk's public search).
          if (t.owner === "other" && t.status !== "Active") return false;
          if (query && ![t.name, t.description, t.keywords ?? ""].some((s) => s.toLowerCase().includes(query)))
            return false;
          return true;
        }),
        input,
      );
      return { NumResults: types.length, NextToken, QualificationTypes: types.map(wireQualificationType) };
    },
  }),

  UpdateQualificationType: operation({
    members: {
      ...req({ QualificationTypeId: entityId }),
      ...opt({
        Description: str(),
        QualificationTypeStatus: status,
        Test: str({ min: 1 }),
        AnswerKey: str({ min: 1 }),
        TestDurationInSeconds: int(1),
        RetryDelayInSeconds: int(0),
        AutoGranted: bool,
        AutoGrantedValue: int(),
      }),
    },
    handle(store, input) {
      checkXmlSize("Test", input.Test);
      checkXmlSize("AnswerKey", input.AnswerKey);
      const type = store.ownedQualificationType(input.QualificationTypeId);
      const next: QualificationTypeRecord = {
        ...type,
        description: input.Description ?? type.description,
        status: input.QualificationTypeStatus ?? type.status,
        test: input.Test ?? type.test,
        answerKey: input.AnswerKey ?? type.answerKey,
        testDurationInSeconds: input.TestDurationInSeconds ?? type.testDurationInSeconds,
        retryDelayInSeconds: input.RetryDelayInSeconds ?? type.retryDelayInSeconds,
        autoGranted: input.AutoGranted ?? type.autoGranted,
        autoGrantedValue: input.AutoGrantedValue ?? type.autoGrantedValue,
      };
      // Retries, once enabled, cannot be disabled again: the input has no way to ask for that (omitted means
      // unchanged), so any RetryDelayInSeconds given is an allowed change.
      if (next.autoGranted && next.autoGrantedValue === undefined) next.autoGrantedValue = 1;
      checkTestSettings(next);
      store.qualificationTypes.set(type.id, next);
      return { QualificationType: wireQualificationType(next) };
    },
  }),

  DeleteQualificationType: operation({
    members: req({ QualificationTypeId: entityId }),
    handle(store, input) {
      const type = store.ownedQualificationType(input.QualificationTypeId);
      const now = store.now();
      change(type, { deletedAt: now, status: "Inactive" }, now);
      // Deletion rejects pending requests; existing Qualifications stay.
      for (const r of store.qualificationRequests.values())
        if (r.typeId === type.id && r.status === "Pending")
          change(r, { status: "Rejected", reason: "The Qualification type was deleted.", decidedAt: now }, now);
      return {};
    },
  }),

  ListQualificationRequests: operation({
    members: opt({ QualificationTypeId: entityId, NextToken: nextToken, MaxResults: maxResults }),
    handle(store, input) {
      const typeId = input.QualificationTypeId;
      if (typeId !== undefined) store.ownedQualificationType(typeId);
      const { page: requests, NextToken } = page(
        store,
        "ListQualificationRequests",
        typeId,
        listed(
          store,
          store.qualificationRequests.values(),
          (r) =>
            r.status === "Pending" &&
            (typeId === undefined ? store.qualificationTypes.get(r.typeId)?.owner === "caller" : r.typeId === typeId),
        ),
        input,
      );
      return { NumResults: requests.length, NextToken, QualificationRequests: requests.map(wireQualificationRequest) };
    },
  }),

  AcceptQualificationRequest: operation({
    members: { ...req({ QualificationRequestId: str() }), ...opt({ IntegerValue: int() }) },
    handle(store, input) {
      const request = pendingRequest(store, input.QualificationRequestId);
      change(request, { status: "Accepted", decidedAt: store.now() }, store.now());
      grantQualification(store, request.typeId, request.workerId, input.IntegerValue);
      return {};
    },
  }),

  RejectQualificationRequest: operation({
    members: { ...req({ QualificationRequestId: str() }), ...opt({ Reason: str({ max: 1024 }) }) },
    handle(store, input) {
      const request = pendingRequest(store, input.QualificationRequestId);
      const reason = input.Reason;
      change(request, { status: "Rejected", reason, decidedAt: store.now() }, store.now());
      return {};
    },
  }),

  AssociateQualificationWithWorker: operation({
    members: {
      ...req({ QualificationTypeId: entityId, WorkerId: workerId }),
      ...opt({ IntegerValue: int(), SendNotification: bool }),
    },
    handle(store, input) {
      const type = store.ownedQualificationType(input.QualificationTypeId);
      store.knownWorker(input.WorkerId);
      grantQualification(store, type.id, input.WorkerId, input.IntegerValue);
      return {};
    },
  }),

  DisassociateQualificationFromWorker: operation({
    members: { ...req({ WorkerId: workerId, QualificationTypeId: entityId }), ...opt({ Reason: str() }) },
    handle(store, input) {
      const type = store.ownedQualificationType(input.QualificationTypeId);
      const held = store.qualifications.get(qualificationKey(type.id, input.WorkerId));
      if (held?.status !== "Granted")
        throw requestError("QualificationDoesNotExist", "You requested a Qualification that does not exist.");
      change(held, { status: "Revoked", reason: input.Reason }, store.now());
      return {};
    },
  }),

  GetQualificationScore: operation({
    members: req({ QualificationTypeId: entityId, WorkerId: workerId }),
    handle(store, input) {
      const type = store.ownedQualificationType(input.QualificationTypeId);
      const held = store.qualifications.get(qualificationKey(type.id, input.WorkerId));
      if (!held) throw requestError("QualificationDoesNotExist", "You requested a Qualification that does not exist.");
      // MTurk scores only a granted qualification (Dallinger 0024b9b0d); the code is not public, the message is.
      if (held.status !== "Granted")
        throw requestError(
          "InvalidQualificationState",
          `This Qualification is in the state '${held.status}'. This operation can be called with a status of: Granted`,
        );
      return { Qualification: wireQualification(held) };
    },
  }),

  ListWorkersWithQualificationType: operation({
    members: { ...typeFilterMembers, ...opt({ Status: oneOf("Granted", "Revoked") }) },
    handle(store, input) {
      const type = store.ownedQualificationType(input.QualificationTypeId);
      // The 2017 docs give no default; the legacy default was Granted, kept here.
      const wanted = input.Status ?? "Granted";
      const { page: qualifications, NextToken } = page(
        store,
        "ListWorkersWithQualificationType",
        [type.id, wanted],
        listed(store, store.qualifications.values(), (q) => q.typeId === type.id && q.status === wanted),
        input,
      );
      // Qualifications keep their first grant's seq, so a re-grant never moves a worker behind a scan's position.
      return { NumResults: qualifications.length, NextToken, Qualifications: qualifications.map(wireQualification) };
    },
  }),
};
