import type { ProtocolAdapter } from "../../core/adapter";
import type { Protocol } from "../../core/protocol";
import { assessGmxV1, prepareGmxV1 } from "./assess";
import { GMX_V1 } from "./normalise";
import { gmxV1Blocks, gmxV1Contracts } from "./contracts";
import * as tables from "./schema";

export const gmxV1Adapter = {
  id: GMX_V1,
  assess: assessGmxV1,
  prepare: prepareGmxV1,
  isolatedPositions: true,
  keepsLiquidationLevels: true,
} satisfies ProtocolAdapter;

export const gmxV1Protocol = { adapter: gmxV1Adapter, contracts: gmxV1Contracts, blocks: gmxV1Blocks, tables } satisfies Protocol;
