import { bulkSubmissions } from "./bulkWork.js";
import { SimulatorError } from "./errors.js";
import { FAULT_KINDS } from "./instrumentation.js";
import { jsonBody, oneOfMember, optionalString, optionalStrings } from "./json.js";
import { workerAcceptsHit, workerLeavesAssignment, workerSubmitsAssignment } from "./operations/assignments.js";
import { wireAssignment, wireQualification, wireQualificationRequest } from "./operations/common.js";
import { workerRequestsQualification } from "./operations/qualifications.js";
import { seedSizeOf } from "./seed.js";
import type { Simulator } from "./server.js";
import type { Store } from "./store.js";

/**
 * The worker side and the test hooks, under /_simulator/ and outside MTurk's protocol:
 *   POST   /_simulator/reset                          {seed?, size?}
 *   GET    /_simulator/clock                          POST /_simulator/clock/advance {seconds}
 *   GET    /_simulator/calls   DELETE /_simulator/calls   GET /_simulator/counters
 *   PUT    /_simulator/latency {fixedMs, jitterMs}
 *   PUT    /_simulator/faults {throttleRate, serviceFaultRate, dropRate}   DELETE /_simulator/faults
 *   POST   /_simulator/faults/next {operation, count, fault}   fault: ThrottlingException, ServiceFault,
 *                                                      ValidationException, drop, dropAfterApply
 *   GET    /_simulator/fixtures                       ids to start a demo or a test from
 *   POST   /_simulator/workers {workerId?, country?}
 *   POST   /_simulator/workers/:workerId/qualification-requests {qualificationTypeId, answer?}
 *   POST   /_simulator/hits/:hitId/accept {workerId}        a returned or abandoned assignment's id is given again
 *   POST   /_simulator/hits/:hitId/submissions {count, answers?}   many new workers submit at once (bulkWork.ts)
 *   POST   /_simulator/assignments/:assignmentId/submit {answer}
 *   POST   /_simulator/assignments/:assignmentId/return   POST /_simulator/assignments/:assignmentId/abandon
 *   GET    /_simulator/messages                       what NotifyWorkers delivered
 *   GET    /_simulator/switches   PUT /_simulator/switches {paging?, tokenOnLastPage?, duplicateError?,
 *                                                            listLagSeconds?, autoDisposal?}
 */
export function handleControl(
  sim: Simulator,
  method: string,
  url: string,
  rawBody: string,
): { status: number; body: unknown } {
  try {
    const body = jsonBody(rawBody);
    const path = url.split("?")[0]?.replace(/\/+$/, "") ?? "";
    const parts = path.split("/").slice(2);
    // "/_simulator/hits/3ABC/accept" is routed as "POST hits/:id/accept".
    const route = `${method} ${(parts.length > 2 ? [parts[0], ":id", ...parts.slice(2)] : parts).join("/")}`;
    const id = decodeURIComponent(parts[1] ?? "");
    const answer = testHook(sim, route, body) ?? workerSide(sim.store, route, id, body);
    if (answer === NO_ROUTE) return { status: 404, body: { error: `No simulator route ${method} ${path}` } };
    return { status: 200, body: answer };
  } catch (error) {
    if (error instanceof SimulatorError) return { status: error.httpStatus, body: error.body() };
    return { status: 400, body: { error: error instanceof Error ? error.message : String(error) } };
  }
}

const NO_ROUTE = Symbol("no route");

