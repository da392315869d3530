import type { DatabaseKind } from "./indexer";

/** Integration suites run on both databases unless TEST_DATABASES narrows it ("pglite", "postgres"). */
export const DATABASES: DatabaseKind[] = (process.env.TEST_DATABASES ?? "pglite,postgres")
  .split(",")
  .map((s) => s.trim())
  .filter((s): s is DatabaseKind => s === "pglite" || s === "postgres");
