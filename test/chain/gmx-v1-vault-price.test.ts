import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Address } from "viem";
import { gmxV1Deployments } from "../../src/protocols/gmx-v1/contracts";
import { vaultPrice } from "../../src/protocols/gmx-v1/price-feed";
import { liquidationPrice, minProfitAt, type GmxV1Position } from "../../src/protocols/gmx-v1/risk";
import { readVaultState } from "../../src/protocols/gmx-v1/vault-state";
import { parseExposureConfig } from "../../src/config/exposure-config";
import { startAnvil, type AnvilHandle } from "./anvil.js";
import { anvilAccount, chainClients, deploy, read, send } from "./clients.js";
import { pickArtifacts } from "./compile.js";
import { deployFixtures, fixtureAbis, setPrice, type Deployment, type FixtureAbis, type TokenSymbol } from "./deploy.js";
import { fixtureExposureConfig } from "./exposure-config.js";
import { fastPricesAround, openPosition, setDeviatingFastPrice, setFastPrice, validateLiquidation, type Opened } from "./gmx-v1-positions.js";
import { createRng } from "./rng.js";

// The Vault's own prices (VaultPriceFeed + FastPriceFeed) and both VaultUtils rules, checked against
// the fixture contracts: our price model reproduces getMinPrice/getMaxPrice, and every liquidation
// price flips the Vault's validateLiquidation within one unit of the price that moves.

const E30 = 10n ** 30n;
const SPREAD = 15n;
const answer = (usd: bigint) => usd * 10n ** 8n;

let anvil: AnvilHandle;
let d: Deployment;
let abis: FixtureAbis;
let currentRuleUtils: Address;
const gov = anvilAccount(0);
const SYMBOLS: TokenSymbol[] = ["WETH", "WBTC", "USDC", "LINK"];

const token = (s: TokenSymbol) => d.tokens[s].address;
const call = (address: Address, abi: any, functionName: string, args: readonly unknown[] = []) => send(d.rpcUrl, gov, { address, abi, functionName, args });
const feedSet = (functionName: string, args: readonly unknown[]) => call(d.vaultPriceFeed, abis.vaultPriceFeed, functionName, args);
const fastSet = (functionName: string, args: readonly unknown[]) => call(d.fastPriceFeed, abis.fastPriceFeed, functionName, args);
const vaultRead = <T>(functionName: string, args: readonly unknown[] = []) => read<T>(d.rpcUrl, { address: d.vault, abi: abis.vault, functionName, args });
const latestTimestamp = async () => (await chainClients(d.rpcUrl).publicClient.getBlock({ blockTag: "latest" })).timestamp;

/** The indexer's reading of the Vault (./vault-state.ts) at the latest block, through the fixture's multicall. */
async function reading() {
  const client = chainClients(d.rpcUrl).publicClient;
  const block = await client.getBlock({ blockTag: "latest" });
  const [deployment] = gmxV1Deployments(parseExposureConfig(fixtureExposureConfig(d, { gmxV1: { vaultUtilsRules: { [currentRuleUtils]: "current" } } })));
  return readVaultState(client as any, deployment, d.vault, SYMBOLS.map(token), block.number, block.timestamp);
}

beforeAll(async () => {
  anvil = await startAnvil();
  d = await deployFixtures(anvil.rpcUrl);
  abis = await fixtureAbis();
  const { FixtureGmxV1VaultUtils } = await pickArtifacts(["FixtureGmxV1VaultUtils"] as const);
  currentRuleUtils = (await deploy(d.rpcUrl, gov, FixtureGmxV1VaultUtils, [d.vault, true])).address;
  await setPrice(d, "LINK", answer(15n)); // the OCR mock has no round before its first transmission
}, 120_000);

afterAll(async () => {
  await anvil?.stop();
});

