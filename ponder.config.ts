import { createConfig } from "ponder";
import { ChainlinkAggregatorAbi } from "./abis/ChainlinkAggregator";
import { loadExposureConfig } from "./src/config/exposure-config";
import { rpcForPonder } from "./src/config/rpc-transport";
import { priceFeedContracts } from "./src/prices/feeds";
import { protocolBlocks, protocolContracts } from "./src/protocols";

// Chains, feeds and protocol deployments come from the JSON file named by EXPOSURE_CONFIG.
const exposure = loadExposureConfig();

export default createConfig({
  database: process.env.DATABASE_URL
    ? {
        kind: "postgres",
        connectionString: process.env.DATABASE_URL,
        // Connections opened for a burst stay for 5 minutes (node-postgres closes idle ones after 10 s):
        // reopening them under steady traffic stalled requests by a backend start each.
        poolConfig: { max: Number(process.env.DATABASE_POOL_MAX ?? 30), idleTimeoutMillis: 300_000 },
      }
    : { kind: "pglite", directory: process.env.PGLITE_DIR ?? ".ponder/pglite" },
  chains: Object.fromEntries(
    Object.entries(exposure.chains).map(([name, c]) => [
      name,
      {
        id: c.id,
        rpc: rpcForPonder(c.rpc),
        ...(c.pollingInterval === undefined ? {} : { pollingInterval: c.pollingInterval }),
        ...(c.disableCache === undefined ? {} : { disableCache: c.disableCache }),
      },
    ]),
  ),
  contracts: {
    PriceFeed: { abi: ChainlinkAggregatorAbi, chain: priceFeedContracts(exposure) },
    ...protocolContracts(exposure),
  },
  blocks: protocolBlocks(exposure),
});
