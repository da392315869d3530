import { toEventSelector, type Abi, type AbiEvent } from "viem";
import { describe, expect, it } from "vitest";
import { AaveV3PoolAbi } from "../../abis/AaveV3Pool";
import { AaveV3ATokenAbi, AaveV3PoolConfiguratorAbi, AaveV3StableDebtTokenAbi, AaveV3VariableDebtTokenAbi } from "../../abis/AaveV3Tokens";
import { aaveArtifact, type AaveContractName } from "../chain/aave-market";

const events = (abi: Abi | readonly unknown[]) => (abi as Abi).filter((x): x is AbiEvent => x.type === "event");

describe("Aave v3 ABIs the indexer decodes with", () => {
  it.each([
    ["Pool", AaveV3PoolAbi],
    ["AToken", AaveV3ATokenAbi],
    ["VariableDebtToken", AaveV3VariableDebtTokenAbi],
    ["StableDebtToken", AaveV3StableDebtTokenAbi],
    ["PoolConfigurator", AaveV3PoolConfiguratorAbi],
  ] as [AaveContractName, readonly unknown[]][])("declare exactly the events of @aave/core-v3's %s", (name, ours) => {
    const real = events(aaveArtifact(name).abi);
    for (const event of events(ours)) {
      const match = real.find((x) => x.name === event.name);
      expect(match, `${name}.${event.name}`).toBeDefined();
      expect(toEventSelector(event)).toBe(toEventSelector(match!));
      expect(event.inputs.map((i) => [i.name, i.type, i.indexed ?? false])).toEqual(match!.inputs.map((i) => [i.name, i.type, i.indexed ?? false]));
    }
  });
});
