import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import type { BorrowingV1PairGroup } from "../../src/protocols/gtrade/borrowing";
import { borrowingV2FeeCollateral, pendingAccBorrowingFeeP } from "../../src/protocols/gtrade/borrowing";
import { fundingFeeCollateral, pendingAccFundingFees, type FundingParams } from "../../src/protocols/gtrade/funding";
import {
  closingFeeCollateral,
  holdingFeesCollateral,
  liqPnlThresholdP,
  liquidationPrice,
  pnlCollateral,
  pnlPercent,
  totalRealizedPnlCollateral,
  tradePnl,
  type HoldingFeeState,
  type LiquidationParams,
  type PairFee,
  type Trade,
  type TradeFeesData,
} from "../../src/protocols/gtrade/math";
import type { ContractsVersion } from "../../src/protocols/gtrade/units";
import { createRng, type Rng } from "../chain/rng";

// Our gTrade v10 math (bigint, on-chain units) against the official SDK (@gainsnetwork/sdk 1.8.7, floats),
// called as a dependency on the same inputs converted with the SDK's own converters. The SDK ships CJS.
const require = createRequire(import.meta.url);
const sdk: typeof import("@gainsnetwork/sdk") = require("@gainsnetwork/sdk");

const VECTORS = 10_000;
const E10 = 10n ** 10n;
const E18 = 10n ** 18n;

// ── Tolerance ─────────────────────────────────────────────────────────────────────────────────────
// "Equal" means: |ours − SDK × unit| ≤ tol, with tol the sum of
//  (a) our own integer rounding, each step toward zero as the contract does, at most one unit of that
//      step's precision, carried to the compared quantity: e.g. the threshold's 1e-12 (one 1e10 % unit) moves
//      the liquidation price by openPrice × 1e3 / leverage × 1e-12, and one collateral unit of fees moves it
//      by openPrice × 1e3 / (collateral × leverage);
//  (b) the SDK's float error: every input is a double (relative error 2^-53 after the SDK's converters)
//      and each of its ~30 operations adds at most 2^-53 relative of its operands. We allow 2^-53 × 64 of
//      the magnitude of every term that enters (not of the result: subtractions such as acc − initialAcc
//      or collateral × threshold − fees cancel, and the error stays that of the operands).
// With these, the typical bound is ~1e-12 of the compared value; dropping any formula term (closing
// spread, realized PnL, the APR multiplier) moves it by far more; see docs/protocols/gtrade.md.
const EPS = 2 ** -53 * 64;

const abs = (x: bigint) => (x < 0n ? -x : x);
const num = (x: bigint) => Number(x);

// ── Random vectors ───────────────────────────────────────────────────────────────────────────────
const logUniform = (rng: Rng, lo: number, hi: number) => 10 ** (lo + (hi - lo) * rng.next());
/** A positive integer near x with odd low digits (x ≥ 1e6 keeps 6 significant random digits). */
const near = (rng: Rng, x: number) => BigInt(Math.round(x)) + BigInt(rng.int(0, 999));
const scaled = (rng: Rng, x: number, scale: bigint) => (BigInt(Math.round(x * 1e9)) * scale) / 10n ** 9n + BigInt(rng.int(0, 999));

type Vector = {
  decimals: 6 | 18;
  priceUsd: bigint;
  trade: Trade;
  version: ContractsVersion;
  params: LiquidationParams;
  pairSpreadP: bigint;
  fee: PairFee;
  feesData: TradeFeesData;
  state: HoldingFeeState;
  marketPrice: bigint;
  executionPrice: bigint;
  timestamp: bigint;
  currentBlock: number;
  v1GroupIndices: number[];
};

function liquidationParams(rng: Rng): LiquidationParams {
  if (rng.chance(0.2)) return { maxLiqSpreadP: 0n, startLiqThresholdP: 0n, endLiqThresholdP: 0n, startLeverage: 0n, endLeverage: 0n };
  const start = BigInt(Math.round((85 + 10 * rng.next()) * 1e10));
  const end = rng.chance(0.1) ? start : start - BigInt(Math.round(40 * rng.next() * 1e10));
  const startLeverage = BigInt(rng.int(2_000, 100_000));
  return {
    maxLiqSpreadP: BigInt(Math.round(logUniform(rng, -2, -0.3) * 1e10)),
    startLiqThresholdP: start,
    endLiqThresholdP: end,
    startLeverage,
    endLeverage: startLeverage + BigInt(rng.int(1, 500_000 - Number(startLeverage))),
  };
}

function leverage(rng: Rng, p: LiquidationParams): bigint {
  // On the interpolation's ends, one unit either side, or anywhere in 1.1x–500x.
  if (p.maxLiqSpreadP > 0n && rng.chance(0.1)) return rng.pick([p.startLeverage, p.endLeverage]) + BigInt(rng.int(-1, 1));
  return BigInt(Math.round(logUniform(rng, Math.log10(1.1), Math.log10(500)) * 1000));
}

/** A pair's v1 group history around the trade's open block, with rising accumulators (1e10 %). */
function borrowingV1(rng: Rng, currentBlock: number): { state: NonNullable<HoldingFeeState["borrowingV1"]>; groupIndices: number[] } {
  let acc = rng.int(0, 1e9);
  const rise = () => (acc += rng.int(0, 3e9));
  const openBlock = rng.int(1_000, currentBlock - 100);
  const count = rng.pick([0, 0, 1, 2, 3]);
  const blocks = Array.from({ length: count }, () => rng.int(1, currentBlock - 1)).sort((a, b) => a - b);
  const pairGroups: BorrowingV1PairGroup[] = blocks.map((block) => ({
    block: BigInt(block),
    initialAccFeeLong: BigInt(rise()),
    initialAccFeeShort: BigInt(rise()),
    prevGroupAccFeeLong: BigInt(rise()),
    prevGroupAccFeeShort: BigInt(rise()),
    pairAccFeeLong: BigInt(rise()),
    pairAccFeeShort: BigInt(rise()),
  }));
  const state = {
    initial: { accPairFee: BigInt(rng.int(0, 1e9)), accGroupFee: BigInt(rng.int(0, 1e9)), block: BigInt(openBlock) },
    pairGroups,
    pairAcc: { accFeeLong: BigInt(rise()), accFeeShort: BigInt(rise()) },
    groupAcc: { accFeeLong: BigInt(rise()), accFeeShort: BigInt(rise()) },
  };
  return { state, groupIndices: blocks.map((_, i) => i + 1) };
}

