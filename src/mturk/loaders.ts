import {
  type Assignment,
  type AssignmentStatus,
  type BonusPayment,
  GetAccountBalanceCommand,
  GetAssignmentCommand,
  GetHITCommand,
  GetQualificationScoreCommand,
  GetQualificationTypeCommand,
  type HIT,
  ListAssignmentsForHITCommand,
  ListBonusPaymentsCommand,
  ListHITsCommand,
  ListHITsForQualificationTypeCommand,
  ListQualificationRequestsCommand,
  ListQualificationTypesCommand,
  ListReviewableHITsCommand,
  ListWorkerBlocksCommand,
  ListWorkersWithQualificationTypeCommand,
  type Qualification,
  type QualificationRequest,
  type QualificationType,
  type ReviewableHITStatus,
  type WorkerBlock,
} from "@aws-sdk/client-mturk";
import DataLoader from "dataloader";
import type { Mirror } from "../mirror/mirror.js";
import type { Upstream } from "./client.js";
import { isNotFound, toError } from "./errors.js";
import { getEach, orNullWhenMissing, remembered } from "./gets.js";
import { answered, idOf } from "./ids.js";
import { PageCalls } from "./pageCalls.js";
import { MTURK_MAX_RESULTS, scanAll, type UpstreamPage } from "./pagination.js";
import {
  asScored,
  firstPagesOfTypes,
  pendingRequestsOfAllTypes,
  qualificationsByWorker,
  type StrategyHints,
  scoreOf,
} from "./strategies.js";

export interface LoaderSettings {
  scoreScanThreshold: number;
  requestScanThreshold: number;
}

/** A Qualification is keyed by its type and worker: "typeId|workerId". */
export const qualificationKey = (typeId: string, workerId: string) => `${typeId}|${workerId}`;

/**
 * Every upstream read of one GraphQL request. Loaders live for one request only; they deduplicate and cache Get
 * calls, list pages prime them, and the batch functions pick the cheapest way MTurk allows (see strategies.ts).
 */
export class MTurkLoaders {
  constructor(
    readonly upstream: Upstream,
    private readonly settings: LoaderSettings,
    private readonly hints: StrategyHints,
    /** The account's mirror: whole HITs without a Get each, and what MTurk forgot or cannot answer now. */
    private readonly mirror?: Mirror,
  ) {}

  readonly hits = new DataLoader<string, HIT>(
    getEach(
      () => this.upstream,
      "GetHIT",
      (c, HITId) => c.send(new GetHITCommand({ HITId })),
      (r) => answered(r.HIT, "GetHIT"),
      remembered((id, forgotten) => this.mirror?.recallHit(id, forgotten)),
    ),
  );

  readonly qualificationTypes = new DataLoader<string, QualificationType>(
    getEach(
      () => this.upstream,
      "GetQualificationType",
      (c, QualificationTypeId) => c.send(new GetQualificationTypeCommand({ QualificationTypeId })),
      (r) => answered(r.QualificationType, "GetQualificationType"),
    ),
  );

  readonly assignments = new DataLoader<string, Assignment>(
    getEach(
      () => this.upstream,
      "GetAssignment",
      (c, AssignmentId) => c.send(new GetAssignmentCommand({ AssignmentId })),
      (r) => {
        // GetAssignment returns the HIT too: it primes the HIT loader.
        if (r.HIT?.HITId) this.hits.prime(r.HIT.HITId, r.HIT);
        return answered(r.Assignment, "GetAssignment");
      },
      remembered((id) => this.mirror?.assignment(id)),
    ),
  );

  /** Qualification of a worker for a type, or null when the worker holds none. Key: qualificationKey(). */
  readonly qualificationScores = new DataLoader<string, Qualification | null>((keys) =>
    qualificationsByWorker(keys, {
      hints: this.hints,
      threshold: this.settings.scoreScanThreshold,
      listPage: (typeId, status, token) =>
        this.listWorkersWithQualificationTypePage(typeId, status, token, MTURK_MAX_RESULTS),
      get: (QualificationTypeId, WorkerId) =>
        orNullWhenMissing(
          scoreOf(
            QualificationTypeId,
            WorkerId,
            this.upstream.call("GetQualificationScore", (c) =>
              c.send(new GetQualificationScoreCommand({ QualificationTypeId, WorkerId })),
            ),
          ),
        ),
    }).then((found) => found.map((q) => (q && !(q instanceof Error) ? asScored(q) : q))),
  );

