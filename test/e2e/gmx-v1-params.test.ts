import { parseUnits, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAnvil, type AnvilHandle } from "../chain/anvil";
import { anvilAccount, chainClients, deploy, read, send } from "../chain/clients";
import { pickArtifacts } from "../chain/compile";
import { deployFixtures, fixtureAbis, setPrice, type Deployment, type FixtureAbis } from "../chain/deploy";
import { fixtureExposureConfig } from "../chain/exposure-config";
import { fastPricesAround, openPosition, setDeviatingFastPrice, setFastPrice, validateLiquidation, type Opened } from "../chain/gmx-v1-positions";
import { DATABASES } from "../support/databases";
import { indexFixtureChain, stopAll, type Indexer } from "../support/indexer";

// GMX v1 parameters and prices that change without an event, followed by the indexer's block handler:
// the Vault's own min/max prices (spread 15 bps, 3 sampled rounds, a deviating fast price), a
// setMaxLeverage with no position event, and the current VaultUtils rule with min-profit, whose
// time-limited levels the at-risk feed must see re-filed when the rule lapses.

const SPREAD = 15n;
const usd = (s: string) => parseUnits(s, 30);

const VAULT = `query ($v: String!, $atBlock: BigInt) { gmxV1Vault(vault: $v, atBlock: $atBlock) {
  block { number } changedAtBlock readAtBlock maxLeverage liquidationFeeUsd marginFeeBasisPoints liquidationRule minProfitTime vaultUtils
  tokens { token symbol minPriceUsd maxPriceUsd minProfitBasisPoints modelled } } }`;
const WALLET = `query ($a: String!, $atBlock: BigInt) { wallet(address: $a, atBlock: $atBlock) {
  positions { id side liquidationPrice liquidatableNow unrealizedPnlUsd warnings } } }`;
const AT_RISK = `{ atRisk(maxDistance: 10, protocol: "gmx-v1", first: 1000) { items { id liquidationPrice } warnings } }`;

