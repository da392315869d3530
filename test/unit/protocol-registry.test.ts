import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import * as ponderSchema from "../../ponder.schema";
import { SCHEMA_FILE, withProtocolTables } from "../../scripts/generate-schema";
import { parseExposureConfig } from "../../src/config/exposure-config";
import { protocolContracts, protocols } from "../../src/protocols";

// One list (src/protocols/index.ts) feeds ponder.config.ts and ponder.schema.ts; these fail when the
// generated schema block falls behind the list or a protocol folder breaks the convention.
describe("protocol registry", () => {
  it("ponder.schema.ts re-exports exactly the registered protocols' tables (else: npm run generate:schema)", () => {
    const source = readFileSync(SCHEMA_FILE, "utf8");
    expect(withProtocolTables(source, protocols)).toBe(source);
    for (const p of protocols) {
      for (const [name, table] of Object.entries(p.tables)) expect(ponderSchema[name as keyof typeof ponderSchema], name).toBe(table);
    }
  });

  it("names each protocol after its folder, whose schema.ts holds its tables", async () => {
    expect(new Set(protocols.map((p) => p.adapter.id)).size).toBe(protocols.length);
    for (const p of protocols) {
      const folder = resolve(import.meta.dirname, "../../src/protocols", p.adapter.id);
      expect(existsSync(resolve(folder, "handlers.ts")), `${folder}/handlers.ts`).toBe(true);
      expect(Object.keys(await import(resolve(folder, "schema.ts"))).sort()).toEqual(Object.keys(p.tables).sort());
    }
  });

  it("gives ponder every protocol's contracts, with the deployments of the config", () => {
    const vault = "0x489ee077994b6658eafa855c308275ead8097c4a";
    const config = parseExposureConfig({
      chains: { arbitrum: { id: 42161, rpc: "http://127.0.0.1:1" } },
      protocols: { "gmx-v1": [{ chain: "arbitrum", vault, startBlock: 10 }] },
    });
    const contracts = protocolContracts(config);
    // Aave's tokens are followed too: the configurator's ReserveInitialized names each reserve's three;
    // Derive's perps (funding) and Lyra vol, forward and rate feeds beside its SubAccounts; GMX's
    // ReferralStorage beside the v2 EventEmitter (followed where a deployment names it).
    expect(Object.keys(contracts).sort()).toEqual([
      "AaveV3AToken",
      "AaveV3Pool",
      "AaveV3PoolConfigurator",
      "AaveV3StableDebtToken",
      "AaveV3VariableDebtToken",
      "DeriveForwardFeed",
      "DerivePerpAsset",
      "DeriveRateFeed",
      "DeriveSubAccounts",
      "DeriveVolFeed",
      "GTradeDiamond",
      "GmxV1Vault",
      "GmxV2EventEmitter",
      "GmxV2ReferralStorage",
      "MorphoBlue",
    ]);
    expect(contracts.GmxV1Vault.chain).toEqual({ arbitrum: { address: [expect.stringMatching(new RegExp(vault, "i"))], startBlock: 10 } });
    expect(contracts.AaveV3Pool.chain).toEqual({});
    expect(contracts.AaveV3AToken.chain).toEqual({});
    expect(contracts.GmxV2ReferralStorage.chain).toEqual({});
  });
});
