import { and, desc, lte, sql, type eq } from "ponder";

type Condition = ReturnType<typeof eq>;

/**
 * The last row of a per-block history table at or before `block` (by blockNumber, then logIndex
 * where the table has one), among rows matching `conditions`.
 */
export async function latestAtOrBefore<Row>(db: any, table: any, conditions: Condition[], block: bigint): Promise<Row | undefined> {
  const order = table.logIndex ? [desc(table.blockNumber), desc(table.logIndex)] : [desc(table.blockNumber)];
  const rows = await db
    .select()
    .from(table)
    .where(and(...conditions, lte(table.blockNumber, block)))
    .orderBy(...order)
    .limit(1);
  return rows[0];
}

/**
 * latestAtOrBefore for many values of one key column in one statement (an index lookup each, side by
 * side): key -> the raw row (snake_case columns, numerics as strings). Keys are compared lowercase.
 */
export async function latestPerKey(
  db: any,
  table: any,
  keyColumn: any,
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
  const rows: Record<string, unknown>[] = result.rows ?? result;
  return new Map(rows.map((r) => [String(r.lookup_key), r]));
}

/**
 * The row with this id, else the one `load` builds (from contract reads, say), inserted the first
 * time it is needed: state that has no event of its own, recorded once per key. `recorded` runs
 * after a first insert (to act on what changed).
 */
export async function findOrRecord<Row extends object>(
  db: any,
  table: any,
  id: string,
  load: () => Promise<Row>,
  recorded?: (row: Row) => Promise<void>,
): Promise<Row> {
  const known = await db.find(table, { id });
  if (known) return known as Row;
  const row = await load();
  await db.insert(table).values({ id, ...row });
  await recorded?.(row);
  return row;
}

/**
 * `row` as its key's state at its block: the per-block history row (id `${key}:${blockNumber}`, the
 * block's last write wins) and the key's current row, which handlers read by id instead of a query.
 */
export async function recordWithCurrent(db: any, history: any, current: any, key: string, row: { blockNumber: bigint }) {
  await db.insert(history).values({ id: `${key}:${row.blockNumber}`, ...row }).onConflictDoUpdate(row);
  await db.insert(current).values({ id: key, ...row }).onConflictDoUpdate(row);
}
