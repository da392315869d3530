/**
 * `work` over `items`, `size` at a time, answers in order: what each item reads (database lookups)
 * then waits in the pool no longer than that batch, and other queries get their turn between batches.
 */
export async function inBatches<T, R>(items: T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(work))));
  return out;
}
