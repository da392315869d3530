import type { ProtocolAdapter } from "../../core/adapter";
import type { Protocol } from "../../core/protocol";
import { assessDerive } from "./assess";
import { DERIVE } from "./normalise";
import { deriveContracts } from "./contracts";
import * as tables from "./schema";

export const deriveAdapter = {
  id: DERIVE,
  assess: assessDerive,
  // Portfolio margin is not computed (README, Derive gaps).
  withoutLiquidationPrices: true,
} satisfies ProtocolAdapter;

export const deriveProtocol = { adapter: deriveAdapter, contracts: deriveContracts, tables } satisfies Protocol;
