import { parseAbi } from "viem";

// Derive (Lyra v2) derivexyz/v2-core src/feeds/LyraForwardFeed.sol (ILyraForwardFeed): per expiry, the
// forward's difference to spot and, in the last 30 minutes, the settlement TWAP's spot aggregates.
export const LyraForwardFeedAbi = parseAbi([
  "event ForwardDataUpdated(uint64 indexed expiry, (int96 fwdSpotDifference, uint64 confidence, uint64 timestamp) fwdDetails, (uint256 settlementStartAggregate, uint256 currentSpotAggregate) settlementDetails)",
]);
