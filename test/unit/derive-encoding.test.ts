import { describe, expect, it } from "vitest";
import { optionFromSubId, splitAssetAndSubId } from "../../src/protocols/derive/encoding";

describe("Derive ids (OptionEncoding, SubAccounts.assetAndSubId)", () => {
  it("decodes expiry, strike and call/put from an option subId", () => {
    const expiry = 1_767_254_400n; // 2026-01-01 08:00 UTC
    const strike = 3_250n * 10n ** 18n;
    const call = expiry + ((strike / 10n ** 10n) << 32n) + (1n << 95n);
    expect(optionFromSubId(call)).toEqual({ expiry, strike, isCall: true });
    expect(optionFromSubId(call - (1n << 95n))).toEqual({ expiry, strike, isCall: false });
    // Largest of each field: year 2106, strike 2^63-1 cents-of-a-cent units.
    const max = (1n << 96n) - 1n;
    expect(optionFromSubId(max)).toEqual({ expiry: 2n ** 32n - 1n, strike: (2n ** 63n - 1n) * 10n ** 10n, isCall: true });
  });

  it("splits assetAndSubId into the asset contract and the subId", () => {
    const asset = "0x00000000000000000000000000000000DeaDBeef";
    const packed = (BigInt(asset) << 96n) | 12345n;
    expect(splitAssetAndSubId(`0x${packed.toString(16).padStart(64, "0")}`)).toEqual({ asset, subId: 12345n });
  });
});
