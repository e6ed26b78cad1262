import { MTurkClient } from "@aws-sdk/client-mturk";
import type { SeedSize } from "../../src/simulator/seed.js";
import { startSimulator } from "../../src/simulator/server.js";
import type { SimulatorSwitches } from "../../src/simulator/switches.js";
import { control } from "./stack.js";

/** A simulator and a plain SDK client for contract tests that talk to it as any MTurk client would. */
export async function startSdkPair(size: SeedSize = "tiny", seed = 3, switches: Partial<SimulatorSwitches> = {}) {
  const simulator = await startSimulator({ size, seed, switches });
  const client = new MTurkClient({
    region: "us-east-1",
    endpoint: simulator.url,
    credentials: simulator.credentials,
    maxAttempts: 1,
  });
  return {
    simulator,
    client,
    control: <T = Record<string, unknown>>(method: string, path: string, body?: unknown) =>
      control<T>(simulator, method, path, body),
    close: async () => {
      client.destroy();
      await simulator.close();
    },
  };
}

/** The error an SDK call rejects with, for asserting its name and TurkErrorCode. */
export async function rejection(
  promise: Promise<unknown>,
): Promise<{ name: string; TurkErrorCode?: string; message: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as never;
  }
  throw new Error("expected the call to fail");
}

export type SdkPair = Awaited<ReturnType<typeof startSdkPair>>;

/** The worker side: a new worker accepts a HIT and submits an answer. */
export async function submitWork(pair: SdkPair, hitId: string, answer = "<QuestionFormAnswers/>") {
  const { workerId } = await pair.control<{ workerId: string }>("POST", "workers", {});
  const { assignment } = await pair.control<{ assignment: { AssignmentId: string } }>("POST", `hits/${hitId}/accept`, {
    workerId,
  });
  await pair.control("POST", `assignments/${assignment.AssignmentId}/submit`, { answer });
  return { workerId, assignmentId: assignment.AssignmentId };
}
