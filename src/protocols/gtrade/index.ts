import type { ProtocolAdapter } from "../../core/adapter";
import type { Protocol } from "../../core/protocol";
import { assessGTrade } from "./assess";
import { gTradeContracts } from "./contracts";
import { GTRADE } from "./normalise";
import * as tables from "./schema";

export const gTradeAdapter = {
  id: GTRADE,
  assess: assessGTrade,
  isolatedPositions: true,
} satisfies ProtocolAdapter;

export const gTradeProtocol = { adapter: gTradeAdapter, contracts: gTradeContracts, tables } satisfies Protocol;
