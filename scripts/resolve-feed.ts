// Prints the priceFeeds entry for a Chainlink proxy: events come from the aggregator behind it.
// Usage: npm run resolve-feed -- <rpcUrl> <proxyAddress> <chainName> <assetAddress> [heartbeatSeconds]
import { createPublicClient, getAddress, http, isAddress, parseAbi } from "viem";

const [rpc, proxy, chain, asset, heartbeat = "86400"] = process.argv.slice(2);
if (!rpc || !proxy || !chain || !asset || !isAddress(proxy) || !isAddress(asset)) {
  console.error("usage: npm run resolve-feed -- <rpcUrl> <proxyAddress> <chainName> <assetAddress> [heartbeatSeconds]");
  process.exit(2);
}
const abi = parseAbi(["function aggregator() view returns (address)", "function decimals() view returns (uint8)"]);
const client = createPublicClient({ transport: http(rpc) });
const [aggregator, decimals, block] = await Promise.all([
  client.readContract({ address: proxy, abi, functionName: "aggregator" }),
  client.readContract({ address: proxy, abi, functionName: "decimals" }),
  client.getBlockNumber(),
]);
console.log(
  JSON.stringify(
    { chain, asset: getAddress(asset), address: aggregator, decimals, heartbeatSeconds: Number(heartbeat), startBlock: Number(block) },
    null,
    2,
  ),
);
console.error(`aggregator read at block ${block}; a proxy can switch aggregators later (new phase): re-run and add the new one.`);
