// The GNSMultiCollatDiamond's structs (abis/GTradeDiamond.ts), as viem decodes them from events and views,
// turned into records in the math's units. Indices and enums become numbers; amounts, prices, rates,
// blocks and times stay bigints. An enum value the SDK does not define is an error, not a guess.
import type { Address } from "viem";
import type { BorrowingV2Data, BorrowingV2Params } from "./borrowing";
import type { FundingData, FundingParams, PairOiToken } from "./funding";
import type { LiquidationParams, Trade, TradeFeesData } from "./math";
import { ContractsVersion } from "./units";

export class GTradeDecodeError extends Error {
  constructor(what: string, detail: string) {
    super(`gTrade ${what}: ${detail}`);
    this.name = "GTradeDecodeError";
  }
}

/** ITradingStorage.TradeType (SDK lib/trade/types.js TradeType): an open position, or a pending limit/stop order. */
export const TradeType = { TRADE: 0, LIMIT: 1, STOP: 2 } as const;
export type TradeType = (typeof TradeType)[keyof typeof TradeType];

/** ITradingStorage.PendingOrderType as far as the SDK defines it (lib/trade/types.js PendingOrderType). */
export const PendingOrderType = { MARKET_OPEN: 0, MARKET_CLOSE: 1, LIMIT_OPEN: 2, STOP_OPEN: 3, TP_CLOSE: 4, SL_CLOSE: 5, LIQ_CLOSE: 6 } as const;
export type PendingOrderType = (typeof PendingOrderType)[keyof typeof PendingOrderType];

function enumValue<T extends number>(what: string, values: Record<string, T>, value: number): T {
  if (!(Object.values(values) as number[]).includes(value)) throw new GTradeDecodeError(what, `unknown value ${value}`);
  return value as T;
}

/** A uint256 index narrowed to the width the diamond gives it elsewhere (e.g. Trade.pairIndex is a uint16). */
export function narrowIndex(what: string, value: bigint, bits: 16 | 32): number {
  if (value < 0n || value >= 1n << BigInt(bits)) throw new GTradeDecodeError(what, `index ${value} does not fit uint${bits}`);
  return Number(value);
}

/** ITradingStorage.Trade (v10): the math's Trade plus where it lives and what it is. */
export type GTradeTrade = Trade & {
  user: Address;
  index: number;
  pairIndex: number;
  /** 1-based index into the diamond's collaterals (getCollateral); 0 in an empty slot. */
  collateralIndex: number;
  isOpen: boolean;
  tradeType: TradeType;
  /** 1e10. */
  tp: bigint;
  sl: bigint;
  /** 1e18. */
  positionSizeToken: bigint;
};

type TradeStruct = {
  user: Address;
  index: number;
  pairIndex: number;
  leverage: number;
  long: boolean;
  isOpen: boolean;
  collateralIndex: number;
  tradeType: number;
  collateralAmount: bigint;
  openPrice: bigint;
  tp: bigint;
  sl: bigint;
  isCounterTrade: boolean;
  positionSizeToken: bigint;
};

export const toTrade = (t: TradeStruct): GTradeTrade => ({
  user: t.user,
  index: t.index,
  pairIndex: t.pairIndex,
  collateralIndex: t.collateralIndex,
  long: t.long,
  isOpen: t.isOpen,
  tradeType: enumValue("Trade.tradeType", TradeType, t.tradeType),
  leverage: BigInt(t.leverage),
  collateralAmount: t.collateralAmount,
  openPrice: t.openPrice,
  tp: t.tp,
  sl: t.sl,
  isCounterTrade: t.isCounterTrade,
  positionSizeToken: t.positionSizeToken,
});

/** ITradingStorage.TradeInfo. */
export type GTradeTradeInfo = {
  createdBlock: bigint;
  tpLastUpdatedBlock: bigint;
  slLastUpdatedBlock: bigint;
  /** 1e3 %. */
  maxSlippageP: bigint;
  lastOiUpdateTs: bigint;
  /** 1e8: the collateral's USD price when the trade was stored. */
  collateralPriceUsd: bigint;
  contractsVersion: ContractsVersion;
  lastPosIncreaseBlock: bigint;
};

type TradeInfoStruct = {
  createdBlock: number;
  tpLastUpdatedBlock: number;
  slLastUpdatedBlock: number;
  maxSlippageP: number;
  lastOiUpdateTs: number;
  collateralPriceUsd: number;
  contractsVersion: number;
  lastPosIncreaseBlock: number;
};

export const toTradeInfo = (i: TradeInfoStruct): GTradeTradeInfo => ({
  createdBlock: BigInt(i.createdBlock),
  tpLastUpdatedBlock: BigInt(i.tpLastUpdatedBlock),
  slLastUpdatedBlock: BigInt(i.slLastUpdatedBlock),
  maxSlippageP: BigInt(i.maxSlippageP),
  lastOiUpdateTs: BigInt(i.lastOiUpdateTs),
  collateralPriceUsd: BigInt(i.collateralPriceUsd),
  contractsVersion: enumValue("TradeInfo.contractsVersion", ContractsVersion, i.contractsVersion),
  lastPosIncreaseBlock: BigInt(i.lastPosIncreaseBlock),
});

