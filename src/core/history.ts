import { and, desc, lte, type eq } from "ponder";

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
