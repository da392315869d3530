import type { ReadonlyDrizzle } from "ponder";

/** The tables ponder indexes into (ponder.schema.ts: the core tables and every protocol's). */
export type PonderSchema = typeof import("../../ponder.schema");

/** Read-only drizzle handle on the indexed tables (`db` of ponder:api; what the read model queries). */
export type ReadonlyDb = ReadonlyDrizzle<PonderSchema>;
