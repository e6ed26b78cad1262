import {
  ApproveAssignmentCommand,
  AssociateQualificationWithWorkerCommand,
  CreateAdditionalAssignmentsForHITCommand,
  CreateHITCommand,
  CreateHITTypeCommand,
  CreateQualificationTypeCommand,
  DeleteHITCommand,
  GetAssignmentCommand,
  GetHITCommand,
  GetQualificationScoreCommand,
  GetQualificationTypeCommand,
  ListAssignmentsForHITCommand,
  ListBonusPaymentsCommand,
  ListHITsCommand,
  ListHITsForQualificationTypeCommand,
  ListReviewableHITsCommand,
  SendBonusCommand,
  UpdateExpirationForHITCommand,
} from "@aws-sdk/client-mturk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rejection, type SdkPair, startSdkPair } from "../support/sdk.js";

/** What the real MTurk does where the simulator used to be kinder (shared/reference/mturk-realities.md). */
const QUESTION = "<HTMLQuestion><HTMLContent>hi</HTMLContent><FrameHeight>400</FrameHeight></HTMLQuestion>";
let pair: SdkPair;
const hitInput = (extra: Record<string, unknown> = {}) => ({
  Title: "Realities",
  Description: "d",
  Reward: "0.50",
  LifetimeInSeconds: 3600,
  AssignmentDurationInSeconds: 600,
  MaxAssignments: 1,
  Question: QUESTION,
  ...extra,
});
const createHit = async (extra: Record<string, unknown> = {}) =>
  (await pair.client.send(new CreateHITCommand(hitInput(extra)))).HIT as {
    HITId: string;
    Expiration: Date;
    QualificationRequirements?: unknown[];
  };
const getHit = async (HITId: string) => (await pair.client.send(new GetHITCommand({ HITId }))).HIT;
const now = async () => Date.parse((await pair.control<{ now: string }>("GET", "clock")).now);
const expireAt = (HITId: string, at: number) =>
  pair.client.send(new UpdateExpirationForHITCommand({ HITId, ExpireAt: new Date(at) }));

beforeAll(async () => {
  pair = await startSdkPair("empty");
});
afterAll(() => pair.close());

describe("ListReviewableHITs", () => {
  it("returns only the HIT ids", async () => {
    const hit = await createHit();
    await expireAt(hit.HITId, 0);
    const listed = await pair.client.send(new ListReviewableHITsCommand({ MaxResults: 100 }));
    expect(listed.HITs).toContainEqual({ HITId: hit.HITId });
    for (const h of listed.HITs ?? []) expect(Object.keys(h)).toEqual(["HITId"]);
  });
});

describe("UpdateExpirationForHIT", () => {
  it("applies an increment on the current expiration that must lie in 60..31,536,000 s", async () => {
    const hit = await createHit();
    const current = hit.Expiration.getTime();
    const tooSmall = await rejection(expireAt(hit.HITId, current + 11_000));
    expect(tooSmall).toMatchObject({
      name: "ParameterValidationError",
      TurkErrorCode: "AWS.MechanicalTurk.ParameterValidationError",
    });
    expect(tooSmall.message).toMatch(/^The value 11 is invalid for ExpirationIncrementInSeconds\. /);
    // Shortening a HIT without expiring it is a negative increment.
    const shorter = await rejection(expireAt(hit.HITId, current - 3_000_000));
    expect(shorter.message).toContain("The value -3000 is invalid");
    const tooFar = await rejection(expireAt(hit.HITId, current + 31_536_001_000));
    expect(tooFar.message).toContain("The value 31536001 is invalid");
    expect((await getHit(hit.HITId))?.Expiration?.getTime()).toBe(current);

    await expireAt(hit.HITId, current + 60_000);
    expect((await getHit(hit.HITId))?.Expiration?.getTime()).toBe(current + 60_000);
    // The next increment counts from the new expiration.
    const fromNew = await rejection(expireAt(hit.HITId, current + 90_000));
    expect(fromNew.message).toContain("The value 30 is invalid");
  });

  it("expires a HIT with a time in the past; the same HIT and time again is already processed", async () => {
    const hit = await createHit();
    expect((await getHit(hit.HITId))?.HITStatus).toBe("Assignable");
    await expireAt(hit.HITId, (await now()) - 1000);
    const expired = await getHit(hit.HITId);
    expect(expired?.HITStatus).toBe("Reviewable");
    expect(expired?.Expiration?.getTime()).toBeLessThanOrEqual(await now());
    await expireAt(hit.HITId, 0);
    const again = await rejection(expireAt(hit.HITId, 0));
    expect(again).toMatchObject({ name: "RequestError", TurkErrorCode: "AWS.MechanicalTurk.DuplicateRequest" });
    expect(again.message).toContain(`The idempotency token "${hit.HITId}Thu Jan 01 00:00:00 UTC 1970"`);
    expect(again.message).toContain("has already been processed");
    // Another time is another request.
    await expireAt(hit.HITId, 1000);
  });

  it("refuses a repeated extension for 24 hours", async () => {
    const hit = await createHit();
    const target = hit.Expiration.getTime() + 3_600_000;
    await expireAt(hit.HITId, target);
    const repeated = await rejection(expireAt(hit.HITId, target));
    expect(repeated.message).toContain("has already been processed");
    await pair.control("POST", "clock/advance", { seconds: 25 * 3600 });
    // A day later the token is forgotten: the same ExpireAt is now in the past and expires the HIT again.
    await expireAt(hit.HITId, target);
  });
});

