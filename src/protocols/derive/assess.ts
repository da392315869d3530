import type { Assessment, AssessContext, OptionRisk, PositionRisk, PositionRow } from "../../core/adapter";
import { abs, USD_ONE } from "../../core/fixed";
import { markWarning, usableMark } from "../../core/marks";
import { deriveAssetDirectory } from "./contracts";
import { optionFromSubId } from "./encoding";
import { blackScholes, intrinsicValue, SECONDS_PER_YEAR } from "./greeks";
import { decodeState } from "./normalise";

const BALANCE_ONE = 10n ** 18n;
/** Float model outputs become money at these resolutions: micro-dollars per contract, 1e-12 of delta. */
const PRICE_SCALE = 1e6;
const DELTA_SCALE = 1e12;

const none = {
  collateralUsd: 0n,
  collateralAmount: null,
  unrealizedPnlUsd: null,
  pendingFeesUsd: null,
  leverage: null,
  liquidationPrice: null,
  liquidationDistance: null,
  liquidatableNow: null,
};

/** USD (1e30) of `balance` (18 decimals, signed) units worth `unitUsd` (float USD) each. */
const valueOf = (balance: bigint, unitUsd: number): bigint =>
  (balance * BigInt(Math.round(unitUsd * PRICE_SCALE)) * USD_ONE) / (BALANCE_ONE * BigInt(PRICE_SCALE));

/**
 * Derive subaccount balances: cash at its mark, perps as linear exposure, options by Black-Scholes on
 * the underlying's mark with the deployment's volatility. Margin (Derive's portfolio managers) is not
 * computed, so there is no liquidation price.
 */
export async function assessDerive(ctx: AssessContext, rows: PositionRow[]): Promise<Assessment> {
  const directory = deriveAssetDirectory(ctx.config);
  const positions = rows.map((row): PositionRisk => {
    const s = decodeState(row);
    const warnings: string[] = [];
    const block = ctx.blockByChain.get(row.chainId)!;
    const mark = ctx.prices(row.chainId, row.market);
    const issue = markWarning(mark, s.kind === "cash" ? "cash token" : "underlying");
    if (issue) warnings.push(issue);
    const price = usableMark(mark);
    // Contracts x spot: one contract is one whole underlying token.
    const notional = price === undefined ? null : (abs(s.balance) * price) / BALANCE_ONE;
    const base = { sizeInTokens: row.sizeInTokens, notionalUsd: notional, warnings, ...none };

    if (s.kind === "cash") {
      const value = price === undefined ? null : (s.balance * price) / BALANCE_ONE;
      return { ...base, collateralUsd: value === null ? null : value > 0n ? value : 0n, equityUsd: value };
    }
    if (s.kind === "perp") {
      // PerpAsset settles PnL into cash; what accrued since the last settlement is not followed.
      warnings.push("perp PnL since its last settlement into cash is not indexed: equity unknown");
      return { ...base, equityUsd: null };
    }

    const { expiry, strike, isCall } = optionFromSubId(s.subId);
    const assumed = directory(row.chainId, row.venue, s.asset)?.deployment.defaultVolatility;
    const shifted = assumed === undefined || assumed === null ? undefined : assumed + (ctx.volatilityShift ?? 0);
    if (shifted !== undefined && !(shifted > 0)) warnings.push(`shifted volatility ${shifted} is not positive: the option cannot be priced`);
    const volatility = shifted !== undefined && shifted > 0 ? shifted : null;
    const terms = { expiry, strike: strike * 10n ** 12n, isCall, volatility, volatilityAssumed: true };
    const spot = price === undefined ? undefined : Number(price) / Number(USD_ONE);
    const strikeUsd = Number(strike) / 1e18;
    if (expiry <= block.timestamp) {
      // Settles out of exposure at expiry; until the settlement balance change it is worth its intrinsic value.
      warnings.push(`expired at ${expiry}: out of exposure; valued at intrinsic on the current mark until settled`);
      const option: OptionRisk = { ...terms, expired: true, delta: 0, gamma: 0, vega: 0, theta: 0 };
      const equityUsd = spot === undefined ? null : valueOf(s.balance, intrinsicValue(spot, strikeUsd, isCall));
      return { ...base, notionalUsd: 0n, netNotionalUsd: 0n, equityUsd, option };
    }
    const unpriced = { ...base, netNotionalUsd: null, equityUsd: null, option: { ...terms, expired: false, delta: null, gamma: null, vega: null, theta: null } };
    if (spot === undefined || volatility === null) return unpriced;
    if (!(strikeUsd > 0)) {
      warnings.push("the option's strike is zero: Black-Scholes does not apply");
      return unpriced;
    }
    const years = Number(expiry - block.timestamp) / SECONDS_PER_YEAR;
    const g = blackScholes({ spot, strike: strikeUsd, years, volatility, isCall });
    const contracts = Number(s.balance) / 1e18;
    const option: OptionRisk = {
      ...terms,
      expired: false,
      delta: g.delta * contracts,
      gamma: g.gamma * contracts,
      vega: g.vega * contracts,
      theta: g.theta * contracts,
    };
    return {
      ...base,
      // Delta-adjusted notional: contracts x delta x spot.
      netNotionalUsd: (s.balance * BigInt(Math.round(g.delta * DELTA_SCALE)) * price!) / (BALANCE_ONE * BigInt(DELTA_SCALE)),
      equityUsd: valueOf(s.balance, g.price),
      option,
    };
  });
  return { positions, accounts: [] };
}
