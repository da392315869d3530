/**
 * `target` with each of `fields` computed on its first read and kept: enumerable, so spreads and deep
 * equality see it like a plain field. For answers most of whose figures a query may not ask for.
 */
export function withLazyFields<T extends object, L extends object>(target: T, fields: { [K in keyof L]: () => L[K] }): T & L {
  for (const key of Object.keys(fields) as (keyof L & string)[]) {
    Object.defineProperty(target, key, {
      enumerable: true,
      configurable: true,
      get() {
        const value = fields[key]();
        Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
        return value;
      },
    });
  }
  return target as T & L;
}
