import type { ProtocolAdapter } from "../../core/adapter";
import type { Protocol } from "../../core/protocol";
import { assessAaveV3, prepareAaveV3 } from "./assess";
import { AAVE_V3 } from "./normalise";
import { aaveV3Contracts } from "./contracts";
import * as tables from "./schema";

export const aaveV3Adapter = {
  id: AAVE_V3,
  assess: assessAaveV3,
  prepare: prepareAaveV3,
} satisfies ProtocolAdapter;

export const aaveV3Protocol = { adapter: aaveV3Adapter, contracts: aaveV3Contracts, tables } satisfies Protocol;
