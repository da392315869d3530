import { describe, expect, it } from "vitest";
import { lookupCache, lookupMany, sharedLookups } from "../../src/core/memo";

describe("lookups", () => {
  it("loads a key once, and again after a failure", async () => {
    const lookups = lookupCache();
    let calls = 0;
    const load = async () => {
      calls++;
      if (calls === 1) throw new Error("database gone");
      return calls;
    };
    await expect(lookups("k", load)).rejects.toThrow("database gone");
    expect(await lookups("k", load)).toBe(2);
    expect(await lookups("k", load)).toBe(2);
    expect(calls).toBe(2);
  });

  it("batches the keys not cached yet into one load, and caches keys the load did not return as absent", async () => {
    const lookups = lookupCache();
    const loads: string[][] = [];
    const load = async (missing: string[]) => {
      loads.push([...missing]);
      return new Map(missing.filter((k) => k !== "none").map((k) => [k, k.toUpperCase()]));
    };
    expect([...(await lookupMany(lookups, ["a", "b", "none"], load))]).toEqual([["a", "A"], ["b", "B"], ["none", undefined]]);
    expect([...(await lookupMany(lookups, ["b", "c", "none"], load))]).toEqual([["b", "B"], ["c", "C"], ["none", undefined]]);
    expect(loads).toEqual([["a", "b", "none"], ["c"]]);
  });

  it("shares lookups while the data's version holds, and starts afresh when it changes", async () => {
    const shared = sharedLookups();
    let calls = 0;
    const load = async () => ++calls;
    expect(await shared("v1")("k", load)).toBe(1);
    expect(await shared("v1")("k", load)).toBe(1);
    expect(await shared("v2")("k", load)).toBe(2);
    expect(await shared("v1")("k", load)).toBe(3); // an older version is not served from the newer one's cache
    expect(await shared(undefined)("k", load)).toBe(4);
    expect(await shared(undefined)("k", load)).toBe(5); // no version: nothing shared
  });

  it("stops storing past its bound but still answers", async () => {
    const lookups = lookupCache(1);
    let calls = 0;
    const load = async () => ++calls;
    expect(await lookups("a", load)).toBe(1);
    expect(await lookups("b", load)).toBe(2);
    expect(await lookups("b", load)).toBe(3);
    expect(await lookups("a", load)).toBe(1);
  });
});
