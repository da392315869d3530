// Answers made with src/core/lazy.ts lazyFields keep their lazy figures as enumerable getters on their
// class's prototype. Deep equality (toEqual) compares those figures too, as a for-in sees them: a test
// comparing two answers compares everything they say.
import { expect } from "vitest";
import { allFields } from "../../src/core/lazy";

type Tester = Parameters<typeof expect.addEqualityTesters>[0][number];

const hasLazyFields = (value: unknown): value is object => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype: object | null = Object.getPrototypeOf(value);
  if (prototype === null || prototype === Object.prototype) return false;
  return Object.values(Object.getOwnPropertyDescriptors(prototype)).some((d) => d.enumerable && d.get !== undefined);
};

const lazyAnswersEqual: Tester = function (a, b, testers) {
  if (!hasLazyFields(a) && !hasLazyFields(b)) return undefined;
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) return false;
  return this.equals(allFields(a), allFields(b), testers);
};

expect.addEqualityTesters([lazyAnswersEqual]);
