import { fromCursor, toCursor } from "./cursor";
import { ceilDiv } from "./fixed";

// The at-risk feed's order and bounds, exact. A position's liquidation distance is the fraction
// (mark - level) / mark for a long and (level - mark) / mark for a short: kept as that fraction,
// never as a float, so "within maxDistance", "nearest first" and cursors agree to the last unit.

/** Scale of maxDistance and cursor fractions: 1e18 = 100%. */
export const DISTANCE_ONE = 10n ** 18n;

/**
 * Stored level of a long that is liquidatable at every price (fees already exceed its margin): above
 * any price, so a long's "level >= bound" scan always finds it. A short's is 0, below any price.
 */
export const LEVEL_ALWAYS_LONG = 2n ** 240n;

/** How close a position is to liquidation: `always` (at any price) before any priced distance. */
export type DistanceKey = { always: boolean; numerator: bigint; denominator: bigint; isLong: boolean; positionId: string };

/** The exact key of a priced level (USD 1e30 per whole token) against a usable mark. */
export function distanceKey(positionId: string, isLong: boolean, level: bigint, mark: bigint): DistanceKey {
  if (mark <= 0n) throw new RangeError("distanceKey: the mark must be positive");
  return { always: false, numerator: isLong ? mark - level : level - mark, denominator: mark, isLong, positionId };
}

export const alwaysKey = (positionId: string, isLong: boolean): DistanceKey => ({ always: true, numerator: 0n, denominator: 1n, isLong, positionId });

/**
 * Among equal distances: longs first, longs by id descending, shorts by id ascending. That is the
 * order of one index on (market, side, level, id) read backward for longs and forward for shorts,
 * so a scan never sorts a run of equal levels.
 */
export function compareTie(a: { isLong: boolean; positionId: string }, b: { isLong: boolean; positionId: string }): number {
  if (a.isLong !== b.isLong) return a.isLong ? -1 : 1;
  const byId = a.positionId < b.positionId ? -1 : a.positionId > b.positionId ? 1 : 0;
  return a.isLong ? -byId : byId;
}

/** Nearest first: always-liquidatable, then by exact distance, then compareTie. */
export function compareDistance(a: DistanceKey, b: DistanceKey): number {
  if (a.always !== b.always) return a.always ? -1 : 1;
  const left = a.numerator * b.denominator;
  const right = b.numerator * a.denominator;
  if (left !== right) return left < right ? -1 : 1;
  return compareTie(a, b);
}

/** distance <= maxDistance (1e18 scale), exactly; always-liquidatable positions are within any bound. */
export const isWithin = (key: DistanceKey, maxDistance: bigint): boolean =>
  key.always || key.numerator * DISTANCE_ONE <= maxDistance * key.denominator;

/**
 * The stored-level range a (market, side) scan needs for `distance <= maxDistance` at this mark:
 * a long is within it when level >= ceil(mark * (1 - d)), a short when level <= floor(mark * (1 + d)).
 */
export const levelBound = (isLong: boolean, mark: bigint, maxDistance: bigint): bigint =>
  isLong ? ceilDiv(mark * (DISTANCE_ONE - maxDistance), DISTANCE_ONE) : (mark * (DISTANCE_ONE + maxDistance)) / DISTANCE_ONE;

/**
 * Where a scan resumes after `cursor` for one (market, side) at this mark, in stored levels: rows with
 * a level strictly past `level`, plus, when `inclusive`, rows exactly at `level` (the cursor's distance,
 * so compareTie decides). For a long, "past" means lower; for a short, higher.
 */
export function resumeLevel(isLong: boolean, mark: bigint, cursor: DistanceKey): { level: bigint; inclusive: boolean } {
  // Long: (mark - L) / mark > n / q  <=>  L * q < mark * (q - n). Short: L * q > mark * (q + n).
  const { numerator: n, denominator: q } = cursor;
  const target = isLong ? mark * (q - n) : mark * (q + n);
  const whole = isLong ? ceilDiv(target, q) : target / q; // first level not past the cursor's distance
  return { level: whole, inclusive: target % q === 0n };
}

/** Opaque cursor: the last item's key, so the next page starts strictly after it. */
export const encodeCursor = (key: DistanceKey): string =>
  toCursor([key.always ? 1 : 0, key.numerator.toString(), key.denominator.toString(), key.isLong ? 1 : 0, key.positionId]);

export function decodeCursor(cursor: string): DistanceKey | null {
  const [always, numerator, denominator, isLong, positionId] = fromCursor(cursor) ?? [];
  if ((always !== 0 && always !== 1) || (isLong !== 0 && isLong !== 1) || typeof positionId !== "string") return null;
  if (typeof numerator !== "string" || typeof denominator !== "string") return null;
  if (!/^-?\d{1,90}$/.test(numerator) || !/^\d{1,90}$/.test(denominator) || BigInt(denominator) <= 0n) return null;
  return { always: always === 1, numerator: BigInt(numerator), denominator: BigInt(denominator), isLong: isLong === 1, positionId };
}
