// gTrade's on-chain fixed-point units, as the GNSMultiCollatDiamond's structs, events and views give
// them (the SDK's converters divide by these: @gainsnetwork/sdk 1.8.7, lib/backend/tradingVariables/
// converter.js, lib/trade/pnl/converter.js, lib/trade/fees/*/converter.js).

/** ConstantsUtils.P_10: prices (1e10 = 1 quote unit) and percentages (1e10 = 1%). */
export const P_10 = 10n ** 10n;
/** Leverage: 1e3 = 1x. */
export const LEVERAGE_PRECISION = 1000n;
/** A percentage in P_10 applied to an amount: amount × p / (100 × 1e10). */
export const PERCENT_P_10 = 100n * P_10;
/** Borrowing v2 and funding accumulators (accBorrowingFeeP, accFundingFee{Long,Short}P): 1e20. */
export const ACC_FEE_PRECISION = 10n ** 20n;
/** Funding rate per second (lastFundingRatePerSecondP): 1e18. */
export const FUNDING_RATE_PRECISION = 10n ** 18n;
/** Collateral USD price (getCollateralPriceUsd): 1e8. */
export const USD_PRICE_PRECISION = 10n ** 8n;
/** Pair min position size (fees(i).minPositionSizeUsd): 1e3 = $1. */
export const MIN_POSITION_SIZE_USD_PRECISION = 1000n;

/** ITradingStorage.ContractsVersion, stored per trade in TradeInfo.contractsVersion. */
export const ContractsVersion = { BEFORE_V9_2: 0, V9_2: 1, V10: 2 } as const;
export type ContractsVersion = (typeof ContractsVersion)[keyof typeof ContractsVersion];

/** Collateral.precisionDelta: 10^(18 − decimals), which scales a collateral amount to 1e18. */
export function precisionDelta(decimals: number): bigint {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 18) throw new RangeError(`gTrade: collateral decimals must be an integer in [0, 18], got ${decimals}`);
  return 10n ** BigInt(18 - decimals);
}

/** Throws when an on-chain unsigned field is negative: it cannot come from the chain. */
export function assertUnsigned(name: string, value: bigint): void {
  if (value < 0n) throw new RangeError(`gTrade: ${name} must be ≥ 0, got ${value}`);
}
