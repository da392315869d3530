/** Lookups by key: each key's promise is made once and shared (a failed one is dropped, so it is retried). */
export type Lookups = <T>(key: string, load: () => Promise<T>) => Promise<T>;

/** A per-query cache of lookups by key. */
export function lookupCache(maxEntries = Infinity): Lookups {
  const memo = new Map<string, Promise<unknown>>();
  return <T>(key: string, load: () => Promise<T>): Promise<T> => {
    const known = memo.get(key);
    if (known) return known as Promise<T>;
    const loading = load();
    if (memo.size < maxEntries) {
      memo.set(key, loading);
      loading.catch(() => memo.delete(key));
    }
    return loading;
  };
}

/**
 * Lookups shared by every query that reads the same version of the indexed data (see
 * src/exposure/service's chainHeads): a block's prices and protocol parameters are read once per version,
 * not once per query. Only the last version asked for is kept.
 */
export function sharedLookups(maxEntries = 50_000) {
  let current: { version: string; lookups: Lookups } | null = null;
  return (version: string | undefined): Lookups => {
    if (version === undefined) return lookupCache();
    if (current?.version !== version) current = { version, lookups: lookupCache(maxEntries) };
    return current.lookups;
  };
}

/**
 * Values for many keys through `lookups`, the ones not cached yet loaded by one `load` call (one
 * statement for a batch). Keys `load` does not return are cached as absent.
 */
export async function lookupMany<V>(
  lookups: Lookups,
  keys: string[],
  load: (missing: string[]) => Promise<Map<string, V>>,
): Promise<Map<string, V | undefined>> {
  const missing: string[] = [];
  let batch: Promise<Map<string, V>> | undefined;
  const results = keys.map((key) =>
    lookups<V | undefined>(key, () => {
      missing.push(key);
      // Runs synchronously for every missing key before `load` is first awaited.
      batch ??= Promise.resolve().then(() => load(missing));
      return batch.then((loaded) => loaded.get(key));
    }),
  );
  const values = await Promise.all(results);
  return new Map(keys.map((key, i) => [key, values[i]]));
}