function fundingState(rng: Rng, openPrice: bigint, now: bigint): NonNullable<HoldingFeeState["funding"]> {
  const rateCap = rng.chance(0.1) ? 0n : BigInt(rng.int(1, 3_170_979));
  const oi = () => (rng.chance(0.1) ? 0n : scaled(rng, logUniform(rng, 0, 6), E18));
  const oiLong = oi();
  const oiShort = oi();
  const netTokens = Math.abs(num(oiLong - oiShort)) / 1e18 || 1;
  // Reaches the rate cap in minutes to months at that skew.
  const skew = ((num(rateCap) / 1e10) * 365 * logUniform(rng, -2, 2)) / netTokens;
  const params: FundingParams = {
    skewCoefficientPerYear: BigInt(Math.round(skew * 1e26)),
    absoluteVelocityPerYearCap: rng.chance(0.1) ? 0n : BigInt(rng.int(1, 16_777_215)),
    absoluteRatePerSecondCap: rateCap,
    thetaThresholdUsd: rng.chance(0.5) ? 0n : BigInt(rng.int(0, 1_000_000)),
    fundingFeesEnabled: rng.chance(0.9),
    aprMultiplierEnabled: rng.chance(0.5),
  };
  // Accumulators of up to ±30 × price (a year at ~1e-6 %/s), the last rate within the cap.
  const acc = () => (openPrice * E10 * BigInt(Math.round((rng.next() * 2 - 1) * 30e6))) / 10n ** 6n;
  const lastRate = rng.chance(0.2) ? 0n : (rateCap * 10n ** 8n * BigInt(rng.int(-1e6, 1e6))) / 10n ** 6n;
  return {
    params,
    data: { accFundingFeeLongP: acc(), accFundingFeeShortP: acc(), lastFundingRatePerSecondP: lastRate, lastFundingUpdateTs: now - BigInt(rng.chance(0.1) ? 0 : rng.int(1, 7 * 86_400)) },
    oi: { oiLongToken: oiLong, oiShortToken: oiShort },
  };
}

function randomVector(rng: Rng): Vector {
  const decimals = rng.pick([6, 18] as const);
  const priceUsd = decimals === 6 ? near(rng, (0.99 + 0.02 * rng.next()) * 1e8) : near(rng, (rng.chance(0.5) ? logUniform(rng, 3, 3.7) : logUniform(rng, 0, 1)) * 1e8);
  const params = liquidationParams(rng);
  const version: ContractsVersion = params.maxLiqSpreadP === 0n ? rng.pick([0, 1, 2] as const) : rng.pick([1, 2, 2, 2] as const);
  const isCounterTrade = rng.chance(0.1);
  const trade: Trade = {
    long: rng.chance(0.5),
    collateralAmount: scaled(rng, logUniform(rng, 0, 6), 10n ** BigInt(decimals)),
    leverage: leverage(rng, params),
    openPrice: near(rng, logUniform(rng, -4, 5) * 1e10),
    isCounterTrade,
  };
  const lev = num(trade.leverage) / 1000;
  const move = rng.chance(0.1) ? rng.next() * 4 - 2 : ((rng.next() * 2 - 1) * 1.5) / lev;
  const marketPrice = BigInt(Math.max(1, Math.round(num(trade.openPrice) * (1 + move))));
  const executionPrice = rng.chance(0.5) ? marketPrice : BigInt(Math.max(1, Math.round(num(marketPrice) * (1 + (rng.next() * 2 - 1) * 1e-3))));
  const size = (trade.collateralAmount * trade.leverage) / 1000n;
  const now = BigInt(1_750_000_000 + rng.int(0, 1e8));
  const currentBlock = 50_000_000;
  const state: HoldingFeeState = {};
  let v1GroupIndices: number[] = [];
  if (rng.chance(0.3)) {
    const v1 = borrowingV1(rng, currentBlock);
    state.borrowingV1 = v1.state;
    v1GroupIndices = v1.groupIndices;
  }
  if (rng.chance(0.6)) {
    const rate = BigInt(rng.int(0, 40_000));
    const initial = rate * BigInt(rng.int(0, 3 * 31_536_000)) * trade.openPrice;
    state.borrowingV2 = {
      params: { borrowingRatePerSecondP: rate },
      data: { accBorrowingFeeP: initial + (rate * BigInt(rng.int(0, 31_536_000)) * trade.openPrice * BigInt(rng.int(500, 1500))) / 1000n, lastBorrowingUpdateTs: now - BigInt(rng.int(0, 30 * 86_400)) },
    };
  }
  if (rng.chance(0.6)) state.funding = fundingState(rng, trade.openPrice, now);
  return {
    decimals,
    priceUsd,
    trade,
    version,
    params,
    pairSpreadP: rng.chance(0.2) ? 0n : BigInt(Math.round(logUniform(rng, -4, -0.7) * 1e10)),
    fee: {
      totalPositionSizeFeeP: BigInt(Math.round(logUniform(rng, -2, -1) * 1e10)),
      minPositionSizeUsd: rng.chance(0.3) ? 0n : BigInt(rng.int(1_000, 2_000_000)),
      counterTradeFeeRateMultiplier: isCounterTrade ? BigInt(rng.int(500, 3000)) : 1000n,
    },
    feesData: {
      realizedPnlCollateral: rng.chance(0.5) ? 0n : (trade.collateralAmount * BigInt(rng.int(-200_000, 200_000))) / 1_000_000n,
      realizedTradingFeesCollateral: rng.chance(0.5) ? 0n : (size * BigInt(rng.int(0, 10_000))) / 1_000_000n,
      initialAccBorrowingFeeP: 0n,
      initialAccFundingFeeP: 0n,
    },
    state,
    marketPrice,
    executionPrice,
    timestamp: now,
    currentBlock,
    v1GroupIndices,
  };
}