  /** The first window of several types' pending requests (see firstPagesOfTypes). */
  private readonly firstRequestPages = new DataLoader<string, UpstreamPage<QualificationRequest>>((typeIds) =>
    firstPagesOfTypes(typeIds, {
      hints: this.hints,
      threshold: this.settings.requestScanThreshold,
      window: MTURK_MAX_RESULTS,
      listPage: (typeId, token) => this.listQualificationRequestsPage(typeId, token, MTURK_MAX_RESULTS),
    }),
  );

  /**
   * A pending request by "typeId:requestId". MTurk has no Get for requests: its type's pending requests are
   * scanned (once per type per request), unless a listing in this request already primed it.
   */
  readonly qualificationRequests = new DataLoader<string, QualificationRequest | null>(async (keys) => {
    const types = [...new Set(keys.map((key) => key.split(":")[0] ?? ""))];
    const found = new Map<string, QualificationRequest | Error>();
    await Promise.all(
      types.map(async (typeId) => {
        try {
          const { items } = await scanAll((token) =>
            this.listQualificationRequestsPage(typeId, token, MTURK_MAX_RESULTS),
          );
          for (const r of items) found.set(`${typeId}:${r.QualificationRequestId}`, r);
        } catch (error) {
          for (const key of keys) if (key.startsWith(`${typeId}:`)) found.set(key, toError(error));
        }
      }),
    );
    return keys.map((key) => found.get(key) ?? null);
  });

  /** Pending requests of one type (or all the caller's types): one ListQualificationRequests page. */
  qualificationRequestsPage(typeId: string | undefined, token: string | undefined, size: number) {
    if (typeId !== undefined && token === undefined && size === MTURK_MAX_RESULTS)
      return this.firstRequestPages.load(typeId);
    return this.listQualificationRequestsPage(typeId, token, size);
  }

  /** Identical page calls within one request share one upstream call (one cache per kind of item). */
  private readonly pages = {
    requests: new PageCalls<QualificationRequest>(),
    types: new PageCalls<QualificationType>(),
    hits: new PageCalls<HIT>(),
    assignments: new PageCalls<Assignment>(),
    bonuses: new PageCalls<BonusPayment>(),
    qualifications: new PageCalls<Qualification>(),
    blocks: new PageCalls<WorkerBlock>(),
  };

  listQualificationRequestsPage(
    QualificationTypeId: string | undefined,
    NextToken: string | undefined,
    MaxResults: number,
  ) {
    return this.pages.requests.load(
      ["ListQualificationRequests", QualificationTypeId, NextToken, MaxResults],
      async () => {
        const r = await this.upstream.call("ListQualificationRequests", (c) =>
          c.send(new ListQualificationRequestsCommand({ QualificationTypeId, NextToken, MaxResults })),
        );
        const items = r.QualificationRequests ?? [];
        for (const q of items)
          this.qualificationRequests.prime(`${q.QualificationTypeId}:${q.QualificationRequestId}`, q);
        return { items, nextToken: r.NextToken };
      },
    );
  }

  listQualificationTypesPage(
    filter: { query?: string; mustBeRequestable: boolean; mustBeOwnedByCaller?: boolean },
    NextToken: string | undefined,
    MaxResults: number,
  ) {
    return this.pages.types.load(["ListQualificationTypes", filter, NextToken, MaxResults], async () => {
      const r = await this.upstream.call("ListQualificationTypes", (c) =>
        c.send(
          new ListQualificationTypesCommand({
            Query: filter.query,
            MustBeRequestable: filter.mustBeRequestable,
            MustBeOwnedByCaller: filter.mustBeOwnedByCaller,
            NextToken,
            MaxResults,
          }),
        ),
      );
      const items = r.QualificationTypes ?? [];
      for (const t of items) if (t.QualificationTypeId) this.qualificationTypes.prime(t.QualificationTypeId, t);
      return { items, nextToken: r.NextToken };
    });
  }

