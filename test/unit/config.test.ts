import { describe, expect, it } from "vitest";
import { parseExposureConfig } from "../../src/config/exposure-config";
import { answerToPrice, priceFeedContracts } from "../../src/prices/feeds";
import { gmxV1Deployments, ruleFor } from "../../src/protocols/gmx-v1/contracts";
import { gmxV2Deployments } from "../../src/protocols/gmx-v2/contracts";
import { deriveDeployments } from "../../src/protocols/derive/contracts";

const WETH = "0x82af49447d8a07e3bd95bd0d56f35241523fbab1";
const base = {
  chains: { arbitrum: { id: 42161, rpc: "http://127.0.0.1:1" } },
  assets: [{ chain: "arbitrum", address: WETH, symbol: "ETH", decimals: 18 }],
  priceFeeds: [{ chain: "arbitrum", asset: WETH, address: "0x3607e46698d218b3a5cae44bf381475c0a5e2ca7", decimals: 8, heartbeatSeconds: 86400, startBlock: 5 }],
  protocols: { "gmx-v1": [{ chain: "arbitrum", vault: "0x489ee077994b6658eafa855c308275ead8097c4a", startBlock: 10 }] },
};

describe("exposure config", () => {
  it("checksums addresses and keeps protocol sections for their adapters", () => {
    const config = parseExposureConfig(base);
    expect(config.assets[0]!.address).toBe("0x82aF49447D8a07e3bd95BD0d56f35241523fBab1");
    expect(gmxV1Deployments(config)).toEqual([
      {
        chain: "arbitrum",
        vault: "0x489ee077994B6658eAfA855C308275EAd8097C4A",
        startBlock: 10,
        paramsRefreshBlocks: 1,
        readAheadBlocks: 4,
        multicall: "0xcA11bde05977b3631167028862bE2a173976CA11",
        liquidationRule: "earlier",
        vaultUtilsRules: {},
      },
    ]);
  });

  it("takes GMX v1's VaultUtils rule per deployment and per VaultUtils address, and the refresh interval", () => {
    const utils = "0x1111111111111111111111111111111111111111";
    const section = (extra: object) => ({ ...base, protocols: { "gmx-v1": [{ chain: "arbitrum", vault: "0x489ee077994b6658eafa855c308275ead8097c4a", ...extra }] } });
    const [d] = gmxV1Deployments(parseExposureConfig(section({ liquidationRule: "current", vaultUtilsRules: { [utils]: "earlier" }, paramsRefreshBlocks: 5 })));
    expect(d).toMatchObject({ liquidationRule: "current", vaultUtilsRules: { [utils]: "earlier" }, paramsRefreshBlocks: 5 });
    expect(ruleFor(d, utils)).toBe("earlier");
    expect(ruleFor(d, "0x2222222222222222222222222222222222222222")).toBe("current");
    expect(() => gmxV1Deployments(parseExposureConfig(section({ liquidationRule: "2025" })))).toThrow(
      'config protocols.gmx-v1[0].liquidationRule: expected "earlier" or "current", got "2025"',
    );
    expect(() => gmxV1Deployments(parseExposureConfig(section({ paramsRefreshBlocks: -1 })))).toThrow("protocols.gmx-v1[0].paramsRefreshBlocks");
    expect(gmxV1Deployments(parseExposureConfig(section({ readAheadBlocks: 0 })))[0]!.readAheadBlocks).toBe(0);
    expect(() => gmxV1Deployments(parseExposureConfig(section({ readAheadBlocks: 1.5 })))).toThrow("protocols.gmx-v1[0].readAheadBlocks");
  });

  it("says which field is wrong", () => {
    expect(() => parseExposureConfig({ ...base, assets: [{ ...base.assets[0], address: "0x12" }] })).toThrow(
      'config assets[0].address: expected a 20-byte hex address, got "0x12"',
    );
    expect(() => parseExposureConfig({ ...base, priceFeeds: [{ ...base.priceFeeds[0], chain: "base" }] })).toThrow(
      "config priceFeeds[0].chain: unknown chain 'base' (configured: arbitrum)",
    );
    expect(() => parseExposureConfig({ ...base, priceFeeds: [{ ...base.priceFeeds[0], asset: base.priceFeeds[0]!.address }] })).toThrow(
      "is not listed in assets",
    );
    expect(() => gmxV1Deployments(parseExposureConfig({ ...base, protocols: { "gmx-v1": [{ chain: "arbitrum", vault: "nope" }] } }))).toThrow(
      "protocols.gmx-v1[0].vault",
    );
  });

  it("takes GMX v2 deployments with all three contracts, and GMX's oracle as a price source", () => {
    const emitter = "0xc8ee91a54287db53897056e12d9819156d3822fb";
    const gmx = { chain: "arbitrum", eventEmitter: emitter, dataStore: "0xfd70de6b91282d8017aa4e741e9ae325cab992d8", reader: emitter, release: "2.2", startBlock: 7 };
    const config = parseExposureConfig({
      ...base,
      priceFeeds: [{ chain: "arbitrum", asset: WETH, source: "gmx-v2", address: emitter, heartbeatSeconds: 300 }],
      protocols: { "gmx-v2": [gmx] },
    });
    expect(config.priceFeeds[0]).toMatchObject({ source: "gmx-v2", address: "0xC8ee91A54287DB53897056e12D9819156D3822Fb", heartbeatSeconds: 300 });
    expect(priceFeedContracts(config)).toEqual({});
    expect(gmxV2Deployments(config)[0]).toMatchObject({ dataStore: "0xFD70de6b91282D8017aA4E741e9Ae325CAb992d8", release: "2.2", startBlock: 7 });
    // Keys differ between releases (a missing key reads 0), so the release is never guessed.
    for (const release of [undefined, "2.3", 2.2]) {
      expect(() => gmxV2Deployments(parseExposureConfig({ ...base, protocols: { "gmx-v2": [{ ...gmx, release }] } }))).toThrow(
        "protocols.gmx-v2[0].release: expected the gmx-synthetics release the deployment runs, one of 2.0, 2.1, 2024-10, 2.2, 2025-11",
      );
    }
    for (const release of ["2.0", "2024-10"]) expect(gmxV2Deployments(parseExposureConfig({ ...base, protocols: { "gmx-v2": [{ ...gmx, release }] } }))[0]!.release).toBe(release);
    expect(() => gmxV2Deployments(parseExposureConfig({ ...base, protocols: { "gmx-v2": [{ ...gmx, reader: undefined }] } }))).toThrow(
      "protocols.gmx-v2[0].reader",
    );
    expect(() => parseExposureConfig({ ...base, priceFeeds: [{ ...base.priceFeeds[0], source: "pyth" }] })).toThrow('priceFeeds[0].source: expected "chainlink" or "gmx-v2"');
  });

  it("takes Derive deployments with their asset contracts and a sane default volatility", () => {
    const subAccounts = "0x0000000000000000000000000000000000000a01";
    const option = "0x0000000000000000000000000000000000000a02";
    const cash = "0x0000000000000000000000000000000000000a03";
    const derive = { chain: "arbitrum", subAccounts, startBlock: 3, options: [{ address: option, underlying: WETH }], cash: [{ address: cash, token: WETH }] };
    const [d] = deriveDeployments(parseExposureConfig({ ...base, protocols: { derive: [derive] } }));
    expect(d).toMatchObject({ startBlock: 3, defaultVolatility: 0.6 });
    expect(d!.assets.map((a) => a.kind)).toEqual(["option", "cash"]);
    expect(() => deriveDeployments(parseExposureConfig({ ...base, protocols: { derive: [{ ...derive, defaultVolatility: 0 }] } }))).toThrow(
      "protocols.derive[0].defaultVolatility",
    );
    expect(() => deriveDeployments(parseExposureConfig({ ...base, protocols: { derive: [{ ...derive, options: [{ address: option }] }] } }))).toThrow(
      "protocols.derive[0].options[0].underlying",
    );
    expect(() => deriveDeployments(parseExposureConfig({ ...base, protocols: { derive: [{ ...derive, perps: "nope" }] } }))).toThrow("expected an array");
  });

  it("reads RPC URLs from the environment with env:NAME", () => {
    process.env.TEST_RPC_URL = "http://127.0.0.1:2";
    const config = parseExposureConfig({ ...base, chains: { arbitrum: { id: 42161, rpc: "env:TEST_RPC_URL" } } });
    expect(config.chains.arbitrum!.rpc).toBe("http://127.0.0.1:2");
    expect(() => parseExposureConfig({ ...base, chains: { arbitrum: { id: 42161, rpc: "env:MISSING_RPC_URL_X" } } })).toThrow(
      "environment variable MISSING_RPC_URL_X is not set",
    );
  });
});

describe("oracle answers to 1e30 USD prices", () => {
  it("scales exactly from the feed's decimals", () => {
    expect(answerToPrice(300_012_345_678n, 8)).toBe(3_000_123_456_780_000_000_000_000_000_000_000n);
    expect(answerToPrice(1n, 30)).toBe(1n);
    expect(answerToPrice(123n, 32)).toBe(1n);
  });
});

describe("portfolios in the config", () => {
  it("checksums and de-duplicates wallets, and rejects empty or malformed groups", () => {
    const treasury = ["0x70997970c51812dc3a010c7d01b50e0d17dc79c8", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc"];
    const config = parseExposureConfig({ ...base, portfolios: { treasury: { wallets: treasury } } });
    expect(config.portfolios).toEqual({
      treasury: ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"],
    });
    expect(() => parseExposureConfig({ ...base, portfolios: { empty: { wallets: [] } } })).toThrow("config portfolios.empty.wallets: list at least one wallet");
    expect(() => parseExposureConfig({ ...base, portfolios: { bad: { wallets: ["0xnope"] } } })).toThrow("config portfolios.bad.wallets[0]");
    expect(parseExposureConfig(base).portfolios).toEqual({});
  });
});
