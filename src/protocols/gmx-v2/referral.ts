import { eq } from "ponder";
import { zeroHash, type Address } from "viem";
import type { ReadonlyDb } from "../../core/db";
import { latestAtOrBefore } from "../../core/history";
import { gmxV2ReleaseRules, type GmxV2Release } from "./releases";
import { gmxV2Referral, type GmxV2ReferralKind } from "./schema";

/** Precision.basisPointsToFloat: basis points to a 1e30 factor. */
const BPS_TO_FLOAT = 10n ** 26n;
const BASIS_POINTS = 10_000n;

/** A referral tier as ReferralUtils.getReferralInfo reads it, in basis points (the affiliate's own share, when set, replaces the tier's). */
export type ReferralTerms = { totalRebate: bigint; discountShare: bigint };

/**
 * The position's discount fields from referral terms, as the release's ReferralUtils.getReferralInfo
 * gives them: through v2.1 (bps to float each) traderDiscountFactor = discountShare, the share of
 * totalRebateFactor; since 9088ef33 (2024-10 on) basisPointsToFloat(totalRebate x discountShare / 10000),
 * a factor of the fee, of which a pro tier's larger discount takes the place.
 */
export function referralDiscount(release: GmxV2Release, terms: ReferralTerms | null, proDiscountFactor: bigint) {
  if (gmxV2ReleaseRules(release).referralDiscount === "shareOfRebate") {
    return terms ? { traderDiscountFactor: terms.discountShare * BPS_TO_FLOAT, referralTotalRebateFactor: terms.totalRebate * BPS_TO_FLOAT } : { traderDiscountFactor: 0n, referralTotalRebateFactor: 0n };
  }
  const referral = terms ? ((terms.totalRebate * terms.discountShare) / BASIS_POINTS) * BPS_TO_FLOAT : 0n;
  return { traderDiscountFactor: referral > proDiscountFactor ? referral : proDiscountFactor, referralTotalRebateFactor: terms ? terms.totalRebate * BPS_TO_FLOAT : 0n };
}

/**
 * ReferralUtils.getReferralInfo over the followed ReferralStorage state at `block`: the trader's code,
 * its owner, the owner's tier and discount share, the tier. Null when the trader has no code; undefined
 * when a link of the chain was never seen (set before indexing began and not read since).
 */
export async function referralTermsAt(db: ReadonlyDb, chainId: number, referralStorage: Address, account: Address, block: bigint): Promise<ReferralTerms | null | undefined> {
  const T = gmxV2Referral;
  const value = async (kind: GmxV2ReferralKind, key: string) => {
    const conditions = [eq(T.chainId, chainId), eq(T.referralStorage, referralStorage.toLowerCase() as Address), eq(T.kind, kind), eq(T.key, key.toLowerCase())];
    return (await latestAtOrBefore<{ value: string }>(db, T, conditions, block))?.value;
  };
  const code = await value("traderCode", account);
  if (code === undefined) return undefined;
  if (code === zeroHash) return null;
  const owner = await value("codeOwner", code);
  if (owner === undefined) return undefined;
  const [tierId, ownShare] = await Promise.all([value("referrerTier", owner), value("referrerDiscountShare", owner)]);
  if (tierId === undefined || ownShare === undefined) return undefined;
  const tier = await value("tier", tierId);
  if (tier === undefined) return undefined;
  const [totalRebate, tierShare] = tier.split(":").map(BigInt) as [bigint, bigint];
  return { totalRebate, discountShare: BigInt(ownShare) !== 0n ? BigInt(ownShare) : tierShare };
}