  private hitPage(key: unknown[], send: () => Promise<{ HITs?: HIT[]; NextToken?: string }>) {
    return this.pages.hits.load(key, async () => {
      const r = await send();
      const items = r.HITs ?? [];
      // ListReviewableHITs gives ids only: only whole HITs prime the loader.
      for (const hit of items) if (hit.HITId && hit.HITStatus !== undefined) this.hits.prime(hit.HITId, hit);
      return { items, nextToken: r.NextToken };
    });
  }

  listHITsPage(NextToken: string | undefined, MaxResults: number) {
    return this.hitPage(["ListHITs", NextToken, MaxResults], () =>
      this.upstream.call("ListHITs", (c) => c.send(new ListHITsCommand({ NextToken, MaxResults }))),
    );
  }

  /** Every HIT of the account, page after page. */
  readonly allHITs = (): Promise<HIT[]> =>
    scanAll((token) => this.listHITsPage(token, MTURK_MAX_RESULTS)).then((scan) => scan.items);

  listReviewableHITsPage(
    filter: { hitTypeId?: string; status?: ReviewableHITStatus },
    NextToken: string | undefined,
    MaxResults: number,
  ) {
    return this.hitPage(["ListReviewableHITs", filter, NextToken, MaxResults], () =>
      this.upstream.call("ListReviewableHITs", (c) =>
        c.send(
          new ListReviewableHITsCommand({ HITTypeId: filter.hitTypeId, Status: filter.status, NextToken, MaxResults }),
        ),
      ),
    );
  }

  listHITsForQualificationTypePage(QualificationTypeId: string, NextToken: string | undefined, MaxResults: number) {
    return this.hitPage(["ListHITsForQualificationType", QualificationTypeId, NextToken, MaxResults], () =>
      this.upstream.call("ListHITsForQualificationType", (c) =>
        c.send(new ListHITsForQualificationTypeCommand({ QualificationTypeId, NextToken, MaxResults })),
      ),
    );
  }

  listAssignmentsForHITPage(
    HITId: string,
    statuses: AssignmentStatus[] | undefined,
    NextToken: string | undefined,
    MaxResults: number,
  ) {
    return this.pages.assignments.load(["ListAssignmentsForHIT", HITId, statuses, NextToken, MaxResults], async () => {
      const r = await this.upstream.call("ListAssignmentsForHIT", (c) =>
        c.send(new ListAssignmentsForHITCommand({ HITId, AssignmentStatuses: statuses, NextToken, MaxResults })),
      );
      const items = r.Assignments ?? [];
      for (const a of items) if (a.AssignmentId) this.assignments.prime(a.AssignmentId, a);
      return { items, nextToken: r.NextToken };
    });
  }

  listBonusPaymentsPage(
    filter: { hitId?: string; assignmentId?: string },
    NextToken: string | undefined,
    MaxResults: number,
  ): Promise<UpstreamPage<BonusPayment>> {
    return this.pages.bonuses.load(["ListBonusPayments", filter, NextToken, MaxResults], async () => {
      const r = await this.upstream.call("ListBonusPayments", (c) =>
        c.send(
          new ListBonusPaymentsCommand({
            HITId: filter.hitId,
            AssignmentId: filter.assignmentId,
            NextToken,
            MaxResults,
          }),
        ),
      );
      return { items: r.BonusPayments ?? [], nextToken: r.NextToken };
    });
  }

  listWorkersWithQualificationTypePage(
    QualificationTypeId: string,
    Status: "Granted" | "Revoked",
    NextToken: string | undefined,
    MaxResults: number,
  ) {
    return this.pages.qualifications.load(
      ["ListWorkersWithQualificationType", QualificationTypeId, Status, NextToken, MaxResults],
      async () => {
        const r = await this.upstream.call("ListWorkersWithQualificationType", (c) =>
          c.send(new ListWorkersWithQualificationTypeCommand({ QualificationTypeId, Status, NextToken, MaxResults })),
        );
        const items = r.Qualifications ?? [];
        for (const q of items)
          if (q.WorkerId)
            this.qualificationScores.prime(qualificationKey(QualificationTypeId, q.WorkerId), asScored(q));
        return { items, nextToken: r.NextToken };
      },
    );
  }

