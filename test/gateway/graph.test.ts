import {
  GetAccountBalanceCommand,
  GetHITCommand,
  ListAssignmentsForHITCommand,
  ListBonusPaymentsCommand,
  ListQualificationRequestsCommand,
  ListWorkerBlocksCommand,
  ListWorkersWithQualificationTypeCommand,
} from "@aws-sdk/client-mturk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack.js";

type Fixtures = {
  qualificationTypeIds: string[];
  typesWithPendingRequests: string[];
  hitIds: string[];
  blockedWorkerIds: string[];
  assignmentIdsByStatus: Record<string, string[]>;
};
let stack: Stack;
let f: Fixtures;

beforeAll(async () => {
  stack = await startStack({ size: "demo", seed: 1 });
  f = await stack.control<typeof f>("GET", "fixtures");
});
afterAll(() => stack.close());

const data = async <T = Record<string, unknown>>(document: string, variables: Record<string, unknown> = {}) => {
  const result = await stack.query<T>(document, variables);
  expect(result.errors).toBeUndefined();
  return result.data as T;
};

describe("root fields and links", () => {
  it("qualificationType with its requests, hits and workers", async () => {
    const typeId = f.typesWithPendingRequests[0] as string;
    const d = await data<{ qualificationType: any }>(
      `query($id: String!) { qualificationType(qualificationTypeId: $id) {
        id qualificationTypeId name status isRequestable creationTime
        requests(first: 100) { edges { node { qualificationRequestId workerId submitTime qualificationType { qualificationTypeId } worker { workerId } } } }
        hits(first: 100) { edges { node { hitId } } }
        workers(first: 100) { edges { node { workerId } qualification { integerValue status grantTime worker { workerId } qualificationType { name } } } }
      } }`,
      { id: typeId },
    );
    const upstreamRequests = await stack.client.send(
      new ListQualificationRequestsCommand({ QualificationTypeId: typeId, MaxResults: 100 }),
    );
    const requests = d.qualificationType.requests.edges.map((e: any) => e.node);
    expect(requests.map((r: any) => r.qualificationRequestId)).toEqual(
      upstreamRequests.QualificationRequests?.map((r) => r.QualificationRequestId),
    );
    expect(requests[0].qualificationType.qualificationTypeId).toBe(typeId);
    expect(requests[0].worker.workerId).toBe(requests[0].workerId);
    expect(new Date(requests[0].submitTime).getTime()).toBe(
      upstreamRequests.QualificationRequests?.[0]?.SubmitTime?.getTime(),
    );
    const granted = await stack.client.send(
      new ListWorkersWithQualificationTypeCommand({ QualificationTypeId: typeId, Status: "Granted", MaxResults: 100 }),
    );
    const workers = d.qualificationType.workers.edges;
    expect(workers.map((e: any) => e.node.workerId)).toEqual(granted.Qualifications?.map((q) => q.WorkerId));
    if (workers[0]) {
      expect(workers[0].qualification.status).toBe("Granted");
      expect(workers[0].qualification.worker.workerId).toBe(workers[0].node.workerId);
      expect(workers[0].qualification.qualificationType.name).toBe(d.qualificationType.name);
    }
  });

  it("qualificationTypes and the requirement-linked HITs of the first type (seeds/004)", async () => {
    const d = await data<{ qualificationTypes: any }>(
      `{ qualificationTypes(first: 100) { edges { node { qualificationTypeId name hits(first: 5) { edges { node { hitId title } } } } } } }`,
    );
    const ids = d.qualificationTypes.edges.map((e: any) => e.node.qualificationTypeId);
    expect(ids).toEqual(f.qualificationTypeIds);
    const first = d.qualificationTypes.edges.find((e: any) => e.node.qualificationTypeId === f.qualificationTypeIds[0]);
    expect(first.node.hits.edges[0].node.title).toBe("Location and Photograph Identification");
    const search = await data<{ qualificationTypes: any }>(
      `{ qualificationTypes(query: "Worker_Locale", mustBeOwnedByCaller: false) { edges { node { qualificationTypeId } } } }`,
    );
    // System types are public: a search that is not limited to the caller's types finds them.
    expect(search.qualificationTypes.edges.map((e: any) => e.node.qualificationTypeId)).toEqual([
      "00000000000000000071",
    ]);
    const publicTypes = await data<{ qualificationTypes: any }>(
      `{ qualificationTypes(query: "another requester", mustBeOwnedByCaller: false, mustBeRequestable: true) { edges { node { name } } } }`,
    );
    expect(publicTypes.qualificationTypes.edges.length).toBe(3);
  });

  it("qualificationRequests across all types", async () => {
    const d = await data<{ qualificationRequests: any }>(
      `{ qualificationRequests(first: 50) { edges { node { qualificationRequestId } } pageInfo { hasNextPage } } }`,
    );
    const upstream = await stack.client.send(new ListQualificationRequestsCommand({ MaxResults: 50 }));
    expect(d.qualificationRequests.edges.map((e: any) => e.node.qualificationRequestId)).toEqual(
      upstream.QualificationRequests?.map((r) => r.QualificationRequestId),
    );
    expect(d.qualificationRequests.pageInfo.hasNextPage).toBe(true);
  });

  it("hit with every member, money, requirements, assignments and bonus payments", async () => {
    const hitWithBonus = (await stack.control<any>("GET", "fixtures")).hitIds as string[];
    let target = "";
    for (const id of hitWithBonus) {
      const bonuses = await stack.client.send(new ListBonusPaymentsCommand({ HITId: id }));
      if (bonuses.NumResults) {
        target = id;
        break;
      }
    }
    const d = await data<{ hit: any }>(
      `query($id: String!) { hit(hitId: $id) {
        hitId hitTypeId hitGroupId title description question keywords status maxAssignments creationTime expiration
        reward { amount currencyCode formatted } autoApprovalDelayInSeconds assignmentDurationInSeconds requesterAnnotation reviewStatus
        numberOfAssignmentsPending numberOfAssignmentsAvailable numberOfAssignmentsCompleted
        qualificationRequirements { qualificationTypeId comparator integerValues localeValues { country subdivision } actionsGuarded qualificationType { qualificationTypeId name } }
        assignments(first: 100) { edges { node { assignmentId status workerId answer submitTime worker { workerId } hit { hitId } } } }
        bonusPayments(first: 100) { edges { node { workerId bonusAmount { formatted } reason grantTime assignment { assignmentId } worker { workerId } } } }
      } }`,
      { id: target },
    );
    const { HIT } = await stack.client.send(new GetHITCommand({ HITId: target }));
    expect(d.hit).toMatchObject({
      hitId: HIT?.HITId,
      hitTypeId: HIT?.HITTypeId,
      title: HIT?.Title,
      status: HIT?.HITStatus,
      maxAssignments: HIT?.MaxAssignments,
      reward: { amount: HIT?.Reward, currencyCode: "USD", formatted: `$${HIT?.Reward}` },
      numberOfAssignmentsAvailable: HIT?.NumberOfAssignmentsAvailable,
      creationTime: HIT?.CreationTime?.toISOString(),
    });
    for (const r of d.hit.qualificationRequirements)
      expect(r.qualificationType.qualificationTypeId).toBe(r.qualificationTypeId);
    const assignments = await stack.client.send(new ListAssignmentsForHITCommand({ HITId: target, MaxResults: 100 }));
    expect(d.hit.assignments.edges.map((e: any) => e.node.assignmentId)).toEqual(
      assignments.Assignments?.map((a) => a.AssignmentId),
    );
    for (const e of d.hit.assignments.edges) expect(e.node.hit.hitId).toBe(target);
    const bonus = d.hit.bonusPayments.edges[0].node;
    expect(bonus.assignment.assignmentId).toBeTruthy();
    expect(bonus.bonusAmount.formatted).toMatch(/^\$\d+\.\d\d$/);
  });

  it("hits, reviewableHits (both statuses) and assignment by id", async () => {
    const d = await data<any>(`{
      hits(first: 7) { edges { node { hitId } } }
      reviewable: reviewableHits(first: 100) { edges { node { hitId status } } }
      reviewing: reviewableHits(first: 100, status: Reviewing) { edges { node { hitId status } } }
    }`);
    // MTurk's ListHITs lists newest first; the fixtures list the seeded HITs in creation order.
    expect(d.hits.edges.map((e: any) => e.node.hitId)).toEqual([...f.hitIds].reverse().slice(0, 7));
    expect(d.reviewable.edges.every((e: any) => e.node.status === "Reviewable")).toBe(true);
    expect(d.reviewing.edges.length).toBeGreaterThan(0);
    expect(d.reviewing.edges.every((e: any) => e.node.status === "Reviewing")).toBe(true);
    const assignmentId = f.assignmentIdsByStatus.Submitted?.[0];
    const a = await data<any>(
      `query($id: String!) { assignment(assignmentId: $id) { assignmentId status worker { workerId } hit { hitId title } bonusPayments { edges { node { reason } } } } }`,
      { id: assignmentId },
    );
    expect(a.assignment).toMatchObject({ assignmentId, status: "Submitted" });
    expect(a.assignment.hit.title).toBeTruthy();
  });

  it("worker with qualification and block, workerBlocks and accountBalance", async () => {
    const blocked = f.blockedWorkerIds[0] as string;
    const typeId = f.qualificationTypeIds[1] as string;
    const d = await data<any>(
      `query($w: String!, $t: String!) {
        worker(workerId: $w) { id workerId block { reason worker { workerId } } qualification(qualificationTypeId: $t) { status } }
        workerBlocks(first: 100) { edges { node { workerId reason worker { workerId } } } }
        accountBalance { availableBalance { amount formatted } onHoldBalance { amount } }
      }`,
      { w: blocked, t: typeId },
    );
    expect(d.worker.block.reason).toBe("Failed attention checks.");
    const blocks = await stack.client.send(new ListWorkerBlocksCommand({ MaxResults: 100 }));
    expect(d.workerBlocks.edges.map((e: any) => e.node.workerId)).toEqual(blocks.WorkerBlocks?.map((b) => b.WorkerId));
    const balance = await stack.client.send(new GetAccountBalanceCommand({}));
    expect(d.accountBalance.availableBalance.amount).toBe(balance.AvailableBalance);
    expect(d.accountBalance.onHoldBalance.amount).toBe(balance.OnHoldBalance);
    const unblocked = await data<any>(
      `{ worker(workerId: "AZZZZZZZZZ") { block { reason } qualification(qualificationTypeId: "${typeId}") { status } } }`,
    );
    expect(unblocked.worker).toEqual({ block: null, qualification: null });
  });

  it("node and nodes refetch every kind of node by its global id", async () => {
    const typeId = f.typesWithPendingRequests[0] as string;
    const d = await data<any>(
      `query($t: String!, $h: String!, $a: String!) {
        qualificationType(qualificationTypeId: $t) { id requests(first: 1) { edges { node { id qualificationRequestId worker { id workerId } } } } }
        hit(hitId: $h) { id }
        assignment(assignmentId: $a) { id }
      }`,
      { t: typeId, h: f.hitIds[2], a: f.assignmentIdsByStatus.Approved?.[0] },
    );
    const request = d.qualificationType.requests.edges[0].node;
    const ids = [d.qualificationType.id, request.id, request.worker.id, d.hit.id, d.assignment.id];
    const fresh = await data<any>(
      `query($ids: [ID!]!, $one: ID!) {
        nodes(ids: $ids) {
          __typename id
          ... on QualificationType { qualificationTypeId }
          ... on QualificationRequest { qualificationRequestId }
          ... on Worker { workerId }
          ... on HIT { hitId }
          ... on Assignment { assignmentId }
        }
        node(id: $one) { id ... on HIT { hitId } }
      }`,
      { ids, one: d.hit.id },
    );
    expect(fresh.nodes.map((n: any) => n.__typename)).toEqual([
      "QualificationType",
      "QualificationRequest",
      "Worker",
      "HIT",
      "Assignment",
    ]);
    expect(fresh.nodes.map((n: any) => n.id)).toEqual(ids);
    expect(fresh.nodes[1].qualificationRequestId).toBe(request.qualificationRequestId);
    expect(fresh.node.hitId).toBe(f.hitIds[2]);
  });
});
