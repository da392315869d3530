import type { ProtocolAdapter } from "../../core/adapter";
import type { Protocol } from "../../core/protocol";
import { assessGmxV2 } from "./assess";
import { GMX_V2 } from "./normalise";
import { gmxV2Contracts } from "./contracts";
import * as tables from "./schema";

export const gmxV2Adapter = {
  id: GMX_V2,
  assess: assessGmxV2,
  isolatedPositions: true,
} satisfies ProtocolAdapter;

export const gmxV2Protocol = { adapter: gmxV2Adapter, contracts: gmxV2Contracts, tables } satisfies Protocol;
