import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodePacked, keccak256, parseEventLogs, zeroHash, type Address, type Hex, type TransactionReceipt } from "viem";
import type { HDAccount } from "viem/accounts";
import { startAnvil, type AnvilHandle } from "./anvil.js";
import { anvilAccount, chainClients, read, send } from "./clients.js";
import { deployFixtures, fixtureAbis, setPrice, type Deployment, type FixtureAbis, type TokenSymbol } from "./deploy.js";
import { simulate } from "./simulate.js";

const USD = 10n ** 30n;
const usd = (n: bigint) => n * USD;
const answer = (n: bigint) => n * 10n ** 8n; // feeds use 8 decimals

let anvil: AnvilHandle;
let d: Deployment;
let abis: FixtureAbis;

beforeAll(async () => {
  anvil = await startAnvil();
  d = await deployFixtures(anvil.rpcUrl);
  abis = await fixtureAbis();
}, 60_000);

afterAll(async () => {
  await anvil?.stop();
});

// ---------------------------------------------------------------- helpers

const token = (symbol: TokenSymbol) => d.tokens[symbol].address;

const vaultRead = <T>(functionName: string, args: readonly unknown[] = []) =>
  read<T>(d.rpcUrl, { address: d.vault, abi: abis.vault, functionName, args });

const vaultSend = (account: HDAccount, functionName: string, args: readonly unknown[]) =>
  send(d.rpcUrl, account, { address: d.vault, abi: abis.vault, functionName, args });

const balanceOf = (symbol: TokenSymbol, owner: Address) =>
  read<bigint>(d.rpcUrl, { address: token(symbol), abi: abis.token, functionName: "balanceOf", args: [owner] });

/** Mints to the trader and moves the collateral into the vault, as GMX's router would. */
async function depositCollateral(trader: HDAccount, symbol: TokenSymbol, amount: bigint) {
  const deployer = anvilAccount(0);
  await send(d.rpcUrl, deployer, { address: token(symbol), abi: abis.token, functionName: "mint", args: [trader.address, amount] });
  await send(d.rpcUrl, trader, { address: token(symbol), abi: abis.token, functionName: "transfer", args: [d.vault, amount] });
}

/** Vault events of a receipt, in log order. */
function vaultEvents(receipt: TransactionReceipt) {
  return parseEventLogs({ abi: abis.vault, logs: receipt.logs }).filter(
    (log) => log.address.toLowerCase() === d.vault.toLowerCase(),
  ) as unknown as { eventName: string; args: Record<string, unknown> }[];
}

const eventNames = (receipt: TransactionReceipt) => vaultEvents(receipt).map((e) => e.eventName);
const eventArgs = (receipt: TransactionReceipt, name: string) => vaultEvents(receipt).find((e) => e.eventName === name)!.args;

type PositionTuple = readonly [bigint, bigint, bigint, bigint, bigint, bigint, boolean, bigint];
const getPosition = (account: Address, collateral: TokenSymbol, index: TokenSymbol, isLong: boolean) =>
  vaultRead<PositionTuple>("getPosition", [account, token(collateral), token(index), isLong]);
const liquidationState = (account: Address, collateral: TokenSymbol, index: TokenSymbol, isLong: boolean) =>
  vaultRead<readonly [bigint, bigint]>("validateLiquidation", [account, token(collateral), token(index), isLong, false]);

// ---------------------------------------------------------------- GMX v1 position math

