/** `compute`, run on the first call only, its value kept. */
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

const COMPUTE = Symbol("lazy fields");

/** Per object, the function behind each of its lazy fields. */
type LazyComputations<Lazy> = { [K in keyof Lazy]: () => Lazy[K] };
type Computed<Lazy> = { [COMPUTE]: LazyComputations<Lazy> };

/**
 * A class for answers with fields worked out when read (a stress point or an alert rule may need few
 * of an answer's figures): an instance holds the other fields as its own properties, and each lazy
 * field is a getter on the class's prototype that calls the instance's own function for it.
 *
 * Not a getter in each answer's literal: V8 (node 20) allocates the accessor pair behind an object's
 * own getter in its old generation, so the getter's closure, and all it closes over (the rows, the
 * figures), outlives young-generation collections and waits for a major one: test/unit/lazy.test.ts
 * measures both (docs/benchmarks.md, "What filled the API's old generation").
 */
export function lazyFields<Fields extends object, Lazy extends object>(names: readonly (keyof Lazy & string)[]) {
  class WithLazyFields {
    constructor(fields: Fields, computations: LazyComputations<Lazy>) {
      Object.assign(this, fields);
      (this as unknown as Computed<Lazy>)[COMPUTE] = computations;
    }
  }
  for (const name of names) {
    Object.defineProperty(WithLazyFields.prototype, name, {
      get(this: Computed<Lazy>) {
        return this[COMPUTE][name]();
      },
      enumerable: true,
    });
  }
  return WithLazyFields as unknown as new (fields: Fields, computations: LazyComputations<Lazy>) => Fields & Lazy;
}

/** Every field a for-in sees: the object's own and a lazyFields prototype's (read, so worked out), which a spread leaves out. */
export function allFields(value: object): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const name in value) fields[name] = (value as Record<string, unknown>)[name];
  return fields;
}
