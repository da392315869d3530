import { describe, expect, it } from "vitest";
import {
  fundingFee,
  liquidationPrice,
  liquidationState,
  marginFees,
  positionFee,
  unrealizedPnl,
  type GmxV1Position,
  type GmxV1VaultParams,
} from "../../src/protocols/gmx-v1/risk";

const E30 = 10n ** 30n;
const defaults: GmxV1VaultParams = { maxLeverage: 1_000_000n, liquidationFeeUsd: 5n * E30, marginFeeBasisPoints: 10n };

describe("GMX v1 fees (VaultUtils.getPositionFee / getFundingFee)", () => {
  it("rounds the position fee up, as size - size*(10000-bps)/10000 does", () => {
    expect(positionFee(30_000n * E30, 10n)).toBe(30n * E30);
    expect(positionFee(10_001n, 10n)).toBe(11n); // 10001 - floor(10001*9990/10000) = 10001 - 9990
    expect(positionFee(0n, 10n)).toBe(0n);
  });

  it("charges funding on the rate accrued since entry, floored", () => {
    expect(fundingFee(2_000n * E30, 500n, 0n)).toBe(1n * E30);
    expect(fundingFee(3n, 700n, 200n)).toBe(0n); // 3*500/1e6 floors to 0
    expect(fundingFee(2_000n * E30, 100n, 100n)).toBe(0n);
  });
});

describe("GMX v1 liquidation price (VaultUtils.validateLiquidation boundary)", () => {
  const long10x: GmxV1Position = { size: 30_000n * E30, collateral: 2_970n * E30, averagePrice: 3_000n * E30, entryFundingRate: 0n, isLong: true };

  it("long at 10x: max-leverage rule binds at avg - ceil((collateral - size/100 + 1) * avg / size)", () => {
    // marginFees = 30, liquidation fee 5 -> 35 < size/100 = 300, so the leverage rule sets the floor.
    const liq = liquidationPrice(long10x, defaults, 0n);
    expect(liq).toEqual({ kind: "price", price: 2_733n * E30 - 1n });
    expect(liquidationState(long10x, defaults, 0n, 2_733n * E30 - 1n)).toBe(2);
    expect(liquidationState(long10x, defaults, 0n, 2_733n * E30)).toBe(0);
  });

  it("short at 10x: the mirror image, lowest price that trips the check", () => {
    const short = { ...long10x, isLong: false };
    expect(liquidationPrice(short, defaults, 0n)).toEqual({ kind: "price", price: 3_267n * E30 + 1n });
    expect(liquidationState(short, defaults, 0n, 3_267n * E30 + 1n)).toBe(2);
    expect(liquidationState(short, defaults, 0n, 3_267n * E30)).toBe(0);
  });

  it("fee rule binds when the liquidation fee is large: state 1 at the boundary", () => {
    const p: GmxV1Position = { size: 2_000n * E30, collateral: 1_000n * E30, averagePrice: 2_000n * E30, entryFundingRate: 0n, isLong: true };
    const params = { ...defaults, liquidationFeeUsd: 50n * E30 };
    // fees = 2 (close) + 1 (funding 500/1e6 of 2000) + 50 = 53 > size/100 = 20
    expect(marginFees(p, params, 500n)).toBe(3n * E30);
    expect(liquidationPrice(p, params, 500n)).toEqual({ kind: "price", price: 1_053n * E30 - 1n });
    expect(liquidationState(p, params, 500n, 1_053n * E30 - 1n)).toBe(1);
    expect(liquidationState(p, params, 500n, 1_053n * E30)).toBe(0);
  });

  it("accrued funding moves the liquidation price toward the mark", () => {
    const before = liquidationPrice(long10x, defaults, 0n);
    const after = liquidationPrice(long10x, { ...defaults, liquidationFeeUsd: 400n * E30 }, 1_000n);
    expect(before.kind === "price" && after.kind === "price" && after.price > before.price).toBe(true);
  });

  it("reports 'always' when fees and the cap exceed collateral, 'never' when no positive price trips it", () => {
    const thin = { ...long10x, collateral: 100n * E30 };
    expect(liquidationPrice(thin, defaults, 0n)).toEqual({ kind: "always" });
    expect(liquidationState(thin, defaults, 0n, 10n ** 40n)).toBe(2); // 100 covers fees (35) but not size/100
    const overCollateralised = { ...long10x, size: 1_000n * E30, collateral: 5_000n * E30 };
    expect(liquidationPrice(overCollateralised, defaults, 0n)).toEqual({ kind: "never" });
    expect(liquidationState(overCollateralised, defaults, 0n, 1n)).toBe(0);
  });

  it("is the exact boundary of the check on many seeded positions", () => {
    let seed = 0x2545f491n;
    const next = (bound: bigint) => {
      seed = (seed * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n;
      return (seed >> 11n) % bound;
    };
    for (let i = 0; i < 2_000; i++) {
      const averagePrice = (next(100_000n) + 1n) * E30 + next(E30);
      const collateral = (next(50_000n) + 10n) * E30 + next(E30);
      const size = collateral + next(collateral * 60n);
      const p: GmxV1Position = { size, collateral, averagePrice, entryFundingRate: next(1000n), isLong: next(2n) === 0n };
      const params = { maxLeverage: 10_001n + next(2_000_000n), liquidationFeeUsd: next(20n) * E30, marginFeeBasisPoints: next(50n) };
      const cumulative = p.entryFundingRate + next(5_000n);
      const liq = liquidationPrice(p, params, cumulative);
      if (liq.kind !== "price") continue;
      const safeSide = p.isLong ? liq.price + 1n : liq.price - 1n;
      expect(liquidationState(p, params, cumulative, liq.price)).not.toBe(0);
      expect(liquidationState(p, params, cumulative, safeSide)).toBe(0);
    }
  });
});

describe("GMX v1 PnL (Vault.getDelta)", () => {
  it("signs the floored price delta by side", () => {
    const p: GmxV1Position = { size: 10_000n * E30, collateral: 1_000n * E30, averagePrice: 3_000n * E30, entryFundingRate: 0n, isLong: true };
    expect(unrealizedPnl(p, 3_300n * E30)).toBe(1_000n * E30);
    expect(unrealizedPnl({ ...p, isLong: false }, 3_300n * E30)).toBe(-1_000n * E30);
    expect(unrealizedPnl(p, 3_000n * E30 - 1n)).toBe(-((10_000n * E30 * 1n) / (3_000n * E30)));
  });
});
