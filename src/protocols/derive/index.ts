import type { ProtocolAdapter } from "../../core/adapter";
import type { Protocol } from "../../core/protocol";
import { assessDerive } from "./assess";
import { DERIVE } from "./normalise";
import { deriveContracts } from "./contracts";
import * as tables from "./schema";

export const deriveAdapter = {
  id: DERIVE,
  // StandardManager margin; subaccounts under PMRM are flagged, without a liquidation price.
  assess: assessDerive,
} satisfies ProtocolAdapter;

export const deriveProtocol = { adapter: deriveAdapter, contracts: deriveContracts, tables } satisfies Protocol;