/** Initial accumulators consistent with the state: borrowing at the pair's stored-or-earlier value, funding anywhere around it. */
function withInitialAccs(v: Vector, rng: Rng): Vector {
  const b = v.state.borrowingV2?.data.accBorrowingFeeP ?? 0n;
  const f = v.state.funding;
  const side = f === undefined ? 0n : v.trade.long ? f.data.accFundingFeeLongP : f.data.accFundingFeeShortP;
  return {
    ...v,
    feesData: {
      ...v.feesData,
      initialAccBorrowingFeeP: (b * BigInt(rng.int(0, 1000))) / 1000n,
      initialAccFundingFeeP: side + (v.trade.openPrice * E10 * BigInt(rng.int(-5e6, 5e6))) / 10n ** 6n,
    },
  };
}

// ── The SDK side ─────────────────────────────────────────────────────────────────────────────────
const ZERO_GLOBAL_FEES = { referralFeeP: 0, govFeeP: 0, triggerOrderFeeP: 0, gnsOtcFeeP: 0, gTokenFeeP: 0 };

function sdkInputs(v: Vector) {
  const collateralPriceUsd = num(v.priceUsd) / 1e8;
  const trade = {
    user: "",
    index: 0,
    pairIndex: 0,
    leverage: sdk.convertLeverage(v.trade.leverage),
    long: v.trade.long,
    isOpen: true,
    collateralIndex: 1,
    tradeType: 0,
    collateralAmount: sdk.convertCollateralAmount(v.trade.collateralAmount, v.decimals),
    openPrice: sdk.convertPrice(v.trade.openPrice),
    sl: 0,
    tp: 0,
    isCounterTrade: v.trade.isCounterTrade,
  };
  const tradeInfo = { createdBlock: 0, tpLastUpdatedBlock: 0, slLastUpdatedBlock: 0, maxSlippageP: 1, lastOiUpdateTs: 0, collateralPriceUsd, contractsVersion: v.version, lastPosIncreaseBlock: 0 };
  const currentTimestamp = num(v.timestamp);
  const { borrowingV1, borrowingV2, funding } = v.state;
  let borrowingV1Context;
  let initialAccFees;
  if (borrowingV1) {
    // No pending v1 accrual: every accumulator was updated at the current block (ours takes them as given).
    const f = (x: bigint) => num(x) / 1e10;
    const idle = { feePerBlock: 0, accLastUpdatedBlock: v.currentBlock, feeExponent: 1, oi: { long: 0, short: 0, max: 0 } };
    const groups = v.v1GroupIndices.map((groupIndex, i) => {
      const g = borrowingV1.pairGroups[i]!;
      return { groupIndex, block: num(g.block), initialAccFeeLong: f(g.initialAccFeeLong), initialAccFeeShort: f(g.initialAccFeeShort), prevGroupAccFeeLong: f(g.prevGroupAccFeeLong), prevGroupAccFeeShort: f(g.prevGroupAccFeeShort), pairAccFeeLong: f(g.pairAccFeeLong), pairAccFeeShort: f(g.pairAccFeeShort) };
    });
    const lastGroup = v.v1GroupIndices.at(-1) ?? 0;
    const groupData = Array.from({ length: lastGroup + 1 }, () => ({ ...idle, accFeeLong: 0, accFeeShort: 0 }));
    groupData[lastGroup] = { ...idle, accFeeLong: f(borrowingV1.groupAcc.accFeeLong), accFeeShort: f(borrowingV1.groupAcc.accFeeShort) };
    borrowingV1Context = {
      currentBlock: v.currentBlock,
      collateralPriceUsd,
      groups: groupData,
      pairs: [{ ...idle, groups, accFeeLong: f(borrowingV1.pairAcc.accFeeLong), accFeeShort: f(borrowingV1.pairAcc.accFeeShort) }],
      pairOis: [{ maxCollateral: 0, beforeV10Collateral: { long: 0, short: 0 }, collateral: { long: 0, short: 0 }, token: { long: 0, short: 0 } }],
    };
    initialAccFees = { accPairFee: f(borrowingV1.initial.accPairFee), accGroupFee: f(borrowingV1.initial.accGroupFee), block: num(borrowingV1.initial.block) };
  }
  const borrowingV2Context = borrowingV2 && {
    currentTimestamp,
    params: sdk.convertBorrowingFeeParamsV2({ borrowingRatePerSecondP: num(borrowingV2.params.borrowingRatePerSecondP) } as never),
    data: sdk.convertPairBorrowingFeeDataV2({ accBorrowingFeeP: borrowingV2.data.accBorrowingFeeP, lastBorrowingUpdateTs: num(borrowingV2.data.lastBorrowingUpdateTs) } as never),
  };
  const fundingContext = funding && {
    currentTimestamp,
    params: sdk.convertFundingFeeParams(funding.params as never),
    data: sdk.convertPairFundingFeeData(funding.data as never),
    // As the SDK's buildFundingContext: token OIs as floats, net exposure their difference.
    pairOi: { oiLongToken: num(funding.oi.oiLongToken) / 1e18, oiShortToken: num(funding.oi.oiShortToken) / 1e18 },
    netExposureToken: num(funding.oi.oiLongToken) / 1e18 - num(funding.oi.oiShortToken) / 1e18,
  };
  const trading = {
    fee: { totalPositionSizeFeeP: num(v.fee.totalPositionSizeFeeP) / 1e12, totalLiqCollateralFeeP: 0, oraclePositionSizeFeeP: 0, minPositionSizeUsd: num(v.fee.minPositionSizeUsd) / 1e3 },
    globalTradeFeeParams: ZERO_GLOBAL_FEES,
    counterTradeSettings: [{ feeRateMultiplier: num(v.fee.counterTradeFeeRateMultiplier) / 1000, maxLeverage: 0 }],
  };
  const tradeData = {
    tradeInfo,
    tradeFeesData: sdk.convertTradeFeesData({ ...v.feesData, manuallyRealizedNegativePnlCollateral: 0n, alreadyTransferredNegativePnlCollateral: 0n, virtualAvailableCollateralInDiamond: 0n } as never, { decimals: v.decimals } as never),
    liquidationParams: sdk.convertLiquidationParams(v.params as never),
    initialAccFees,
  };
  const core = { currentBlock: v.currentBlock, currentTimestamp, collateralPriceUsd, contractsVersion: v.version };
  return { trade, tradeInfo, core, trading, tradeData, borrowingV1: borrowingV1Context, borrowingV2: borrowingV2Context, funding: fundingContext };
}

