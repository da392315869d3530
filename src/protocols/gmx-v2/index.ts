import type { ProtocolAdapter } from "../../core/adapter";
import { assessGmxV2 } from "./assess";
import { GMX_V2 } from "./normalise";

export const gmxV2Adapter = {
  id: GMX_V2,
  assess: assessGmxV2,
  isolatedPositions: true,
} satisfies ProtocolAdapter;
