import type { ProtocolAdapter } from "../../core/adapter";
import { assessAaveV3 } from "./assess";
import { AAVE_V3 } from "./normalise";

export const aaveV3Adapter = {
  id: AAVE_V3,
  assess: assessAaveV3,
} satisfies ProtocolAdapter;
