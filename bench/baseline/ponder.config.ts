import { readFileSync } from "node:fs";
import { createConfig } from "ponder";
import { ChainlinkAggregatorAbi } from "../../abis/ChainlinkAggregator";
import { GmxV1VaultAbi } from "../../abis/GmxV1Vault";

// The benchmark's baseline: the same chain and contracts as the exposure indexer, storing raw events only.
const bench = JSON.parse(readFileSync(process.env.BENCH_TARGETS!, "utf8")) as {
  chainId: number;
  rpc: string;
  vault: `0x${string}`;
  feeds: `0x${string}`[];
  startBlock: number;
};

export default createConfig({
  database: process.env.DATABASE_URL
    ? { kind: "postgres", connectionString: process.env.DATABASE_URL }
    : { kind: "pglite", directory: process.env.PGLITE_DIR! },
  chains: { anvil: { id: bench.chainId, rpc: bench.rpc, pollingInterval: 100 } },
  contracts: {
    Vault: { abi: GmxV1VaultAbi, chain: { anvil: { address: bench.vault, startBlock: bench.startBlock } } },
    Feed: { abi: ChainlinkAggregatorAbi, chain: { anvil: { address: bench.feeds, startBlock: bench.startBlock } } },
  },
});
