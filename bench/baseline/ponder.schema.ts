import { onchainTable } from "ponder";

/** Every event as it came: name, position in the chain, arguments as JSON. */
export const rawEvent = onchainTable("raw_event", (t) => ({
  id: t.text().primaryKey(),
  name: t.text().notNull(),
  blockNumber: t.bigint().notNull(),
  logIndex: t.integer().notNull(),
  args: t.json().notNull(),
}));
