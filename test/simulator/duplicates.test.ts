import {
  CreateAdditionalAssignmentsForHITCommand,
  CreateHITCommand,
  SendBonusCommand,
  UpdateExpirationForHITCommand,
} from "@aws-sdk/client-mturk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SWITCHES, DUPLICATE_ERRORS } from "../../src/simulator/switches.js";
import { rejection, type SdkPair, startSdkPair } from "../support/sdk.js";

/** The duplicateError switch: how a reused idempotency token is answered, since no public trace settles it. */
let pair: SdkPair;
let hitId: string;
let assignment: { AssignmentId: string; WorkerId: string };
const createHit = (UniqueRequestToken?: string) =>
  pair.client.send(
    new CreateHITCommand({
      Title: "Duplicates",
      Description: "d",
      Reward: "0.10",
      LifetimeInSeconds: 3600,
      AssignmentDurationInSeconds: 600,
      MaxAssignments: 20,
      Question: "<HTMLQuestion>q</HTMLQuestion>",
      UniqueRequestToken,
    }),
  );

beforeAll(async () => {
  pair = await startSdkPair("empty");
  hitId = (await createHit()).HIT?.HITId as string;
  const { workerId } = await pair.control<{ workerId: string }>("POST", "workers", {});
  const accepted = await pair.control<{ assignment: { AssignmentId: string } }>("POST", `hits/${hitId}/accept`, {
    workerId,
  });
  await pair.control("POST", `assignments/${accepted.assignment.AssignmentId}/submit`, { answer: "<a/>" });
  assignment = { AssignmentId: accepted.assignment.AssignmentId, WorkerId: workerId };
});
afterAll(() => pair.close());

/** The exact answer each setting gives for a reused token, as the SDK surfaces it. */
function expectShape(error: Awaited<ReturnType<typeof rejection>>, shape: string, token: string) {
  expect(error.name).toBe("RequestError");
  expect(error.$metadata?.httpStatusCode).toBe(400);
  if (shape === "DuplicateRequest") {
    expect(error.TurkErrorCode).toBe("AWS.MechanicalTurk.DuplicateRequest");
    expect(error.message).toMatch(/has already been processed\. Request ID: [A-Z0-9]+ \(\d+\)$/);
  } else if (shape === "message") {
    expect(error.TurkErrorCode).toBeUndefined();
    // The observed message, with the server time MTurk appends to every RequestError.
    const quoted = token.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    expect(error.message).toMatch(
      new RegExp(`^The idempotency token "${quoted}" has already been processed\\. \\(\\d+\\)$`),
    );
  } else {
    expect(error.TurkErrorCode).toBeUndefined();
    expect(error.message).toMatch(/^Your request could not be processed\. \(\d+\)$/);
    expect(error.message).not.toContain(token);
  }
}

describe.each(DUPLICATE_ERRORS)("duplicateError %s", (shape) => {
  beforeAll(() => pair.control("PUT", "switches", { ...DEFAULT_SWITCHES, duplicateError: shape }));

  it("answers a reused SendBonus token so, and pays once", async () => {
    const token = `bonus-${shape}`;
    const bonus = () =>
      pair.client.send(
        new SendBonusCommand({ ...assignment, BonusAmount: "0.05", Reason: "r", UniqueRequestToken: token }),
      );
    await bonus();
    const before = pair.simulator.store.bonuses.length;
    expectShape(await rejection(bonus()), shape, token);
    expect(pair.simulator.store.bonuses.length).toBe(before);
  });

  it("answers a reused CreateAdditionalAssignmentsForHIT token so, and extends once", async () => {
    const token = `extend-${shape}`;
    const extend = () =>
      pair.client.send(
        new CreateAdditionalAssignmentsForHITCommand({
          HITId: hitId,
          NumberOfAdditionalAssignments: 1,
          UniqueRequestToken: token,
        }),
      );
    await extend();
    const before = pair.simulator.store.hits.get(hitId)?.maxAssignments;
    expectShape(await rejection(extend()), shape, token);
    expect(pair.simulator.store.hits.get(hitId)?.maxAssignments).toBe(before);
  });

  it("answers a repeated UpdateExpirationForHIT so", async () => {
    const target = (pair.simulator.store.hits.get(hitId)?.expiration ?? 0) + 3_600_000;
    const update = () =>
      pair.client.send(new UpdateExpirationForHITCommand({ HITId: hitId, ExpireAt: new Date(target) }));
    await update();
    const date = new Date(target).toUTCString().split(" ");
    // Java's Date.toString: "Wed Jul 14 20:26:06 UTC 2021".
    const javaDate = `${date[0]?.slice(0, 3)} ${date[2]} ${date[1]} ${date[4]} UTC ${date[3]}`;
    expectShape(await rejection(update()), shape, `${hitId}${javaDate}`);
  });

  it("leaves CreateHIT's HitAlreadyExists as documented", async () => {
    const first = await createHit(`hit-${shape}`);
    const again = await rejection(createHit(`hit-${shape}`));
    expect(again.TurkErrorCode).toBe("AWS.MechanicalTurk.HitAlreadyExists");
    expect(again.message).toContain(first.HIT?.HITId as string);
  });
});
