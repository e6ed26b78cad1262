import { type RawBuilder, sql } from "kysely";
import type { MirrorDb } from "./database.js";
import { decodeItem, type TableCodec } from "./rows.js";

type Row = Record<string, unknown>;

/** What the gateway's own write set on a row: kept over MTurk's (possibly lagging) listings while it is recent. */
export interface Overlay<Item, Extra> {
  item?: Partial<Item>;
  extra?: Partial<Extra>;
}

/** SQLite binds at most 32,766 values per statement (PostgreSQL 65,535): rows are written in chunks below that. */
const MAX_VALUES = 30_000;

export const key = (values: readonly unknown[]) => values.map(String).join("\u0000");
const col = (name: string) => sql.ref(name);

/** What reading a table's rows by key needs of its codec; `item` gives the rows' type. */
type KeyedTable<R extends Row> = Pick<TableCodec<unknown, unknown, R>, "table" | "key" | "hasData" | "item">;

function keyIn(codec: { key: readonly string[] }, keys: string[][]): RawBuilder<unknown> {
  const tuple = sql`(${sql.join(codec.key.map(col))})`;
  return sql`${tuple} in (${sql.join(keys.map((k) => sql`(${sql.join(k.map((v) => sql`${v}`))})`))})`;
}

/** A row's id in item_data: its key's values ("|" between them: MTurk's ids are letters and digits). */
const dataId = (pk: readonly string[], row: Row) => pk.map((c) => String(row[c])).join("|");

/** Puts each row's `data` (the item's JSON) back from item_data: one query for the rows. */
export async function withItemData(db: MirrorDb, table: string, pk: readonly string[], rows: Row[]): Promise<Row[]> {
  const per = Math.floor(MAX_VALUES / 2);
  const byId = new Map<string, string>();
  for (let i = 0; i < rows.length; i += per) {
    const ids = rows.slice(i, i + per).map((row) => dataId(pk, row));
    const found = await db
      .selectFrom("item_data")
      .select(["id", "data"])
      .where("kind", "=", table)
      .where("id", "in", ids)
      .execute();
    for (const f of found) byId.set(f.id, f.data);
  }
  for (const row of rows) row.data = byId.get(dataId(pk, row)) ?? "{}";
  return rows;
}

/** The rows of these keys, by key (with their item's data). */
export async function rowsByKey<R extends Row>(
  db: MirrorDb,
  codec: KeyedTable<R>,
  keys: string[][],
  only: RawBuilder<unknown> = sql`1 = 1`,
  extra: RawBuilder<unknown> = sql`1 as one`,
): Promise<Map<string, R>> {
  const found = new Map<string, R>();
  const per = Math.max(1, Math.floor(MAX_VALUES / codec.key.length / 2));
  for (let i = 0; i < keys.length; i += per) {
    const chunk = keys.slice(i, i + per);
    const { rows } =
      await sql<R>`select *, ${extra} from ${sql.table(codec.table)} where ${keyIn(codec, chunk)} and ${only}`.execute(
        db,
      );
    if (codec.hasData) await withItemData(db, codec.table, codec.key, rows);
    for (const row of rows) found.set(key(codec.key.map((k) => row[k])), row);
  }
  return found;
}

/** The overlay of a row, if the gateway wrote it recently enough to still win over listings. */
function liveOverlay<I, E>(row: Row | undefined, since: number): Overlay<I, E> | undefined {
  if (typeof row?.overlay !== "string" || !row.overlay || Number(row.written_at ?? 0) < since) return undefined;
  return decodeItem<Overlay<I, E>>(row.overlay);
}

/**
 * Writes what MTurk listed (or returned) into the mirror: one upsert per chunk. A row the gateway wrote within
 * `protectMs` keeps what that write set (its overlay) over the listed values; `also` adds columns (sync bookkeeping).
 */
export async function upsertListed<I extends object, E extends object, R extends Row>(
  db: MirrorDb,
  codec: TableCodec<I, E, R>,
  entries: { item: I; extra: E }[],
  options: { now: number; protectMs: number; also?: Row; preserve?: readonly string[] },
): Promise<void> {
  if (!entries.length) return;
  const since = options.now - options.protectMs;
  const existing = await rowsByKey(
    db,
    codec,
    entries.map((e) => codec.keyOf(e.item)),
    sql`${col("written_at")} >= ${since}`,
  );
  const plain: Row[] = [];
  const overlaid: Row[] = [];
  for (const { item, extra } of entries) {
    const written = liveOverlay<I, E>(existing.get(key(codec.keyOf(item))), since);
    const stamp = { ...options.also, confirmed_at: options.now };
    if (!written) {
      plain.push({ ...codec.row(item, extra), ...stamp });
      continue;
    }
    // A listing that shows what the write set confirms it: from then on MTurk's listings say what changes next.
    const overlay = unconfirmed(written, item, extra);
    overlaid.push({
      ...codec.row({ ...item, ...overlay.item }, { ...extra, ...overlay.extra }),
      ...stamp,
      overlay: overlay.item || overlay.extra ? JSON.stringify(overlay) : null,
    });
  }
  if (plain.length) await writeRows(db, codec.table, codec.key, plain, options.preserve ?? []);
  if (overlaid.length) await writeRows(db, codec.table, codec.key, overlaid, options.preserve ?? []);
}

