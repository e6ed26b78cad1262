import { type RawBuilder, sql } from "kysely";
import type { ListingItems, ListingOperation, Scope } from "../mturk/listings.js";
import type { MirrorDb } from "./database.js";
import { ASSIGNMENTS, BLOCKS, BONUSES, HITS, QUALIFICATIONS, REQUESTS, type TableCodec, TYPES } from "./rows.js";
import { key, rowsByKey, withItemData } from "./upsert.js";

/**
 * MTurk's listings as queries over the mirror: which rows a listing's scope holds, its order when the client asks
 * none (MTurk's own, as far as it is known), the columns each `orderBy` field sorts by, and the filters MTurk cannot
 * apply. One map, typed by listing operation, so that a listing without its query does not compile.
 */

type Condition = RawBuilder<unknown>;
type Row = Record<string, unknown>;

interface HitFilter {
  statuses?: readonly string[] | null;
  reviewStatuses?: readonly string[] | null;
  hitTypeIds?: readonly string[] | null;
}
interface RequestFilter {
  submittedAfter?: Date | null;
  submittedBefore?: Date | null;
  workerId?: string | null;
}
interface AssignmentFilter {
  workerId?: string | null;
}

/** The filters each listing takes (what the GraphQL filter inputs carry). */
interface ListingFilters {
  ListQualificationRequests: RequestFilter;
  ListQualificationTypes: Record<string, never>;
  ListHITs: HitFilter;
  ListReviewableHITs: HitFilter;
  ListHITsForQualificationType: HitFilter;
  ListAssignmentsForHIT: AssignmentFilter;
  ListBonusPayments: Record<string, never>;
  ListWorkersWithQualificationType: Record<string, never>;
  ListWorkerBlocks: Record<string, never>;
}

/** The scope that names one listing of an operation. */
type ScopeOf<O extends ListingOperation> = Extract<Scope, readonly [O, ...unknown[]]>;

/** How a page reads one table's rows: a listing's, or a view's such as a worker's history. */
export interface RowSource<Item> {
  /** The table's codec: its name, keys of listed items, and items of rows. */
  codec: TableCodec<Item, unknown>;
  /** The columns that tell two rows apart: ties of any order break on them, so pages never overlap. */
  ids: readonly string[];
  /** The order without `orderBy`. */
  natural: { column: string; desc?: boolean };
  /** `orderBy` field → column. */
  sorts: Record<string, string>;
  where(scope: readonly unknown[]): Condition[];
  filter(filter: object): Condition[];
  /**
   * The sync units whose freshness this listing needs (see units.ts); undefined when the listing is not the
   * account's own (a search of public types): it is then read into a scratch mirror for the request.
   */
  units(scope: readonly unknown[]): string[] | undefined;
}

/** How one kind of listing reads the mirror: `O` names its scope, filter and item types. */
interface ListingSpec<O extends ListingOperation> extends RowSource<ListingItems[O]> {
  where(scope: ScopeOf<O>): Condition[];
  filter(filter: ListingFilters[O]): Condition[];
  units(scope: ScopeOf<O>): string[] | undefined;
}

const col = (name: string) => sql.ref(name);
const inList = (column: string, values: readonly unknown[]) =>
  sql`${col(column)} in (${sql.join(values.map((v) => sql`${v}`))})`;
const some = (values: readonly unknown[] | null | undefined): values is readonly unknown[] => !!values?.length;

function hitFilter(f: HitFilter): Condition[] {
  const out: Condition[] = [];
  if (some(f.statuses)) out.push(inList("status", f.statuses));
  if (some(f.reviewStatuses)) out.push(inList("review_status", f.reviewStatuses));
  if (some(f.hitTypeIds)) out.push(inList("hit_type_id", f.hitTypeIds));
  return out;
}
const HIT_SORTS = {
  CREATION_TIME: "creation_time",
  EXPIRATION: "expiration",
  TITLE: "title_lower",
  REWARD: "reward_cents",
};
/** HITs MTurk still lists: a deleted or disposed HIT is kept for history but listed by no List operation. */
const listedHit = sql`${col("status")} <> 'Disposed' and ${col("forgotten")} = 0`;
const none = () => [];

