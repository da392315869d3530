import { describe, expect, it } from "vitest";
import {
  accrueInterest,
  borrowCapacity,
  isHealthy,
  liquidationIncentiveFactor,
  liquidationOraclePrice,
  toAssetsDown,
  toAssetsUp,
  toSharesDown,
  toSharesUp,
  WAD,
} from "../../src/protocols/morpho-blue/math";
import { createRng } from "../chain/rng";

const rng = createRng(99);
const big = (digits: number) => BigInt(Math.floor(rng.next() * 10 ** Math.min(digits, 15))) * 10n ** BigInt(Math.max(0, digits - 15)) + 1n;

describe("Morpho Blue math", () => {
  it("puts the liquidation oracle price exactly at the edge of _isHealthy on 5,000 random positions", () => {
    for (let i = 0; i < 5_000; i++) {
      const collateral = big(rng.int(1, 30));
      const borrowed = big(rng.int(1, 30));
      const lltv = BigInt(rng.int(1, 999_999)) * 10n ** 12n;
      const level = liquidationOraclePrice(collateral, borrowed, lltv);
      if (typeof level !== "bigint") throw new Error(`expected a price, got ${level}`);
      expect(isHealthy(collateral, borrowed, level, lltv)).toBe(false);
      expect(isHealthy(collateral, borrowed, level + 1n, lltv)).toBe(true);
    }
  });

  it("has no liquidation price without debt, and every price liquidates debt without collateral", () => {
    expect(liquidationOraclePrice(10n ** 18n, 0n, WAD / 2n)).toBeNull();
    expect(liquidationOraclePrice(0n, 1n, WAD / 2n)).toBe("any");
    expect(borrowCapacity(0n, 10n ** 40n, WAD)).toBe(0n);
  });

  it("caps the liquidation incentive at 1.15 and otherwise pays 1 / (1 - 0.3 (1 - lltv))", () => {
    for (const lltv of ["0.385", "0.625", "0.77", "0.86", "0.915", "0.945", "0.965", "0.98"]) {
      const exact = 1 / (1 - 0.3 * (1 - Number(lltv)));
      const got = Number(liquidationIncentiveFactor(BigInt(Math.round(Number(lltv) * 1e6)) * 10n ** 12n)) / 1e18;
      expect(got).toBeCloseTo(Math.min(1.15, exact), 12);
    }
  });

  it("rounds shares and assets both ways as SharesMathLib, with one virtual asset and 1e6 virtual shares", () => {
    // An empty market: one asset is worth 1e6 shares.
    expect(toSharesDown(1n, 0n, 0n)).toBe(10n ** 6n);
    expect(toAssetsDown(10n ** 6n - 1n, 0n, 0n)).toBe(0n);
    expect(toAssetsUp(1n, 0n, 0n)).toBe(1n);
    for (let i = 0; i < 2_000; i++) {
      const totalAssets = big(rng.int(1, 25));
      const totalShares = big(rng.int(1, 31));
      const shares = big(rng.int(1, 31));
      const down = toAssetsDown(shares, totalAssets, totalShares);
      const up = toAssetsUp(shares, totalAssets, totalShares);
      expect(up - down === 0n || up - down === 1n).toBe(true);
      expect(toSharesUp(down, totalAssets, totalShares)).toBeLessThanOrEqual(shares);
    }
  });

  it("accrues interest as _accrueInterest: nothing at zero elapsed, the fee as shares of the grown supply", () => {
    const m = { totalSupplyAssets: 1_000_000n, totalSupplyShares: 10n ** 12n, totalBorrowAssets: 500_000n, totalBorrowShares: 5n * 10n ** 11n, lastUpdate: 100n, fee: WAD / 10n };
    expect(accrueInterest(m, 10n ** 10n, 100n, true).market).toBe(m);
    const year = accrueInterest(m, WAD / (365n * 86_400n), 100n + 365n * 86_400n, true);
    // 100% a year for a year: e^1 - 1 to three Taylor terms (MathLib.wTaylorCompounded).
    expect(Number(year.interest) / 500_000).toBeCloseTo(1 + 1 / 2 + 1 / 6, 5);
    expect(year.market.totalSupplyAssets - m.totalSupplyAssets).toBe(year.interest);
    const feeAssets = toAssetsDown(year.feeShares, year.market.totalSupplyAssets, year.market.totalSupplyShares);
    expect(Number(feeAssets) / Number(year.interest)).toBeCloseTo(0.1, 4);
    expect(accrueInterest(m, 10n ** 10n, 200n, false)).toEqual({ market: { ...m, lastUpdate: 200n }, interest: 0n, feeShares: 0n });
  });
});
