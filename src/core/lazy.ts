/**
 * `compute`, run on the first call only, its value kept. For answers' figures a query may not ask for,
 * exposed as getters in the answer's own literal (`get totals() { return totals(); }`): enumerable, so
 * spreads and deep equality see them like plain fields, and cheaper to make than accessors added later
 * (a stress query makes an answer per point).
 */
export function once<T>(compute: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = compute();
      done = true;
    }
    return value;
  };
}