  listWorkerBlocksPage(NextToken: string | undefined, MaxResults: number) {
    return this.pages.blocks.load(["ListWorkerBlocks", NextToken, MaxResults], async () => {
      const r = await this.upstream.call("ListWorkerBlocks", (c) =>
        c.send(new ListWorkerBlocksCommand({ NextToken, MaxResults })),
      );
      return { items: r.WorkerBlocks ?? [], nextToken: r.NextToken };
    });
  }

  private blockScan?: Promise<Map<string, WorkerBlock>>;

  /** A worker's block, or null. MTurk has no per-worker lookup: one ListWorkerBlocks scan serves the request. */
  workerBlock(workerId: string): Promise<WorkerBlock | null> {
    this.blockScan ??= scanAll((token) => this.listWorkerBlocksPage(token, MTURK_MAX_RESULTS)).then(
      ({ items }) => new Map(items.map((b) => [idOf(b, "WorkerId"), b])),
    );
    return this.blockScan.then((blocks) => blocks.get(workerId) ?? null);
  }

  private balance?: ReturnType<MTurkLoaders["loadAccountBalance"]>;
  private loadAccountBalance() {
    return this.upstream.call("GetAccountBalance", (c) => c.send(new GetAccountBalanceCommand({})));
  }
  accountBalance() {
    this.balance ??= this.loadAccountBalance();
    return this.balance;
  }

  /**
   * Whole HITs for a listing that gives ids only (ListReviewableHITs): GetHIT each, batched; for more HITs than one
   * ListHITs page holds, the mirror's HITs instead (fewer calls). HITs gone meanwhile are left out.
   */
  async wholeHits(listed: HIT[]): Promise<HIT[]> {
    const partial = listed.filter((hit) => hit.HITStatus === undefined);
    if (!partial.length) return listed;
    if (partial.length > MTURK_MAX_RESULTS && this.mirror) {
      const known = await this.mirror.wholeHits(
        partial.map((hit) => idOf(hit, "HITId")),
        this.upstream,
      );
      for (const hit of known) if (hit.HITId) this.hits.prime(hit.HITId, hit);
    }
    const loaded = await this.hits.loadMany(partial.map((hit) => idOf(hit, "HITId")));
    const whole = new Map<string, HIT>();
    for (const hit of loaded) {
      if (hit instanceof Error) {
        if (!isNotFound(hit)) throw hit;
      } else if (hit.HITId) whole.set(hit.HITId, hit);
    }
    return listed.flatMap((hit) => (hit.HITStatus !== undefined ? [hit] : (whole.get(idOf(hit, "HITId")) ?? [])));
  }

  /** Every pending request of the caller's types, for the mirror's sync (see pendingRequestsOfAllTypes). */
  allPendingRequests(): Promise<QualificationRequest[]> {
    return pendingRequestsOfAllTypes({
      hints: this.hints,
      listTypes: () =>
        scanAll((token) =>
          this.listQualificationTypesPage(
            { mustBeRequestable: false, mustBeOwnedByCaller: true },
            token,
            MTURK_MAX_RESULTS,
          ),
        ),
      listPage: (typeId, token) => this.listQualificationRequestsPage(typeId, token, MTURK_MAX_RESULTS),
    });
  }

  /** Every submitted (not yet approved or rejected) assignment of a HIT, for bulk review. */
  async submittedAssignmentIds(hitId: string): Promise<string[]> {
    const { items } = await scanAll((token) =>
      this.listAssignmentsForHITPage(hitId, ["Submitted"], token, MTURK_MAX_RESULTS),
    );
    return items.map((a) => idOf(a, "AssignmentId"));
  }

  /** After a write: listing pages read earlier in this request may be stale. */
  forgetPages() {
    for (const pages of Object.values(this.pages)) pages.clear();
    this.firstRequestPages.clearAll();
  }

  /** After a block changes: the next `Worker.block` scans again. */
  forgetBlocks() {
    this.blockScan = undefined;
  }
}
