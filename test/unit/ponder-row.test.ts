import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { position } from "../../ponder.schema";
import { readOnlyRow } from "../../src/core/ponder-row";

// src/core/ponder-row.ts reads a found row past ponder's copy-on-write proxy. This runs the installed
// ponder's own indexing store (its db.find over a stand-in cache) so that an upgrade that drops or
// renames the proxy's answer fails here, not silently in the indexing speed.
type Store = { db: { find(table: unknown, key: unknown): Promise<Record<string, unknown> | null> } };
const storeModule = pathToFileURL(resolve(import.meta.dirname, "../../node_modules/ponder/dist/esm/indexing-store/index.js")).href;

async function ponderFind(stored: Record<string, unknown>) {
  const { createIndexingStore } = (await import(storeModule)) as { createIndexingStore(args: unknown): Store };
  const store = createIndexingStore({
    common: { metrics: { ponder_indexing_store_queries_total: { inc() {} } } },
    schemaBuild: { schema: { position } },
    indexingCache: { get: async () => stored },
    indexingErrorHandler: { setRetryableError() {} },
    chainId: undefined,
  });
  return (await store.db.find(position, { id: "1:0xvault:0xkey" }))!;
}

describe("readOnlyRow over ponder's store", () => {
  it("gives the stored row itself, where ponder's find gives a proxy that clones on reading an object column", async () => {
    const stored = { id: "1:0xvault:0xkey", sizeUsd: 5n, protocolState: { reserveAmount: "7" } };
    const found = await ponderFind(stored);
    expect(found).not.toBe(stored);
    expect(found.protocolState).not.toBe(stored.protocolState);
    expect(found.protocolState).toEqual(stored.protocolState);

    const row = readOnlyRow(await ponderFind(stored));
    expect(row).toBe(stored);
    expect(row.protocolState).toBe(stored.protocolState);
  });

  it("gives any other object as it is", () => {
    const plain = { id: "x", sizeUsd: 1n };
    expect(readOnlyRow(plain)).toBe(plain);
  });
});