describe("FixtureGmxV1Vault position accounting", () => {
  const longTrader = anvilAccount(1);

  it("opens a 10x WETH long: collateral minus 0.1% fee, entry at the feed price, reserve in tokens", async () => {
    await setPrice(d, "WETH", answer(3000n));
    await depositCollateral(longTrader, "WETH", 10n ** 18n); // 1 WETH = $3000
    const receipt = await vaultSend(longTrader, "increasePosition", [
      longTrader.address, token("WETH"), token("WETH"), usd(30_000n), true,
    ]);

    const [size, collateral, averagePrice, entryFundingRate, reserveAmount, realisedPnl, hasProfit] =
      await getPosition(longTrader.address, "WETH", "WETH", true);
    expect(size).toBe(usd(30_000n));
    expect(collateral).toBe(usd(3_000n) - usd(30n)); // fee = 30000 * 10 / 10000
    expect(averagePrice).toBe(usd(3_000n));
    expect(entryFundingRate).toBe(0n);
    expect(reserveAmount).toBe(10n * 10n ** 18n); // $30000 / $3000
    expect([realisedPnl, hasProfit]).toEqual([0n, true]);

    expect(eventNames(receipt)).toEqual(["CollectMarginFees", "IncreasePosition", "UpdatePosition"]);
    const key = keccak256(
      encodePacked(["address", "address", "address", "bool"], [longTrader.address, token("WETH"), token("WETH"), true]),
    );
    expect(eventArgs(receipt, "IncreasePosition")).toMatchObject({
      key,
      account: longTrader.address,
      collateralDelta: usd(3_000n),
      sizeDelta: usd(30_000n),
      isLong: true,
      price: usd(3_000n),
      fee: usd(30n),
    });
    expect(eventArgs(receipt, "UpdatePosition")).toMatchObject({
      key,
      size: usd(30_000n),
      collateral: usd(2_970n),
      averagePrice: usd(3_000n),
      reserveAmount: 10n * 10n ** 18n,
      realisedPnl: 0n,
      markPrice: usd(3_000n),
    });
    expect(await vaultRead<Hex>("getPositionKey", [longTrader.address, token("WETH"), token("WETH"), true])).toBe(key);
  });

  it("realises the closed share of a profit on a partial decrease and pays it out net of fees", async () => {
    await setPrice(d, "WETH", answer(3300n)); // +10%: delta = 30000 * 300 / 3000 = 3000
    const before = await balanceOf("WETH", longTrader.address);
    const receipt = await vaultSend(longTrader, "decreasePosition", [
      longTrader.address, token("WETH"), token("WETH"), 0n, usd(15_000n), true, longTrader.address,
    ]);

    expect(eventNames(receipt)).toEqual(["CollectMarginFees", "UpdatePnl", "DecreasePosition", "UpdatePosition"]);
    expect(eventArgs(receipt, "DecreasePosition")).toMatchObject({ sizeDelta: usd(15_000n), price: usd(3_300n), fee: usd(15n) });
    expect(eventArgs(receipt, "UpdatePosition")).toMatchObject({
      size: usd(15_000n),
      collateral: usd(2_970n), // the fee came out of the payout
      reserveAmount: 5n * 10n ** 18n,
      realisedPnl: usd(1_500n), // 15000 * 3000 / 30000
    });
    const [, , , , , realisedPnl, hasProfit] = await getPosition(longTrader.address, "WETH", "WETH", true);
    expect([realisedPnl, hasProfit]).toEqual([usd(1_500n), true]);
    // (1500 - 15) USD at $3300 = 0.45 WETH
    expect((await balanceOf("WETH", longTrader.address)) - before).toBe(45n * 10n ** 16n);
  });

  it("records a realised loss as negative pnl on a short (USDC collateral, WBTC index)", async () => {
    const shortTrader = anvilAccount(2);
    await setPrice(d, "WBTC", answer(60_000n));
    await depositCollateral(shortTrader, "USDC", 6_000n * 10n ** 6n);
    await vaultSend(shortTrader, "increasePosition", [shortTrader.address, token("USDC"), token("WBTC"), usd(60_000n), false]);

    await setPrice(d, "WBTC", answer(61_200n)); // short loses 60000 * 1200 / 60000 = 1200
    const receipt = await vaultSend(shortTrader, "decreasePosition", [
      shortTrader.address, token("USDC"), token("WBTC"), 0n, usd(30_000n), false, shortTrader.address,
    ]);
    // nothing to pay out, so the 30 USD fee comes from collateral: 5940 - 600 - 30
    expect(eventArgs(receipt, "UpdatePosition")).toMatchObject({
      size: usd(30_000n),
      collateral: usd(5_310n),
      averagePrice: usd(60_000n),
      reserveAmount: 30_000n * 10n ** 6n,
      realisedPnl: -usd(600n),
    });
    const [, , , , , realisedPnl, hasProfit] = await getPosition(shortTrader.address, "USDC", "WBTC", false);
    expect([realisedPnl, hasProfit]).toEqual([usd(600n), false]);
  });

  it("charges funding from cumulativeFundingRates on top of the position fee", async () => {
    const trader = anvilAccount(3);
    await setPrice(d, "WETH", answer(3000n));
    await depositCollateral(trader, "WETH", 10n ** 18n);
    await vaultSend(trader, "increasePosition", [trader.address, token("WETH"), token("WETH"), usd(15_000n), true]);

    const receipt = await vaultSend(anvilAccount(0), "accrueFunding", [token("WETH"), 100n]);
    expect(vaultEvents(receipt)).toMatchObject([{ eventName: "UpdateFundingRate", args: { token: token("WETH"), fundingRate: 100n } }]);
    // 15 position fee + 15000 * 100 / 1e6 funding
    expect(await liquidationState(trader.address, "WETH", "WETH", true)).toEqual([0n, usd(15n) + usd(15n) / 10n]);
  });
});

