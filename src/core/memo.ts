/** A per-query cache of lookups by key: each key's promise is made once and shared. */
export function lookupCache() {
  const memo = new Map<string, Promise<unknown>>();
  return <T>(key: string, load: () => Promise<T>): Promise<T> => {
    if (!memo.has(key)) memo.set(key, load());
    return memo.get(key) as Promise<T>;
  };
}
