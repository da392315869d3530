import { describe, expect, it } from "vitest";
import { referralDiscount } from "../../src/protocols/gmx-v2/referral";

const E30 = 10n ** 30n;
// A tier of 20% total rebate, 50% of it the trader's (ReferralStorage basis points).
const tier = { totalRebate: 2_000n, discountShare: 5_000n };

describe("the trader's referral discount from ReferralStorage's terms (ReferralUtils.getReferralInfo)", () => {
  it("through v2.1: the share of the rebate and the rebate, each basis points to a 1e30 factor", () => {
    for (const release of ["2.0", "2.1"] as const) {
      expect(referralDiscount(release, tier, 0n)).toEqual({ traderDiscountFactor: E30 / 2n, referralTotalRebateFactor: E30 / 5n });
    }
  });

  it("since 2024-10: totalRebate x discountShare / 10000 in basis points, of the fee, or the pro tier's when larger", () => {
    expect(referralDiscount("2.2", tier, 0n)).toEqual({ traderDiscountFactor: E30 / 10n, referralTotalRebateFactor: E30 / 5n });
    // the product is floored in basis points first: 333 x 5000 / 10000 = 166 bps, not 166.5
    expect(referralDiscount("2024-10", { totalRebate: 333n, discountShare: 5_000n }, 0n).traderDiscountFactor).toBe(166n * 10n ** 26n);
    expect(referralDiscount("2025-11", tier, (15n * E30) / 100n).traderDiscountFactor).toBe((15n * E30) / 100n);
    expect(referralDiscount("2025-11", tier, (5n * E30) / 100n).traderDiscountFactor).toBe(E30 / 10n);
  });

  it("no code: no referral discount, a pro tier's still", () => {
    expect(referralDiscount("2.1", null, 0n)).toEqual({ traderDiscountFactor: 0n, referralTotalRebateFactor: 0n });
    expect(referralDiscount("2.2", null, E30 / 20n)).toEqual({ traderDiscountFactor: E30 / 20n, referralTotalRebateFactor: 0n });
  });
});
