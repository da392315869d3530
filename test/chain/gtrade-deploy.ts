import type { Address, TransactionReceipt } from "viem";
import { decodeGTradeEvent } from "../../src/protocols/gtrade/events";
import { anvilAccount, deploy, read, send } from "./clients";
import { pickArtifacts } from "./compile";
import { fixtureAbis, type Deployment, type TokenSymbol } from "./deploy";

// What the gTrade fixture tests and the demo share: the pairs they trade, how a trade is opened, a demo market.

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

/** Collateral indices (1-based) of the demo's collaterals: USDC (6 decimals) and LINK (18). */
const USDC = 1;
const LINK = 2;

/**
 * A FixtureGTrade market for the demo: USDC and LINK collateral at their feeds' prices, the BTC and ETH
 * pairs with borrowing and funding running, and one trade per wallet at the feeds' prices (long and short,
 * both pairs and collaterals, 3x to 30x).
 */
export async function deployGTradeDemo(d: Deployment, opts: { wallets: number; firstAccountIndex: number }) {
  const owner = anvilAccount(0);
  const { FixtureGTrade } = await pickArtifacts(["FixtureGTrade"]);
  const deployed = await deploy(d.rpcUrl, owner, FixtureGTrade, []);
  const op: GTradeOp = (functionName, args) => send(d.rpcUrl, owner, { address: deployed.address, abi: FixtureGTrade.abi, functionName, args });
  const { aggregator } = await fixtureAbis();
  // Feed answers are USD with 8 decimals: gTrade's collateral price unit; x 100 is a pair price (1e10).
  const answer = (symbol: TokenSymbol) => read<bigint>(d.rpcUrl, { address: d.tokens[symbol].feed, abi: aggregator, functionName: "latestAnswer" });
  await op("addCollateral", [d.tokens.USDC.address, await answer("USDC")]);
  await op("addCollateral", [d.tokens.LINK.address, await answer("LINK")]);
  await configureGTradePairs(op);
  const price = { [BTC]: (await answer("WBTC")) * 100n, [ETH]: (await answer("WETH")) * 100n };
  const funding = { skewCoefficientPerYear: 0n, absoluteVelocityPerYearCap: 1_000_000, absoluteRatePerSecondCap: 1_000_000, thetaThresholdUsd: 0, fundingFeesEnabled: true, aprMultiplierEnabled: true, __placeholder: 0n };
  for (const [c, p, borrowing, fundingRate] of [[USDC, BTC, 3_171, 200_000_000_000n], [LINK, BTC, 12_000, -150_000_000_000n], [USDC, ETH, 2_000, 100_000_000_000n], [LINK, ETH, 10_000, 300_000_000_000n]] as const) {
    await op("setBorrowingRate", [c, p, borrowing, price[p]]);
    await op("setFundingParams", [c, p, funding, price[p]]);
    await op("setFundingRate", [c, p, fundingRate, price[p]]);
  }
  const wallets: Address[] = [];
  for (let i = 0; i < opts.wallets; i++) {
    const user = anvilAccount(opts.firstAccountIndex + i).address;
    const pairIndex = i % 2 === 0 ? ETH : BTC;
    const collateralIndex = i % 3 === 0 ? LINK : USDC;
    const collateralAmount = collateralIndex === USDC ? BigInt(500 + 250 * i) * 10n ** 6n : BigInt(40 + 10 * i) * 10n ** 18n;
    await openGTradeTrade(op, { user, pairIndex, collateralIndex, long: i % 4 < 2, collateralAmount, leverage: 3_000 + ((i * 7_000) % 27_000), openPrice: price[pairIndex] });
    wallets.push(user);
  }
  return { address: deployed.address, startBlock: deployed.blockNumber, wallets };
}
