import { parseAbi } from "viem";

// Derive (Lyra v2) derivexyz/v2-core src/feeds/LyraRateFeed.sol (ILyraRateFeed): the interest rate per
// expiry (18 decimals, signed), replaced by each accepted update.
export const LyraRateFeedAbi = parseAbi(["event RateUpdated(uint64 indexed expiry, int96 rate, uint96 confidence, uint64 timestamp)"]);
