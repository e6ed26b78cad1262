import { SimulatorError } from "./errors.js";
import { isRecord } from "./json.js";
import { type HITRecord, type HITTypeRecord, type QualificationTypeRecord, qualificationKey } from "./model.js";
import { hitTypeFor, SIMULATOR_LAYOUT_ID, SYSTEM_LOCALE_TYPE_ID } from "./operations/hitRules.js";
import { answerXml, seedAssignments } from "./seedWork.js";
import { DAY_MS, type Store } from "./store.js";

export interface SeedCounts {
  qualificationTypes: number;
  workers: number;
  pendingRequests: number;
  hits: number;
  /** Assignments each HIT has, about (it has a few more to offer); by default 0 to its MaxAssignments of 1 to 20. */
  assignmentsPerHit?: number;
}
export const SEED_SIZES = ["empty", "tiny", "demo", "large", "huge"] as const;
export type SeedSize = (typeof SEED_SIZES)[number] | SeedCounts;

const PRESETS: Record<(typeof SEED_SIZES)[number], SeedCounts> = {
  empty: { qualificationTypes: 0, workers: 0, pendingRequests: 0, hits: 0 },
  tiny: { qualificationTypes: 6, workers: 30, pendingRequests: 25, hits: 12 },
  demo: { qualificationTypes: 12, workers: 200, pendingRequests: 300, hits: 120 },
  large: { qualificationTypes: 20, workers: 3_000, pendingRequests: 10_000, hits: 2_000 },
  // Benchmarks only (npm test seeds it once, as a smoke test): 20,000 HITs with about 10 assignments each.
  huge: { qualificationTypes: 30, workers: 20_000, pendingRequests: 20_000, hits: 20_000, assignmentsPerHit: 10 },
};

/** A seed size given as JSON (POST /_simulator/reset): a preset's name or the counts; undefined when not given. */
export function seedSizeOf(value: unknown): SeedSize | undefined {
  if (value === undefined) return undefined;
  const preset = SEED_SIZES.find((s) => s === value);
  if (preset) return preset;
  if (isRecord(value)) {
    const { qualificationTypes, workers, pendingRequests, hits, assignmentsPerHit } = value;
    if (
      typeof qualificationTypes === "number" &&
      typeof workers === "number" &&
      typeof pendingRequests === "number" &&
      typeof hits === "number" &&
      (assignmentsPerHit === undefined || typeof assignmentsPerHit === "number")
    )
      return { qualificationTypes, workers, pendingRequests, hits, assignmentsPerHit };
  }
  throw new SimulatorError("BadRequest", `size must be one of ${SEED_SIZES.join(", ")} or the counts.`, 400);
}

export const seedCounts = (size: SeedSize): SeedCounts => (typeof size === "string" ? PRESETS[size] : size);

const SYSTEM_TYPES: [string, string, string][] = [
  [
    "000000000000000000L0",
    "Worker_PercentAssignmentsApproved",
    "The percentage of assignments the worker has submitted that were approved.",
  ],
  ["00000000000000000040", "Worker_NumberHITsApproved", "The number of HITs the worker has had approved."],
  [SYSTEM_LOCALE_TYPE_ID, "Worker_Locale", "The location of the worker, as given in the worker's mailing address."],
  ["00000000000000000060", "Worker_Adult", "The worker has agreed to see adult content."],
  ["2ARFPLSP75KLA8M8DH1HTEQVJT3SY6", "Masters", "Sandbox Masters: workers who have shown excellence across many HITs."],
];
const TOPICS = [
  "Image tagging",
  "Audio transcription",
  "Sentiment rating",
  "Receipt extraction",
  "Survey panel",
  "Translation",
  "Content moderation",
  "Bounding boxes",
  "Spelling check",
  "Product search",
];
const COUNTRIES: [string, string | undefined][] = [
  ["US", "CA"],
  ["US", "NY"],
  ["US", "TX"],
  ["GB", undefined],
  ["IN", undefined],
  ["CA", "ON"],
  ["DE", undefined],
  ["PH", undefined],
];
const TEST_XML = `<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2017-11-06/QuestionForm.xsd"><Question><QuestionIdentifier>q1</QuestionIdentifier><QuestionContent><Text>Is the sky blue?</Text></QuestionContent><AnswerSpecification><FreeTextAnswer/></AnswerSpecification></Question></QuestionForm>`;
const externalQuestion = (n: number) =>
  `<ExternalQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/ExternalQuestion.xsd"><ExternalURL>https://tasks.example.org/task/${n}</ExternalURL><FrameHeight>600</FrameHeight></ExternalQuestion>`;