/** A listing of HITs: MTurk lists them newest first; `where` says which (a HIT type's requirement, a status). */
type HitListing = "ListHITs" | "ListReviewableHITs" | "ListHITsForQualificationType";
const hitListing = <O extends HitListing>(where: (scope: ScopeOf<O>) => Condition[]): ListingSpec<O> => ({
  codec: HITS,
  ids: ["hit_id"],
  natural: { column: "creation_time", desc: true },
  sorts: HIT_SORTS,
  where,
  filter: hitFilter,
  units: () => ["hits"],
});

const LISTINGS: { [O in ListingOperation]: ListingSpec<O> } = {
  ListHITs: hitListing(() => [listedHit]),
  ListReviewableHITs: hitListing((scope) => {
    const f = scope[1];
    const status = sql`${col("status")} = ${f.status ?? "Reviewable"}`;
    return f.hitTypeId ? [status, sql`${col("hit_type_id")} = ${f.hitTypeId}`] : [status];
  }),
  ListHITsForQualificationType: hitListing((scope) => [
    listedHit,
    sql`exists (select 1 from hit_requirements r where r.hit_id = hits.hit_id and r.qualification_type_id = ${scope[1]})`,
  ]),
  ListAssignmentsForHIT: {
    codec: ASSIGNMENTS,
    ids: ["assignment_id", "worker_id"],
    natural: { column: "submit_time" },
    sorts: { SUBMIT_TIME: "submit_time", ACCEPT_TIME: "accept_time", WORKER_ID: "worker_id", STATUS: "status" },
    where: (scope) => [
      sql`${col("hit_id")} = ${scope[1]}`,
      inList("status", scope[2] ?? ["Submitted", "Approved", "Rejected"]),
    ],
    filter: (f) => (f.workerId ? [sql`${col("worker_id")} = ${f.workerId}`] : []),
    units: (scope) => [`assignments:${scope[1]}`],
  },
  ListBonusPayments: {
    codec: BONUSES,
    ids: ["bonus_id"],
    natural: { column: "grant_time" },
    sorts: { GRANT_TIME: "grant_time", AMOUNT: "amount_cents", WORKER_ID: "worker_id" },
    where: (scope) => {
      const of = scope[1];
      return of.assignmentId !== null
        ? [sql`${col("assignment_id")} = ${of.assignmentId}`]
        : [sql`${col("hit_id")} = ${of.hitId}`];
    },
    filter: none,
    units: (scope) => {
      const of = scope[1];
      return [of.assignmentId !== null ? `bonusesOf:${of.assignmentId}` : `bonuses:${of.hitId}`];
    },
  },
  ListQualificationRequests: {
    codec: REQUESTS,
    ids: ["qualification_request_id"],
    natural: { column: "submit_time" },
    sorts: { SUBMIT_TIME: "submit_time", QUALIFICATION_TYPE_ID: "qualification_type_id", WORKER_ID: "worker_id" },
    where: (scope) => [
      sql`${col("status")} = 'Pending'`,
      ...(scope[1] === null ? [] : [sql`${col("qualification_type_id")} = ${scope[1]}`]),
    ],
    filter: (f) => [
      ...(f.submittedAfter ? [sql`${col("submit_time")} >= ${f.submittedAfter.getTime()}`] : []),
      ...(f.submittedBefore ? [sql`${col("submit_time")} < ${f.submittedBefore.getTime()}`] : []),
      ...(f.workerId ? [sql`${col("worker_id")} = ${f.workerId}`] : []),
    ],
    units: (scope) => [scope[1] === null ? "requests" : `requests:${scope[1]}`],
  },
  ListQualificationTypes: {
    codec: TYPES,
    ids: ["qualification_type_id"],
    natural: { column: "creation_time" },
    sorts: { NAME: "name_lower", CREATION_TIME: "creation_time" },
    where: (scope) => {
      const f = scope[1];
      const own = f.mustBeOwnedByCaller !== false && !f.query;
      return [
        sql`${col("deleted_at")} is null`,
        ...(own ? [sql`${col("owned")} = 1`] : []),
        ...(f.mustBeRequestable ? [sql`${col("is_requestable")} = 1`] : []),
      ];
    },
    filter: none,
    // The account's own types are mirrored; MTurk's text search and public types are MTurk's, read per request.
    units: (scope) => {
      const f = scope[1];
      return f.mustBeOwnedByCaller !== false && !f.query ? ["types"] : undefined;
    },
  },
  ListWorkersWithQualificationType: {
    codec: QUALIFICATIONS,
    ids: ["worker_id"],
    natural: { column: "grant_time" },
    sorts: { GRANT_TIME: "grant_time", INTEGER_VALUE: "integer_value", WORKER_ID: "worker_id" },
    where: (scope) => [sql`${col("qualification_type_id")} = ${scope[1]}`, sql`${col("status")} = ${scope[2]}`],
    filter: none,
    units: (scope) => [`qualifications:${scope[1]}:${scope[2]}`],
  },
  ListWorkerBlocks: {
    codec: BLOCKS,
    ids: ["worker_id"],
    natural: { column: "worker_id" },
    sorts: { WORKER_ID: "worker_id" },
    where: () => [sql`${col("present")} = 1`],
    filter: none,
    units: () => ["blocks"],
  },
};