function sdkResults(v: Vector) {
  const x = sdkInputs(v);
  const liq = sdk.getLiquidationPrice(x.trade as never, {
    core: { ...x.core, spreadP: num(v.pairSpreadP) / 1e10 / 100 },
    borrowingV1: x.borrowingV1,
    borrowingV2: x.borrowingV2,
    funding: x.funding,
    trading: x.trading,
    tradeData: x.tradeData,
    liquidationSpecific: { currentPairPrice: sdk.convertPrice(v.marketPrice), additionalFeeCollateral: 0, partialCloseMultiplier: 1, beforeOpened: false, isCounterTrade: v.trade.isCounterTrade },
  } as never);
  const pnl = sdk.getComprehensivePnl(x.trade as never, sdk.convertPrice(v.marketPrice), sdk.convertPrice(v.executionPrice), x.tradeInfo as never, {
    core: x.core,
    borrowingV1: x.borrowingV1,
    borrowingV2: x.borrowingV2,
    funding: x.funding,
    trading: x.trading,
    tradeData: x.tradeData,
  } as never);
  return { liq, pnl };
}

// ── Ours, and the bounds ─────────────────────────────────────────────────────────────────────────
function ours(v: Vector) {
  const closing = closingFeeCollateral(v.trade, v.fee, { decimals: v.decimals, priceUsd: v.priceUsd });
  const holding = holdingFeesCollateral({ trade: v.trade, contractsVersion: v.version, tradeFeesData: v.feesData, state: v.state, currentPairPrice: v.marketPrice, timestamp: v.timestamp });
  const realized = totalRealizedPnlCollateral(v.feesData);
  const common = { trade: v.trade, liquidationParams: v.params, collateralDecimals: v.decimals, closingFeeCollateral: closing, holdingFeesCollateral: holding.total, totalRealizedPnlCollateral: realized };
  return {
    closing,
    holding,
    realized,
    liq: liquidationPrice({ ...common, contractsVersion: v.version, pairSpreadP: v.pairSpreadP })!,
    pnl: tradePnl({ ...common, marketPrice: v.marketPrice, executionPrice: v.executionPrice })!,
  };
}

/** Magnitudes (collateral units) of the terms that enter each holding fee in the SDK, for its float error. */
function feeTermMagnitudes(v: Vector): { v1: number; v2: number; funding: number } {
  const size = num(v.trade.collateralAmount) * (num(v.trade.leverage) / 1000);
  const perAcc = size / (num(v.trade.openPrice) * 1e12);
  const { borrowingV1: b1, borrowingV2: b2, funding: f } = v.state;
  let v1 = 0;
  if (b1) {
    const terms = [b1.initial.accPairFee, b1.initial.accGroupFee, b1.pairAcc.accFeeLong, b1.pairAcc.accFeeShort, b1.groupAcc.accFeeLong, b1.groupAcc.accFeeShort, ...b1.pairGroups.flatMap((g) => [g.initialAccFeeLong, g.initialAccFeeShort, g.prevGroupAccFeeLong, g.prevGroupAccFeeShort, g.pairAccFeeLong, g.pairAccFeeShort])];
    v1 = (size * terms.reduce((s, t) => s + Math.abs(num(t)), 0)) / 1e12;
  }
  let v2 = 0;
  if (b2) {
    const pending = num(b2.params.borrowingRatePerSecondP) * Math.max(0, num(v.timestamp - b2.data.lastBorrowingUpdateTs)) * num(v.marketPrice);
    v2 = perAcc * (num(b2.data.accBorrowingFeeP) + num(v.feesData.initialAccBorrowingFeeP) + pending);
  }
  let funding = 0;
  if (f) {
    // |∫rate dt| ≤ (|last rate| + cap) × dt, × price, × the APR multiplier (≤ 100).
    const dt = Math.max(0, num(v.timestamp - f.data.lastFundingUpdateTs));
    const rates = Math.abs(num(f.data.lastFundingRatePerSecondP)) + num(f.params.absoluteRatePerSecondCap) * 1e8;
    const delta = (rates * dt * num(v.marketPrice) * 100) / 1e8;
    funding = perAcc * (Math.abs(num(f.data.accFundingFeeLongP)) + Math.abs(num(f.data.accFundingFeeShortP)) + Math.abs(num(v.feesData.initialAccFundingFeeP)) + delta);
  }
  return { v1, v2, funding };
}