describe("DeleteHIT", () => {
  it("leaves a Disposed HIT that GetHIT reads for 120 days and no List operation shows", async () => {
    const type = await pair.client.send(
      new CreateQualificationTypeCommand({ Name: "Disposal", Description: "d", QualificationTypeStatus: "Active" }),
    );
    const typeId = type.QualificationType?.QualificationTypeId as string;
    const hit = await createHit({ QualificationRequirements: [{ QualificationTypeId: typeId, Comparator: "Exists" }] });
    await expireAt(hit.HITId, 0);
    await pair.client.send(new DeleteHITCommand({ HITId: hit.HITId }));
    expect(await getHit(hit.HITId)).toMatchObject({ HITId: hit.HITId, HITStatus: "Disposed" });
    const ids = (page: { HITs?: { HITId?: string }[] }) => page.HITs?.map((h) => h.HITId);
    expect(ids(await pair.client.send(new ListHITsCommand({ MaxResults: 100 })))).not.toContain(hit.HITId);
    expect(ids(await pair.client.send(new ListReviewableHITsCommand({ MaxResults: 100 })))).not.toContain(hit.HITId);
    const forType = await pair.client.send(new ListHITsForQualificationTypeCommand({ QualificationTypeId: typeId }));
    expect(forType.HITs).toEqual([]);

    const again = await rejection(pair.client.send(new DeleteHITCommand({ HITId: hit.HITId })));
    expect(again).toMatchObject({ name: "RequestError", TurkErrorCode: "AWS.MechanicalTurk.InvalidHITState" });
    expect(again.message).toMatch(
      /^This HIT is currently in the state 'Disposed'\. This operation can be called with a status of: Reviewing, Reviewable/,
    );
    // Every other operation on a Disposed HIT answers as for a HIT that does not exist.
    const extend = await rejection(
      pair.client.send(
        new CreateAdditionalAssignmentsForHITCommand({ HITId: hit.HITId, NumberOfAdditionalAssignments: 1 }),
      ),
    );
    expect(extend.TurkErrorCode).toBe("AWS.MechanicalTurk.HITDoesNotExist");
    const expire = await rejection(expireAt(hit.HITId, 5000));
    expect(expire.TurkErrorCode).toBe("AWS.MechanicalTurk.HITDoesNotExist");

    await pair.control("POST", "clock/advance", { seconds: 119 * 86_400 });
    expect((await getHit(hit.HITId))?.HITStatus).toBe("Disposed");
    await pair.control("POST", "clock/advance", { seconds: 2 * 86_400 });
    const aged = await rejection(pair.client.send(new GetHITCommand({ HITId: hit.HITId })));
    expect(aged.TurkErrorCode).toBe("AWS.MechanicalTurk.HITDoesNotExist");
    const deleteAged = await rejection(pair.client.send(new DeleteHITCommand({ HITId: hit.HITId })));
    expect(deleteAged.TurkErrorCode).toBe("AWS.MechanicalTurk.HITDoesNotExist");
    const never = await rejection(pair.client.send(new DeleteHITCommand({ HITId: "3NEVEREXISTED" })));
    expect(never.TurkErrorCode).toBe("AWS.MechanicalTurk.HITDoesNotExist");
  });
});

