import { parseAbi } from "viem";

// Derive (Lyra v2) derivexyz/v2-core src/feeds/LyraVolFeed.sol (ILyraVolFeed): one SVI curve per
// expiry, replaced by each accepted update. SVI_refTau is an 18-decimal year fraction.
export const LyraVolFeedAbi = parseAbi([
  "event VolDataUpdated(uint64 indexed expiry, (int256 SVI_a, uint256 SVI_b, int256 SVI_rho, int256 SVI_m, uint256 SVI_sigma, uint256 SVI_fwd, uint64 SVI_refTau, uint64 confidence, uint64 timestamp) volDetails)",
]);
