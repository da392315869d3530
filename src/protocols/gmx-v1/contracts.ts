import type { Address } from "viem";
import { GmxV1VaultAbi } from "../../../abis/GmxV1Vault";
import { blockChains, contractChains, multicallOf, protocolDeployments } from "../../config/contract-chains";
import { address, ConfigError, nonNegativeInt, perConfig, type ExposureConfig } from "../../config/exposure-config";
import { READ_AHEAD_BLOCKS } from "./read-ahead";

export type VaultUtilsRule = "earlier" | "current";

export type GmxV1Deployment = {
  chain: string;
  vault: Address;
  startBlock: number;
  /** Blocks between re-reads of the parameters that change without an event (1: every block; 0: only at position activity). */
  paramsRefreshBlocks: number;
  /** Refresh blocks whose read is started while earlier blocks are indexed, during a backfill (./read-ahead.ts); 0: none. */
  readAheadBlocks: number;
  /** Multicall3-compatible contract the parameters are read through. */
  multicall: Address;
  /**
   * VaultUtils.validateLiquidation release when the Vault's vaultUtils() is not listed in
   * `vaultUtilsRules`: "earlier" (profit never counts) or "current" (gmx-contracts 2025-02-26: profit
   * counts on liquidatePosition). Default "earlier".
   */
  liquidationRule: VaultUtilsRule;
  /** Release per VaultUtils address (lowercase), so a setVaultUtils switches the rule at its block. */
  vaultUtilsRules: Record<string, VaultUtilsRule>;
};

const rule = (value: unknown, where: string): VaultUtilsRule => {
  if (value === "earlier" || value === "current") return value;
  throw new ConfigError(`config ${where}: expected "earlier" or "current", got ${JSON.stringify(value)}`);
};

/** `protocols["gmx-v1"]`: one { chain, vault, startBlock, ... } per Vault (GMX itself or a fork). */
export const gmxV1Deployments = perConfig((config: ExposureConfig): GmxV1Deployment[] => {
  const raw = (config.protocols["gmx-v1"] ?? []) as Record<string, unknown>[];
  return protocolDeployments(config, "gmx-v1", "vault").map((d, i) => {
    const entry = raw[i] ?? {};
    const where = `protocols.gmx-v1[${i}]`;
    const rules = (entry.vaultUtilsRules ?? {}) as Record<string, unknown>;
    return {
      ...d,
      paramsRefreshBlocks: nonNegativeInt(entry.paramsRefreshBlocks ?? 1, `${where}.paramsRefreshBlocks`),
      readAheadBlocks: nonNegativeInt(entry.readAheadBlocks ?? READ_AHEAD_BLOCKS, `${where}.readAheadBlocks`),
      multicall: multicallOf(entry, where),
      liquidationRule: rule(entry.liquidationRule ?? "earlier", `${where}.liquidationRule`),
      vaultUtilsRules: Object.fromEntries(
        Object.entries(rules).map(([a, r]) => [address(a, `${where}.vaultUtilsRules`).toLowerCase(), rule(r, `${where}.vaultUtilsRules.${a}`)]),
      ),
    };
  });
});

/** The deployment of a Vault on a chain. */
export function gmxV1Deployment(config: ExposureConfig, chainId: number, vault: string): GmxV1Deployment | undefined {
  return gmxV1Deployments(config).find((d) => config.chains[d.chain]?.id === chainId && d.vault.toLowerCase() === vault.toLowerCase());
}

/** The rule a deployment's Vault applies with this VaultUtils. */
export const ruleFor = (d: GmxV1Deployment | undefined, vaultUtils: Address | null): VaultUtilsRule =>
  (vaultUtils && d?.vaultUtilsRules[vaultUtils.toLowerCase()]) || (d?.liquidationRule ?? "earlier");

export const gmxV1Contracts = (config: ExposureConfig) => ({
  GmxV1Vault: {
    abi: GmxV1VaultAbi,
    chain: contractChains(gmxV1Deployments(config).map((d) => ({ chain: d.chain, address: d.vault, startBlock: d.startBlock }))),
  },
});

/**
 * The block source that re-reads parameters without events: per chain, from the earliest Vault
 * start, every `paramsRefreshBlocks` (the smallest of the chain's Vaults; the handler skips a Vault
 * between its own refreshes).
 */
export const gmxV1Blocks = (config: ExposureConfig) => ({
  GmxV1ParamsRefresh: {
    chain: blockChains(
      gmxV1Deployments(config)
        .filter((d) => d.paramsRefreshBlocks !== 0)
        .map((d) => ({ chain: d.chain, startBlock: d.startBlock, interval: d.paramsRefreshBlocks })),
    ),
  },
});