function tolerances(v: Vector, o: ReturnType<typeof ours>) {
  const open = num(v.trade.openPrice);
  const c = num(v.trade.collateralAmount);
  const lev = num(v.trade.leverage);
  const size = (c * lev) / 1000;
  const m = feeTermMagnitudes(v);
  // (a) one unit per rounding step in collateral units (+ the position size floor carried by the fee rate), (b) EPS of the terms.
  const fee = {
    closing: 2 + EPS * num(o.closing),
    v1: 1 + EPS * (num(abs(o.holding.borrowingV1)) + m.v1),
    v2: 1 + num(abs(o.holding.borrowingV2)) / size + EPS * (num(abs(o.holding.borrowingV2)) + m.v2),
    funding: 1 + num(abs(o.holding.funding)) / size + EPS * (num(abs(o.holding.funding)) + m.funding),
  };
  const realizedTerms = num(abs(v.feesData.realizedPnlCollateral)) + num(v.feesData.realizedTradingFeesCollateral);
  const fees = fee.closing + fee.v1 + fee.v2 + fee.funding + EPS * realizedTerms;
  // Price units per collateral unit of fees, and the distance at 100% of collateral.
  const perFee = (open * 1000) / (c * lev);
  const fullDistance = (open * 1000) / lev;
  const liq = 2 + fullDistance * 1e-12 + open * 1e-12 + perFee * fees + EPS * (open + num(abs(o.liq - v.trade.openPrice)) + fullDistance + perFee * (num(o.closing) + m.v1 + m.v2 + m.funding + realizedTerms));
  const pct = (price: bigint) => 1 + EPS * (100e10 * (lev / 1000) * ((num(price) + open) / open));
  const pnl = (price: bigint) => 2 + (c * pct(price)) / 1e12 + EPS * c * 100;
  return { fee, liq, pct: pct(v.marketPrice), pnl: pnl(v.marketPrice), unrealized: pnl(v.marketPrice) + fees - fee.closing, net: pnl(v.executionPrice) + fees };
}

describe("gTrade v10 math against @gainsnetwork/sdk 1.8.7", () => {
  it(`agrees on ${VECTORS} random trades (liquidation price, PnL, fees) within the derived float bound`, () => {
    const rng = createRng(20_260_310);
    const worst = { liqAbs: 0, liqRatio: 0, pnlRatio: 0, feeRatio: 0 };
    let exactLiq = 0;
    let boundary = 0;
    const seen = { long: 0, short: 0, interpolated: 0, spread: 0, v1: 0, v2: 0, funding: 0, fundingCrossed: 0, liquidated: 0, counter: 0, d6: 0, d18: 0 };
    for (let i = 0; i < VECTORS; i++) {
      const v = withInitialAccs(randomVector(rng), rng);
      const o = ours(v);
      const s = sdkResults(v);
      const tol = tolerances(v, o);
      const unit = 10 ** v.decimals;
      const check = (what: string, got: number, want: number, bound: number) => {
        const diff = Math.abs(got - want);
        if (!(diff <= bound)) throw new Error(`vector ${i}: ${what} ours ${got} sdk ${want} diff ${diff} > tol ${bound}\n${JSON.stringify(v, (_, x) => (typeof x === "bigint" ? x.toString() : x))}`);
        return diff / bound;
      };

      // Fees, one by one, so that a mismatch points at its formula.
      const fees = s.pnl.fees;
      worst.feeRatio = Math.max(
        worst.feeRatio,
        check("closing fee", num(o.closing), fees.closing * unit, tol.fee.closing),
        check("borrowing v1", num(o.holding.borrowingV1), fees.borrowingV1 * unit, tol.fee.v1),
        check("borrowing v2", num(o.holding.borrowingV2), fees.borrowingV2 * unit, tol.fee.v2),
        check("funding", num(o.holding.funding), fees.funding * unit, tol.fee.funding),
      );

      const liqDiff = Math.abs(num(o.liq) - s.liq * 1e10);
      worst.liqAbs = Math.max(worst.liqAbs, liqDiff);
      worst.liqRatio = Math.max(worst.liqRatio, check("liquidation price", num(o.liq), s.liq * 1e10, tol.liq));
      if (BigInt(Math.round(s.liq * 1e10)) === o.liq) exactLiq++;

      if (o.pnl.isLiquidated !== s.pnl.isLiquidated) {
        // Only where the raw PnL sits on the threshold within the bound.
        const raw = pnlPercent(v.trade, v.marketPrice)!;
        const threshold = liqPnlThresholdP(v.params, v.trade.leverage);
        expect(num(abs(raw + threshold))).toBeLessThanOrEqual(tol.pct + 1);
        boundary++;
        continue;
      }
      worst.pnlRatio = Math.max(
        worst.pnlRatio,
        check("pnl percent", num(o.pnl.pnlPercent), s.pnl.pnlPercent * 1e10, tol.pct),
        check("pnl collateral", num(o.pnl.pnlCollateral), s.pnl.pnlCollateral * unit, tol.pnl),
        check("unrealized pnl", num(o.pnl.unrealizedPnlCollateral), s.pnl.uPnlCollateral * unit, tol.unrealized),
        check("net pnl", num(o.pnl.netPnlCollateral), s.pnl.realizedPnlCollateral * unit, tol.net),
      );

      seen[v.trade.long ? "long" : "short"]++;
      if (v.params.maxLiqSpreadP > 0n && v.trade.leverage > v.params.startLeverage && v.trade.leverage < v.params.endLeverage && v.params.startLiqThresholdP !== v.params.endLiqThresholdP) seen.interpolated++;
      if (v.version >= 1 && v.params.maxLiqSpreadP > 0n && v.pairSpreadP > 0n) seen.spread++;
      if (o.holding.borrowingV1 !== 0n) seen.v1++;
      if (o.holding.borrowingV2 !== 0n) seen.v2++;
      if (o.holding.funding !== 0n) seen.funding++;
      const f = v.state.funding;
      if (f && v.version >= 2 && f.params.aprMultiplierEnabled && f.data.lastFundingRatePerSecondP !== 0n) {
        const next = pendingAccFundingFees(f.params, f.data, f.oi, v.marketPrice, v.timestamp).currentFundingRatePerSecondP;
        if (next !== 0n && next > 0n !== f.data.lastFundingRatePerSecondP > 0n) seen.fundingCrossed++;
      }
      if (o.pnl.isLiquidated) seen.liquidated++;
      if (v.trade.isCounterTrade) seen.counter++;
      seen[v.decimals === 6 ? "d6" : "d18"]++;
    }
    console.log(`gTrade differential: ${VECTORS} vectors, liquidation price equal to the SDK's rounded to 1e-10 in ${exactLiq}, max |diff| ${worst.liqAbs.toExponential(3)} price units (1e-10), worst diff/tol liq ${worst.liqRatio.toFixed(4)} pnl ${worst.pnlRatio.toFixed(4)} fees ${worst.feeRatio.toFixed(4)}, ${boundary} on the liquidation boundary`, seen);
    // Every family of inputs was exercised.
    for (const [k, n] of Object.entries(seen)) expect(n, k).toBeGreaterThan(k === "fundingCrossed" ? 10 : 100);
  });
});

