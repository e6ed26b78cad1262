import { EventType, NotificationTransport } from "@aws-sdk/client-mturk";
import { alreadyProcessed, parameterError, requestError } from "../errors.js";
import type { NotificationSpec } from "../model.js";
import { feeCents, fromCents, type Store, toCents } from "../store.js";
import {
  bool,
  entityId,
  idempotencyToken,
  list,
  maxResults,
  money,
  nextToken,
  oneOf,
  opt,
  req,
  str,
  struct,
  workerId,
} from "../validate.js";
import { listed, operation, page, wireTime } from "./common.js";

const EVENT_TYPES = Object.values(EventType);
const notificationSpecification = struct(
  req({
    Destination: str({ min: 1 }),
    Transport: oneOf(...Object.values(NotificationTransport)),
    Version: str(),
    EventTypes: list(oneOf(...EVENT_TYPES)),
  }),
);
const paging = opt({ NextToken: nextToken, MaxResults: maxResults });

/**
 * The notification versions MTurk accepts: the API reference's samples show 2006-05-05; clients in production send
 * 2014-08-15 (Dallinger's mturk.py), the version of the event documents.
 */
const NOTIFICATION_VERSIONS = ["2006-05-05", "2014-08-15"];

/** MTurk's documented rules for a NotificationSpecification beyond the model's shape. */
function checkNotification(spec: NotificationSpec, allowPing: boolean) {
  if (!NOTIFICATION_VERSIONS.includes(spec.Version))
    throw parameterError(
      "Notification.Version",
      spec.Version,
      `Valid versions are ${NOTIFICATION_VERSIONS.join(" and ")}.`,
    );
  if (spec.EventTypes.length === 0) throw parameterError("Notification.EventTypes", "[]", "Give at least one.");
  if (!allowPing && spec.EventTypes.includes("Ping"))
    throw parameterError("Notification.EventTypes", "Ping", "Ping is valid only for SendTestEventNotification.");
  const destinationOk = {
    Email: /^[^@\s]+@[^@\s]+\.[^@\s]+$/,
    SQS: /^https:\/\/sqs\.[a-z0-9-]+\.amazonaws\.com\/\d{12}\/[\w-]+$/,
    SNS: /^arn:aws:sns:[a-z0-9-]+:\d{12}:[\w-]+$/,
  }[spec.Transport];
  if (!destinationOk.test(spec.Destination))
    throw parameterError(
      "Notification.Destination",
      spec.Destination,
      `It is not a valid ${spec.Transport} destination.`,
    );
}

/** Workers this requester has approved or rejected work of: the only ones NotifyWorkers reaches. */
function workersWithDecidedWork(store: Store): Set<string> {
  const ids = new Set<string>();
  for (const a of store.assignments.values())
    if (a.status === "Approved" || a.status === "Rejected") ids.add(a.workerId);
  return ids;
}

