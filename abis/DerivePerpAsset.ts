import { parseAbi } from "viem";

// Derive (Lyra v2) derivexyz/v2-core src/assets/PerpAsset.sol (IPerpAsset): the perp's funding index,
// updated by _updateFunding (aggregatedFundingRate: the cumulative funding per contract, 18 decimals;
// fundingRate: hourly).
export const DerivePerpAssetAbi = parseAbi(["event AggregatedFundingUpdated(int256 aggregatedFundingRate, int256 fundingRate, uint256 lastFundingPaidAt)"]);
