import type { ProtocolAdapter } from "../../core/adapter";
import { assessDerive } from "./assess";
import { DERIVE } from "./normalise";

export const deriveAdapter = {
  id: DERIVE,
  assess: assessDerive,
  isolatedPositions: true,
  // Portfolio margin is not computed (README, Derive gaps).
  withoutLiquidationPrices: true,
} satisfies ProtocolAdapter;