/** The test hooks: reset, clock, call log, latency, faults, fixtures, switches. */
function testHook(sim: Simulator, route: string, body: Record<string, unknown>): unknown {
  const store = sim.store;
  switch (route) {
    case "POST reset":
      sim.reset(typeof body.seed === "number" ? body.seed : sim.seed, seedSizeOf(body.size) ?? sim.size);
      return { seed: sim.seed, size: sim.size };
    case "GET clock":
      return { now: new Date(store.now()).toISOString(), offsetSeconds: store.clockOffsetMs / 1000 };
    case "POST clock/advance":
      store.clockOffsetMs += Number(body.seconds ?? 0) * 1000;
      store.tick();
      return { now: new Date(store.now()).toISOString(), offsetSeconds: store.clockOffsetMs / 1000 };
    case "GET calls":
      return sim.instrumentation.calls;
    case "DELETE calls":
      sim.instrumentation.resetCalls();
      return {};
    case "GET counters":
      return sim.instrumentation.counters;
    case "PUT latency":
      sim.instrumentation.latency = { fixedMs: Number(body.fixedMs ?? 0), jitterMs: Number(body.jitterMs ?? 0) };
      return sim.instrumentation.latency;
    case "PUT faults":
      sim.instrumentation.rates = {
        throttleRate: Number(body.throttleRate ?? 0),
        serviceFaultRate: Number(body.serviceFaultRate ?? 0),
        dropRate: Number(body.dropRate ?? 0),
      };
      return sim.instrumentation.rates;
    case "DELETE faults":
      sim.instrumentation.clearFaults();
      return {};
    case "POST faults/next":
      sim.instrumentation.schedule(
        String(body.operation ?? "*"),
        Number(body.count ?? 1),
        oneOfMember(body, "fault", FAULT_KINDS),
      );
      return {};
    case "GET fixtures":
      return fixtures(sim);
    case "GET switches":
      return sim.switches;
    case "PUT switches":
      return sim.setSwitches(body);
    default:
      return undefined;
  }
}

/** The worker side: workers, their qualification requests, accepting and working on HITs, messages received. */
function workerSide(store: Store, route: string, id: string, body: Record<string, unknown>): unknown {
  switch (route) {
    case "POST workers": {
      const workerId = typeof body.workerId === "string" ? body.workerId : store.newId(14, "A");
      if (!/^A[A-Z0-9]{1,63}$/.test(workerId))
        throw new SimulatorError("BadRequest", "workerId must match ^A[A-Z0-9]+$", 400);
      store.workers.set(workerId, { id: workerId, locale: { Country: String(body.country ?? "US") }, adult: true });
      return { workerId };
    }
    case "POST workers/:id/qualification-requests": {
      const typeId = String(body.qualificationTypeId);
      const result = workerRequestsQualification(store, id, typeId, optionalString(body, "answer"));
      return result.request
        ? { qualificationRequest: wireQualificationRequest(result.request) }
        : { qualification: wireQualification(result.granted) };
    }
    case "POST hits/:id/accept":
      return { assignment: wireAssignment(workerAcceptsHit(store, id, String(body.workerId))) };
    case "POST hits/:id/submissions":
      return bulkSubmissions(store, id, Number(body.count ?? 1), optionalStrings(body, "answers"));
    case "POST assignments/:id/submit":
      return { assignment: wireAssignment(workerSubmitsAssignment(store, id, String(body.answer ?? ""))) };
    case "POST assignments/:id/return":
      return { assignment: wireAssignment(workerLeavesAssignment(store, id, "Returned")) };
    case "POST assignments/:id/abandon":
      return { assignment: wireAssignment(workerLeavesAssignment(store, id, "Abandoned")) };
    case "GET messages":
      return store.sentMessages;
    default:
      return NO_ROUTE;
  }
}

/** Ids of each kind of seeded record, so demos and tests need not hard-code generated ids. */
function fixtures(sim: Simulator) {
  const store = sim.store;
  const own = [...store.qualificationTypes.values()].filter((t) => t.owner === "caller" && t.deletedAt === undefined);
  const pending = [...store.qualificationRequests.values()].filter((r) => r.status === "Pending");
  const hits = [...store.hits.values()].filter((h) => h.deletedAt === undefined);
  const assignments = [...store.assignments.values()];
  return {
    url: sim.url,
    credentials: { accessKeyId: sim.credentials.accessKeyId },
    qualificationTypeIds: own.map((t) => t.id),
    typesWithPendingRequests: [...new Set(pending.map((r) => r.typeId))],
    autoGrantedTypeIds: own.filter((t) => t.autoGranted).map((t) => t.id),
    inactiveTypeIds: own.filter((t) => t.status === "Inactive").map((t) => t.id),
    workerIds: [...store.workers.keys()],
    blockedWorkerIds: [...store.blocks.keys()],
    hitIds: hits.map((h) => h.id),
    hitTypeIds: [...store.hitTypes.keys()],
    assignmentIdsByStatus: Object.fromEntries(
      ["Accepted", "Submitted", "Approved", "Rejected", "Returned", "Abandoned"].map((s) => [
        s,
        assignments.filter((a) => a.status === s).map((a) => a.id),
      ]),
    ),
    pendingRequestCount: pending.length,
  };
}
