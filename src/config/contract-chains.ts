import type { Address } from "viem";
import { address, chainName, nonNegativeInt, type ExposureConfig } from "./exposure-config";

/** Multicall3's address on every chain that has it (mds1/multicall). */
export const MULTICALL3 = "0xcA11bde05977b3631167028862bE2a173976CA11" as Address;

/** A deployment entry's `multicall` (a Multicall3-compatible contract its reads go through), Multicall3 by default. */
export const multicallOf = (entry: { multicall?: unknown } | undefined, where: string): Address =>
  entry?.multicall === undefined ? MULTICALL3 : address(entry.multicall, `${where}.multicall`);

/**
 * `protocols[id]`: a list of { chain, <addressKeys...>, startBlock }, one per deployment (the protocol
 * or a fork of it), validated with the field named in errors.
 */
export function protocolDeployments<K extends string>(
  config: ExposureConfig,
  id: string,
  ...addressKeys: K[]
): ({ chain: string; startBlock: number } & Record<K, Address>)[] {
  const section = config.protocols[id];
  if (section === undefined) return [];
  if (!Array.isArray(section)) throw new Error(`config protocols.${id}: expected an array of { chain, ${addressKeys.join(", ")}, startBlock }`);
  return section.map((entry: any, i) => ({
    chain: chainName(entry?.chain, config.chains, `protocols.${id}[${i}].chain`),
    ...Object.fromEntries(addressKeys.map((key) => [key, address(entry?.[key], `protocols.${id}[${i}].${key}`)])),
    startBlock: nonNegativeInt(entry?.startBlock ?? 0, `protocols.${id}[${i}].startBlock`),
  })) as ({ chain: string; startBlock: number } & Record<K, Address>)[];
}

/**
 * Each deployment of `protocols[id]` with the `release` its entry names, one of `releases`: events,
 * keys and rules differ between a protocol's releases, so it is never guessed. `what` finishes
 * "expected …" in the error.
 */
export function withReleases<D extends object, R extends string>(config: ExposureConfig, id: string, deployments: D[], releases: readonly R[], what: string) {
  const section = (config.protocols[id] ?? []) as { release?: unknown }[];
  return deployments.map((d, i) => {
    const release = section[i]?.release;
    if (typeof release === "string" && (releases as readonly string[]).includes(release)) return { ...d, release: release as R };
    throw new Error(`config protocols.${id}[${i}].release: expected ${what}, one of ${releases.join(", ")} (got ${JSON.stringify(release)})`);
  });
}

/**
 * Ponder's per-chain block source for handlers that read state without events: from the chain's
 * earliest start block, every `interval` blocks (the smallest of the chain's deployments; the
 * handler skips a deployment between its own reads with `dueAt`).
 */
export function blockChains(entries: { chain: string; startBlock: number; interval: number }[]) {
  const chain: Record<string, { startBlock: number; interval: number }> = {};
  for (const e of entries) {
    const entry = (chain[e.chain] ??= { startBlock: e.startBlock, interval: e.interval });
    entry.startBlock = Math.min(entry.startBlock, e.startBlock);
    entry.interval = Math.min(entry.interval, e.interval);
  }
  return chain;
}

/** Whether a deployment starting at `startBlock` and read every `interval` blocks is due at `block`. */
export const dueAt = (block: bigint, startBlock: number, interval: number) => {
  const since = block - BigInt(startBlock);
  return since >= 0n && since % BigInt(interval) === 0n;
};

/** The first block after `block` at which that deployment is due (`dueAt`). */
export const nextDueAfter = (block: bigint, startBlock: number, interval: number) => {
  const since = block - BigInt(startBlock);
  return since < 0n ? BigInt(startBlock) : block + BigInt(interval) - (since % BigInt(interval));
};

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