describe.each(DATABASES)("GMX v1 parameters without events on %s", (database) => {
  let anvil: AnvilHandle;
  let d: Deployment;
  let abis: FixtureAbis;
  let indexer: Indexer;
  let currentRuleUtils: Address;
  const opened: Opened[] = [];
  const gov = anvilAccount(0);
  const rpc = () => chainClients(d.rpcUrl).publicClient;
  const head = () => rpc().getBlockNumber({ cacheTime: 0 });
  const vaultCall = (functionName: string, args: unknown[]) => send(d.rpcUrl, gov, { address: d.vault, abi: abis.vault, functionName, args });
  const feedCall = (functionName: string, args: unknown[]) => send(d.rpcUrl, gov, { address: d.vaultPriceFeed, abi: abis.vaultPriceFeed, functionName, args });
  const query = async (q: string, vars: Record<string, unknown> = {}) => {
    const r = await indexer.query(q, vars);
    expect(r.errors).toBeUndefined();
    return r.data;
  };
  const vaultAt = async (atBlock?: bigint) => (await query(VAULT, { v: d.vault, atBlock: atBlock?.toString() })).gmxV1Vault;
  const positionOf = async (o: Opened, atBlock?: bigint) => {
    const w = (await query(WALLET, { a: o.trader.address, atBlock: atBlock?.toString() })).wallet;
    expect(w.positions).toHaveLength(1);
    return w.positions[0];
  };
  /** Mines the transaction's block and waits for the indexer to reach it. */
  const indexed = async (receipt: { blockNumber: bigint }) => {
    await indexer.waitForBlock(receipt.blockNumber);
    return receipt.blockNumber;
  };

  beforeAll(async () => {
    anvil = await startAnvil();
    d = await deployFixtures(anvil.rpcUrl);
    abis = await fixtureAbis();
    const { FixtureGmxV1VaultUtils } = await pickArtifacts(["FixtureGmxV1VaultUtils"] as const);
    currentRuleUtils = (await deploy(d.rpcUrl, gov, FixtureGmxV1VaultUtils, [d.vault, true])).address;
    await setPrice(d, "LINK", 15n * 10n ** 8n);
    for (const [i, isLong] of [true, false, true, false].entries()) {
      // 12x and 30x on each side; the 30x ones go over the cap set later.
      opened.push(await openPosition(d, abis, { accountIndex: 1 + i, index: "WETH", isLong, collateralUsd: 1_000n, sizeUsd: usd(i < 2 ? "12000" : "30000"), priceUsd: 3000n }));
    }
    // The price feed under test: spread 15 bps, 3 sampled rounds, a fast price 2% under Chainlink.
    await feedCall("setPriceSampleSpace", [3n]);
    await feedCall("setSpreadBasisPoints", [d.tokens.WETH.address, SPREAD]);
    await feedCall("setIsSecondaryPriceEnabled", [true]);
    await feedCall("setSecondaryPriceFeed", [d.fastPriceFeed]);
    await send(d.rpcUrl, gov, { address: d.fastPriceFeed, abi: abis.fastPriceFeed, functionName: "setSettings", args: [86_400n, 172_800n, 20n, 40n, 50n] });
    for (const answer of [3010n, 2990n, 3000n]) await setPrice(d, "WETH", answer * 10n ** 8n);
    await setFastPrice(d, abis, "WETH", usd("2940"));
    indexer = await indexFixtureChain(fixtureExposureConfig(d, { gmxV1: { vaultUtilsRules: { [currentRuleUtils]: "current" } } }), database, d.rpcUrl);
  }, 300_000);

  afterAll(() => stopAll(database, indexer, anvil));

  it("shows the Vault's own min and max price per token, read at the head", async () => {
    const block = await head();
    const v = await vaultAt();
    expect(BigInt(v.block.number)).toBe(block);
    expect(BigInt(v.readAtBlock)).toBe(block);
    expect(v.liquidationRule).toBe("earlier");
    for (const t of v.tokens) {
      const min = await read<bigint>(d.rpcUrl, { address: d.vault, abi: abis.vault, functionName: "getMinPrice", args: [t.token] });
      const max = await read<bigint>(d.rpcUrl, { address: d.vault, abi: abis.vault, functionName: "getMaxPrice", args: [t.token] });
      expect([usd(t.minPriceUsd), usd(t.maxPriceUsd)]).toEqual([min, max]);
      expect(t.modelled).toBe(true);
    }
    const weth = v.tokens.find((t: any) => t.symbol === "ETH");
    // min: the fast price (it deviates under the rounds) less the spread; max: the highest round plus it.
    expect(usd(weth.minPriceUsd)).toBe((usd("2940") * (10_000n - SPREAD)) / 10_000n);
    expect(usd(weth.maxPriceUsd)).toBe((usd("3010") * (10_000n + SPREAD)) / 10_000n);
  });

  it("after a setMaxLeverage with no position event, that block's figures and atBlock use the new value", async () => {
    const before = await Promise.all(opened.map((o) => positionOf(o)));
    const changed = await indexed(await vaultCall("setMaxLeverage", [200_000n])); // 100x -> 20x
    const v = await vaultAt(changed);
    expect([v.maxLeverage, v.changedAtBlock, v.readAtBlock]).toEqual(["200000", changed.toString(), changed.toString()]);
    expect((await vaultAt(changed - 1n)).maxLeverage).toBe("1000000");
    for (const [i, o] of opened.entries()) {
      const now = await positionOf(o, changed);
      const earlier = await positionOf(o, changed - 1n);
      expect(earlier.liquidationPrice).toBe(before[i].liquidationPrice);
      // A lower cap moves every level toward the mark; the 30x ones are now liquidatable at any price.
      if (i < 2) expect(o.isLong ? usd(now.liquidationPrice) > usd(earlier.liquidationPrice) : usd(now.liquidationPrice) < usd(earlier.liquidationPrice)).toBe(true);
      else expect([now.liquidationPrice, now.liquidatableNow]).toEqual([null, true]);
      expect(await positionOf(o)).toEqual(now);
    }
    const risk = (await query(AT_RISK)).atRisk;
    expect(risk.warnings.filter((w: string) => w.includes("differs"))).toEqual([]);
  });

  it("under the current VaultUtils rule with min-profit, levels follow the rule and are re-filed when it lapses", async () => {
    await vaultCall("setVaultUtils", [currentRuleUtils]);
    const set = await indexed(await vaultCall("setMinProfit", [d.tokens.WETH.address, 300n, 60n]));
    expect((await vaultAt(set)).liquidationRule).toBe("current");
    // A fresh 25x long and short inside the min-profit window (opened under a 100x cap: the min/max
    // price gap is a loss from the start; then back to 20x): short of the minimum collateral, saved
    // only by enough profit, of which min-profit zeroes the first 3% of size.
    await vaultCall("setMaxLeverage", [1_000_000n]);
    for (const [i, isLong] of [true, false].entries()) {
      opened.push(await openPosition(d, abis, { accountIndex: 5 + i, index: "WETH", isLong, collateralUsd: 1_000n, sizeUsd: usd("25000"), priceUsd: 3000n }));
    }
    await indexed(await vaultCall("setMaxLeverage", [200_000n]));
    const fresh = opened.slice(4);
    const inWindow = await Promise.all(fresh.map((o) => positionOf(o)));
    for (const p of inWindow) expect(p.warnings.join(" ")).toContain("min-profit rule in force");
    const feed = async () => {
      const r = (await query(AT_RISK)).atRisk;
      expect(r.warnings.filter((w: string) => w.includes("differs"))).toEqual([]);
      return r.items;
    };
    const listed = await feed();
    for (const p of inWindow) expect(listed.find((x: any) => x.id === p.id)?.liquidationPrice).toBe(p.liquidationPrice);

    await rpc().request({ method: "evm_increaseTime" as any, params: [120] as any });
    await rpc().request({ method: "evm_mine" as any, params: [] as any });
    await indexed({ blockNumber: await head() });
    const lapsed = await Promise.all(fresh.map((o) => positionOf(o)));
    for (const [i, p] of lapsed.entries()) {
      expect(p.warnings.join(" ")).not.toContain("min-profit");
      // Less profit is needed once it counts: a long's level falls, a short's rises.
      const [was, now] = [usd(inWindow[i].liquidationPrice), usd(p.liquidationPrice)];
      expect(fresh[i]!.isLong ? now < was : now > was).toBe(true);
    }
    const relisted = await feed();
    for (const p of lapsed) expect(relisted.find((x: any) => x.id === p.id)?.liquidationPrice).toBe(p.liquidationPrice);
  });

  it("every liquidation price the API gives flips the Vault's validateLiquidation within one fast-price unit", async () => {
    let checked = 0;
    for (const o of opened) {
      const p = await positionOf(o);
      if (p.liquidationPrice === null) {
        expect((await validateLiquidation(d, abis, o))[0]).not.toBe(0n);
        continue;
      }
      const { liquidating, safe } = fastPricesAround(usd(p.liquidationPrice), o.isLong, SPREAD);
      await setDeviatingFastPrice(d, abis, o, liquidating);
      expect((await validateLiquidation(d, abis, o))[0]).not.toBe(0n);
      await setFastPrice(d, abis, o.index, safe);
      expect((await validateLiquidation(d, abis, o))[0]).toBe(0n);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });
});
