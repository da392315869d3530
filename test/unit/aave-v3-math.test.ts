import { describe, expect, it } from "vitest";
import {
  accountData,
  collateralDropToLiquidation,
  compoundedInterest,
  decodeReserveConfiguration,
  HEALTH_FACTOR_LIQUIDATION_THRESHOLD,
  linearInterest,
  liquidationPrice,
  MAX_UINT256,
  normalizedDebt,
  normalizedIncome,
  RAY,
  rayDiv,
  rayMul,
  SECONDS_PER_YEAR,
  type UserReserve,
} from "../../src/protocols/aave-v3/math";

const E18 = 10n ** 18n;
const config = (ltv: bigint, lt: bigint, decimals: number, eModeCategory = 0) => ({
  ltv,
  liquidationThreshold: lt,
  liquidationBonus: 10_500n,
  decimals,
  eModeCategory,
  active: true,
  frozen: false,
  paused: false,
  debtCeiling: 0n,
  liquidationProtocolFee: 0n,
});

describe("Aave v3 ray math and interest (WadRayMath, MathUtils)", () => {
  it("rounds half up", () => {
    expect(rayMul(3n, RAY / 2n)).toBe(2n); // 1.5 -> 2
    expect(rayMul(1n, RAY / 2n - 1n)).toBe(0n);
    expect(rayDiv(1n, 2n * RAY)).toBe(1n); // 0.5 -> 1
    expect(rayDiv(10n, 3n * RAY)).toBe(3n);
  });

  it("accrues income linearly and debt with the three-term expansion", () => {
    const rate = (5n * RAY) / 100n; // 5% APR
    expect(linearInterest(rate, 0n, SECONDS_PER_YEAR)).toBe(RAY + rate);
    // Hand expansion for one year: 1 + r + r^2/2 + r^3/6 with MathUtils' integer steps.
    const n = SECONDS_PER_YEAR;
    const p2 = rayMul(rate, rate) / (n * n);
    const p3 = rayMul(p2, rate) / n;
    expect(compoundedInterest(rate, 0n, n)).toBe(RAY + rate + (n * (n - 1n) * p2) / 2n + (n * (n - 1n) * (n - 2n) * p3) / 6n);
    expect(compoundedInterest(rate, 5n, 5n)).toBe(RAY);
    const reserve = { liquidityIndex: RAY, variableBorrowIndex: RAY, liquidityRate: rate, variableBorrowRate: rate, lastUpdateTimestamp: 100n };
    expect(normalizedIncome(reserve, 100n)).toBe(RAY);
    expect(normalizedIncome(reserve, 100n + n)).toBe(RAY + rate);
    expect(normalizedDebt(reserve, 100n + n)).toBeGreaterThan(RAY + rate);
  });

  it("decodes ReserveConfigurationMap bits", () => {
    const word =
      8000n | (8250n << 16n) | (10500n << 32n) | (18n << 48n) | (1n << 56n) | (1n << 57n) | (1000n << 64n) | (1500n << 152n) | (1n << 168n) | (25_000_00n << 212n);
    expect(decodeReserveConfiguration(word)).toEqual({
      ltv: 8000n,
      liquidationThreshold: 8250n,
      liquidationBonus: 10500n,
      decimals: 18,
      eModeCategory: 1,
      active: true,
      frozen: true,
      paused: false,
      debtCeiling: 25_000_00n,
      liquidationProtocolFee: 1500n,
    });
  });
});

