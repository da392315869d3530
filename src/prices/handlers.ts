import { ponder } from "ponder:registry";
import { priceUpdate } from "ponder:schema";
import type { Address } from "viem";
import { loadExposureConfig } from "../config/exposure-config";
import { answerToPrice, feedDirectory } from "./feeds";

const feeds = feedDirectory(loadExposureConfig());

type PriceInput = {
  chainId: number;
  feed: Address;
  answer: bigint;
  roundId: bigint;
  updatedAt: bigint;
  blockNumber: bigint;
  logIndex: number;
};

/** Keeps the last answer per feed and block; unknown feeds are skipped, never guessed. */
async function recordPrice(db: any, input: PriceInput) {
  const feed = feeds.byFeed(input.chainId, input.feed);
  if (!feed) return;
  const row = {
    chainId: input.chainId,
    asset: feed.asset,
    feed: input.feed,
    answer: input.answer,
    price: answerToPrice(input.answer, feed.decimals),
    roundId: input.roundId,
    updatedAt: input.updatedAt,
    blockNumber: input.blockNumber,
    logIndex: input.logIndex,
  };
  await db
    .insert(priceUpdate)
    .values({ id: `${input.chainId}:${input.feed.toLowerCase()}:${input.blockNumber}`, ...row })
    .onConflictDoUpdate(row);
}

ponder.on("PriceFeed:AnswerUpdated", async ({ event, context }) => {
  await recordPrice(context.db, {
    chainId: context.chain.id,
    feed: event.log.address,
    answer: event.args.current,
    roundId: event.args.roundId,
    updatedAt: event.args.updatedAt,
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
  });
});

// OCR aggregators time the answer by the block that carries the report.
ponder.on("PriceFeed:NewTransmission", async ({ event, context }) => {
  await recordPrice(context.db, {
    chainId: context.chain.id,
    feed: event.log.address,
    answer: event.args.answer,
    roundId: BigInt(event.args.aggregatorRoundId),
    updatedAt: event.block.timestamp,
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
  });
});
