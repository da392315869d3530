import type { Address } from "viem";

/** Ponder's per-chain contract entry: all addresses of one chain, from the earliest start block. */
export function contractChains(entries: { chain: string; address: Address; startBlock: number }[]) {
  const chain: Record<string, { address: Address[]; startBlock: number }> = {};
  for (const e of entries) {
    const entry = (chain[e.chain] ??= { address: [], startBlock: e.startBlock });
    entry.address.push(e.address);
    entry.startBlock = Math.min(entry.startBlock, e.startBlock);
  }
  return chain;
}
