// Morpho Blue 1.0's arithmetic (morpho-org/morpho-blue, src/), as pure functions on bigints with the
// contract's rounding. Each cites the library function it follows.

export const WAD = 10n ** 18n;
/** ConstantsLib.ORACLE_PRICE_SCALE */
export const ORACLE_PRICE_SCALE = 10n ** 36n;
/** ConstantsLib.LIQUIDATION_CURSOR */
export const LIQUIDATION_CURSOR = 3n * 10n ** 17n;
/** ConstantsLib.MAX_LIQUIDATION_INCENTIVE_FACTOR */
export const MAX_LIQUIDATION_INCENTIVE_FACTOR = 115n * 10n ** 16n;
/** SharesMathLib.VIRTUAL_SHARES / VIRTUAL_ASSETS */
export const VIRTUAL_SHARES = 10n ** 6n;
export const VIRTUAL_ASSETS = 1n;

/** MathLib.mulDivDown / mulDivUp */
export const mulDivDown = (x: bigint, y: bigint, d: bigint) => (x * y) / d;
export const mulDivUp = (x: bigint, y: bigint, d: bigint) => (x * y + (d - 1n)) / d;
/** MathLib.wMulDown / wDivDown / wDivUp */
export const wMulDown = (x: bigint, y: bigint) => mulDivDown(x, y, WAD);
export const wDivDown = (x: bigint, y: bigint) => mulDivDown(x, WAD, y);
export const wDivUp = (x: bigint, y: bigint) => mulDivUp(x, WAD, y);

/** MathLib.wTaylorCompounded: e^(x*n) - 1 to the third term. */
export function wTaylorCompounded(x: bigint, n: bigint): bigint {
  const first = x * n;
  const second = mulDivDown(first, first, 2n * WAD);
  const third = mulDivDown(second, first, 3n * WAD);
  return first + second + third;
}

/** UtilsLib.zeroFloorSub */
export const zeroFloorSub = (x: bigint, y: bigint) => (x > y ? x - y : 0n);

/** SharesMathLib.toSharesDown / toSharesUp / toAssetsDown / toAssetsUp (virtual shares and assets). */
export const toSharesDown = (assets: bigint, totalAssets: bigint, totalShares: bigint) =>
  mulDivDown(assets, totalShares + VIRTUAL_SHARES, totalAssets + VIRTUAL_ASSETS);
export const toSharesUp = (assets: bigint, totalAssets: bigint, totalShares: bigint) =>
  mulDivUp(assets, totalShares + VIRTUAL_SHARES, totalAssets + VIRTUAL_ASSETS);
export const toAssetsDown = (shares: bigint, totalAssets: bigint, totalShares: bigint) =>
  mulDivDown(shares, totalAssets + VIRTUAL_ASSETS, totalShares + VIRTUAL_SHARES);
export const toAssetsUp = (shares: bigint, totalAssets: bigint, totalShares: bigint) =>
  mulDivUp(shares, totalAssets + VIRTUAL_ASSETS, totalShares + VIRTUAL_SHARES);

/**
 * A position's balance in tokens from Morpho's position(id, user): supply shares rounded down, borrow
 * shares rounded up (MorphoBalancesLib.expectedSupplyAssets / expectedBorrowAssets), collateral as held.
 */
export function positionAssets(side: "supply" | "borrow" | "collateral", amount: bigint, m: MarketState): bigint {
  if (side === "supply") return toAssetsDown(amount, m.totalSupplyAssets, m.totalSupplyShares);
  if (side === "borrow") return toAssetsUp(amount, m.totalBorrowAssets, m.totalBorrowShares);
  return amount;
}

/** IMorpho.Market: a market's totals, last accrual (seconds) and fee (WAD). */
export type MarketState = {
  totalSupplyAssets: bigint;
  totalSupplyShares: bigint;
  totalBorrowAssets: bigint;
  totalBorrowShares: bigint;
  lastUpdate: bigint;
  fee: bigint;
};

/**
 * Morpho._accrueInterest: the market at `timestamp` given the IRM's `borrowRate` for it (per second,
 * WAD); `feeShares` are what the fee recipient's supply gains. Without an IRM only lastUpdate moves.
 */
export function accrueInterest(m: MarketState, borrowRate: bigint, timestamp: bigint, hasIrm: boolean): { market: MarketState; interest: bigint; feeShares: bigint } {
  const elapsed = timestamp - m.lastUpdate;
  if (elapsed <= 0n) return { market: m, interest: 0n, feeShares: 0n };
  if (!hasIrm) return { market: { ...m, lastUpdate: timestamp }, interest: 0n, feeShares: 0n };
  const interest = wMulDown(m.totalBorrowAssets, wTaylorCompounded(borrowRate, elapsed));
  const totalSupplyAssets = m.totalSupplyAssets + interest;
  let feeShares = 0n;
  if (m.fee !== 0n) {
    const feeAmount = wMulDown(interest, m.fee);
    // The fee is taken out of a supply that already holds the whole interest.
    feeShares = toSharesDown(feeAmount, totalSupplyAssets - feeAmount, m.totalSupplyShares);
  }
  return {
    market: {
      ...m,
      totalBorrowAssets: m.totalBorrowAssets + interest,
      totalSupplyAssets,
      totalSupplyShares: m.totalSupplyShares + feeShares,
      lastUpdate: timestamp,
    },
    interest,
    feeShares,
  };
}

/** Morpho._isHealthy (with a price): collateral x price / 1e36 x LLTV, each rounded down, covers the debt rounded up. */
export function borrowCapacity(collateral: bigint, price: bigint, lltv: bigint): bigint {
  return wMulDown(mulDivDown(collateral, price, ORACLE_PRICE_SCALE), lltv);
}

export const isHealthy = (collateral: bigint, borrowed: bigint, price: bigint, lltv: bigint) => borrowCapacity(collateral, price, lltv) >= borrowed;

/**
 * The highest oracle price at which Morpho.liquidate accepts the position (`_isHealthy` false), solving
 * borrowCapacity(price) >= borrowed exactly: floor(floor(c*p/1e36)*lltv/1e18) >= b
 * <=> floor(c*p/1e36) >= ceil(b*1e18/lltv) = k <=> p >= ceil(k*1e36/c). Null when no price makes it
 * liquidatable (no debt); "any" when every price does (debt with no collateral, or an LLTV of 0).
 */
export function liquidationOraclePrice(collateral: bigint, borrowed: bigint, lltv: bigint): bigint | "any" | null {
  if (borrowed === 0n) return null;
  if (collateral === 0n || lltv === 0n) return "any";
  const k = mulDivUp(borrowed, WAD, lltv);
  return mulDivUp(k, ORACLE_PRICE_SCALE, collateral) - 1n;
}

/** Morpho.liquidate: min(MAX_LIQUIDATION_INCENTIVE_FACTOR, 1 / (1 - LIQUIDATION_CURSOR x (1 - lltv))), WAD. */
export function liquidationIncentiveFactor(lltv: bigint): bigint {
  const factor = wDivDown(WAD, WAD - wMulDown(LIQUIDATION_CURSOR, WAD - lltv));
  return factor < MAX_LIQUIDATION_INCENTIVE_FACTOR ? factor : MAX_LIQUIDATION_INCENTIVE_FACTOR;
}
