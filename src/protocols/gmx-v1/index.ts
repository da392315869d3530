import type { ProtocolAdapter } from "../../core/adapter";
import { assessGmxV1 } from "./assess";
import { GMX_V1 } from "./normalise";

export const gmxV1Adapter = {
  id: GMX_V1,
  assess: assessGmxV1,
  isolatedPositions: true,
  keepsLiquidationLevels: true,
} satisfies ProtocolAdapter;