export const accountOperations = {
  GetAccountBalance: operation({
    members: {},
    handle(store) {
      store.tick();
      return {
        AvailableBalance: fromCents(store.availableBalanceCents),
        OnHoldBalance: fromCents(store.onHoldCents()),
      };
    },
  }),

  CreateWorkerBlock: operation({
    members: req({ WorkerId: workerId, Reason: str({ min: 1 }) }),
    handle(store, input) {
      store.knownWorker(input.WorkerId);
      const existing = store.blocks.get(input.WorkerId);
      store.blocks.set(input.WorkerId, {
        workerId: input.WorkerId,
        reason: input.Reason,
        seq: existing?.seq ?? store.nextSeq(),
        listedFrom: existing?.listedFrom ?? store.now(),
      });
      return {};
    },
  }),

  DeleteWorkerBlock: operation({
    members: { ...req({ WorkerId: workerId }), ...opt({ Reason: str() }) },
    handle(store, input) {
      // Unblocking a worker who is not blocked succeeds.
      store.blocks.delete(input.WorkerId);
      return {};
    },
  }),

  ListWorkerBlocks: operation({
    members: paging,
    handle(store, input) {
      const { page: blocks, NextToken } = page(
        store,
        "ListWorkerBlocks",
        null,
        listed(store, store.blocks.values()),
        input,
      );
      return {
        NextToken,
        NumResults: blocks.length,
        WorkerBlocks: blocks.map((b) => ({ WorkerId: b.workerId, Reason: b.reason })),
      };
    },
  }),

  SendBonus: operation({
    members: {
      ...req({ WorkerId: workerId, BonusAmount: money, AssignmentId: entityId, Reason: str({ min: 1 }) }),
      ...opt({ UniqueRequestToken: idempotencyToken }),
    },
    handle(store, input) {
      store.tick();
      const token = input.UniqueRequestToken;
      const earlier = store.claimRequestToken(token, "SendBonus");
      if (token !== undefined && earlier)
        throw alreadyProcessed(store.switches.duplicateError, token, earlier.resultId);
      const a = store.assignments.get(input.AssignmentId);
      if (!a || !["Submitted", "Approved", "Rejected"].includes(a.status))
        throw requestError("AssignmentDoesNotExist", `Assignment ${input.AssignmentId} does not exist.`);
      if (a.workerId !== input.WorkerId)
        throw requestError("InvalidParameterValue", `Assignment ${a.id} was not done by worker ${input.WorkerId}.`);
      const cents = toCents(input.BonusAmount);
      if (cents <= 0) throw parameterError("BonusAmount", input.BonusAmount, "It must be greater than 0.");
      const total = cents + feeCents(cents);
      if (store.availableBalanceCents < total)
        throw requestError(
          "InsufficientFunds",
          "This Requester has insufficient funds in their account to complete this transaction.",
        );
      store.availableBalanceCents -= total;
      store.bonuses.push({
        seq: store.nextSeq(),
        listedFrom: store.now(),
        workerId: a.workerId,
        assignmentId: a.id,
        hitId: a.hitId,
        amountCents: cents,
        reason: input.Reason,
        grantTime: store.now(),
      });
      store.recordRequestToken(token, "SendBonus", store.newId(36));
      return {};
    },
  }),

  ListBonusPayments: operation({
    members: { ...opt({ HITId: entityId, AssignmentId: entityId }), ...paging },
    handle(store, input) {
      const hitId = input.HITId;
      const assignmentId = input.AssignmentId;
      if (hitId === undefined && assignmentId === undefined)
        throw requestError("InvalidParameterValue", "Either HITId or AssignmentId must be given.");
      if (hitId !== undefined) store.liveHit(hitId);
      const { page: bonuses, NextToken } = page(
        store,
        "ListBonusPayments",
        [hitId, assignmentId],
        listed(
          store,
          store.bonuses,
          (b) =>
            (hitId === undefined || b.hitId === hitId) &&
            (assignmentId === undefined || b.assignmentId === assignmentId),
        ),
        input,
      );
      return {
        NumResults: bonuses.length,
        NextToken,
        BonusPayments: bonuses.map((b) => ({
          WorkerId: b.workerId,
          BonusAmount: fromCents(b.amountCents),
          AssignmentId: b.assignmentId,
          Reason: b.reason,
          GrantTime: wireTime(b.grantTime),
        })),
      };
    },
  }),

  NotifyWorkers: operation({
    members: req({
      Subject: str({ min: 1, max: 200 }),
      MessageText: str({ min: 1, max: 4096 }),
      WorkerIds: list(workerId, 100),
    }),
    handle(store, input) {
      const workerIds = input.WorkerIds;
      if (workerIds.length === 0) throw parameterError("WorkerIds", "[]", "Give at least one worker.");
      const reachable = workersWithDecidedWork(store);
      const failures = workerIds
        .filter((id) => !reachable.has(id))
        .map((id) => ({
          NotifyWorkersFailureCode: "HardFailure",
          NotifyWorkersFailureMessage: "Cannot send a notification to a worker who has not done any work for you",
          WorkerId: id,
        }));
      const delivered = workerIds.filter((id) => reachable.has(id));
      if (delivered.length)
        store.sentMessages.push({
          workerIds: delivered,
          subject: input.Subject,
          text: input.MessageText,
          at: store.now(),
        });
      return { NotifyWorkersFailureStatuses: failures };
    },
  }),

  UpdateNotificationSettings: operation({
    members: { ...req({ HITTypeId: entityId }), ...opt({ Notification: notificationSpecification, Active: bool }) },
    handle(store, input) {
      const hitTypeId = input.HITTypeId;
      if (!store.hitTypes.has(hitTypeId))
        throw requestError("HITTypeDoesNotExist", `HIT type ${hitTypeId} does not exist.`);
      const notification = input.Notification;
      if (notification === undefined && input.Active === undefined)
        throw requestError("InvalidParameterValue", "Give a Notification or Active.");
      if (notification) checkNotification(notification, false);
      const current = store.notificationSettings.get(hitTypeId);
      if (!notification && !current?.notification)
        throw requestError("InvalidParameterValue", "This HIT type has no notification to activate or deactivate.");
      store.notificationSettings.set(hitTypeId, {
        notification: notification ?? current?.notification,
        active: input.Active ?? current?.active ?? true,
      });
      return {};
    },
  }),

  SendTestEventNotification: operation({
    members: req({ Notification: notificationSpecification, TestEventType: oneOf(...EVENT_TYPES) }),
    handle(store, input) {
      const notification = input.Notification;
      checkNotification(notification, true);
      store.testEvents.push({ notification, eventType: input.TestEventType, at: store.now() });
      return {};
    },
  }),
};
