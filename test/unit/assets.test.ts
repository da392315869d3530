import { describe, expect, it } from "vitest";
import { parseExposureConfig } from "../../src/config/exposure-config";
import { assetDirectory } from "../../src/core/assets";

const WETH = "0x82af49447d8a07e3bd95bd0d56f35241523fbab1";
const BTC_SYNTHETIC = "0x47904963fc8b2340414262125af798b9655e58cd";
const WBTC = "0x2f2a2543b76a4166549f7aab2e75bef0aefc5b0f";
const UNLISTED = "0x1111111111111111111111111111111111111111";

describe("asset directory", () => {
  const config = parseExposureConfig({
    chains: { arbitrum: { id: 42161, rpc: "http://127.0.0.1:1" } },
    assets: [
      { chain: "arbitrum", address: WETH, symbol: "ETH", decimals: 18 },
      // GMX's BTC/USD market indexes a synthetic BTC; its long token is WBTC: one asset by configuration.
      { chain: "arbitrum", address: BTC_SYNTHETIC, symbol: "BTC", decimals: 8 },
      { chain: "arbitrum", address: WBTC, symbol: "BTC", decimals: 8 },
    ],
    priceFeeds: [],
    protocols: {},
  });
  const assets = assetDirectory(config);

  it("names tokens of one symbol one asset, whatever the address case; others apart", () => {
    expect(assets.sameAsset(42161, BTC_SYNTHETIC as never, WBTC.toUpperCase().replace("0X", "0x") as never)).toBe(true);
    expect(assets.sameAsset(42161, WETH as never, WBTC as never)).toBe(false);
    // An unlisted token is only its own asset.
    expect(assets.sameAsset(42161, UNLISTED as never, UNLISTED as never)).toBe(true);
    expect(assets.sameAsset(42161, UNLISTED as never, WETH as never)).toBe(false);
    // Per chain: the same address elsewhere is not configured.
    expect(assets.sameAsset(1, WBTC as never, BTC_SYNTHETIC as never)).toBe(false);
  });
});
