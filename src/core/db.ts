import type { PgTable, ReadonlyDrizzle, Virtual } from "ponder";

/** The tables ponder indexes into (ponder.schema.ts: the core tables and every protocol's). */
export type PonderSchema = typeof import("../../ponder.schema");

/** Read-only drizzle handle on the indexed tables: `db` of ponder:api, `context.db.sql` in a handler. */
export type ReadonlyDb = ReadonlyDrizzle<PonderSchema>;

/** A handler's `context`: its chain, RPC client and indexing store. */
export type IndexingContext = Virtual.Context<typeof import("../../ponder.config").default, PonderSchema, never>;

/** ponder's indexing store, `context.db` of a handler (find / insert / update / delete, and `sql`). */
export type IndexingDb = IndexingContext["db"];

/** The part of the indexing store that helpers over any `id`-keyed table use (core/history.ts). */
export type RowStore = {
  find(table: PgTable, key: { id: string }): Promise<object | null>;
  insert(table: PgTable): { values(row: object): PromiseLike<unknown> & { onConflictDoUpdate(set: object): PromiseLike<unknown> } };
};

/**
 * ponder's store as a RowStore: its signatures are per table (typed rows and keys), which a helper
 * over any keyed table cannot name; the helpers pass tables of ponder.schema.ts and rows of them.
 */
export const rowStore = (db: IndexingDb): RowStore => db as unknown as RowStore;

/** Rows of a raw statement (`db.execute`): node-postgres answers { rows }, PGlite's drizzle the rows themselves. */
export const rowsOf = <R>(result: object): R[] => ("rows" in result ? result.rows : result) as R[];
