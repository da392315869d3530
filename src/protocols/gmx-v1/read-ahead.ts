import { nextDueAfter } from "../../config/contract-chains";
import { finalityBlocks } from "../../config/finality";

// Reading the Vault at a block waits on an RPC answer (or ponder's cache of it). During a backfill
// the blocks that will be read next are known ahead (every `paramsRefreshBlocks`), so their reads
// can be started while earlier blocks are indexed. Only final blocks are read ahead (ponder never
// reverts them), so a reading started early is the one indexing that block would make.

/** How many refresh blocks ahead of the one being indexed are read, by default: enough to hide a read behind indexing. */
export const READ_AHEAD_BLOCKS = 4;
const HEAD_REFRESH_MS = 5_000;

/** The refresh blocks after `block` (at most `depth`) that are final below `head`: the reads to start now. */
export function blocksToReadAhead(block: bigint, head: bigint | null, finality: number, startBlock: number, interval: number, depth: number): bigint[] {
  if (head === null || interval <= 0) return [];
  const lastFinal = head - BigInt(finality);
  const blocks: bigint[] = [];
  for (let next = nextDueAfter(block, startBlock, interval); blocks.length < depth && next <= lastFinal; next += BigInt(interval)) blocks.push(next);
  return blocks;
}

type HeadClient = { request(args: { method: "eth_blockNumber" }): Promise<unknown> };
type KnownHead = { number: bigint | null; askedAt: number; asking: boolean };
const heads = new Map<number, KnownHead>();

/**
 * The chain's head as its RPC last gave it, asked again every few seconds without waiting: null
 * before the first answer (nothing is read ahead then), and an old value only reads ahead less.
 */
export function knownHead(chainId: number, client: HeadClient, now = Date.now()): { number: bigint | null; finality: number } {
  const known = heads.get(chainId) ?? { number: null, askedAt: -Infinity, asking: false };
  heads.set(chainId, known);
  if (!known.asking && now - known.askedAt >= HEAD_REFRESH_MS) {
    known.asking = true;
    known.askedAt = now;
    client
      .request({ method: "eth_blockNumber" })
      .then((n) => (known.number = BigInt(n as string)))
      .catch(() => {})
      .finally(() => (known.asking = false));
  }
  return { number: known.number, finality: finalityBlocks(chainId) };
}
