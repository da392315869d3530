import type { ProtocolAdapter } from "../../core/adapter";
import { assessDerive } from "./assess";
import { DERIVE } from "./normalise";

export const deriveAdapter = {
  id: DERIVE,
  // StandardManager margin; subaccounts under PMRM are flagged, without a liquidation price.
  assess: assessDerive,
} satisfies ProtocolAdapter;