// ---------------------------------------------------------------- liquidation rule

describe("FixtureGmxV1Vault liquidation (VaultUtils.validateLiquidation)", () => {
  it("is state 0 while healthy, state 1 once losses exceed collateral, then emits LiquidatePosition", async () => {
    const trader = anvilAccount(1); // the 15000 long left by the partial decrease above, avg 3000
    // fees: 15 position fee + 1.5 funding from the WETH accrual above (15000 * 100 / 1e6)
    const fees = usd(15n) + usd(15n) / 10n;
    await setPrice(d, "WETH", answer(3300n));
    expect(await liquidationState(trader.address, "WETH", "WETH", true)).toEqual([0n, fees]);

    await setPrice(d, "WETH", answer(2400n)); // loss 15000 * 600 / 3000 = 3000 > 2970 collateral
    expect(await liquidationState(trader.address, "WETH", "WETH", true)).toEqual([1n, fees]);
    await expect(
      vaultRead("validateLiquidation", [trader.address, token("WETH"), token("WETH"), true, true]),
    ).rejects.toThrow(/losses exceed collateral/);

    const deployer = anvilAccount(0);
    const before = await balanceOf("WETH", deployer.address);
    const receipt = await vaultSend(deployer, "liquidatePosition", [trader.address, token("WETH"), token("WETH"), true, deployer.address]);
    expect(eventNames(receipt)).toEqual(["CollectMarginFees", "LiquidatePosition"]);
    expect(eventArgs(receipt, "LiquidatePosition")).toMatchObject({
      account: trader.address,
      isLong: true,
      size: usd(15_000n),
      collateral: usd(2_970n),
      reserveAmount: 5n * 10n ** 18n,
      realisedPnl: usd(1_500n),
      markPrice: usd(2_400n),
    });
    expect((await getPosition(trader.address, "WETH", "WETH", true))[0]).toBe(0n);
    // liquidator gets liquidationFeeUsd ($5) in collateral tokens
    expect((await balanceOf("WETH", deployer.address)) - before).toBe((usd(5n) * 10n ** 18n) / usd(2_400n));
  });

  it("is state 2 when only the max-leverage rule trips, and closes the position for its owner", async () => {
    const trader = anvilAccount(4);
    await setPrice(d, "WBTC", answer(60_000n));
    await depositCollateral(trader, "WBTC", 5n * 10n ** 6n); // 0.05 WBTC = $3000
    await vaultSend(trader, "increasePosition", [trader.address, token("WBTC"), token("WBTC"), usd(60_000n), true]);
    // collateral 2940 after the $60 fee; at 57400 the loss is 2600, leaving 340:
    // above fees + liquidation fee (65) but below size / 100x (600)
    await setPrice(d, "WBTC", answer(57_400n));
    expect(await liquidationState(trader.address, "WBTC", "WBTC", true)).toEqual([2n, usd(60n)]);
    await expect(
      vaultRead("validateLiquidation", [trader.address, token("WBTC"), token("WBTC"), true, true]),
    ).rejects.toThrow(/maxLeverage exceeded/);

    const before = await balanceOf("WBTC", trader.address);
    const receipt = await vaultSend(anvilAccount(0), "liquidatePosition", [
      trader.address, token("WBTC"), token("WBTC"), true, d.deployer,
    ]);
    expect(eventNames(receipt)).toEqual(["CollectMarginFees", "UpdatePnl", "DecreasePosition", "ClosePosition"]);
    expect(eventArgs(receipt, "DecreasePosition")).toMatchObject({
      collateralDelta: 0n,
      sizeDelta: usd(60_000n),
      price: usd(57_400n),
      fee: usd(60n),
    });
    // ClosePosition reports the position after _reduceCollateral zeroed collateral and reserve
    expect(eventArgs(receipt, "ClosePosition")).toMatchObject({
      size: usd(60_000n),
      collateral: 0n,
      averagePrice: usd(60_000n),
      reserveAmount: 0n,
      realisedPnl: -usd(2_600n),
    });
    // owner receives (340 - 60) USD at $57400
    expect((await balanceOf("WBTC", trader.address)) - before).toBe((usd(280n) * 10n ** 8n) / usd(57_400n));
  });
});

