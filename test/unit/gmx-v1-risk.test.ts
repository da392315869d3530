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
const defaults: GmxV1VaultParams = { maxLeverage: 1_000_000n, liquidationFeeUsd: 5n * E30, marginFeeBasisPoints: 10n, addsProfitOnLiquidation: false };

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

  it("is the exact boundary of the check on many seeded positions, under both VaultUtils rules, with and without min-profit", () => {
    let seed = 0x2545f491n;
    // 124 random bits from four LCG steps (their high bits; the low ones cycle fast), so bounds of 1e36 are covered.
    const next = (bound: bigint) => {
      let r = 0n;
      for (let k = 0; k < 4; k++) {
        seed = (seed * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n;
        r = (r << 31n) | (seed >> 33n);
      }
      return r % bound;
    };
    const seen = new Set<string>();
    for (let i = 0; i < 4_000; i++) {
      const averagePrice = (next(100_000n) + 1n) * E30 + next(E30);
      const collateral = (next(50_000n) + 10n) * E30 + next(E30);
      const size = collateral + next(collateral * 60n);
      const p: GmxV1Position = { size, collateral, averagePrice, entryFundingRate: next(1000n), isLong: next(2n) === 0n };
      const params = {
        // A third are over the leverage cap already (short of the minimum collateral).
        maxLeverage: 10_001n + next(i % 3 === 0 ? (size * 10_000n) / collateral : 2_000_000n),
        liquidationFeeUsd: next(20n) * E30,
        marginFeeBasisPoints: next(50n),
        addsProfitOnLiquidation: i % 2 === 0,
      };
      const minProfit = { basisPoints: next(300n), inForce: i % 4 < 2 };
      const cumulative = p.entryFundingRate + next(5_000n);
      const liq = liquidationPrice(p, params, cumulative, minProfit);
      const state = (price: bigint) => liquidationState(p, params, cumulative, price, minProfit);
      seen.add(`${params.addsProfitOnLiquidation}:${minProfit.inForce}:${liq.kind}:${liq.kind === "price" && (p.isLong ? liq.price >= averagePrice : liq.price <= averagePrice)}`);
      if (liq.kind === "always") {
        for (const price of [1n, averagePrice / 2n, averagePrice, averagePrice * 2n, averagePrice * 50n]) expect(state(price)).not.toBe(0);
        continue;
      }
      if (liq.kind === "never") continue;
      const safeSide = p.isLong ? liq.price + 1n : liq.price - 1n;
      expect(state(liq.price)).not.toBe(0);
      expect(state(safeSide)).toBe(0);
      // Monotone: every price past the boundary liquidates, every price on the safe side does not
      // (the stress ladder decides liquidation by the boundary alone).
      const far = p.isLong ? liq.price / 2n : liq.price * 2n;
      if (far > 0n) expect(state(far)).not.toBe(0);
      expect(state(p.isLong ? safeSide * 2n : safeSide / 2n + 1n)).toBe(0);
      for (let k = 0; k < 4; k++) {
        const away = next(liq.price / 2n + 1n);
        const [past, safe] = p.isLong ? [liq.price - away, safeSide + away] : [liq.price + away, safeSide - away];
        if (past > 0n) expect(state(past)).not.toBe(0);
        if (safe > 0n) expect(state(safe)).toBe(0);
      }
    }
    // Both rules, both min-profit states, and boundaries on the profit side (current rule) were met.
    for (const key of ["false:false:price:false", "true:true:price:true", "true:false:price:true", "false:true:always:false", "true:false:price:false"]) {
      expect(seen.has(key), `${key} in ${[...seen].join(" ")}`).toBe(true);
    }
  });
});

describe("GMX v1 current VaultUtils rule (profit counts on liquidatePosition)", () => {
  const current = { ...defaults, addsProfitOnLiquidation: true };
  const thin: GmxV1Position = { size: 30_000n * E30, collateral: 100n * E30, averagePrice: 3_000n * E30, entryFundingRate: 0n, isLong: true };

  it("a position short of the minimum collateral is safe once its profit covers the shortfall", () => {
    // minRemaining = max(30 + 5, 300) = 300: a profit of 200 is needed; delta = 30000 * move / 3000 >= 200 -> move >= 20.
    expect(liquidationPrice(thin, current, 0n)).toEqual({ kind: "price", price: 3_020n * E30 - 1n });
    expect(liquidationState(thin, current, 0n, 3_020n * E30)).toBe(0);
    expect(liquidationState(thin, current, 0n, 3_020n * E30 - 1n)).toBe(2);
    expect(liquidationState(thin, defaults, 0n, 3_020n * E30)).toBe(2);
    const short = { ...thin, isLong: false };
    expect(liquidationPrice(short, current, 0n)).toEqual({ kind: "price", price: 2_980n * E30 + 1n });
  });

  it("min-profit in force raises the profit needed to above size * bps", () => {
    // 1.5% of 30000 = 450 is counted as zero while in force: the profit must exceed it, move >= 45 + 1e-30.
    const inForce = { basisPoints: 150n, inForce: true };
    const liq = liquidationPrice(thin, current, 0n, inForce);
    expect(liq).toEqual({ kind: "price", price: 3_045n * E30 });
    expect(liquidationState(thin, current, 0n, 3_045n * E30, inForce)).toBe(2);
    expect(liquidationState(thin, current, 0n, 3_045n * E30 + 1n, inForce)).toBe(0);
    expect(liquidationPrice(thin, current, 0n, { ...inForce, inForce: false })).toEqual({ kind: "price", price: 3_020n * E30 - 1n });
  });

  it("reports PnL through the min-profit rule", () => {
    expect(unrealizedPnl(thin, 3_030n * E30, { basisPoints: 150n, inForce: true })).toBe(0n);
    expect(unrealizedPnl(thin, 3_030n * E30, { basisPoints: 150n, inForce: false })).toBe(300n * E30);
    expect(unrealizedPnl(thin, 2_970n * E30, { basisPoints: 150n, inForce: true })).toBe(-300n * E30);
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