/** The item at `i`, counting round the list again past its end. */
function cycled<T extends NonNullable<unknown> | null>(items: readonly T[], i: number): T {
  const item = items[i % items.length];
  if (item === undefined) throw new Error("Nothing to cycle through.");
  return item;
}

/** Kinds of the caller's qualification types, cycled so that every size has each kind. */
const TYPE_KINDS = ["test", "manual", "autoGranted", "answerKey", "inactive", "manualRetry"] as const;
type TypeKind = (typeof TYPE_KINDS)[number];

/** Fills a store with a deterministic account for a seed and a size: the same seed always gives the same ids. */
export function seedStore(store: Store, size: SeedSize): void {
  const counts = seedCounts(size);
  seedOtherTypes(store, counts);
  if (counts.qualificationTypes === 0) return;
  const { ownTypes, kinds } = seedOwnTypes(store, counts);
  const workerIds = seedWorkers(store, counts);
  seedQualifications(
    store,
    ownTypes.filter((t) => kinds.get(t.id) !== "inactive"),
    workerIds,
  );
  seedRequests(
    store,
    counts,
    ownTypes.filter((t) => {
      const kind = kinds.get(t.id);
      return kind === "test" || kind === "manual" || kind === "manualRetry";
    }),
    workerIds,
  );
  seedHits(
    store,
    counts,
    ownTypes.filter((t) => kinds.get(t.id) !== "inactive"),
    workerIds,
  );
  const blocked = Math.max(counts.workers > 0 ? 2 : 0, Math.floor(counts.workers / 100));
  for (let i = 0; i < blocked; i += 1) {
    const workerId = cycled(workerIds, i * 7);
    if (!store.blocks.has(workerId))
      store.blocks.set(workerId, { workerId, reason: "Failed attention checks.", seq: store.nextSeq() });
  }
}

/** MTurk's system types, and (in a non-empty account) three public types of another requester. */
function seedOtherTypes(store: Store, counts: SeedCounts) {
  const now = store.now();
  for (const [id, name, description] of SYSTEM_TYPES)
    store.qualificationTypes.set(id, {
      id,
      seq: store.nextSeq(),
      owner: "system",
      name,
      description,
      status: "Active",
      autoGranted: false,
      creationTime: now - 3000 * DAY_MS,
    });
  if (counts.qualificationTypes === 0) return;
  for (let i = 0; i < 3; i += 1) {
    const id = store.newId(30, "3");
    store.qualificationTypes.set(id, {
      id,
      seq: store.nextSeq(),
      owner: "other",
      name: `${TOPICS[i]} expert (another requester)`,
      description: "A public type of another requester.",
      status: "Active",
      autoGranted: false,
      creationTime: now - (400 + i) * DAY_MS,
    });
  }
}

