// gTrade borrowing fees in on-chain units: v2 (v10 trades, one accumulator per collateral and pair, time
// based) and v1 (pair and group accumulators, block based, still charged on markets that have not
// migrated). Formulas from @gainsnetwork/sdk 1.8.7; rounding as the v9.2 BorrowingFeesUtils rounds.
import { LEVERAGE_PRECISION, PERCENT_P_10, assertUnsigned } from "./units";

/** IFundingFees.BorrowingFeeParams.borrowingRatePerSecondP: % per second, 1e10. */
export type BorrowingV2Params = { borrowingRatePerSecondP: bigint };
/** IFundingFees.PairBorrowingFeeData: accumulator (1e20, % × pair price) and its last update (seconds). */
export type BorrowingV2Data = { accBorrowingFeeP: bigint; lastBorrowingUpdateTs: bigint };

/**
 * The pair's v2 accumulator at `timestamp`: acc + rate × elapsed × price, exact in integers
 * (1e10 rate × 1e10 price = 1e20). No accrual before the last update.
 * SDK: lib/trade/fees/borrowingV2/index.js getPairPendingAccBorrowingFees.
 */
export function pendingAccBorrowingFeeP(params: BorrowingV2Params, data: BorrowingV2Data, currentPairPrice: bigint, timestamp: bigint): bigint {
  assertUnsigned("borrowingRatePerSecondP", params.borrowingRatePerSecondP);
  assertUnsigned("currentPairPrice", currentPairPrice);
  const elapsed = timestamp > data.lastBorrowingUpdateTs ? timestamp - data.lastBorrowingUpdateTs : 0n;
  return data.accBorrowingFeeP + params.borrowingRatePerSecondP * elapsed * currentPairPrice;
}

/**
 * A trade's v2 borrowing fee in collateral: positionSize × (acc − initialAcc) / openPrice / 100, i.e.
 * ÷ (openPrice × 1e12) in on-chain units. Rounded toward zero, as Solidity's integer division does.
 * SDK: lib/trade/fees/borrowingV2/index.js getTradeBorrowingFeesCollateral.
 */
export function borrowingV2FeeCollateral(positionSizeCollateral: bigint, openPrice: bigint, initialAccBorrowingFeeP: bigint, accBorrowingFeeP: bigint): bigint {
  if (openPrice <= 0n) throw new RangeError(`gTrade: openPrice must be > 0, got ${openPrice}`);
  return (positionSizeCollateral * (accBorrowingFeeP - initialAccBorrowingFeeP)) / (openPrice * PERCENT_P_10);
}

/** A pair's or group's v1 accumulators (1e10 %). */
export type BorrowingV1AccFees = { accFeeLong: bigint; accFeeShort: bigint };
/** IBorrowingFees.BorrowingInitialAccFees: the trade's pair and group accumulators when it opened. */
export type BorrowingV1InitialAccFees = { accPairFee: bigint; accGroupFee: bigint; block: bigint };
/** IBorrowingFees.BorrowingPairGroup: one entry of the pair's group history (accumulators at the switch). */
export type BorrowingV1PairGroup = {
  block: bigint;
  initialAccFeeLong: bigint;
  initialAccFeeShort: bigint;
  prevGroupAccFeeLong: bigint;
  prevGroupAccFeeShort: bigint;
  pairAccFeeLong: bigint;
  pairAccFeeShort: bigint;
};

/**
 * The v1 fee a trade owes in % (1e10): for each group the pair belonged to while the trade was open, the
 * larger of the pair's and the group's accumulator growth; before the pair's first group, the pair's.
 * `pairAcc` and `groupAcc` are the current accumulators of the pair and of its last group (with their
 * pending accrual if the caller has it: the block-based accrual itself is not computed here).
 * SDK: lib/trade/fees/borrowing/index.js getBorrowingFee and getPairGroupAccFeesDeltas.
 */
export function borrowingV1FeeP(input: {
  long: boolean;
  initial: BorrowingV1InitialAccFees;
  pairGroups: readonly BorrowingV1PairGroup[];
  pairAcc: BorrowingV1AccFees;
  groupAcc: BorrowingV1AccFees;
}): bigint {
  const { long, initial, pairGroups } = input;
  const side = (acc: BorrowingV1AccFees) => (long ? acc.accFeeLong : acc.accFeeShort);
  const first = pairGroups[0];
  let feeP = 0n;
  // Opened before the pair's first group: the pair alone until that group (or until now).
  if (first === undefined || first.block > initial.block) {
    feeP = (first === undefined ? side(input.pairAcc) : long ? first.pairAccFeeLong : first.pairAccFeeShort) - initial.accPairFee;
  }
  for (let i = pairGroups.length - 1; i >= 0; i--) {
    const group = pairGroups[i]!;
    const next = pairGroups[i + 1];
    const beforeTradeOpen = group.block < initial.block;
    // Groups left before the trade opened add nothing.
    if (next !== undefined && beforeTradeOpen && next.block <= initial.block) break;
    // Accumulators at the end of this group's period: now for the last one, else at the next switch.
    let groupEnd = next === undefined ? side(input.groupAcc) : long ? next.prevGroupAccFeeLong : next.prevGroupAccFeeShort;
    let pairEnd = next === undefined ? side(input.pairAcc) : long ? next.pairAccFeeLong : next.pairAccFeeShort;
    if (beforeTradeOpen) {
      groupEnd -= initial.accGroupFee;
      pairEnd -= initial.accPairFee;
    } else {
      groupEnd -= long ? group.initialAccFeeLong : group.initialAccFeeShort;
      pairEnd -= long ? group.pairAccFeeLong : group.pairAccFeeShort;
    }
    feeP += groupEnd > pairEnd ? groupEnd : pairEnd;
    if (beforeTradeOpen) break;
  }
  return feeP;
}

/**
 * The v1 fee in collateral: collateral × leverage × feeP / 1e3 / 1e10 / 100, one division toward zero
 * (v9.2 BorrowingFeesUtils.getTradeBorrowingFee; SDK getBorrowingFee: posDai × fee / 100).
 */
export function borrowingV1FeeCollateral(collateralAmount: bigint, leverage: bigint, feeP: bigint): bigint {
  assertUnsigned("collateralAmount", collateralAmount);
  assertUnsigned("leverage", leverage);
  return (collateralAmount * leverage * feeP) / (LEVERAGE_PRECISION * PERCENT_P_10);
}
