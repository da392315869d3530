import { createConfig } from "ponder";
import { ChainlinkAggregatorAbi } from "./abis/ChainlinkAggregator";
import { loadExposureConfig } from "./src/config/exposure-config";
import { priceFeedContracts } from "./src/prices/feeds";
import { aaveV3Contracts } from "./src/protocols/aave-v3/contracts";
import { gmxV1Blocks, gmxV1Contracts } from "./src/protocols/gmx-v1/contracts";
import { gmxV2Contracts } from "./src/protocols/gmx-v2/contracts";
import { deriveContracts } from "./src/protocols/derive/contracts";

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
        rpc: c.rpc,
        ...(c.pollingInterval === undefined ? {} : { pollingInterval: c.pollingInterval }),
        ...(c.disableCache === undefined ? {} : { disableCache: c.disableCache }),
      },
    ]),
  ),
  contracts: {
    PriceFeed: { abi: ChainlinkAggregatorAbi, chain: priceFeedContracts(exposure) },
    ...gmxV1Contracts(exposure),
    ...aaveV3Contracts(exposure),
    ...gmxV2Contracts(exposure),
    ...deriveContracts(exposure),
  },
  blocks: { ...gmxV1Blocks(exposure) },
});
