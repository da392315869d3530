// How gTrade state is stored: a trade's figures in position.protocolState, and the diamond's other
// state the figures need in gtrade_state (./schema.ts), each as decimal strings. Encoding only: what
// to store when is the handlers' job.
import type { Address } from "viem";
import type { BorrowingV2Data, BorrowingV2Params } from "./borrowing";
import type { FundingData, FundingParams, PairOiToken } from "./funding";
import type { HoldingFeeState, LiquidationParams, PairFee, Trade, TradeFeesData } from "./math";
import type { ContractsVersion } from "./units";

export type StateKind = "pair" | "fee" | "collateral" | "market";
export type Encodable = bigint | number | boolean | string;
export const encode = (values: Record<string, Encodable>): Record<string, string> => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));

/** The trade as position.protocolState keeps it: what the math needs beyond the row's side. */
export type StoredTrade = {
  trade: Trade & { collateralIndex: number; pairIndex: number; positionSizeToken: bigint };
  contractsVersion: ContractsVersion;
  liquidationParams: LiquidationParams;
  tradeFeesData: TradeFeesData;
};

const TRADE_FIELDS = ["collateralAmount", "leverage", "openPrice", "positionSizeToken"] as const;
const LIQUIDATION_FIELDS = ["maxLiqSpreadP", "startLiqThresholdP", "endLiqThresholdP", "startLeverage", "endLeverage"] as const;
const FEE_DATA_FIELDS = ["realizedPnlCollateral", "realizedTradingFeesCollateral", "initialAccFundingFeeP", "initialAccBorrowingFeeP"] as const;

export function encodeTrade(s: StoredTrade): Record<string, string> {
  const { trade: t } = s;
  return encode({
    collateralIndex: t.collateralIndex,
    pairIndex: t.pairIndex,
    isCounterTrade: t.isCounterTrade,
    contractsVersion: s.contractsVersion,
    ...Object.fromEntries(TRADE_FIELDS.map((f) => [f, t[f]])),
    ...Object.fromEntries(LIQUIDATION_FIELDS.map((f) => [f, s.liquidationParams[f]])),
    ...Object.fromEntries(FEE_DATA_FIELDS.map((f) => [f, s.tradeFeesData[f]])),
  });
}

export function decodeTrade(state: Record<string, string>, long: boolean): StoredTrade {
  const big = (f: string) => {
    const v = state[f];
    if (v === undefined) throw new Error(`gTrade protocolState lacks ${f}`);
    return BigInt(v);
  };
  const pick = <F extends string>(fields: readonly F[]) => Object.fromEntries(fields.map((f) => [f, big(f)])) as Record<F, bigint>;
  return {
    trade: { ...pick(TRADE_FIELDS), long, isCounterTrade: state.isCounterTrade === "true", collateralIndex: Number(big("collateralIndex")), pairIndex: Number(big("pairIndex")) },
    contractsVersion: Number(big("contractsVersion")) as ContractsVersion,
    liquidationParams: pick(LIQUIDATION_FIELDS),
    tradeFeesData: pick(FEE_DATA_FIELDS),
  };
}

/** A pair (IPairsStorage.Pair from pairs(i), and its counter-trade fee multiplier). */
export type StoredPair = { from: string; to: string; spreadP: bigint; feeIndex: number; counterTradeFeeRateMultiplier: bigint };
export function decodePair(s: Record<string, string> | undefined): StoredPair | undefined {
  if (s?.to === undefined || s.from === undefined) return undefined;
  return { from: s.from, to: s.to, spreadP: BigInt(s.spreadP ?? "0"), feeIndex: Number(s.feeIndex ?? "0"), counterTradeFeeRateMultiplier: BigInt(s.counterTradeFeeRateMultiplier ?? "0") };
}

export function decodeFee(s: Record<string, string> | undefined): Omit<PairFee, "counterTradeFeeRateMultiplier"> | undefined {
  if (s?.totalPositionSizeFeeP === undefined || s.minPositionSizeUsd === undefined) return undefined;
  return { totalPositionSizeFeeP: BigInt(s.totalPositionSizeFeeP), minPositionSizeUsd: BigInt(s.minPositionSizeUsd) };
}

/** A collateral: its token and decimals (getCollateral), and the USD price (1e8) the diamond last reported in an event. */
export type StoredCollateral = { token: Address; decimals: number; priceUsd: bigint | null };
export function decodeCollateral(s: Record<string, string> | undefined): StoredCollateral | undefined {
  if (s?.token === undefined || s.decimals === undefined) return undefined;
  return { token: s.token as Address, decimals: Number(s.decimals), priceUsd: s.priceUsd === undefined ? null : BigInt(s.priceUsd) };
}

const FUNDING_PARAM_FIELDS = ["skewCoefficientPerYear", "absoluteVelocityPerYearCap", "absoluteRatePerSecondCap", "thetaThresholdUsd"] as const;

/**
 * A (collateral, pair) market's holding-fee state, the parts whose every field has been seen: borrowing
 * v2 needs its rate and data; funding its params, data and open interest.
 */
export function decodeMarket(s: Record<string, string> | undefined): HoldingFeeState {
  if (s === undefined) return {};
  const out: HoldingFeeState = {};
  if (s.borrowingRatePerSecondP !== undefined && s.accBorrowingFeeP !== undefined) {
    const params: BorrowingV2Params = { borrowingRatePerSecondP: BigInt(s.borrowingRatePerSecondP) };
    const data: BorrowingV2Data = { accBorrowingFeeP: BigInt(s.accBorrowingFeeP), lastBorrowingUpdateTs: BigInt(s.lastBorrowingUpdateTs!) };
    out.borrowingV2 = { params, data };
  }
  const fundingComplete = [...FUNDING_PARAM_FIELDS, "fundingFeesEnabled", "aprMultiplierEnabled", "accFundingFeeLongP", "oiLongToken"].every((f) => s[f] !== undefined);
  if (fundingComplete) {
    const params: FundingParams = {
      ...(Object.fromEntries(FUNDING_PARAM_FIELDS.map((f) => [f, BigInt(s[f]!)])) as Record<(typeof FUNDING_PARAM_FIELDS)[number], bigint>),
      fundingFeesEnabled: s.fundingFeesEnabled === "true",
      aprMultiplierEnabled: s.aprMultiplierEnabled === "true",
    };
    const data: FundingData = {
      accFundingFeeLongP: BigInt(s.accFundingFeeLongP!),
      accFundingFeeShortP: BigInt(s.accFundingFeeShortP!),
      lastFundingRatePerSecondP: BigInt(s.lastFundingRatePerSecondP!),
      lastFundingUpdateTs: BigInt(s.lastFundingUpdateTs!),
    };
    const oi: PairOiToken = { oiLongToken: BigInt(s.oiLongToken!), oiShortToken: BigInt(s.oiShortToken!) };
    out.funding = { params, data, oi };
  }
  return out;
}