describe("gTrade math, worked by hand", () => {
  const usdc = { decimals: 6, priceUsd: 100_000_000n };
  const noFee: PairFee = { totalPositionSizeFeeP: 0n, minPositionSizeUsd: 0n, counterTradeFeeRateMultiplier: 1000n };
  const legacy: LiquidationParams = { maxLiqSpreadP: 0n, startLiqThresholdP: 0n, endLiqThresholdP: 0n, startLeverage: 0n, endLeverage: 0n };
  // 90% at ≤10x, 80% at ≥110x, 0.1% max liquidation spread.
  const params: LiquidationParams = { maxLiqSpreadP: 1_000_000_000n, startLiqThresholdP: 90n * E10, endLiqThresholdP: 80n * E10, startLeverage: 10_000n, endLeverage: 110_000n };

  it("legacy long: 1000 USDC at 10x from $100, 0.06% fee", () => {
    // Position 10,000 USDC; closing fee 0.06% = 6 USDC (min size $1500 < 10,000). Liquidated when the loss
    // reaches 90% × 1000 − 6 = 894 USDC = 8.94% of the position: $100 × (1 − 0.0894) = $91.06.
    const trade: Trade = { long: true, collateralAmount: 1_000_000_000n, leverage: 10_000n, openPrice: 100n * E10, isCounterTrade: false };
    const closing = closingFeeCollateral(trade, { ...noFee, totalPositionSizeFeeP: 600_000_000n, minPositionSizeUsd: 1_500_000n }, usdc);
    expect(closing).toBe(6_000_000n);
    expect(liquidationPrice({ trade, liquidationParams: legacy, contractsVersion: 0, collateralDecimals: 6, pairSpreadP: 400_000_000n, closingFeeCollateral: closing, holdingFeesCollateral: 0n, totalRealizedPnlCollateral: 0n })).toBe(910_600_000_000n);
  });

  it("v9.2 short at 60x: interpolated threshold and closing spread", () => {
    // 60x is halfway from 10x to 110x: threshold 85%. Collateral 100 USDC, position 6000, fee 0.05% = 3 USDC.
    // Distance $2000 × (0.85 − 0.03) / 60 = $27.3333333333 (truncated at 1e-10), less the spread:
    // half of 0.04% = 0.02% (under the 0.1% cap) of $2000 = $0.40 → $2026.9333333333.
    const trade: Trade = { long: false, collateralAmount: 100_000_000n, leverage: 60_000n, openPrice: 2000n * E10, isCounterTrade: false };
    expect(liqPnlThresholdP(params, trade.leverage)).toBe(85n * E10);
    const closing = closingFeeCollateral(trade, { ...noFee, totalPositionSizeFeeP: 500_000_000n }, usdc);
    expect(closing).toBe(3_000_000n);
    expect(liquidationPrice({ trade, liquidationParams: params, contractsVersion: 1, collateralDecimals: 6, pairSpreadP: 400_000_000n, closingFeeCollateral: closing, holdingFeesCollateral: 0n, totalRealizedPnlCollateral: 0n })).toBe(20_269_333_333_333n);
    // Before v9.2 the same trade has no closing spread: $2027.3333333333.
    expect(liquidationPrice({ trade, liquidationParams: params, contractsVersion: 0, collateralDecimals: 6, pairSpreadP: 400_000_000n, closingFeeCollateral: closing, holdingFeesCollateral: 0n, totalRealizedPnlCollateral: 0n })).toBe(20_273_333_333_333n);
  });

  it("threshold ends, rounding and the spread cap", () => {
    expect(liqPnlThresholdP(params, 10_000n)).toBe(90n * E10);
    expect(liqPnlThresholdP(params, 2_000n)).toBe(90n * E10);
    expect(liqPnlThresholdP(params, 500_000n)).toBe(80n * E10);
    // 10.001x: 90% − 1/100,000 × 10% = 89.9999%, i.e. 90e10 − 1e6; the step is exact here.
    expect(liqPnlThresholdP(params, 10_001n)).toBe(90n * E10 - 1_000_000n);
    // 10x + 1/3 of the range (43.333x): 90 − 3.3333333333…% → subtracted part rounded down: 86.6666666667%.
    const third = { ...params, endLeverage: 10_000n + 3n * 33_333n };
    expect(liqPnlThresholdP(third, 10_000n + 33_333n)).toBe(90n * E10 - 33_333_333_333n);
    // Equal leverages (the SDK divides by zero): start threshold at that leverage.
    expect(liqPnlThresholdP({ ...params, endLeverage: 10_000n }, 10_000n)).toBe(90n * E10);
    // A 1% pair spread is capped at maxLiqSpreadP 0.1%: 10x long from $100, no fees: 90% / 10 = 9% − 0.1% → $91.10.
    const trade: Trade = { long: true, collateralAmount: 1_000_000n, leverage: 10_000n, openPrice: 100n * E10, isCounterTrade: false };
    expect(liquidationPrice({ trade, liquidationParams: params, contractsVersion: 2, collateralDecimals: 6, pairSpreadP: E10, closingFeeCollateral: 0n, holdingFeesCollateral: 0n, totalRealizedPnlCollateral: 0n })).toBe(911_000_000_000n);
    // Fees beyond the loss at the threshold (1 USDC > 0.9) put a long's liquidation above its open price: $101.
    // Under 1x (0.5x: 180% away) a long's floors at 0.
    expect(liquidationPrice({ trade, liquidationParams: legacy, contractsVersion: 0, collateralDecimals: 6, pairSpreadP: 0n, closingFeeCollateral: 1_000_000n, holdingFeesCollateral: 0n, totalRealizedPnlCollateral: 0n })).toBe(1_010_000_000_000n);
    expect(liquidationPrice({ trade: { ...trade, leverage: 500n }, liquidationParams: legacy, contractsVersion: 0, collateralDecimals: 6, pairSpreadP: 0n, closingFeeCollateral: 0n, holdingFeesCollateral: 0n, totalRealizedPnlCollateral: 0n })).toBe(0n);
  });

  it("closing fee: min position size in 18-decimal collateral and counter trades", () => {
    // 0.1 ETH at 2x = 0.2 ETH; min size $1500 at $3000/ETH = 0.5 ETH; 0.1% of 0.5 ETH = 0.0005 ETH.
    const eth = { decimals: 18, priceUsd: 3000n * 10n ** 8n };
    const trade: Trade = { long: true, collateralAmount: 10n ** 17n, leverage: 2_000n, openPrice: 100n * E10, isCounterTrade: false };
    const fee: PairFee = { totalPositionSizeFeeP: E10 / 10n, minPositionSizeUsd: 1_500_000n, counterTradeFeeRateMultiplier: 500n };
    expect(closingFeeCollateral(trade, fee, eth)).toBe(5n * 10n ** 14n);
    // A counter trade of 1000 USDC at 10x with a 0.5 multiplier pays 0.1% of 5000 = 5 USDC.
    expect(closingFeeCollateral({ ...trade, collateralAmount: 1_000_000_000n, leverage: 10_000n, isCounterTrade: true }, { ...fee, minPositionSizeUsd: 0n }, usdc)).toBe(5_000_000n);
  });

  it("borrowing v2: a day at 1e-7 %/s on a 10,000 USDC position", () => {
    // 1e-7 %/s × 86,400 s = 0.00864% of 10,000 USDC = 0.864 USDC (price unchanged at $2000).
    const acc = pendingAccBorrowingFeeP({ borrowingRatePerSecondP: 1000n }, { accBorrowingFeeP: 0n, lastBorrowingUpdateTs: 1_000n }, 2000n * E10, 1_000n + 86_400n);
    expect(acc).toBe(1000n * 86_400n * 2000n * E10);
    expect(borrowingV2FeeCollateral(10_000_000_000n, 2000n * E10, 0n, acc)).toBe(864_000n);
    // No accrual for a timestamp before the last update.
    expect(pendingAccBorrowingFeeP({ borrowingRatePerSecondP: 1000n }, { accBorrowingFeeP: 7n, lastBorrowingUpdateTs: 1_000n }, 2000n * E10, 999n)).toBe(7n);
  });

  it("funding: a constant rate, the APR multiplier and a velocity ramp", () => {
    const base: FundingParams = { skewCoefficientPerYear: 0n, absoluteVelocityPerYearCap: 1_000_000n, absoluteRatePerSecondCap: 1_000_000n, thetaThresholdUsd: 0n, fundingFeesEnabled: true, aprMultiplierEnabled: true };
    // 1e-8 %/s for an hour at $2000: 0.072 (×1e20) on the long side; shorts earn it × long OI / short OI = 2.
    const constant = pendingAccFundingFees(base, { accFundingFeeLongP: 0n, accFundingFeeShortP: 0n, lastFundingRatePerSecondP: 10n ** 10n, lastFundingUpdateTs: 0n }, { oiLongToken: 2n * E18, oiShortToken: E18 }, 2000n * E10, 3_600n);
    expect(constant).toEqual({ accFundingFeeLongP: 72n * 10n ** 17n, accFundingFeeShortP: -144n * 10n ** 17n, currentFundingRatePerSecondP: 10n ** 10n });
    // A long of 10,000 USDC from $2000 pays 3.6e-5 % = 0.0036 USDC; a short earns 0.0072.
    const fee = (long: boolean) => fundingFeeCollateral({ long, positionSizeCollateral: 10_000_000_000n, openPrice: 2000n * E10, initialAccFundingFeeP: 0n, params: base, pending: constant });
    expect(fee(true)).toBe(3_600n);
    expect(fee(false)).toBe(-7_200n);
    // Net 1000 tokens long at $1 with skew 1e-9 (1e17 at 1e26): velocity 1e-6 %/s per year; half a year from 0
    // reaches 5e-7 %/s, averaging 2.5e-7: × 15,768,000 s × $1 = 3.942 (×1e20). Shorts earn it × 2000/1000.
    const ramp = { ...base, skewCoefficientPerYear: 10n ** 17n };
    const half = pendingAccFundingFees(ramp, { accFundingFeeLongP: 0n, accFundingFeeShortP: 0n, lastFundingRatePerSecondP: 0n, lastFundingUpdateTs: 0n }, { oiLongToken: 2000n * E18, oiShortToken: 1000n * E18 }, E10, 15_768_000n);
    expect(half).toEqual({ accFundingFeeLongP: 3_942n * 10n ** 17n, accFundingFeeShortP: -3_942n * 10n ** 17n * 2n, currentFundingRatePerSecondP: 5n * 10n ** 11n });
    // Under the theta threshold ($1001 > $1000 of net exposure) the rate does not move.
    expect(pendingAccFundingFees({ ...ramp, thetaThresholdUsd: 1001n }, { accFundingFeeLongP: 0n, accFundingFeeShortP: 0n, lastFundingRatePerSecondP: 0n, lastFundingUpdateTs: 0n }, { oiLongToken: 2000n * E18, oiShortToken: 1000n * E18 }, E10, 15_768_000n).currentFundingRatePerSecondP).toBe(0n);
    // Disabled funding charges nothing (the SDK returns 0 for the trade).
    expect(fundingFeeCollateral({ long: true, positionSizeCollateral: 10_000_000_000n, openPrice: 2000n * E10, initialAccFundingFeeP: 0n, params: { ...base, fundingFeesEnabled: false }, pending: constant })).toBe(0n);
  });

  it("PnL: percent, collateral and the liquidated clamp", () => {
    // Long 10x from $100 at $103: +30%; short loses 30%. 1000 USDC → +300 USDC.
    const trade: Trade = { long: true, collateralAmount: 1_000_000_000n, leverage: 10_000n, openPrice: 100n * E10, isCounterTrade: false };
    expect(pnlPercent(trade, 103n * E10)).toBe(30n * E10);
    expect(pnlPercent({ ...trade, long: false }, 103n * E10)).toBe(-30n * E10);
    expect(pnlCollateral(trade.collateralAmount, 30n * E10, 6)).toBe(300_000_000n);
    // One price unit (1e-10) down on a $3 long at 1x: −1/3e10 × 100% = −33.3 units of 1e-10 % → toward zero: −33.
    expect(pnlPercent({ ...trade, leverage: 1_000n, openPrice: 3n * E10 }, 3n * E10 - 1n)).toBe(-33n);
    // At $91: −90% reaches the legacy threshold → liquidated, −100%; fees: 5 holding, 6 closing, +2 realized.
    const r = tradePnl({ trade, liquidationParams: { maxLiqSpreadP: 0n, startLiqThresholdP: 0n, endLiqThresholdP: 0n, startLeverage: 0n, endLeverage: 0n }, collateralDecimals: 6, marketPrice: 91n * E10, closingFeeCollateral: 6_000_000n, holdingFeesCollateral: 5_000_000n, totalRealizedPnlCollateral: 2_000_000n });
    expect(r).toEqual({ pnlPercent: -100n * E10, pnlCollateral: -1_000_000_000n, unrealizedPnlCollateral: -1_003_000_000n, netPnlCollateral: -1_009_000_000n, isLiquidated: true });
    // At $103 with an execution price of $102.9: net = 1000 × 29% − 5 − 6 + 2 = 281 USDC.
    const up = tradePnl({ trade, liquidationParams: { maxLiqSpreadP: 0n, startLiqThresholdP: 0n, endLiqThresholdP: 0n, startLeverage: 0n, endLeverage: 0n }, collateralDecimals: 6, marketPrice: 103n * E10, executionPrice: 1029n * E10 / 10n, closingFeeCollateral: 6_000_000n, holdingFeesCollateral: 5_000_000n, totalRealizedPnlCollateral: 2_000_000n });
    expect(up).toEqual({ pnlPercent: 30n * E10, pnlCollateral: 300_000_000n, unrealizedPnlCollateral: 297_000_000n, netPnlCollateral: 281_000_000n, isLiquidated: false });
  });
});

