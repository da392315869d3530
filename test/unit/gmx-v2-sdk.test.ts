import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { priceImpactUsd, type GmxV2MarketParams } from "../../src/protocols/gmx-v2/risk";
import { createRng, type Rng } from "../chain/rng";

// Our price impact against GMX's own SDK formulas (@gmx-io/sdk, utils/fees/priceImpact), on random
// markets and orders. The SDK's ESM build imports without file extensions, so its CJS build is loaded.
const sdk: typeof import("@gmx-io/sdk/utils/fees/priceImpact") = createRequire(import.meta.url)("@gmx-io/sdk/utils/fees/priceImpact");

const E30 = 10n ** 30n;
const VECTORS = 10_000;

/** A USD amount (1e30) spread over $100 to $1B, with odd low digits. */
const usdAmount = (rng: Rng) => BigInt(Math.round(10 ** (2 + rng.next() * 7) * 1e6)) * 10n ** 24n + BigInt(rng.int(0, 1e9));
/** An exponent as markets set them: exactly 1, the common 2, or any value in [1, 3] (1e30, whole 1e12 units). */
const exponent = (rng: Rng) => rng.pick([E30, 2n * E30, BigInt(Math.round((1 + 2 * rng.next()) * 1e6)) * 10n ** 24n]);
/** Impact factors of 1e-10 to 1e-4 per USD at exponent 1, a million times less per step of exponent: impacts from cents to millions. */
const factor = (rng: Rng, e: bigint) => (BigInt(Math.round(10 ** (-4 - 6 * rng.next()) * 1e18)) * 10n ** 12n) / 10n ** BigInt(Math.round((Number(e) / 1e30 - 1) * 6));

function randomVector(rng: Rng) {
  const negativeExponent = exponent(rng);
  // Markets keep the positive side at or below the negative one (the contract caps it there anyway).
  const positiveExponent = rng.chance(0.7) ? negativeExponent : E30 + (negativeExponent - E30) / 2n;
  const negativeFactor = factor(rng, negativeExponent);
  const positiveFactor = rng.chance(0.5) ? negativeFactor : negativeFactor / BigInt(rng.int(1, 4));
  const params = {
    positionImpactFactorPositive: positiveFactor,
    positionImpactFactorNegative: negativeFactor,
    positionImpactExponentFactorPositive: positiveExponent,
    positionImpactExponentFactorNegative: negativeExponent,
  } as GmxV2MarketParams;
  const longUsd = rng.chance(0.05) ? 0n : usdAmount(rng);
  const shortUsd = rng.chance(0.05) ? longUsd : usdAmount(rng);
  const isLong = rng.chance(0.5);
  const side = isLong ? longUsd : shortUsd;
  // Increases of any size; decreases up to the side's whole interest (a close), sometimes all of it.
  const usdDelta = rng.chance(0.5) ? usdAmount(rng) : -(rng.chance(0.1) ? side : (side * BigInt(rng.int(0, 1_000_000))) / 1_000_000n);
  return { params, change: { longUsd, shortUsd, isLong, usdDelta } };
}

