// GMX ReferralStorage (gmx-io/gmx-contracts contracts/referrals/ReferralStorage.sol), which GMX v2 reads
// through ReferralUtils.getReferralInfo: a trader's code, the code's owner (the affiliate), the
// affiliate's tier and discount share, and each tier's total rebate and discount share (basis points).

const address = (name: string) => ({ name, type: "address", indexed: false }) as const;
const uint = (name: string) => ({ name, type: "uint256", indexed: false }) as const;
const code = { name: "code", type: "bytes32", indexed: false } as const;

export const GmxReferralStorageAbi = [
  { type: "event", name: "SetTraderReferralCode", inputs: [address("account"), code] },
  { type: "event", name: "SetTier", inputs: [uint("tierId"), uint("totalRebate"), uint("discountShare")] },
  { type: "event", name: "SetReferrerTier", inputs: [address("referrer"), uint("tierId")] },
  { type: "event", name: "SetReferrerDiscountShare", inputs: [address("referrer"), uint("discountShare")] },
  { type: "event", name: "RegisterCode", inputs: [address("account"), code] },
  { type: "event", name: "SetCodeOwner", inputs: [address("account"), address("newAccount"), code] },
  { type: "event", name: "GovSetCodeOwner", inputs: [code, address("newAccount")] },
  { type: "function", name: "codeOwners", stateMutability: "view", inputs: [{ name: "code", type: "bytes32" }], outputs: [{ type: "address" }] },
  { type: "function", name: "referrerTiers", stateMutability: "view", inputs: [{ name: "referrer", type: "address" }], outputs: [{ type: "uint256" }] },
  { type: "function", name: "referrerDiscountShares", stateMutability: "view", inputs: [{ name: "referrer", type: "address" }], outputs: [{ type: "uint256" }] },
  {
    type: "function",
    name: "tiers",
    stateMutability: "view",
    inputs: [{ name: "tierId", type: "uint256" }],
    outputs: [{ name: "totalRebate", type: "uint256" }, { name: "discountShare", type: "uint256" }],
  },
] as const;
