import type { ProtocolAdapter } from "../core/adapter";
import { gmxV1Adapter } from "./gmx-v1";

/** Every protocol adapter; adding a protocol adds its folder and one line here. */
export const protocolAdapters: ProtocolAdapter[] = [gmxV1Adapter];

export const adapterFor = (id: string) => protocolAdapters.find((a) => a.id === id);
