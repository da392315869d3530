import type { Address, TransactionReceipt } from "viem";
import { decodeGTradeEvent } from "../../src/protocols/gtrade/events";

// What the gTrade fixture tests share: the pairs they trade and how a trade is opened.

export const GTRADE_E10 = 10n ** 10n;
/** Pair indices: BTC/USD and ETH/USD. */
export const BTC = 0;
export const ETH = 1;

/** An owner call on FixtureGTrade. */
export type GTradeOp = (functionName: string, args: readonly unknown[]) => Promise<TransactionReceipt>;

/** Fee groups 0 and 1, liquidation groups 0 (v9.2 params) and 1 (legacy 90%), the BTC and ETH pairs, and BTC's counter-trade fee multiplier. */
export async function configureGTradePairs(op: GTradeOp) {
  const E10 = GTRADE_E10;
  await op("setFeeGroup", [0, { totalPositionSizeFeeP: 6n * 10n ** 8n, totalLiqCollateralFeeP: 10n * E10, oraclePositionSizeFeeP: 4n * 10n ** 7n, minPositionSizeUsd: 2_000_000, __placeholder: 0n }]);
  await op("setFeeGroup", [1, { totalPositionSizeFeeP: 8n * 10n ** 8n, totalLiqCollateralFeeP: 10n * E10, oraclePositionSizeFeeP: 4n * 10n ** 7n, minPositionSizeUsd: 7_500, __placeholder: 0n }]);
  await op("setGroupLiquidationParams", [0, { maxLiqSpreadP: 5n * 10n ** 8n, startLiqThresholdP: 85n * E10, endLiqThresholdP: 75n * E10, startLeverage: 25_000, endLeverage: 100_000 }]);
  await op("setGroupLiquidationParams", [1, { maxLiqSpreadP: 0n, startLiqThresholdP: 0n, endLiqThresholdP: 0n, startLeverage: 0, endLeverage: 0 }]);
  await op("setPair", [BTC, "BTC", "USD", 4n * 10n ** 8n, 0, 0]);
  await op("setPair", [ETH, "ETH", "USD", 12n * 10n ** 8n, 1, 1]);
  await op("setCounterTradeFeeRateMultiplier", [BTC, 1_500]);
}

export type GTradeOpen = { user: Address; pairIndex: number; collateralIndex: number; long: boolean; collateralAmount: bigint; leverage: number; openPrice: bigint; isCounterTrade?: boolean };

/** Opens a trade; its (user, index) from TradeStored, and the block it was opened in. */
export async function openGTradeTrade(op: GTradeOp, input: GTradeOpen) {
  const receipt = await op("openTrade", [{ isCounterTrade: false, ...input }]);
  const stored = receipt.logs.map((l) => decodeGTradeEvent(l)).find((e) => e.name === "TradeStored");
  if (stored?.name !== "TradeStored") throw new Error("openTrade emitted no TradeStored");
  return { user: input.user, index: stored.trade.index, blockNumber: receipt.blockNumber };
}
