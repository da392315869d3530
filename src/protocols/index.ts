import type { ProtocolAdapter } from "../core/adapter";
import { aaveV3Adapter } from "./aave-v3";
import { deriveAdapter } from "./derive";
import { gmxV1Adapter } from "./gmx-v1";
import { gmxV2Adapter } from "./gmx-v2";

/** Every protocol adapter; adding a protocol adds its folder and one line here. */
export const protocolAdapters: ProtocolAdapter[] = [gmxV1Adapter, gmxV2Adapter, aaveV3Adapter, deriveAdapter];

export const adapterFor = (id: string) => protocolAdapters.find((a) => a.id === id);
