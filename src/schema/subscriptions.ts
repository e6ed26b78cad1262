import { GraphQLError } from "graphql";
import type { GatewayContext } from "../context.js";
import { payloadOf } from "../live/resolve.js";
import { EVENT_ID, type Topic, topic } from "../live/topics.js";
import { AssignmentRef } from "./assignment.js";
import { builder } from "./builder.js";
import { HITRef } from "./hit.js";
import { QualificationRequestRef } from "./qualificationRequest.js";

builder.subscriptionType({
  description:
    "Live review queues: MTurk polled once per watched resource for every subscriber (and told by MTurk's notifications), events replayed after Last-Event-ID. Every field needs the `read` scope.",
  authScopes: { read: true },
});

/** Where a stream resumes: the lastEventId argument, or the Last-Event-ID header an SSE client sends on reconnect. */
function resumeAfter(ctx: GatewayContext, argument: string | null | undefined): string | undefined {
  const header = (ctx as { request?: Request }).request?.headers.get("last-event-id") ?? undefined;
  const id = argument ?? header;
  if (id === undefined || id === "") return undefined;
  if (!EVENT_ID.test(id))
    throw new GraphQLError("lastEventId (or Last-Event-ID) is not an event id of this gateway.", {
      extensions: { code: "BAD_USER_INPUT" },
    });
  return id;
}

function events(ctx: GatewayContext, watched: Topic, lastEventId: string | null | undefined) {
  // Scope-auth checks a subscription field's resolve, not its subscribe: without `read` no stream opens at all.
  if (!ctx.principal.scopes.has("read"))
    throw new GraphQLError(`${ctx.principal.name} may not subscribe: its scopes do not include read.`, {
      extensions: { code: "FORBIDDEN" },
    });
  if (!ctx.live) throw new GraphQLError("Subscriptions are not enabled.", { extensions: { code: "BAD_REQUEST" } });
  const signal = (ctx as { request?: Request }).request?.signal;
  return ctx.live.subscribe(watched, ctx.principal, resumeAfter(ctx, lastEventId), signal);
}

const lastEventIdArg = (t: Parameters<Parameters<typeof builder.subscriptionFields>[0]>[0]) =>
  t.arg.string({
    description:
      "Resume after this event id (each result's extensions.eventId; SSE clients send the Last-Event-ID header instead): events still in the log are replayed first.",
  });

builder.subscriptionFields((t) => ({
  qualificationRequestSubmitted: t.field({
    type: QualificationRequestRef,
    description:
      "Each new pending request for a qualification type, as ListQualificationRequests shows it (polled: MTurk sends no notification for requests).",
    args: {
      qualificationTypeId: t.arg.string({ required: true, description: "The type (QualificationTypeId) to watch." }),
      lastEventId: lastEventIdArg(t),
    },
    subscribe: (_root, args, ctx) =>
      events(ctx, topic("qualificationRequests", args.qualificationTypeId), args.lastEventId),
    resolve: (event, _args, ctx) => payloadOf(event, ctx, "QualificationRequest"),
  }),
  assignmentSubmitted: t.field({
    type: AssignmentRef,
    description:
      "Each assignment submitted for a HIT, or for any HIT of a HIT type (ListAssignmentsForHIT; for a type, ListHITs finds its HITs whose work grew; MTurk's AssignmentSubmitted notifications too).",
    args: {
      hitId: t.arg.string({ description: "The HIT (HITId) to watch; give this or hitTypeId." }),
      hitTypeId: t.arg.string({ description: "The HIT type (HITTypeId) whose HITs to watch; give this or hitId." }),
      lastEventId: lastEventIdArg(t),
    },
    subscribe: (_root, args, ctx) => {
      const { hitId, hitTypeId } = args;
      if (hitId && !hitTypeId) return events(ctx, topic("assignmentsOfHit", hitId), args.lastEventId);
      if (hitTypeId && !hitId) return events(ctx, topic("assignmentsOfType", hitTypeId), args.lastEventId);
      throw new GraphQLError("Give exactly one of hitId and hitTypeId.", { extensions: { code: "BAD_USER_INPUT" } });
    },
    resolve: (event, _args, ctx) => payloadOf(event, ctx, "Assignment"),
  }),
  hitStatusChanged: t.field({
    type: HITRef,
    description:
      "The HIT each time its status, review status, expiration or assignment counts change (GetHIT; at once for the gateway's own writes and MTurk's HIT notifications).",
    args: {
      hitId: t.arg.string({ required: true, description: "The HIT (HITId) to watch." }),
      lastEventId: lastEventIdArg(t),
    },
    subscribe: (_root, args, ctx) => events(ctx, topic("hit", args.hitId), args.lastEventId),
    resolve: (event, _args, ctx) => payloadOf(event, ctx, "HIT"),
  }),
}));
