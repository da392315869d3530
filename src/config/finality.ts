/**
 * Blocks after which ponder takes a block as final and never reverts it: 65 on Ethereum and its
 * testnets, 200 on Polygon, 240 on Arbitrum, 30 elsewhere (ponder utils/finality.js,
 * getFinalityBlockCount, the release we run). A read at a block this far below the head gives what
 * indexing that block will see.
 */
export function finalityBlocks(chainId: number): number {
  if ([1, 3, 4, 5, 42, 11155111].includes(chainId)) return 65;
  if ([137, 80001].includes(chainId)) return 200;
  if ([42161, 42170, 421611, 421613].includes(chainId)) return 240;
  return 30;
}
