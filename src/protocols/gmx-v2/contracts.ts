import { GmxReferralStorageAbi } from "../../../abis/GmxReferralStorage";
import { GmxV2EventEmitterAbi } from "../../../abis/GmxV2EventEmitter";
import { contractChains, multicallOf, protocolDeployments, withReleases } from "../../config/contract-chains";
import { address, perConfig, type ExposureConfig } from "../../config/exposure-config";
import { FOLLOWED_EVENTS } from "./event-log";
import { GMX_V2_RELEASES } from "./releases";

/**
 * `protocols["gmx-v2"]`: one { chain, eventEmitter, dataStore, reader, release, startBlock, multicall? }
 * per deployment. Events come from the EventEmitter; market parameters from the DataStore, keyed as the
 * release keys them (./releases.ts), read through `multicall` (Multicall3 by default); market tokens
 * from Reader.getMarket.
 */
export const gmxV2Deployments = (config: ExposureConfig) => {
  const raw = (config.protocols["gmx-v2"] ?? []) as { multicall?: unknown; referralStorage?: unknown }[];
  const deployments = protocolDeployments(config, "gmx-v2", "eventEmitter", "dataStore", "reader").map((d, i) => ({
    ...d,
    multicall: multicallOf(raw[i], `protocols.gmx-v2[${i}]`),
    // Optional: with it, a referral code or tier change counts before the trader's next order.
    referralStorage: raw[i]?.referralStorage === undefined ? null : address(raw[i]!.referralStorage, `protocols.gmx-v2[${i}].referralStorage`),
  }));
  return withReleases(config, "gmx-v2", deployments, GMX_V2_RELEASES, "the gmx-synthetics release the deployment runs");
};

/** The deployment an EventEmitter belongs to, by chain id and emitter address. */
export const gmxV2DeploymentDirectory = perConfig((config: ExposureConfig) => {
  const byEmitter = new Map(
    gmxV2Deployments(config).map((d) => [`${config.chains[d.chain]!.id}:${d.eventEmitter.toLowerCase()}`, d]),
  );
  return (chainId: number, eventEmitter: string) => byEmitter.get(`${chainId}:${eventEmitter.toLowerCase()}`);
});

export const gmxV2Contracts = (config: ExposureConfig) => ({
  GmxV2EventEmitter: {
    abi: GmxV2EventEmitterAbi,
    // The EventEmitter emits every GMX event; the RPC filters by the indexed event-name hash.
    filter: [
      { event: "EventLog1" as const, args: { eventNameHash: [...FOLLOWED_EVENTS.EventLog1] } },
      { event: "EventLog2" as const, args: { eventNameHash: [...FOLLOWED_EVENTS.EventLog2] } },
      { event: "EventLog" as const, args: { eventNameHash: [...FOLLOWED_EVENTS.EventLog] } },
    ],
    chain: contractChains(gmxV2Deployments(config).map((d) => ({ chain: d.chain, address: d.eventEmitter, startBlock: d.startBlock }))),
  },
  GmxV2ReferralStorage: {
    abi: GmxReferralStorageAbi,
    chain: contractChains(gmxV2Deployments(config).flatMap((d) => (d.referralStorage ? [{ chain: d.chain, address: d.referralStorage, startBlock: d.startBlock }] : []))),
  },
});
