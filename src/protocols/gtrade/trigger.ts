// Where a gTrade trade's liquidation check flips. The check at a price p compares p with the liquidation
// price computed with holding fees accrued at p (borrowing v2 and funding accrue × the pair price: SDK
// getPairPendingAccBorrowingFees, getPairPendingAccFundingFees), so the price the check flips at is the
// fixed point p = liquidationPrice(fees at p). A long is liquidated at or below its liquidation price, a
// short at or above it (v9.2 TradingCallbacksUtils trigger rule; the SDK gives only the price).

/** Whether the check liquidates at `price`, given the liquidation price computed at that price. */
export const liquidationHit = (long: boolean, price: bigint, liquidationPrice: bigint) => (long ? price <= liquidationPrice : price >= liquidationPrice);

const MAX_STEPS = 32;

/**
 * The fixed point of `liquidationPriceAt`, iterated from `start`; null when it has none (an empty trade)
 * or does not settle within MAX_STEPS (a fee that moves the price faster than the price itself).
 */
export function flipPrice(liquidationPriceAt: (price: bigint) => bigint | null, start: bigint): bigint | null {
  let price = liquidationPriceAt(start);
  for (let step = 0; price !== null && step < MAX_STEPS; step++) {
    const next = liquidationPriceAt(price);
    if (next === price) return price;
    price = next;
  }
  return null;
}