/** The part of a write's overlay that the listed item does not show yet. */
function unconfirmed<I extends object, E extends object>(overlay: Overlay<I, E>, item: I, extra: E): Overlay<I, E> {
  const pending = <T extends object>(written: Partial<T> | undefined, listed: T) => {
    if (!written) return undefined;
    const shown = new Map(Object.entries(listed));
    const left = Object.entries(written).filter(
      ([field, value]) => JSON.stringify(shown.get(field)) !== JSON.stringify(value),
    );
    return left.length ? (Object.fromEntries(left) as Partial<T>) : undefined;
  };
  return { item: pending(overlay.item, item), extra: pending(overlay.extra, extra) };
}

/**
 * Insert-or-update in chunks; an update keeps the write stamp (overlay, written_at) and the `preserve` columns. A
 * row's `data` goes to item_data.
 */
async function writeRows(db: MirrorDb, table: string, pk: readonly string[], rows: Row[], preserve: readonly string[]) {
  const data = rows
    .filter((row) => "data" in row)
    .map((row) => ({ kind: table, id: dataId(pk, row), data: String(row.data) }));
  const narrow = data.length ? rows.map(({ data: _data, ...row }) => row) : rows;
  const columns = Object.keys(narrow[0] ?? {});
  const updated = columns.filter((c) => !pk.includes(c) && !preserve.includes(c));
  const per = Math.max(1, Math.floor(MAX_VALUES / columns.length));
  const set = sql.join(updated.map((c) => sql`${sql.id(c)} = excluded.${sql.id(c)}`));
  for (let i = 0; i < narrow.length; i += per) {
    const values = narrow
      .slice(i, i + per)
      .map((row) => sql`(${sql.join(columns.map((c) => sql`${row[c] ?? null}`))})`);
    await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.id(c)))}) values ${sql.join(values)}
      on conflict (${sql.join(pk.map((c) => sql.id(c)))}) do update set ${set}`.execute(db);
  }
  for (let i = 0; i < data.length; i += Math.floor(MAX_VALUES / 3))
    await db
      .insertInto("item_data")
      .values(data.slice(i, i + Math.floor(MAX_VALUES / 3)))
      .onConflict((c) => c.columns(["kind", "id"]).doUpdateSet((eb) => ({ data: eb.ref("excluded.data") })))
      .execute();
}

/**
 * The gateway's own write: the row takes the change at once and remembers it (overlay, written_at) so that a listing
 * that still shows the old state does not undo it. A change to a row the mirror does not hold needs `base`, the
 * whole item (else there is nothing to change: the next sync brings the row).
 */
export async function applyWrite<I extends object, E extends object, R extends Row>(
  db: MirrorDb,
  codec: TableCodec<I, E, R>,
  change:
    | { key: string[]; overlay: Overlay<I, E>; base?: undefined }
    | { key: string[]; overlay: Overlay<I, E>; base: I; baseExtra: E },
  options: { now: number; protectMs: number; also?: Row },
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const found = (await rowsByKey(trx, codec, [change.key])).get(key(change.key));
    const from = found
      ? { item: codec.item(found), extra: codec.extra(found) }
      : "baseExtra" in change
        ? { item: change.base, extra: change.baseExtra }
        : undefined;
    if (!from) return false;
    const earlier = liveOverlay<I, E>(found, options.now - options.protectMs) ?? {};
    const overlay: Overlay<I, E> = {
      item: { ...earlier.item, ...change.overlay.item },
      extra: { ...earlier.extra, ...change.overlay.extra },
    };
    const item: I = { ...from.item, ...change.base, ...overlay.item };
    const extra: E = { ...from.extra, ...overlay.extra };
    const row = {
      ...codec.row(item, extra),
      ...options.also,
      confirmed_at: found ? Number(found.confirmed_at ?? options.now) : options.now,
      written_at: options.now,
      overlay: JSON.stringify(overlay),
    };
    await writeRows(trx, codec.table, codec.key, [row], []);
    return true;
  });
}
