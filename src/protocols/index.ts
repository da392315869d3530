import type { ExposureConfig } from "../config/exposure-config";
import type { ProtocolAdapter } from "../core/adapter";
import { aaveV3Protocol } from "./aave-v3";
import { deriveProtocol } from "./derive";
import { gmxV1Protocol } from "./gmx-v1";
import { gmxV2Protocol } from "./gmx-v2";
import { gTradeProtocol } from "./gtrade";
import { morphoBlueProtocol } from "./morpho-blue";

/**
 * Every protocol, once: ponder.config.ts takes their contracts, ponder.schema.ts their tables
 * (generated: npm run generate:schema), the read model their risk rules, GraphQL their extensions.
 * Adding a protocol adds its folder and one line here (docs/adding-a-protocol.md).
 */
export const protocols = [gmxV1Protocol, gmxV2Protocol, aaveV3Protocol, deriveProtocol, morphoBlueProtocol, gTradeProtocol] as const;

type Registered = (typeof protocols)[number];
type Intersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** Every protocol's ponder contracts, typed by name so `ponder.on("<Contract>:<Event>", ...)` checks. */
export const protocolContracts = (config: ExposureConfig) =>
  Object.assign({}, ...protocols.map((p) => p.contracts(config))) as Intersection<ReturnType<Registered["contracts"]>>;

/** Every protocol's ponder block intervals, typed by name like the contracts. */
export const protocolBlocks = (config: ExposureConfig) =>
  Object.assign({}, ...protocols.map((p) => ("blocks" in p ? p.blocks(config) : {}))) as Intersection<
    ReturnType<Extract<Registered, { blocks: unknown }>["blocks"]>
  >;

export const protocolAdapters: ProtocolAdapter[] = protocols.map((p) => p.adapter);

export const adapterFor = (id: string) => protocolAdapters.find((a) => a.id === id);