describe("gTrade math, bad input", () => {
  const trade: Trade = { long: true, collateralAmount: 1_000_000n, leverage: 10_000n, openPrice: 100n * E10, isCounterTrade: false };
  const params: LiquidationParams = { maxLiqSpreadP: 0n, startLiqThresholdP: 0n, endLiqThresholdP: 0n, startLeverage: 0n, endLeverage: 0n };
  const liq = (t: Trade, decimals = 6) => liquidationPrice({ trade: t, liquidationParams: params, contractsVersion: 2, collateralDecimals: decimals, pairSpreadP: 0n, closingFeeCollateral: 0n, holdingFeesCollateral: 0n, totalRealizedPnlCollateral: 0n });
  const pnl = (t: Trade) => tradePnl({ trade: t, liquidationParams: params, collateralDecimals: 6, marketPrice: 100n * E10, closingFeeCollateral: 0n, holdingFeesCollateral: 0n, totalRealizedPnlCollateral: 0n });

  it("an empty trade has no liquidation price and no PnL", () => {
    for (const t of [{ ...trade, collateralAmount: 0n }, { ...trade, leverage: 0n }, { ...trade, openPrice: 0n }]) {
      expect(liq(t)).toBeNull();
      expect(pnl(t)).toBeNull();
    }
    expect(pnlPercent({ ...trade, openPrice: 0n }, E10)).toBeNull();
  });

  it("values that cannot come from the chain throw", () => {
    expect(() => liq({ ...trade, collateralAmount: -1n })).toThrow(/collateralAmount/);
    expect(() => liq({ ...trade, openPrice: -1n })).toThrow(/openPrice/);
    expect(() => liq(trade, 19)).toThrow(/decimals/);
    expect(() => pnlPercent(trade, -1n)).toThrow(/price/);
    expect(() => pnlCollateral(1n, -101n * E10, 6)).toThrow(/−100%/);
    expect(() => liqPnlThresholdP({ maxLiqSpreadP: 1n, startLiqThresholdP: 80n * E10, endLiqThresholdP: 90n * E10, startLeverage: 10_000n, endLeverage: 20_000n }, 15_000n)).toThrow(/startLiqThresholdP/);
    expect(() => closingFeeCollateral(trade, { totalPositionSizeFeeP: 1n, minPositionSizeUsd: 0n, counterTradeFeeRateMultiplier: 1000n }, { decimals: 6, priceUsd: 0n })).toThrow(/priceUsd/);
    expect(() => borrowingV2FeeCollateral(1n, 0n, 0n, 1n)).toThrow(/openPrice/);
  });
});