describe("GMX v1 VaultPriceFeed model (./price-feed.ts) against the fixture's getMinPrice / getMaxPrice", () => {
  it("reproduces both prices of every token over random feed settings, rounds and fast prices", async () => {
    const rng = createRng(20);
    const wide = (x: bigint, pct: number) => (x * BigInt(10_000 + rng.int(-pct * 100, pct * 100))) / 10_000n;
    const base: Record<TokenSymbol, bigint> = { WETH: 3000n, WBTC: 60_000n, USDC: 1n, LINK: 15n };
    const seen = new Set<string>();
    for (let round = 0; round < 30; round++) {
      await feedSet("setPriceSampleSpace", [BigInt(rng.int(1, 4))]);
      await feedSet("setIsSecondaryPriceEnabled", [rng.chance(0.7)]);
      await feedSet("setSecondaryPriceFeed", [rng.chance(0.9) ? d.fastPriceFeed : "0x0000000000000000000000000000000000000000"]);
      await feedSet("setIsAmmEnabled", [rng.chance(0.5)]);
      await feedSet("setMaxStrictPriceDeviation", [BigInt(rng.int(0, 3)) * 10n ** 28n]); // up to 3 cents
      await call(d.vault, abis.vault, "setIncludeAmmPrice", [rng.chance(0.5)]);
      const stale = rng.pick(["fresh", "inactive", "chain-error"] as const);
      seen.add(stale);
      await fastSet("setSettings", [
        stale === "fresh" ? 300n : 0n,
        stale === "chain-error" ? 0n : 3600n,
        BigInt(rng.int(0, 50)),
        BigInt(rng.int(0, 80)),
        BigInt(rng.int(0, 200)),
      ]);
      await fastSet("setIsSpreadEnabled", [rng.chance(0.3)]);
      const fast: bigint[] = [];
      for (const s of SYMBOLS) {
        for (let k = 0; k < rng.int(1, 3); k++) await setPrice(d, s, wide(answer(base[s]), 3));
        await feedSet("setSpreadBasisPoints", [token(s), BigInt(rng.int(0, 50))]);
        await feedSet("setTokenConfig", [token(s), d.tokens[s].feed, 8n, s === "USDC" && rng.chance(0.7)]);
        await feedSet("setAdjustment", [token(s), rng.chance(0.5), rng.chance(0.3) ? BigInt(rng.int(1, 20)) : 0n]);
        await feedSet("setAmmPrice", [token(s), rng.chance(0.5) ? wide(base[s] * E30, 2) : 0n]);
        fast.push(rng.chance(0.8) ? wide(base[s] * E30, 4) : 0n);
      }
      await fastSet("setPrices", [SYMBOLS.map(token), fast]);
      const r = await reading();
      const now = await latestTimestamp();
      for (const s of SYMBOLS) {
        const t = r.tokens[token(s).toLowerCase()]!;
        const [min, max] = [await vaultRead<bigint>("getMinPrice", [token(s)]), await vaultRead<bigint>("getMaxPrice", [token(s)])];
        expect([t.minPrice, t.maxPrice]).toEqual([min, max]);
        expect(t.inputs, `${s} round ${round}: the model must reproduce the Vault's prices`).not.toBeNull();
        expect([vaultPrice(t.inputs!, false, now), vaultPrice(t.inputs!, true, now)]).toEqual([min, max]);
        if (t.inputs!.strictStable) seen.add("strict");
        if (t.inputs!.ammPrice > 0n) seen.add("amm");
        if (min !== max) seen.add("spread");
      }
    }
    expect([...seen].sort()).toEqual(["amm", "chain-error", "fresh", "inactive", "spread", "strict"]);
  }, 300_000);
});

