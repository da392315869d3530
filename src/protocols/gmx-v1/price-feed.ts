// Pure model of the price a GMX v1 Vault trades and liquidates at (Vault.getMaxPrice / getMinPrice ->
// VaultPriceFeed.getPrice). Prices are USD per whole token at 1e30, as the Vault's. Sources:
// gmx-io/gmx-contracts contracts/core/VaultPriceFeed.sol (getPrice, getPriceV1, getPrimaryPrice) and
// contracts/oracle/FastPriceFeed.sol (getPrice, favorFastPrice).

const BASIS_POINTS_DIVISOR = 10_000n;
export const ONE_USD = 10n ** 30n;

/** FastPriceFeed's state as read at a block; `favorFastPrice` is its own answer for the token. */
export type FastPriceInputs = {
  price: bigint;
  lastUpdatedAt: bigint;
  priceDuration: bigint;
  maxPriceUpdateDelay: bigint;
  spreadBasisPointsIfInactive: bigint;
  spreadBasisPointsIfChainError: bigint;
  maxDeviationBasisPoints: bigint;
  favorFastPrice: boolean;
};

/** One token's VaultPriceFeed settings, and the extremes of its sampled Chainlink rounds (1e30). */
export type VaultPriceInputs = {
  primaryMin: bigint;
  primaryMax: bigint;
  /** priceSampleSpace: how many of the latest rounds getPrimaryPrice takes the extreme of. */
  sampleSpace: bigint;
  /** getAmmPrice when the Vault includes AMM prices and the feed has them enabled; 0n for none. */
  ammPrice: bigint;
  /** isSecondaryPriceEnabled with a secondary feed set: its state, else null. */
  secondary: FastPriceInputs | null;
  spreadBasisPoints: bigint;
  strictStable: boolean;
  maxStrictPriceDeviation: bigint;
  adjustmentBasisPoints: bigint;
  isAdjustmentAdditive: boolean;
};

const withSpread = (price: bigint, bps: bigint, up: boolean) =>
  (price * (up ? BASIS_POINTS_DIVISOR + bps : BASIS_POINTS_DIVISOR - bps)) / BASIS_POINTS_DIVISOR;

const pick = (a: bigint, b: bigint, maximise: boolean) => (maximise ? (a > b ? a : b) : a < b ? a : b);

/** FastPriceFeed.getPrice: the keeper price, or the reference price with a spread when it is stale or deviates. */
export function fastPrice(f: FastPriceInputs, refPrice: bigint, maximise: boolean, timestamp: bigint): bigint {
  if (timestamp > f.lastUpdatedAt + f.maxPriceUpdateDelay) return withSpread(refPrice, f.spreadBasisPointsIfChainError, maximise);
  if (timestamp > f.lastUpdatedAt + f.priceDuration) return withSpread(refPrice, f.spreadBasisPointsIfInactive, maximise);
  if (f.price === 0n) return refPrice;
  const gap = refPrice > f.price ? refPrice - f.price : f.price - refPrice;
  const gapBasisPoints = (gap * BASIS_POINTS_DIVISOR) / refPrice;
  // Without favour, or beyond the allowed deviation, the worse of the two prices for the trader.
  if (!f.favorFastPrice || gapBasisPoints > f.maxDeviationBasisPoints) return pick(refPrice, f.price, maximise);
  return f.price;
}

/** VaultPriceFeed.getPrice (getPriceV1 path) at `timestamp`: maximise for getMaxPrice, else getMinPrice. */
export function vaultPrice(p: VaultPriceInputs, maximise: boolean, timestamp: bigint): bigint {
  let price = maximise ? p.primaryMax : p.primaryMin;
  if (p.ammPrice > 0n) price = pick(price, p.ammPrice, maximise);
  if (p.secondary) price = fastPrice(p.secondary, price, maximise, timestamp);
  if (p.strictStable) {
    const gap = price > ONE_USD ? price - ONE_USD : ONE_USD - price;
    if (gap <= p.maxStrictPriceDeviation) price = ONE_USD;
    else if (maximise ? price < ONE_USD : price > ONE_USD) price = ONE_USD;
  } else {
    price = withSpread(price, p.spreadBasisPoints, maximise);
  }
  // getPrice's adjustment applies to whatever getPriceV1 returned.
  return p.adjustmentBasisPoints > 0n ? withSpread(price, p.adjustmentBasisPoints, p.isAdjustmentAdditive) : price;
}

/**
 * The inputs with `mark` as the latest Chainlink answer (a stress shock arriving as the next round):
 * with one sampled round it is the primary price; with more it joins the sampled rounds' extremes
 * (approximately: the oldest of them would drop out). An unshocked mark, the latest round, lies
 * within them and changes nothing.
 */
export function withMark(p: VaultPriceInputs, mark: bigint): VaultPriceInputs {
  const oneRound = p.sampleSpace <= 1n;
  // Every field written out: a spread costs more than the price itself, and a stress point prices every position.
  return {
    primaryMin: oneRound || mark < p.primaryMin ? mark : p.primaryMin,
    primaryMax: oneRound || mark > p.primaryMax ? mark : p.primaryMax,
    sampleSpace: p.sampleSpace,
    ammPrice: p.ammPrice,
    secondary: p.secondary,
    spreadBasisPoints: p.spreadBasisPoints,
    strictStable: p.strictStable,
    maxStrictPriceDeviation: p.maxStrictPriceDeviation,
    adjustmentBasisPoints: p.adjustmentBasisPoints,
    isAdjustmentAdditive: p.isAdjustmentAdditive,
  };
}
