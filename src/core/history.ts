import { and, desc, lte, sql, type eq, type PgColumn, type PgTable } from "ponder";
import { rowsOf, rowStore, type IndexingDb, type ReadonlyDb } from "./db";

type Condition = ReturnType<typeof eq>;
/** A per-block history table: rows keyed by block (and log index, where it has one). */
type HistoryTable = PgTable & { blockNumber: PgColumn; logIndex?: PgColumn };
/** An onchain table keyed by a text `id` (what the store helpers below write). */
type KeyedTable = PgTable & { id: PgColumn };

/**
 * The last row of a per-block history table at or before `block` (by blockNumber, then logIndex
 * where the table has one), among rows matching `conditions`.
 */
export async function latestAtOrBefore<Row>(db: ReadonlyDb, table: HistoryTable, conditions: Condition[], block: bigint): Promise<Row | undefined> {
  const order = table.logIndex ? [desc(table.blockNumber), desc(table.logIndex)] : [desc(table.blockNumber)];
  const rows = await db
    .select()
    .from(table)
    .where(and(...conditions, lte(table.blockNumber, block)))
    .orderBy(...order)
    .limit(1);
  return rows[0] as Row | undefined;
}

/**
 * latestAtOrBefore for many values of one key column in one statement (an index lookup each, side by
 * side): key -> the raw row (snake_case columns, numerics as strings). Keys are compared lowercase.
 */
export async function latestPerKey(
  db: ReadonlyDb,
  table: HistoryTable,
  keyColumn: PgColumn,
  keys: string[],
  conditions: Condition[],
  block: bigint,
): Promise<Map<string, Record<string, unknown>>> {
  if (keys.length === 0) return new Map();
  const order = table.logIndex ? sql`${table.blockNumber} DESC, ${table.logIndex} DESC` : sql`${table.blockNumber} DESC`;
  const result = await db.execute(sql`
    SELECT k.key AS lookup_key, t.* FROM unnest(ARRAY[${sql.join(keys.map((k) => sql`${k.toLowerCase()}`), sql`, `)}]::text[]) AS k(key)
    CROSS JOIN LATERAL (
      SELECT * FROM ${table}
      WHERE ${and(...conditions)} AND ${keyColumn} = k.key AND ${table.blockNumber} <= ${block.toString()}::numeric
      ORDER BY ${order}
      LIMIT 1
    ) AS t`);
  const rows = rowsOf<Record<string, unknown>>(result);
  return new Map(rows.map((r) => [String(r.lookup_key), r]));
}

/**
 * The row with this id, else the one `load` builds (from contract reads, say), inserted the first
 * time it is needed: state that has no event of its own, recorded once per key. `recorded` runs
 * after a first insert (to act on what changed).
 */
export async function findOrRecord<Row extends object>(
  db: IndexingDb,
  table: KeyedTable,
  id: string,
  load: () => Promise<Row>,
  recorded?: (row: Row) => Promise<void>,
): Promise<Row> {
  const store = rowStore(db);
  const known = await store.find(table, { id });
  if (known) return known as Row;
  const row = await load();
  await store.insert(table).values({ id, ...row });
  await recorded?.(row);
  return row;
}

/**
 * `row` as its key's state at its block: the per-block history row (id `${key}:${blockNumber}`, the
 * block's last write wins) and the key's current row, which handlers read by id instead of a query.
 */
export async function recordWithCurrent(db: IndexingDb, history: KeyedTable, current: KeyedTable, key: string, row: { blockNumber: bigint }) {
  const store = rowStore(db);
  await store.insert(history).values({ id: `${key}:${row.blockNumber}`, ...row }).onConflictDoUpdate(row);
  await store.insert(current).values({ id: key, ...row }).onConflictDoUpdate(row);
}