/** The caller's types, of every kind in turn. */
function seedOwnTypes(store: Store, counts: SeedCounts) {
  const r = store.random;
  const now = store.now();
  const kinds = new Map<string, TypeKind>();
  const typeTimes = Array.from({ length: counts.qualificationTypes }, () => now - r.int(1, 200) * DAY_MS).sort(
    (a, b) => a - b,
  );
  const ownTypes: QualificationTypeRecord[] = typeTimes.map((creationTime, i) => {
    const kind = cycled(TYPE_KINDS, i);
    const tested = kind === "test" || kind === "answerKey";
    const record: QualificationTypeRecord = {
      id: store.newId(30, "3"),
      seq: store.nextSeq(),
      owner: "caller",
      name: `${TOPICS[i % TOPICS.length]} ${tested ? "test" : "qualification"} ${i + 1}`,
      description: `Workers qualified for ${TOPICS[i % TOPICS.length]?.toLowerCase()} tasks (${kind}).`,
      keywords: `${TOPICS[i % TOPICS.length]?.toLowerCase()}, qualification`,
      status: kind === "inactive" ? "Inactive" : "Active",
      autoGranted: kind === "autoGranted",
      autoGrantedValue: kind === "autoGranted" ? 1 : undefined,
      test: tested ? TEST_XML : undefined,
      testDurationInSeconds: tested ? 600 : undefined,
      answerKey: kind === "answerKey" ? "<AnswerKey/>" : undefined,
      retryDelayInSeconds: kind === "manualRetry" ? 86_400 : undefined,
      creationTime,
    };
    store.qualificationTypes.set(record.id, record);
    kinds.set(record.id, kind);
    return record;
  });
  return { ownTypes, kinds };
}

function seedWorkers(store: Store, counts: SeedCounts): string[] {
  const r = store.random;
  const workerIds: string[] = [];
  for (let i = 0; i < counts.workers; i += 1) {
    const [Country, Subdivision] = r.pick(COUNTRIES);
    const id = store.newId(14, "A");
    store.workers.set(id, { id, locale: Subdivision ? { Country, Subdivision } : { Country }, adult: r.chance(0.8) });
    workerIds.push(id);
  }
  return workerIds;
}

/** Qualifications held: most granted, some revoked. */
function seedQualifications(store: Store, grantable: QualificationTypeRecord[], workerIds: string[]) {
  const r = store.random;
  const now = store.now();
  for (const workerId of workerIds) {
    const n = r.int(0, Math.min(3, grantable.length));
    for (let k = 0; k < n; k += 1) {
      const type = r.pick(grantable);
      const key = qualificationKey(type.id, workerId);
      if (store.qualifications.has(key)) continue;
      store.qualifications.set(key, {
        typeId: type.id,
        workerId,
        seq: store.nextSeq(),
        integerValue: r.int(0, 100),
        grantTime: now - r.int(1, 150) * DAY_MS,
        status: r.chance(0.9) ? "Granted" : "Revoked",
      });
    }
  }
}

/** Pending requests for types that wait for the owner, at submit times that do not follow listing order. */
function seedRequests(store: Store, counts: SeedCounts, waiting: QualificationTypeRecord[], workerIds: string[]) {
  const r = store.random;
  const now = store.now();
  const taken = new Set<string>();
  let attempts = 0;
  while (taken.size < counts.pendingRequests && waiting.length && attempts < counts.pendingRequests * 20) {
    attempts += 1;
    const type = r.pick(waiting);
    const workerId = r.pick(workerIds);
    const key = qualificationKey(type.id, workerId);
    if (taken.has(key) || store.qualifications.get(key)?.status === "Granted") continue;
    taken.add(key);
    const id = store.newId(30, "3");
    store.qualificationRequests.set(id, {
      id,
      seq: store.nextSeq(),
      typeId: type.id,
      workerId,
      test: type.test,
      answer: type.test ? answerXml(r.pick(["yes", "no", "blue", "it depends"])) : undefined,
      submitTime: now - r.int(60, 30 * 86_400) * 1000,
      status: "Pending",
    });
  }
}

