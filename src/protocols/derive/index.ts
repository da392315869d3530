import type { ProtocolAdapter } from "../../core/adapter";
import type { Protocol } from "../../core/protocol";
import { assessDerive, prepareDerive } from "./assess";
import { DERIVE } from "./normalise";
import { deriveContracts } from "./contracts";
import * as tables from "./schema";

export const deriveAdapter = {
  id: DERIVE,
  // StandardManager or portfolio (PMRM) margin, options priced at the vol feed's SVI vols.
  assess: assessDerive,
  prepare: prepareDerive,
} satisfies ProtocolAdapter;

export const deriveProtocol = { adapter: deriveAdapter, contracts: deriveContracts, tables } satisfies Protocol;