describe("GMX v1 liquidation prices flip the Vault's own validateLiquidation (spread 15 bps, 3 sampled rounds, a deviating fast price)", () => {
  const opened: Opened[] = [];

  beforeAll(async () => {
    // Open at plain prices: no spread, one round, no secondary.
    await feedSet("setPriceSampleSpace", [1n]);
    await feedSet("setIsSecondaryPriceEnabled", [false]);
    await call(d.vault, abis.vault, "setIncludeAmmPrice", [false]);
    for (const s of SYMBOLS) {
      await feedSet("setSpreadBasisPoints", [token(s), 0n]);
      await feedSet("setAdjustment", [token(s), false, 0n]);
      await feedSet("setTokenConfig", [token(s), d.tokens[s].feed, 8n, false]);
    }
    await setPrice(d, "WETH", answer(3000n));
    await setPrice(d, "WBTC", answer(60_000n));
    await setPrice(d, "USDC", answer(1n));
    const rng = createRng(7);
    for (let i = 0; i < 12; i++) {
      const index: TokenSymbol = i % 4 < 2 ? "WETH" : "WBTC";
      const collateralUsd = BigInt(rng.int(500, 5_000));
      const leverage = BigInt(rng.int(2, 45)); // some above the 20x cap set below
      const sizeUsd = (collateralUsd * leverage * E30 * 99n) / 100n;
      opened.push(await openPosition(d, abis, { accountIndex: 10 + i, index, isLong: i % 2 === 0, collateralUsd, sizeUsd, priceUsd: index === "WETH" ? 3000n : 60_000n }));
    }
    await call(d.vault, abis.vault, "accrueFunding", [token("USDC"), 300n]);
    await call(d.vault, abis.vault, "accrueFunding", [token("WETH"), 200n]);
    // Positions above 20x are now short of the minimum collateral: only the current rule can save them.
    await call(d.vault, abis.vault, "setMaxLeverage", [200_000n]);
    // The price feed under test.
    await feedSet("setPriceSampleSpace", [3n]);
    await feedSet("setIsSecondaryPriceEnabled", [true]);
    await feedSet("setSecondaryPriceFeed", [d.fastPriceFeed]);
    await fastSet("setSettings", [3600n, 7200n, 20n, 40n, 50n]);
    await fastSet("setIsSpreadEnabled", [false]);
    for (const s of SYMBOLS) await feedSet("setSpreadBasisPoints", [token(s), SPREAD]);
  }, 240_000);

  for (const rule of ["earlier", "current"] as const) {
    for (const minProfit of [false, true]) {
      it(`${rule} VaultUtils rule, min-profit ${minProfit ? "in force" : "off"}: longs and shorts flip within one price unit`, async () => {
        await call(d.vault, abis.vault, "setVaultUtils", [rule === "current" ? currentRuleUtils : d.vaultUtils]);
        for (const s of ["WETH", "WBTC"] as const) await call(d.vault, abis.vault, "setMinProfit", [token(s), minProfit ? 300n : 0n, minProfit ? 86_400n : 0n]);
        const kinds = new Set<string>();
        for (const o of opened) {
          const r = await reading();
          expect(r.addsProfitOnLiquidation).toBe(rule === "current");
          const [size, collateral, averagePrice, entryFundingRate, , , , lastIncreasedTime] = await vaultRead<readonly bigint[]>("getPosition", [
            o.trader.address, token(o.collateral), token(o.index), o.isLong,
          ]);
          const p: GmxV1Position = { size: size!, collateral: collateral!, averagePrice: averagePrice!, entryFundingRate: entryFundingRate!, isLong: o.isLong };
          const cumulative = await vaultRead<bigint>("cumulativeFundingRates", [token(o.collateral)]);
          const mp = minProfitAt(r.tokens[token(o.index).toLowerCase()]!.minProfitBasisPoints, r.minProfitTime, lastIncreasedTime!, await latestTimestamp());
          expect(mp.inForce).toBe(minProfit);
          const liq = liquidationPrice(p, r, cumulative, mp);
          const without = liquidationPrice(p, r, cumulative);
          if (liq.kind !== without.kind || (liq.kind === "price" && without.kind === "price" && liq.price !== without.price)) kinds.add("moved by min-profit");
          kinds.add(`${o.isLong ? "long" : "short"}:${liq.kind}:${liq.kind === "price" && (o.isLong ? liq.price > averagePrice! : liq.price < averagePrice!) ? "profit" : "loss"}`);
          if (liq.kind === "always") {
            for (const fast of [averagePrice! / 2n, averagePrice!, averagePrice! * 2n]) {
              await setDeviatingFastPrice(d, abis, o, fast);
              expect((await validateLiquidation(d, abis, o))[0]).not.toBe(0n);
            }
            continue;
          }
          expect(liq.kind).toBe("price");
          if (liq.kind !== "price") continue;
          // The fast price at which the Vault's own price reaches the level, and one unit past it.
          const { liquidating, safe } = fastPricesAround(liq.price, o.isLong, SPREAD);
          await setDeviatingFastPrice(d, abis, o, liquidating);
          const vaultSide = o.isLong ? "getMinPrice" : "getMaxPrice";
          const at = await vaultRead<bigint>(vaultSide, [token(o.index)]);
          expect(o.isLong ? at <= liq.price : at >= liq.price).toBe(true);
          expect((await validateLiquidation(d, abis, o))[0]).not.toBe(0n);
          // The model, from the indexer's reading at this block, gives the Vault's own price.
          const t = (await reading()).tokens[token(o.index).toLowerCase()]!;
          expect(vaultPrice(t.inputs!, !o.isLong, await latestTimestamp())).toBe(at);
          await setFastPrice(d, abis, o.index, safe);
          const past = await vaultRead<bigint>(vaultSide, [token(o.index)]);
          expect(o.isLong ? past > liq.price : past < liq.price).toBe(true);
          expect((await validateLiquidation(d, abis, o))[0]).toBe(0n);
        }
        // Both sides were checked; the current rule put some levels on the profit side.
        expect(kinds.has("long:price:loss") && kinds.has("short:price:loss"), [...kinds].join(" ")).toBe(true);
        // Min-profit moves levels only under the current rule (profit never counts under the earlier one).
        expect(kinds.has("moved by min-profit")).toBe(rule === "current" && minProfit);
        if (rule === "current") expect(kinds.has("long:price:profit") && kinds.has("short:price:profit"), [...kinds].join(" ")).toBe(true);
        else expect([...kinds].some((k) => k.includes("always")), [...kinds].join(" ")).toBe(true);
      }, 300_000);
    }
  }
});