describe("Aave v3 health factor (GenericLogic.calculateUserAccountData)", () => {
  const weth: UserReserve = { asset: "WETH", config: config(8000n, 8250n, 18, 1), price: 3000_00000000n, supplied: 10n * E18, borrowed: 0n, usingAsCollateral: true };
  const wbtc: UserReserve = { asset: "WBTC", config: config(7000n, 7500n, 8), price: 60000_00000000n, supplied: 50_000_000n, borrowed: 0n, usingAsCollateral: true };
  const usdc: UserReserve = { asset: "USDC", config: config(7700n, 8000n, 6), price: 1_00000000n, supplied: 0n, borrowed: 20_000n * 10n ** 6n, usingAsCollateral: false };

  it("weights thresholds by collateral value and divides by debt", () => {
    const d = accountData([weth, wbtc, usdc], null);
    expect(d.totalCollateralBase).toBe(60_000_00000000n); // 30k + 30k
    expect(d.totalDebtBase).toBe(20_000_00000000n);
    expect(d.avgLiquidationThreshold).toBe(7875n); // (30k*8250 + 30k*7500)/60k
    expect(d.avgLtv).toBe(7500n);
    // 60k * 78.75% / 20k = 2.3625
    expect(d.healthFactor).toBe(2_362_500_000_000_000_000n);
  });

  it("uses the e-mode threshold for reserves in the user's category", () => {
    const d = accountData([weth, usdc], { category: 1, data: { ltv: 9000n, liquidationThreshold: 9300n } });
    expect(d.avgLiquidationThreshold).toBe(9300n);
    expect(d.healthFactor).toBe((30_000n * 9300n * E18) / (20_000n * 10_000n));
  });

  it("ignores collateral not enabled and reports no debt as uint256 max", () => {
    expect(accountData([{ ...weth, usingAsCollateral: false }, usdc], null).totalCollateralBase).toBe(0n);
    expect(accountData([weth], null).healthFactor).toBe(MAX_UINT256);
  });

  it("gives the uniform collateral drop to HF 1, without dividing by a zero health factor", () => {
    expect(collateralDropToLiquidation(2n * E18)).toBe(0.5);
    expect(collateralDropToLiquidation(E18 / 2n)).toBe(-1); // prices would have to double
    expect(collateralDropToLiquidation(0n)).toBeNull(); // collateral gone, debt left (bad debt)
    expect(collateralDropToLiquidation(MAX_UINT256)).toBeNull(); // no debt
    const noCollateral = accountData([{ ...usdc }], null);
    expect(noCollateral.healthFactor).toBe(0n);
  });

  it("finds the exact oracle price where the health factor crosses 1, for collateral and for debt", () => {
    const book = [weth, wbtc, { ...usdc, borrowed: 30_000n * 10n ** 6n }];
    const hf = (asset: string, price: bigint) => accountData(book.map((r) => (r.asset === asset ? { ...r, price } : r)), null).healthFactor;
    const eth = liquidationPrice(book, null, "WETH");
    expect(eth.kind === "price" && eth.direction).toBe("down");
    if (eth.kind !== "price") throw new Error("unreachable");
    expect(hf("WETH", eth.price)).toBeLessThan(HEALTH_FACTOR_LIQUIDATION_THRESHOLD);
    expect(hf("WETH", eth.price + 1n)).toBeGreaterThanOrEqual(HEALTH_FACTOR_LIQUIDATION_THRESHOLD);
    // Without rounding, v * 82.5% + 30k * 75% = 30k at v = 9090.91 (909.09 per ETH). GenericLogic floors the
    // weighted threshold (7674 bps where the exact mean is 7674.87), which lifts the boundary to 909.30.
    expect(eth.price / 1_000000n).toBe(90930n);
    expect(accountData(book.map((r) => (r.asset === "WETH" ? { ...r, price: eth.price } : r)), null).avgLiquidationThreshold).toBe(7674n);

    const usd = liquidationPrice(book, null, "USDC");
    if (usd.kind !== "price") throw new Error("debt asset must have a liquidation price");
    expect(usd.direction).toBe("up");
    expect(hf("USDC", usd.price)).toBeLessThan(HEALTH_FACTOR_LIQUIDATION_THRESHOLD);
    expect(hf("USDC", usd.price - 1n)).toBeGreaterThanOrEqual(HEALTH_FACTOR_LIQUIDATION_THRESHOLD);
    // HF is 1.575: at exactly 1.575x the debt HF is 1.0, still safe (liquidation needs HF < 1), so one unit more.
    expect(usd.price).toBe(1_57500001n);
    expect(liquidationPrice([weth], null, "WETH")).toEqual({ kind: "none" });
  });
});