type LiquidationParamsStruct = { maxLiqSpreadP: number; startLiqThresholdP: number; endLiqThresholdP: number; startLeverage: number; endLeverage: number };

export const toLiquidationParams = (p: LiquidationParamsStruct): LiquidationParams => ({
  maxLiqSpreadP: BigInt(p.maxLiqSpreadP),
  startLiqThresholdP: BigInt(p.startLiqThresholdP),
  endLiqThresholdP: BigInt(p.endLiqThresholdP),
  startLeverage: BigInt(p.startLeverage),
  endLeverage: BigInt(p.endLeverage),
});

/** IFundingFees.TradeFeesData: the math's part plus the negative-PnL bookkeeping (collateral units). */
export type GTradeTradeFeesData = TradeFeesData & {
  manuallyRealizedNegativePnlCollateral: bigint;
  alreadyTransferredNegativePnlCollateral: bigint;
  virtualAvailableCollateralInDiamond: bigint;
};

export const toTradeFeesData = (d: GTradeTradeFeesData): GTradeTradeFeesData => ({
  realizedTradingFeesCollateral: d.realizedTradingFeesCollateral,
  realizedPnlCollateral: d.realizedPnlCollateral,
  manuallyRealizedNegativePnlCollateral: d.manuallyRealizedNegativePnlCollateral,
  alreadyTransferredNegativePnlCollateral: d.alreadyTransferredNegativePnlCollateral,
  virtualAvailableCollateralInDiamond: d.virtualAvailableCollateralInDiamond,
  initialAccFundingFeeP: d.initialAccFundingFeeP,
  initialAccBorrowingFeeP: d.initialAccBorrowingFeeP,
});

/** IPairsStorage.FeeGroup: fee rates 1e10 %, minPositionSizeUsd 1e3 USD. */
export type GTradeFeeGroup = {
  totalPositionSizeFeeP: bigint;
  totalLiqCollateralFeeP: bigint;
  oraclePositionSizeFeeP: bigint;
  minPositionSizeUsd: bigint;
};

type FeeGroupStruct = { totalPositionSizeFeeP: number; totalLiqCollateralFeeP: number; oraclePositionSizeFeeP: number; minPositionSizeUsd: number };

export const toFeeGroup = (f: FeeGroupStruct): GTradeFeeGroup => ({
  totalPositionSizeFeeP: BigInt(f.totalPositionSizeFeeP),
  totalLiqCollateralFeeP: BigInt(f.totalLiqCollateralFeeP),
  oraclePositionSizeFeeP: BigInt(f.oraclePositionSizeFeeP),
  minPositionSizeUsd: BigInt(f.minPositionSizeUsd),
});

export const toBorrowingV2Params = (p: { borrowingRatePerSecondP: number }): BorrowingV2Params => ({ borrowingRatePerSecondP: BigInt(p.borrowingRatePerSecondP) });

export const toBorrowingV2Data = (d: { accBorrowingFeeP: bigint; lastBorrowingUpdateTs: number }): BorrowingV2Data => ({
  accBorrowingFeeP: d.accBorrowingFeeP,
  lastBorrowingUpdateTs: BigInt(d.lastBorrowingUpdateTs),
});

type FundingParamsStruct = {
  skewCoefficientPerYear: bigint;
  absoluteVelocityPerYearCap: number;
  absoluteRatePerSecondCap: number;
  thetaThresholdUsd: number;
  fundingFeesEnabled: boolean;
  aprMultiplierEnabled: boolean;
};

export const toFundingParams = (p: FundingParamsStruct): FundingParams => ({
  skewCoefficientPerYear: p.skewCoefficientPerYear,
  absoluteVelocityPerYearCap: BigInt(p.absoluteVelocityPerYearCap),
  absoluteRatePerSecondCap: BigInt(p.absoluteRatePerSecondCap),
  thetaThresholdUsd: BigInt(p.thetaThresholdUsd),
  fundingFeesEnabled: p.fundingFeesEnabled,
  aprMultiplierEnabled: p.aprMultiplierEnabled,
});

type FundingDataStruct = { accFundingFeeLongP: bigint; accFundingFeeShortP: bigint; lastFundingRatePerSecondP: bigint; lastFundingUpdateTs: number };

export const toFundingData = (d: FundingDataStruct): FundingData => ({
  accFundingFeeLongP: d.accFundingFeeLongP,
  accFundingFeeShortP: d.accFundingFeeShortP,
  lastFundingRatePerSecondP: d.lastFundingRatePerSecondP,
  lastFundingUpdateTs: BigInt(d.lastFundingUpdateTs),
});

export const toPairOiToken = (o: PairOiToken): PairOiToken => ({ oiLongToken: o.oiLongToken, oiShortToken: o.oiShortToken });