describe("QualificationRequirements in replies", () => {
  it("fill in ActionsGuarded Accept and RequiredToPreview false when the request sent neither", async () => {
    const type = await pair.client.send(
      new CreateQualificationTypeCommand({ Name: "Echo", Description: "d", QualificationTypeStatus: "Active" }),
    );
    const typeId = type.QualificationType?.QualificationTypeId as string;
    const hit = await createHit({
      QualificationRequirements: [
        { QualificationTypeId: typeId, Comparator: "GreaterThan", IntegerValues: [18] },
        { QualificationTypeId: typeId, Comparator: "Exists", ActionsGuarded: "DiscoverPreviewAndAccept" },
        { QualificationTypeId: "00000000000000000071", Comparator: "In", LocaleValues: [{ Country: "US" }] },
        { QualificationTypeId: "00000000000000000040", Comparator: "Exists", RequiredToPreview: true },
      ],
    });
    const expected = [
      {
        QualificationTypeId: typeId,
        Comparator: "GreaterThan",
        IntegerValues: [18],
        ActionsGuarded: "Accept",
        RequiredToPreview: false,
      },
      {
        QualificationTypeId: typeId,
        Comparator: "Exists",
        ActionsGuarded: "DiscoverPreviewAndAccept",
        RequiredToPreview: false,
      },
      {
        QualificationTypeId: "00000000000000000071",
        Comparator: "In",
        LocaleValues: [{ Country: "US" }],
        ActionsGuarded: "Accept",
        RequiredToPreview: false,
      },
      { QualificationTypeId: "00000000000000000040", Comparator: "Exists", RequiredToPreview: true },
    ];
    expect(hit.QualificationRequirements).toEqual(expected);
    expect((await getHit(hit.HITId))?.QualificationRequirements).toEqual(expected);
    const listed = await pair.client.send(new ListHITsCommand({ MaxResults: 100 }));
    expect(listed.HITs?.find((h) => h.HITId === hit.HITId)?.QualificationRequirements).toEqual(expected);
    const forType = await pair.client.send(new ListHITsForQualificationTypeCommand({ QualificationTypeId: typeId }));
    expect(forType.HITs?.[0]?.QualificationRequirements).toEqual(expected);
  });
});

describe("HIT input rules", () => {
  it("refuses a reward below $0.01 and IntegerValues on Worker_Locale", async () => {
    for (const send of [
      () => pair.client.send(new CreateHITCommand(hitInput({ Reward: "0.00" }))),
      () =>
        pair.client.send(
          new CreateHITTypeCommand({ Title: "t", Description: "d", Reward: "0", AssignmentDurationInSeconds: 60 }),
        ),
    ]) {
      const error = await rejection(send());
      expect(error.name).toBe("ParameterValidationError");
      expect(error.message).toContain("Reward");
    }
    const locale = await rejection(
      pair.client.send(
        new CreateHITCommand(
          hitInput({
            QualificationRequirements: [
              { QualificationTypeId: "00000000000000000071", Comparator: "EqualTo", IntegerValues: [1] },
            ],
          }),
        ),
      ),
    );
    expect(locale.name).toBe("ParameterValidationError");
    expect(locale.message).toContain("Worker_Locale");
    expect((await createHit({ Reward: "0.01" })).HITId).toBeTruthy();
  });
});

describe("ListHITs order", () => {
  const list = (MaxResults: number, NextToken?: string) =>
    pair.client.send(new ListHITsCommand({ MaxResults, NextToken }));
  const idsOf = (page: { HITs?: { HITId?: string }[] }) => (page.HITs ?? []).map((h) => h.HITId as string);
  afterAll(() => pair.control("PUT", "switches", { paging: "keyset" }));

  it("lists newest first (CreationTime descending), in every paging mode", async () => {
    const made: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      made.push((await createHit()).HITId);
      await pair.control("POST", "clock/advance", { seconds: 5 });
    }
    for (const paging of ["keyset", "offset", "page"]) {
      await pair.control("PUT", "switches", { paging });
      const all: { HITId?: string; CreationTime?: Date }[] = [];
      let NextToken: string | undefined;
      do {
        const page = await list(3, NextToken);
        all.push(...(page.HITs ?? []));
        NextToken = page.NextToken;
      } while (NextToken);
      expect(
        all.slice(0, 4).map((h) => h.HITId),
        paging,
      ).toEqual([...made].reverse());
      const times = all.map((h) => h.CreationTime?.getTime() ?? 0);
      expect(times, paging).toEqual([...times].sort((a, b) => b - a));
      expect(new Set(all.map((h) => h.HITId)).size, paging).toBe(all.length);
    }
  });

  it.each([
    ["keyset", false],
    ["offset", true],
    ["page", true],
  ] as const)("%s: a HIT created mid-walk repeats the previous page's last HIT: %s", async (paging, repeats) => {
    await pair.control("PUT", "switches", { paging });
    const first = await list(2);
    const [, second] = idsOf(first);
    const created = (await createHit()).HITId;
    const next = idsOf(await list(2, first.NextToken));
    // Newest first, the new HIT goes before every position: offset and page tokens now point one item earlier.
    if (repeats) expect(next[0]).toBe(second);
    else expect(next).not.toContain(second);
    expect(next).not.toContain(created);
  });
});