// ---------------------------------------------------------------- feeds

describe("price feeds", () => {
  it("Chainlink mock emits AnswerUpdated, including round 1 from the constructor", async () => {
    const events = await chainClients(d.rpcUrl).publicClient.getContractEvents({
      address: d.tokens.USDC.feed,
      abi: abis.aggregator,
      eventName: "AnswerUpdated",
      fromBlock: BigInt(d.startBlock),
    });
    expect(events[0]).toMatchObject({ args: { current: answer(1n), roundId: 1n } });
  });

  it("OCR mock emits only NewTransmission, and the vault prices LINK from it", async () => {
    const receipt = await setPrice(d, "LINK", answer(16n));
    expect(receipt.logs).toHaveLength(1);
    const [log] = parseEventLogs({ abi: abis.ocrAggregator, logs: receipt.logs });
    expect(log).toMatchObject({
      eventName: "NewTransmission",
      address: d.tokens.LINK.feed.toLowerCase(),
      args: {
        aggregatorRoundId: 1,
        answer: answer(16n),
        transmitter: d.deployer,
        observations: [answer(16n)],
        observers: "0x00",
        rawReportContext: zeroHash,
      },
    });
    expect(await vaultRead<bigint>("getMaxPrice", [token("LINK")])).toBe(usd(16n));
  });
});

// ---------------------------------------------------------------- simulator

describe("simulate", () => {
  it("runs a deterministic scenario with both liquidation kinds and leaves positions open", async () => {
    const run = async () => {
      const deployment = await deployFixtures(anvil.rpcUrl);
      return { deployment, summary: await simulate(deployment, { wallets: 8, steps: 60, seed: 1 }) };
    };
    const { deployment, summary } = await run();

    expect(summary.wallets).toHaveLength(8);
    expect(summary.counts.liquidationState1).toBeGreaterThan(0);
    expect(summary.counts.liquidationState2).toBeGreaterThan(0);
    expect(summary.staged).toEqual({ state1: false, state2: false }); // seed 1 gets both from the random walk
    expect(summary.counts.open).toBeGreaterThan(0);
    expect(summary.counts.decrease).toBeGreaterThan(0);
    expect(summary.counts.close).toBeGreaterThan(0);
    expect(summary.openPositions.length).toBeGreaterThanOrEqual(4);

    // the summary matches what the chain saw
    const events = await chainClients(anvil.rpcUrl).publicClient.getContractEvents({
      address: deployment.vault,
      abi: abis.vault,
      fromBlock: BigInt(summary.fromBlock),
      toBlock: BigInt(summary.toBlock),
    });
    const count = (name: string) => events.filter((e) => e.eventName === name).length;
    expect(count("LiquidatePosition")).toBe(summary.counts.liquidationState1);
    expect(count("ClosePosition")).toBe(summary.counts.close + summary.counts.liquidationState2);
    for (const p of summary.openPositions) {
      const [size] = await read<PositionTuple>(anvil.rpcUrl, {
        address: deployment.vault,
        abi: abis.vault,
        functionName: "getPosition",
        args: [p.account, p.collateralToken, p.indexToken, p.isLong],
      });
      expect(size).toBeGreaterThan(0n);
    }

    // same seed, fresh deployment: same story
    const { summary: again } = await run();
    expect(again.counts).toEqual(summary.counts);
    expect(again.prices).toEqual(summary.prices);
    expect(again.openPositions.map((p) => [p.account, p.indexSymbol, p.isLong])).toEqual(
      summary.openPositions.map((p) => [p.account, p.indexSymbol, p.isLong]),
    );
  });
});