/** Where a page starts: after the item a cursor names (its sort value and ids), or at an offset (page numbers). */
export interface MirrorCursor {
  k: string | number | null;
  i: string[];
}

export interface PageRequest {
  orderBy?: { field: string; direction?: "ASC" | "DESC" | null } | null;
  filter?: object | null;
  after?: MirrorCursor;
  offset?: number;
  count: number;
}

export interface MirrorPage<T> {
  items: T[];
  cursors: MirrorCursor[];
  /** An item follows the page. */
  more: boolean;
}

const isListing = (name: unknown): name is ListingOperation =>
  typeof name === "string" && Object.hasOwn(LISTINGS, name);

/** The spec of the listing a scope names (its first member is the operation). */
function specOf(scope: readonly unknown[]): RowSource<unknown> {
  const name = scope[0];
  if (!isListing(name)) throw new Error(`No mirror listing for ${String(name)}.`);
  return LISTINGS[name];
}

/** The sort column and direction a request asks for, or the listing's natural order. */
function orderOf(spec: RowSource<unknown>, orderBy: PageRequest["orderBy"]) {
  if (!orderBy) return { column: spec.natural.column, desc: spec.natural.desc === true };
  const column = spec.sorts[orderBy.field];
  if (!column) throw new Error(`No mirror column for ${orderBy.field}.`);
  return { column, desc: orderBy.direction === "DESC" };
}

function conditions(
  spec: RowSource<unknown>,
  scope: readonly unknown[],
  filter?: object | null,
  extra: Condition[] = [],
) {
  const all = [...spec.where(scope), ...(filter ? spec.filter(filter) : []), ...extra];
  return all.length ? sql`where ${sql.join(all, sql` and `)}` : sql``;
}

/**
 * The order: the sort value (missing values last in either direction), then the ids ascending. Rows with a value and
 * rows without are read apart, so each part walks an index (`order by (col is null)` made SQLite sort the whole
 * listing).
 */
function ordering(column: string, desc: boolean, ids: readonly string[]) {
  const dir = sql.raw(desc ? "desc" : "asc");
  const idTuple = sql`(${sql.join(ids.map(col))})`;
  const byIds = sql.join(ids.map(col));
  return {
    valued: sql`order by ${col(column)} ${dir}, ${byIds}`,
    missing: sql`order by ${byIds}`,
    /** Rows whose ids follow the cursor's in the order. */
    idsAfter: (after: MirrorCursor) => {
      const values = sql`(${sql.join(after.i.map((v) => sql`${v}`))})`;
      return sql`${idTuple} > ${values}`;
    },
    /** Rows with a value that follow a cursor with one. */
    valueAfter: (k: string | number) => (desc ? sql`${col(column)} < ${k}` : sql`${col(column)} > ${k}`),
  };
}

const sortValue = (value: unknown) => (typeof value === "string" || typeof value === "number" ? value : null);

/** One page of a listing from the mirror, one item more than asked to know whether more follow. */
export const mirrorPage = async <T>(db: MirrorDb, scope: readonly unknown[], request: PageRequest) =>
  // The caller names the item type its scope's listing holds (ListingItems).
  (await runPage(db, specOf(scope), scope, request)) as MirrorPage<T>;

