import type { Address } from "viem";
import { perConfig, type ExposureConfig, type PriceFeedSettings } from "../config/exposure-config";
import { contractChains } from "../config/contract-chains";
import { rescale, USD_DECIMALS } from "../core/fixed";

/** Oracle answer with `decimals` -> USD per whole token at 1e30 (exact for decimals <= 30). */
export const answerToPrice = (answer: bigint, decimals: number): bigint => rescale(answer, decimals, USD_DECIMALS);

/** Feeds by chain id and aggregator address, and by chain id and asset. */
export const feedDirectory = perConfig((config: ExposureConfig) => {
  const byFeed = new Map<string, PriceFeedSettings>();
  const byAsset = new Map<string, PriceFeedSettings>();
  for (const feed of config.priceFeeds) {
    const chainId = config.chains[feed.chain]!.id;
    byFeed.set(`${chainId}:${feed.address.toLowerCase()}`, feed);
    byAsset.set(`${chainId}:${feed.asset.toLowerCase()}`, feed);
  }
  return {
    byFeed: (chainId: number, feed: Address) => byFeed.get(`${chainId}:${feed.toLowerCase()}`),
    byAsset: (chainId: number, asset: Address) => byAsset.get(`${chainId}:${asset.toLowerCase()}`),
  };
});

/** Contract entry for ponder: every configured Chainlink-style aggregator (other sources come with their protocol). */
export const priceFeedContracts = (config: ExposureConfig) => contractChains(config.priceFeeds.filter((f) => f.source === "chainlink"));