describe("GMX v2 price impact against @gmx-io/sdk (getPriceImpactUsd)", () => {
  it(`agrees on ${VECTORS} random markets and orders, within the SDK's float pow`, () => {
    const rng = createRng(19);
    let nonTrivial = 0;
    let crossovers = 0;
    let worst = 0;
    for (let i = 0; i < VECTORS; i++) {
      const { params: m, change } = randomVector(rng);
      const ours = priceImpactUsd(m, change);
      const nextLongUsd = change.isLong ? change.longUsd + change.usdDelta : change.longUsd;
      const nextShortUsd = change.isLong ? change.shortUsd : change.shortUsd + change.usdDelta;
      const theirs = sdk.getPriceImpactUsd({
        currentLongUsd: change.longUsd,
        currentShortUsd: change.shortUsd,
        nextLongUsd,
        nextShortUsd,
        factorPositive: m.positionImpactFactorPositive,
        factorNegative: m.positionImpactFactorNegative,
        exponentFactorPositive: m.positionImpactExponentFactorPositive,
        exponentFactorNegative: m.positionImpactExponentFactorNegative,
      });
      const vector = `vector ${i}: ${JSON.stringify({ ...change, ...m }, (_, v) => (typeof v === "bigint" ? v.toString() : v))}`;
      expect(ours.balanceWasImproved, vector).toBe(theirs.balanceWasImproved);
      // The SDK raises diff^exponent in doubles (priceImpact.js applyImpactFactor); the contract uses
      // PRBMathUD60x18.pow, which prb-pow.ts follows bit for bit (test/chain/prb-pow.test.ts). Each of
      // the two terms may differ by ~1e-15 of itself, so the bound is 1e-12 of the terms' size, plus
      // 1e-17 USD for the 1e-18 USD steps of Precision.weiToFloat in each term.
      const exponents = [m.positionImpactExponentFactorPositive, m.positionImpactExponentFactorNegative].map((e) => Number(e) / 1e30);
      const term = (diff: bigint) => Math.max(...exponents.map((e) => (Number(diff) / 1e30) ** e)) * (Number(m.positionImpactFactorNegative) / 1e30);
      const initialDiff = change.longUsd > change.shortUsd ? change.longUsd - change.shortUsd : change.shortUsd - change.longUsd;
      const nextDiff = nextLongUsd > nextShortUsd ? nextLongUsd - nextShortUsd : nextShortUsd - nextLongUsd;
      // Where the SDK and the contract differ, the contract wins: Precision.applyExponentFactor takes a
      // diff under $1 as 0 (PRBMath's pow needs x >= 1); the SDK prices it (at most factor x $1^e).
      const belowOneDollar = (diff: bigint) => (diff < E30 ? term(diff) : 0);
      const boundUsd = 1e-12 * (term(initialDiff) + term(nextDiff)) + 1e-17 + belowOneDollar(initialDiff) + belowOneDollar(nextDiff);
      const gapUsd = Math.abs(Number(ours.impactUsd - theirs.priceImpactDeltaUsd)) / 1e30;
      expect(gapUsd, vector).toBeLessThanOrEqual(boundUsd);
      if (initialDiff >= E30 && nextDiff >= E30) worst = Math.max(worst, gapUsd / boundUsd);
      if (ours.impactUsd > E30 || ours.impactUsd < -E30) nonTrivial++;
      if ((change.longUsd <= change.shortUsd) !== (nextLongUsd <= nextShortUsd)) crossovers++;
    }
    console.log(`gmx-v2 vs @gmx-io/sdk: ${VECTORS} vectors, ${nonTrivial} with |impact| > $1, ${crossovers} crossovers, largest gap where both diffs are $1 or more: ${worst.toFixed(3)} of its bound`);
    // The comparison has teeth: a third of the impacts are over $1 and both rebalance rules are exercised.
    expect(nonTrivial).toBeGreaterThan(VECTORS / 4);
    expect(worst).toBeGreaterThan(0); // the float part of the bound is used, not only the floor
    expect(crossovers).toBeGreaterThan(VECTORS / 20);
  });

  it("the SDK does not halve: a $1M short on a 100M/90M market pays the full (diff^2 x factor) change", () => {
    const m = {
      positionImpactFactorPositive: 5n * 10n ** 21n,
      positionImpactFactorNegative: 10n ** 22n,
      positionImpactExponentFactorPositive: 2n * E30,
      positionImpactExponentFactorNegative: 2n * E30,
    } as GmxV2MarketParams;
    const change = { longUsd: 100_000_000n * E30, shortUsd: 90_000_000n * E30, isLong: false, usdDelta: -1_000_000n * E30 };
    const ours = priceImpactUsd(m, change);
    // (11M^2 - 10M^2) x 1e-8 = $210,000 negative impact.
    expect(Number(ours.impactUsd) / 1e30).toBeCloseTo(-210_000, 3);
    const theirs = sdk.getPriceImpactUsd({
      currentLongUsd: change.longUsd,
      currentShortUsd: change.shortUsd,
      nextLongUsd: change.longUsd,
      nextShortUsd: change.shortUsd + change.usdDelta,
      factorPositive: m.positionImpactFactorPositive,
      factorNegative: m.positionImpactFactorNegative,
      exponentFactorPositive: 2n * E30,
      exponentFactorNegative: 2n * E30,
    });
    expect(Number(theirs.priceImpactDeltaUsd) / 1e30).toBeCloseTo(-210_000, 3);
  });
});