/** One page of any spec's rows (a listing, or a view such as a worker's history). */
export async function runPage<T>(
  db: MirrorDb,
  spec: RowSource<T>,
  scope: readonly unknown[],
  request: PageRequest,
): Promise<MirrorPage<T>> {
  const { column, desc } = orderOf(spec, request.orderBy);
  const order = ordering(column, desc, spec.ids);
  const { after } = request;
  const limit = request.count + 1;
  const table = sql.table(spec.codec.table);
  let skip = request.offset ?? 0;
  const rows: Row[] = [];
  if (after?.k !== null) {
    const resume = after
      ? [sql`(${order.valueAfter(after.k)} or (${col(column)} = ${after.k} and ${order.idsAfter(after)}))`]
      : [];
    const where = conditions(spec, scope, request.filter, [sql`${col(column)} is not null`, ...resume]);
    const valued =
      await sql<Row>`select * from ${table} ${where} ${order.valued} limit ${limit} offset ${skip}`.execute(db);
    rows.push(...valued.rows);
    // An offset past every valued row reaches into the missing ones by what is left of it.
    if (!valued.rows.length && skip > 0) {
      const { rows: counted } = await sql<{ n: number | string }>`select count(*) as n from ${table} ${where}`.execute(
        db,
      );
      skip = Math.max(0, skip - Number(counted[0]?.n ?? 0));
    } else skip = 0;
  }
  if (rows.length < limit) {
    const resume = after?.k === null ? [order.idsAfter(after)] : [];
    const where = conditions(spec, scope, request.filter, [sql`${col(column)} is null`, ...resume]);
    const missing =
      await sql<Row>`select * from ${table} ${where} ${order.missing} limit ${limit - rows.length} offset ${skip}`.execute(
        db,
      );
    rows.push(...missing.rows);
  }
  const page = rows.slice(0, request.count);
  if (spec.codec?.hasData) await withItemData(db, spec.codec.table, spec.codec.key, page);
  return {
    items: page.map((row) => spec.codec.item(row)),
    cursors: page.map((row) => ({
      k: sortValue(row[column]),
      i: spec.ids.map((id) => String(row[id])),
    })),
    more: rows.length > request.count,
  };
}

/** How many items the (filtered) listing holds. */
export const mirrorCount = (db: MirrorDb, scope: readonly unknown[], filter?: object | null) =>
  runCount(db, specOf(scope), scope, filter);

export async function runCount(
  db: MirrorDb,
  spec: RowSource<unknown>,
  scope: readonly unknown[],
  filter?: object | null,
): Promise<number> {
  const { rows } = await sql<{
    n: number | string;
  }>`select count(*) as n from ${sql.table(spec.codec.table)} ${conditions(spec, scope, filter)}`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

/** The sync units a listing reads, or undefined for a listing that is not the account's own. */
export const unitsOf = (scope: readonly unknown[]) => specOf(scope).units(scope);

/**
 * A page MTurk listed, with the gateway's recent writes applied: an item a write took out of the listing (a decided
 * request MTurk still lists, a deleted HIT) is left out, one a write changed shows the change. MTurk's listings lag
 * writes; the mirror remembers what the gateway wrote (overlay, written_at) for WRITE_JOURNAL_MS.
 */
export async function withOwnWrites<T>(
  db: MirrorDb,
  scope: readonly unknown[],
  items: T[],
  protectMs: number,
): Promise<T[]> {
  if (!items.length) return items;
  const spec = specOf(scope);
  const codec = spec.codec;
  const conditions = spec.where(scope);
  const listed = conditions.length ? sql`case when ${sql.join(conditions, sql` and `)} then 1 else 0 end` : sql`1`;
  const keys = items.map((item) => codec.keyOf(item));
  const written = await rowsByKey(
    db,
    codec,
    keys,
    sql`${col("written_at")} >= ${Date.now() - protectMs}`,
    sql`${listed} as listed_now`,
  );
  if (!written.size) return items;
  return items.flatMap((item) => {
    const row = written.get(key(codec.keyOf(item)));
    if (!row) return [item];
    // The row is the item's own (its key's): its codec gives back an item of the item's type.
    return Number(row.listed_now) === 1 ? [codec.item(row) as T] : [];
  });
}
