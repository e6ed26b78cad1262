import { expect } from "vitest";
import type { Stack } from "./stack.js";

/** Fragments that show every typed error of a mutation. */
export const ERRORS = `... on MutationError { __typename message } ... on MTurkRequestError { code turkErrorCode operation } ... on ValidationError { field } ... on UpstreamUnavailableError { retryable }`;
/** The same for money and creation, which can also meet a reused key or an unknown outcome. */
export const KEYED_ERRORS = `${ERRORS} ... on OutcomeUnknownError { check } ... on IdempotencyKeyConflictError { idempotencyKey }`;

/** Runs a document that must not fail with a GraphQL error and returns its data. */
export async function runOk(stack: Stack, document: string, variables: Record<string, unknown> = {}) {
  const result = await stack.query<any>(document, variables);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data;
}

/** A HIT with `n` submitted assignments, created through the gateway and worked on through the worker side. */
export async function hitWithSubmissions(stack: Stack, n: number, key: string, maxAssignments = 9) {
  const created = await runOk(
    stack,
    `mutation($i: CreateHITInput!) { createHIT(input: $i) { __typename ... on CreatedHITPayload { hit { hitId } } ${KEYED_ERRORS} } }`,
    {
      i: {
        title: "Rate sentences",
        description: "Rate each sentence",
        reward: "0.50",
        lifetimeInSeconds: 3600,
        assignmentDurationInSeconds: 600,
        maxAssignments,
        question: "<HTMLQuestion><HTMLContent>x</HTMLContent></HTMLQuestion>",
        idempotencyKey: key,
      },
    },
  );
  const hitId = created.createHIT.hit.hitId as string;
  const submissions: { assignmentId: string; workerId: string }[] = [];
  for (let i = 0; i < n; i += 1) submissions.push(await submitWork(stack, hitId));
  return { hitId, submissions };
}

/** A new worker accepts the HIT and submits work, on the simulator's worker side (as MTurk's workers would). */
export async function submitWork(stack: Pick<Stack, "control">, hitId: string, answer = "<a/>") {
  const { workerId } = await stack.control<{ workerId: string }>("POST", "workers", {});
  const { assignment } = await stack.control<{ assignment: { AssignmentId: string } }>("POST", `hits/${hitId}/accept`, {
    workerId,
  });
  await stack.control("POST", `assignments/${assignment.AssignmentId}/submit`, { answer });
  return { assignmentId: assignment.AssignmentId, workerId };
}