describe("timestamps", () => {
  it("every timestamp in a reply is a whole second, whatever the clock's fraction", async () => {
    await pair.control("POST", "clock/advance", { seconds: 0.537 });
    const { workerId } = await pair.control<{ workerId: string }>("POST", "workers", {});
    const hit = await createHit({ MaxAssignments: 2 });
    const { assignment } = await pair.control<{ assignment: { AssignmentId: string } }>(
      "POST",
      `hits/${hit.HITId}/accept`,
      { workerId },
    );
    await pair.control("POST", `assignments/${assignment.AssignmentId}/submit`, { answer: "<QuestionFormAnswers/>" });
    await pair.client.send(new ApproveAssignmentCommand({ AssignmentId: assignment.AssignmentId }));
    await pair.client.send(
      new SendBonusCommand({
        WorkerId: workerId,
        AssignmentId: assignment.AssignmentId,
        BonusAmount: "0.10",
        Reason: "r",
      }),
    );
    const type = await pair.client.send(
      new CreateQualificationTypeCommand({
        Name: "Whole seconds",
        Description: "d",
        QualificationTypeStatus: "Active",
      }),
    );
    const typeId = type.QualificationType?.QualificationTypeId as string;
    await pair.client.send(
      new AssociateQualificationWithWorkerCommand({ QualificationTypeId: typeId, WorkerId: workerId }),
    );
    // An ExpireAt with a fraction is kept to the second.
    const current = (await getHit(hit.HITId))?.Expiration?.getTime() as number;
    await expireAt(hit.HITId, current + 120_250);
    const replies = [
      await pair.client.send(new GetHITCommand({ HITId: hit.HITId })),
      await pair.client.send(new GetAssignmentCommand({ AssignmentId: assignment.AssignmentId })),
      await pair.client.send(new ListAssignmentsForHITCommand({ HITId: hit.HITId })),
      await pair.client.send(new ListBonusPaymentsCommand({ HITId: hit.HITId })),
      await pair.client.send(new GetQualificationScoreCommand({ QualificationTypeId: typeId, WorkerId: workerId })),
      await pair.client.send(new GetQualificationTypeCommand({ QualificationTypeId: typeId })),
    ];
    const dates: Date[] = [];
    const collect = (value: unknown) => {
      if (value instanceof Date) dates.push(value);
      else if (value && typeof value === "object") for (const v of Object.values(value)) collect(v);
    };
    for (const { $metadata: _, ...reply } of replies) collect(reply);
    // CreationTime, Expiration, AcceptTime, SubmitTime, ApprovalTime, AutoApprovalTime, Deadline, GrantTime, …
    expect(dates.length).toBeGreaterThanOrEqual(15);
    for (const date of dates) expect(date.getTime() % 1000, date.toISOString()).toBe(0);
    expect((await getHit(hit.HITId))?.Expiration?.getTime()).toBe(current + 120_000);
  });
});