/** The HIT types of the seeded HITs: one per caller type, each required in its own way. */
function seedHitTypes(store: Store, types: QualificationTypeRecord[]): [HITTypeRecord, ...HITTypeRecord[]] {
  return [
    // The HIT of the legacy GetHITsForQualificationType example (seeds/004): its first HIT is shaped like it.
    hitTypeFor(store, {
      Title: "Location and Photograph Identification",
      Description: "Select the image that best represents...",
      Keywords: "location, photograph, image, identification, opinion",
      Reward: "0.25",
      AssignmentDurationInSeconds: 300,
      AutoApprovalDelayInSeconds: 86_400,
      QualificationRequirements: types[0]
        ? [{ QualificationTypeId: types[0].id, Comparator: "GreaterThan", IntegerValues: [18] }]
        : [],
    }),
    ...types.slice(1, 8).map((t, i) =>
      hitTypeFor(store, {
        Title: `${TOPICS[i % TOPICS.length]} batch ${i + 1}`,
        Description: `Help us with ${TOPICS[i % TOPICS.length]?.toLowerCase()}.`,
        Keywords: "batch, research",
        Reward: (0.05 * (i + 1)).toFixed(2),
        AssignmentDurationInSeconds: 1800,
        AutoApprovalDelayInSeconds: (i % 2 ? 3 : 30) * 86_400,
        QualificationRequirements: [
          {
            QualificationTypeId: t.id,
            Comparator: i % 3 ? "GreaterThanOrEqualTo" : "Exists",
            IntegerValues: i % 3 ? [50] : undefined,
          },
          ...(i % 2
            ? [
                {
                  QualificationTypeId: SYSTEM_LOCALE_TYPE_ID,
                  Comparator: "In" as const,
                  LocaleValues: [{ Country: "US" }, { Country: "CA" }],
                },
              ]
            : []),
          ...(i % 4 === 0
            ? [
                {
                  QualificationTypeId: "000000000000000000L0",
                  Comparator: "GreaterThanOrEqualTo" as const,
                  IntegerValues: [95],
                },
              ]
            : []),
        ],
      }),
    ),
  ];
}

function seedHits(store: Store, counts: SeedCounts, types: QualificationTypeRecord[], workerIds: string[]) {
  const r = store.random;
  const now = store.now();
  const hitTypes = seedHitTypes(store, types);
  const creationTimes = Array.from({ length: counts.hits }, () => now - r.int(600, 20 * 86_400) * 1000).sort(
    (a, b) => a - b,
  );
  creationTimes.forEach((creationTime, i) => {
    const type = i === 0 ? hitTypes[0] : r.pick(hitTypes);
    const perHit = counts.assignmentsPerHit;
    const maxAssignments =
      i === 0 ? 5 : perHit ? r.int(perHit + 1, perHit + 3) : r.chance(0.1) ? r.int(10, 20) : r.int(1, 9);
    const lifetime = i === 0 ? 86_400 : r.pick([3, 7, 14, 30]) * 86_400;
    const hit: HITRecord = {
      id: store.newId(30, "3"),
      seq: store.nextSeq(),
      hitTypeId: type.id,
      hitGroupId: type.id.replace(/^3/, "3G").slice(0, 30),
      hitLayoutId: i === 3 ? SIMULATOR_LAYOUT_ID : undefined,
      creationTime,
      question: i === 3 ? undefined : externalQuestion(i),
      maxAssignments,
      createdMaxAssignments: maxAssignments,
      expiration: creationTime + lifetime * 1000,
      requesterAnnotation: `batch-${Math.floor(i / 25) + 1}`,
      reviewing: false,
      reviewStatus: i > 0 && i % 17 === 0 ? "MarkedForReview" : "NotReviewed",
      assignmentReviewPolicy:
        i % 11 === 5
          ? {
              PolicyName: "ScoreMyKnownAnswers/2011-09-01",
              Parameters: [{ Key: "AnswerKey", MapEntries: [{ Key: "q1", Values: ["yes"] }] }],
            }
          : undefined,
    };
    store.addHit(hit);
    seedAssignments(store, hit, type, workerIds, perHit !== undefined && i > 0);
    if (i % 9 === 4 && store.hitStatus(hit) === "Reviewable") hit.reviewing = true;
  });
}
