import { getAddress, type Address, type Hex } from "viem";

// Derive's ids (derivexyz/v2-core): SubAccounts packs assetAndSubId = asset << 96 | subId, and
// OptionEncoding packs an option's subId as [1 bit isCall][63 bits strike / 1e10][32 bits expiry].

const UINT32_MAX = 0xffffffffn;
const UINT63_MAX = (1n << 63n) - 1n;
const UINT96_MAX = (1n << 96n) - 1n;

export function splitAssetAndSubId(assetAndSubId: Hex): { asset: Address; subId: bigint } {
  const packed = BigInt(assetAndSubId);
  return { asset: getAddress(`0x${(packed >> 96n).toString(16).padStart(40, "0")}`), subId: packed & UINT96_MAX };
}

/** OptionEncoding.fromSubId: expiry (unix seconds), strike (18 decimals), isCall. */
export function optionFromSubId(subId: bigint): { expiry: bigint; strike: bigint; isCall: boolean } {
  return {
    expiry: subId & UINT32_MAX,
    strike: ((subId >> 32n) & UINT63_MAX) * 10n ** 10n,
    isCall: subId >> 95n > 0n,
  };
}