describe("Answer XML", () => {
  it("has MTurk's ASCII prolog and non-ASCII characters as numeric character references", async () => {
    const { workerId } = await pair.control<{ workerId: string }>("POST", "workers", {});
    const hit = await createHit();
    const { assignment } = await pair.control<{ assignment: { AssignmentId: string } }>(
      "POST",
      `hits/${hit.HITId}/accept`,
      { workerId },
    );
    const answer = `<?xml version="1.0" encoding="UTF-8"?><QuestionFormAnswers><Answer><QuestionIdentifier>q1</QuestionIdentifier><FreeText>Café, 日本, 😀 &amp; &lt;b&gt;</FreeText></Answer><Answer><QuestionIdentifier>q2</QuestionIdentifier><FreeText><![CDATA[naïve <i>]]></FreeText></Answer></QuestionFormAnswers>`;
    await pair.control("POST", `assignments/${assignment.AssignmentId}/submit`, { answer });
    const got = await pair.client.send(new GetAssignmentCommand({ AssignmentId: assignment.AssignmentId }));
    const xml = got.Assignment?.Answer as string;
    expect(xml.startsWith('<?xml version="1.0" encoding="ASCII"?><QuestionFormAnswers>')).toBe(true);
    expect(/^[\x20-\x7e]*$/.test(xml), xml).toBe(true);
    expect(xml).toContain("Caf&#233;, &#26085;&#26412;, &#128512; &amp; &lt;b&gt;");
    expect(xml).toContain("na&#239;ve &lt;i&gt;");
    const listed = await pair.client.send(new ListAssignmentsForHITCommand({ HITId: hit.HITId }));
    expect(listed.Assignments?.[0]?.Answer).toBe(xml);
  });
});

describe("AssignmentId reuse", () => {
  type Wire = { AssignmentId: string; WorkerId: string; AssignmentStatus: string };
  const accept = async (hitId: string, workerId: string) =>
    (await pair.control<{ assignment: Wire }>("POST", `hits/${hitId}/accept`, { workerId })).assignment;
  const worker = async () => (await pair.control<{ workerId: string }>("POST", "workers", {})).workerId;

  it("a returned or abandoned assignment's id goes to the next worker who accepts; the old record keeps its status", async () => {
    const hit = await createHit({ MaxAssignments: 3, AssignmentDurationInSeconds: 60 });
    const [a, b, c, d] = [await worker(), await worker(), await worker(), await worker()];
    const first = await accept(hit.HITId, a);
    const returned = await pair.control<{ assignment: Wire }>("POST", `assignments/${first.AssignmentId}/return`);
    expect(returned.assignment).toMatchObject({ WorkerId: a, AssignmentStatus: "Returned" });
    const second = await accept(hit.HITId, b);
    expect(second).toMatchObject({ AssignmentId: first.AssignmentId, WorkerId: b, AssignmentStatus: "Accepted" });
    // Abandoned (the deadline passes): the next worker gets that id too.
    const third = await accept(hit.HITId, c);
    expect(third.AssignmentId).not.toBe(first.AssignmentId);
    await pair.control("POST", `assignments/${second.AssignmentId}/submit`, { answer: "<QuestionFormAnswers/>" });
    await pair.control("POST", "clock/advance", { seconds: 61 });
    const fourth = await accept(hit.HITId, d);
    expect(fourth).toMatchObject({ AssignmentId: third.AssignmentId, WorkerId: d });

    // GetAssignment answers the current holder; the requester's listings show only submitted work.
    const got = await pair.client.send(new GetAssignmentCommand({ AssignmentId: first.AssignmentId }));
    expect(got.Assignment).toMatchObject({ WorkerId: b, AssignmentStatus: "Submitted" });
    const listed = await pair.client.send(new ListAssignmentsForHITCommand({ HITId: hit.HITId }));
    expect(listed.Assignments?.map((x) => [x.AssignmentId, x.WorkerId])).toEqual([[first.AssignmentId, b]]);
    // The earlier workers' records stay, with their own worker and status.
    const records = (pair.simulator.store.assignmentsByHit.get(hit.HITId) ?? []).map((r) => [
      r.id,
      r.workerId,
      r.status,
    ]);
    expect(records).toEqual([
      [first.AssignmentId, a, "Returned"],
      [first.AssignmentId, b, "Submitted"],
      [third.AssignmentId, c, "Abandoned"],
      [third.AssignmentId, d, "Accepted"],
    ]);
    expect((await getHit(hit.HITId))?.NumberOfAssignmentsPending).toBe(1);
    expect((await getHit(hit.HITId))?.NumberOfAssignmentsAvailable).toBe(1);
    // A bonus for the id goes to its holder only.
    const toOld = await rejection(
      pair.client.send(
        new SendBonusCommand({ WorkerId: a, AssignmentId: first.AssignmentId, BonusAmount: "0.10", Reason: "r" }),
      ),
    );
    expect(toOld.name).toBe("RequestError");
  });
});
