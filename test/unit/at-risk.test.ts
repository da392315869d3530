import { describe, expect, it } from "vitest";
import {
  alwaysKey,
  compareDistance,
  decodeCursor,
  distanceKey,
  DISTANCE_ONE,
  encodeCursor,
  isWithin,
  levelBound,
  resumeLevel,
} from "../../src/core/at-risk";
import { createRng } from "../chain/rng";

const E30 = 10n ** 30n;

describe("at-risk keys and bounds", () => {
  it("levelBound admits exactly the levels whose distance is within the bound", () => {
    const rng = createRng(11);
    for (let i = 0; i < 2_000; i++) {
      const mark = BigInt(1 + rng.int(0, 5_000)) * E30 + BigInt(rng.int(0, 1_000_000));
      const d = BigInt(rng.int(0, 200)) * 10n ** 15n + BigInt(rng.int(0, 1_000)); // 0 .. 20%, odd units
      const isLong = rng.chance(0.5);
      const bound = levelBound(isLong, mark, d);
      for (const level of [bound - 1n, bound, bound + 1n]) {
        // Definition: long (mark - L) / mark <= d, short (L - mark) / mark <= d, in exact integers.
        const gap = isLong ? mark - level : level - mark;
        const within = gap * DISTANCE_ONE <= d * mark;
        expect(isWithin(distanceKey("p", isLong, level, mark), d)).toBe(within);
        expect(isLong ? level >= bound : level <= bound).toBe(within);
      }
    }
  });

  it("resumeLevel selects exactly the rows the cursor is before", () => {
    const rng = createRng(12);
    for (let i = 0; i < 2_000; i++) {
      const isLong = rng.chance(0.5);
      // Marks and levels on a coarse grid, so equal distances (ties broken by id) really occur.
      const mark = BigInt(2 + rng.int(0, 40)) * 1_000n;
      const cursorLevel = BigInt(rng.int(0, 80)) * 1_000n + BigInt(rng.int(0, 3)) * 500n;
      const cursor = distanceKey("m", isLong, cursorLevel, mark);
      const resume = resumeLevel(isLong, mark, cursor);
      for (const level of [cursorLevel - 1n, cursorLevel, cursorLevel + 1n, resume.level - 1n, resume.level, resume.level + 1n]) {
        for (const id of ["a", "m", "z"]) {
          const after = compareDistance(distanceKey(id, isLong, level, mark), cursor) > 0;
          const past = isLong ? level < resume.level : level > resume.level;
          const tieAfter = isLong ? id < cursor.positionId : id > cursor.positionId;
          const selected = past || (resume.inclusive && level === resume.level && tieAfter);
          expect(selected).toBe(after);
        }
      }
    }
  });

  it("orders always-liquidatable first, then nearer distances; at equal distance longs (id descending) before shorts (id ascending)", () => {
    const keys = [
      distanceKey("b", true, 95n * E30, 100n * E30), // 5%
      distanceKey("a", false, 2_100n * E30, 2_000n * E30), // 5%, a short: after the longs
      distanceKey("e", true, 1_900n * E30, 2_000n * E30), // 5%, another market: longs by id descending
      distanceKey("f", false, 105n * E30, 100n * E30), // 5%
      alwaysKey("z", false),
      alwaysKey("y", true),
      distanceKey("c", true, 101n * E30, 100n * E30), // -1%: liquidatable now
      distanceKey("d", false, 104n * E30, 100n * E30), // 4%
    ];
    expect([...keys].sort(compareDistance).map((k) => k.positionId)).toEqual(["y", "z", "c", "d", "e", "b", "a", "f"]);
    expect(isWithin(alwaysKey("z", false), 0n)).toBe(true);
  });

  it("round-trips cursors and refuses forged ones", () => {
    const key = distanceKey("1:gmx-v1:0xab:0xcd", false, 3_001n * E30 + 7n, 3_000n * E30);
    expect(decodeCursor(encodeCursor(key))).toEqual(key);
    expect(decodeCursor(encodeCursor(alwaysKey("x", true)))).toEqual(alwaysKey("x", true));
    for (const bad of ["", "not-base64!", Buffer.from("[1,2]").toString("base64url"), Buffer.from('[0,"1","0","x"]').toString("base64url")]) {
      expect(decodeCursor(bad)).toBeNull();
    }
  });
});
