import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestClient,
  http,
  maxUint256,
  parseAbi,
  parseEventLogs,
  parseUnits,
  toEventSelector,
  zeroAddress,
  type Abi,
  type AbiEvent,
  type Address,
  type Log,
  type TransactionReceipt,
} from "viem";
import type { HDAccount } from "viem/accounts";
import { startAnvil, type AnvilHandle } from "./anvil.js";
import { anvilAccount, chainClients, fixtureChain, read, send } from "./clients.js";
import { deployFixtures, setPrice, type Deployment } from "./deploy.js";
import {
  deployAaveFixture,
  fixtureAaveAbis,
  fundGas,
  AAVE_LP_ACCOUNT_INDEX,
  type AaveAbis,
  type AaveDeployment,
  type AaveSymbol,
} from "./aave-deploy.js";
import { simulateAave } from "./aave-simulate.js";
import { AaveV3PoolAbi } from "../../abis/AaveV3Pool";
import { compoundedInterest, linearInterest, percentMul, rayDiv, rayMul, wadDiv } from "../../src/protocols/aave-v3/math";

// ---------------------------------------------------------------- Aave v3 IPool events, written out by hand

// The IPool signatures live in abis/AaveV3Pool.ts; the fixture must emit exactly those.
// The fixture has no stable debt and no treasury: the real market (test/unit/aave-v3-abi.test.ts) covers those events.
const NOT_IN_FIXTURE = ["SwapBorrowRateMode", "RebalanceStableBorrowRate", "MintedToTreasury"];
const IPOOL_EVENTS = AaveV3PoolAbi.filter((item) => item.type === "event" && !NOT_IN_FIXTURE.includes(item.name));

type PoolEvent = { eventName: string; args: Record<string, unknown>; blockNumber: bigint; logIndex: number };

// ---------------------------------------------------------------- Aave math, written independently of the contract

const RAY = 10n ** 27n;
const WAD = 10n ** 18n;
const percentDiv = (v: bigint, bps: bigint) => (v * 10_000n + bps / 2n) / bps;
// Interest as src/protocols/aave-v3/math.ts computes it (that module's unit tests pin it to hand values).
const linearFactor = (rate: bigint, dt: bigint) => linearInterest(rate, 0n, dt);
const compoundedFactor = (rate: bigint, dt: bigint) => compoundedInterest(rate, 0n, dt);

// ---------------------------------------------------------------- chain setup

let anvil: AnvilHandle;
let d: Deployment;
let a: AaveDeployment;
let abis: AaveAbis;

beforeAll(async () => {
  anvil = await startAnvil();
  d = await deployFixtures(anvil.rpcUrl);
  a = await deployAaveFixture(d);
  abis = await fixtureAaveAbis();
}, 60_000);

afterAll(async () => {
  await anvil?.stop();
});

const asset = (s: AaveSymbol) => a.reserves[s].address;
const units = (s: AaveSymbol, v: string) => parseUnits(v, a.reserves[s].decimals);
const answer = (usd: bigint) => usd * 10n ** 8n;
const publicClient = () => chainClients(d.rpcUrl).publicClient;
const testClient = () => createTestClient({ mode: "anvil", chain: fixtureChain(d.rpcUrl), transport: http(d.rpcUrl) });

async function warp(seconds: number) {
  await testClient().increaseTime({ seconds });
  await testClient().mine({ blocks: 1 });
  return publicClient().getBlock();
}

const timestampOf = async (blockNumber: bigint) => (await publicClient().getBlock({ blockNumber })).timestamp;

/** A pool view at a given block (the call runs with that block's timestamp). */
function poolAt<T>(blockNumber: bigint | undefined, functionName: string, args: readonly unknown[] = []): Promise<T> {
  return publicClient().readContract({ address: a.pool, abi: abis.pool, functionName, args, blockNumber } as never) as Promise<T>;
}
const poolRead = <T>(functionName: string, args: readonly unknown[] = []) => poolAt<T>(undefined, functionName, args);

const poolSend = (account: HDAccount, functionName: string, args: readonly unknown[]) =>
  send(d.rpcUrl, account, { address: a.pool, abi: abis.pool, functionName, args });

/** Revert reason of a pool call that must fail (nothing is mined). */
async function poolRevert(account: HDAccount, functionName: string, args: readonly unknown[]): Promise<string> {
  try {
    await publicClient().simulateContract({ address: a.pool, abi: abis.pool, functionName, args, account } as never);
  } catch (error) {
    return String((error as Error).message);
  }
  throw new Error(`${functionName} did not revert`);
}

const tokenBalance = (s: AaveSymbol, owner: Address) =>
  read<bigint>(d.rpcUrl, { address: asset(s), abi: abis.token, functionName: "balanceOf", args: [owner] });

/** Gas, tokens and an unlimited pool allowance for a test account. */
async function fund(index: number, grants: Partial<Record<AaveSymbol, string>>): Promise<HDAccount> {
  const account = anvilAccount(index);
  await fundGas(d.rpcUrl, account.address);
  for (const [symbol, amount] of Object.entries(grants) as [AaveSymbol, string][]) {
    await send(d.rpcUrl, anvilAccount(0), { address: asset(symbol), abi: abis.token, functionName: "mint", args: [account.address, units(symbol, amount)] });
    await send(d.rpcUrl, account, { address: asset(symbol), abi: abis.token, functionName: "approve", args: [a.pool, maxUint256] });
  }
  return account;
}

/** The pool's logs of a receipt, decoded with the hand-written IPool ABI; every pool log must decode. */
function poolEvents(receipt: TransactionReceipt): PoolEvent[] {
  const logs = receipt.logs.filter((l) => l.address.toLowerCase() === a.pool.toLowerCase());
  const decoded = parseEventLogs({ abi: IPOOL_EVENTS, logs }) as unknown as PoolEvent[];
  expect(decoded).toHaveLength(logs.length);
  return decoded;
}
const names = (receipt: TransactionReceipt) => poolEvents(receipt).map((e) => e.eventName);
function reserveDataUpdated(receipt: TransactionReceipt, s: AaveSymbol) {
  const e = poolEvents(receipt).find((x) => x.eventName === "ReserveDataUpdated" && x.args.reserve === asset(s));
  if (!e) throw new Error(`no ReserveDataUpdated for ${s}`);
  return e.args as { liquidityRate: bigint; stableBorrowRate: bigint; variableBorrowRate: bigint; liquidityIndex: bigint; variableBorrowIndex: bigint };
}
const argsOf = (receipt: TransactionReceipt, name: string) => poolEvents(receipt).find((e) => e.eventName === name)!.args;

type ReserveState = readonly [bigint, bigint, bigint, bigint, number];
type AccountTuple = readonly [bigint, bigint, bigint, bigint, bigint, bigint];

const feedAbi = parseAbi(["function latestAnswer() view returns (int256)"]);

/**
 * GenericLogic.calculateUserAccountData + calculateAvailableBorrows, recomputed here from raw state
 * (scaled balances, stored indexes and rates, feed answers) read at stateBlock and accrued to `timestamp`.
 */
async function expectedAccountData(user: Address, stateBlock: bigint, timestamp?: bigint): Promise<AccountTuple> {
  const ts = timestamp ?? (await timestampOf(stateBlock));
  const config = await poolAt<bigint>(stateBlock, "getUserConfiguration", [user]);
  if (config === 0n) return [0n, 0n, 0n, 0n, 0n, maxUint256];
  const list = await poolAt<Address[]>(stateBlock, "getReservesList");
  const category = await poolAt<bigint>(stateBlock, "getUserEMode", [user]);
  const eMode =
    category === 0n ? undefined : await poolAt<{ ltv: number; liquidationThreshold: number }>(stateBlock, "getEModeCategoryData", [Number(category)]);

  let collateral = 0n;
  let debt = 0n;
  let ltvWeighted = 0n;
  let thresholdWeighted = 0n;
  for (const [i, reserve] of list.entries()) {
    const flags = (config >> BigInt(2 * i)) & 3n;
    if (flags === 0n) continue;
    const rc = await poolAt<bigint>(stateBlock, "getConfiguration", [reserve]);
    const ltv = rc & 0xffffn;
    const threshold = (rc >> 16n) & 0xffffn;
    const unit = 10n ** ((rc >> 48n) & 0xffn);
    const inEMode = category !== 0n && ((rc >> 168n) & 0xffn) === category;
    const [liquidityIndex, borrowIndex, liquidityRate, borrowRate, last] = await poolAt<ReserveState>(stateBlock, "getReserveState", [reserve]);
    const dt = ts - BigInt(last);
    const income = dt === 0n ? liquidityIndex : rayMul(linearFactor(liquidityRate, dt), liquidityIndex);
    const debtIndex = dt === 0n ? borrowIndex : rayMul(compoundedFactor(borrowRate, dt), borrowIndex);
    const symbol = (Object.keys(a.reserves) as AaveSymbol[]).find((s) => asset(s) === reserve)!;
    const price = (await publicClient().readContract({
      address: a.reserves[symbol].feed,
      abi: feedAbi,
      functionName: "latestAnswer",
      blockNumber: stateBlock,
    })) as bigint;

    if ((flags & 2n) !== 0n && threshold !== 0n) {
      const scaled = await poolAt<bigint>(stateBlock, "scaledBalanceOf", [reserve, user]);
      const value = (rayMul(scaled, income) * price) / unit;
      collateral += value;
      if (ltv !== 0n) ltvWeighted += value * (inEMode ? BigInt(eMode!.ltv) : ltv);
      thresholdWeighted += value * (inEMode ? BigInt(eMode!.liquidationThreshold) : threshold);
    }
    if ((flags & 1n) !== 0n) {
      const scaled = await poolAt<bigint>(stateBlock, "scaledDebtOf", [reserve, user]);
      debt += (rayMul(scaled, debtIndex) * price) / unit;
    }
  }
  const avgLtv = collateral === 0n ? 0n : ltvWeighted / collateral;
  const avgThreshold = collateral === 0n ? 0n : thresholdWeighted / collateral;
  const healthFactor = debt === 0n ? maxUint256 : wadDiv(percentMul(collateral, avgThreshold), debt);
  const borrowable = percentMul(collateral, avgLtv);
  return [collateral, debt, borrowable > debt ? borrowable - debt : 0n, avgThreshold, avgLtv, healthFactor];
}

// ---------------------------------------------------------------- configuration

describe("FixtureAaveV3Pool configuration", () => {
  it("packs reserve configuration in Aave's ReserveConfigurationMap layout", async () => {
    const field = (word: bigint, start: bigint, bits: bigint) => (word >> start) & ((1n << bits) - 1n);
    const weth = await poolRead<bigint>("getConfiguration", [asset("WETH")]);
    expect({
      ltv: field(weth, 0n, 16n),
      liquidationThreshold: field(weth, 16n, 16n),
      liquidationBonus: field(weth, 32n, 16n),
      decimals: field(weth, 48n, 8n),
      active: field(weth, 56n, 1n),
      frozen: field(weth, 57n, 1n),
      borrowingEnabled: field(weth, 58n, 1n),
      stableBorrowing: field(weth, 59n, 1n),
      paused: field(weth, 60n, 1n),
      reserveFactor: field(weth, 64n, 16n),
      eModeCategory: field(weth, 168n, 8n),
    }).toEqual({
      ltv: 8000n,
      liquidationThreshold: 8250n,
      liquidationBonus: 10500n,
      decimals: 18n,
      active: 1n,
      frozen: 0n,
      borrowingEnabled: 1n,
      stableBorrowing: 0n,
      paused: 0n,
      reserveFactor: 1000n,
      eModeCategory: 1n,
    });
    const expectedWord = (ltv: bigint, lt: bigint, bonus: bigint, decimals: bigint, eMode: bigint) =>
      ltv | (lt << 16n) | (bonus << 32n) | (decimals << 48n) | (1n << 56n) | (1n << 58n) | (1000n << 64n) | (eMode << 168n);
    expect(weth).toBe(expectedWord(8000n, 8250n, 10500n, 18n, 1n));
    expect(await poolRead<bigint>("getConfiguration", [asset("WBTC")])).toBe(expectedWord(7000n, 7500n, 10650n, 8n, 0n));
    expect(await poolRead<bigint>("getConfiguration", [asset("USDC")])).toBe(expectedWord(7700n, 8000n, 10450n, 6n, 0n));

    expect(await poolRead("getEModeCategoryData", [1])).toEqual({
      ltv: 9000,
      liquidationThreshold: 9300,
      liquidationBonus: 10100,
      priceSource: zeroAddress,
      label: "ETH correlated",
    });
    expect(await poolRead<Address[]>("getReservesList")).toEqual([asset("WETH"), asset("WBTC"), asset("USDC")]);
    expect(
      await read<bigint>(d.rpcUrl, { address: a.oracle, abi: abis.oracle, functionName: "getAssetPrice", args: [asset("WBTC")] }),
    ).toBe(answer(60_000n));
  });

  it("declares the exact Aave v3 IPool events", () => {
    for (const event of IPOOL_EVENTS) {
      const ours = (abis.pool as Abi).find((x): x is AbiEvent => x.type === "event" && x.name === event.name);
      expect(ours, event.name).toBeDefined();
      expect(toEventSelector(ours!)).toBe(toEventSelector(event));
      expect(ours!.inputs.map((i) => [i.name, i.type, i.indexed ?? false])).toEqual(
        (event as AbiEvent).inputs.map((i) => [i.name, i.type, i.indexed ?? false]),
      );
    }
  });

  it("seeded each reserve from the LP account, which uses it as collateral", async () => {
    const lp = anvilAccount(AAVE_LP_ACCOUNT_INDEX).address;
    const logs = await publicClient().getLogs({ address: a.pool, fromBlock: BigInt(a.startBlock) });
    const supplies = (parseEventLogs({ abi: IPOOL_EVENTS, logs }) as unknown as PoolEvent[]).filter((e) => e.eventName === "Supply");
    expect(supplies.slice(0, 3).map((e) => e.args)).toEqual([
      { reserve: asset("WETH"), user: lp, onBehalfOf: lp, amount: units("WETH", "300"), referralCode: 0 },
      { reserve: asset("WBTC"), user: lp, onBehalfOf: lp, amount: units("WBTC", "15"), referralCode: 0 },
      { reserve: asset("USDC"), user: lp, onBehalfOf: lp, amount: units("USDC", "1000000"), referralCode: 0 },
    ]);
    // index is still 1 ray: no debt yet, so no supply rate
    expect(await poolRead<bigint>("balanceOf", [asset("USDC"), lp])).toBe(units("USDC", "1000000"));
  });
});

// ---------------------------------------------------------------- interest

describe("interest accrual", () => {
  let alice: HDAccount;
  let bob: HDAccount;

  it("emits ReserveDataUpdated, ReserveUsedAsCollateralEnabled, Supply on a first supply", async () => {
    alice = await fund(30, { WETH: "100" });
    const receipt = await poolSend(alice, "supply", [asset("WETH"), units("WETH", "10"), alice.address, 7]);
    expect(names(receipt)).toEqual(["ReserveDataUpdated", "ReserveUsedAsCollateralEnabled", "Supply"]);
    expect(argsOf(receipt, "ReserveUsedAsCollateralEnabled")).toEqual({ reserve: asset("WETH"), user: alice.address });
    expect(argsOf(receipt, "Supply")).toEqual({
      reserve: asset("WETH"),
      user: alice.address,
      onBehalfOf: alice.address,
      amount: units("WETH", "10"),
      referralCode: 7,
    });
    expect(reserveDataUpdated(receipt, "WETH")).toMatchObject({ liquidityRate: 0n, stableBorrowRate: 0n, liquidityIndex: RAY });
    expect(await poolRead<bigint>("scaledBalanceOf", [asset("WETH"), alice.address])).toBe(units("WETH", "10"));
  });

  it("prices a borrow with the fixture's utilisation curve and emits ReserveDataUpdated, Borrow", async () => {
    bob = await fund(31, { USDC: "500000", WETH: "100" });
    await poolSend(bob, "supply", [asset("USDC"), units("USDC", "300000"), bob.address, 0]);
    const receipt = await poolSend(bob, "borrow", [asset("WETH"), units("WETH", "60"), 2n, 0, bob.address]);
    expect(names(receipt)).toEqual(["ReserveDataUpdated", "Borrow"]);

    // utilisation = debt / (available + debt) with available = 310 - 60 taken
    const usage = rayDiv(units("WETH", "60"), units("WETH", "310"));
    const borrowRate = (5n * RAY) / 100n + rayMul((50n * RAY) / 100n, usage);
    const supplyRate = percentMul(rayMul(borrowRate, usage), 9_000n);
    expect(reserveDataUpdated(receipt, "WETH")).toEqual({
      reserve: asset("WETH"),
      liquidityRate: supplyRate,
      stableBorrowRate: 0n,
      variableBorrowRate: borrowRate,
      liquidityIndex: RAY,
      variableBorrowIndex: RAY,
    });
    expect(argsOf(receipt, "Borrow")).toEqual({
      reserve: asset("WETH"),
      user: bob.address,
      onBehalfOf: bob.address,
      amount: units("WETH", "60"),
      interestRateMode: 2,
      borrowRate,
      referralCode: 0,
    });
    expect(borrowRate).toBeGreaterThan((10n * RAY) / 100n); // ~14.7% APR: visible within hours
  });

  it("grows a supply linearly and a debt with Aave's compounded approximation", async () => {
    const [liquidityIndex, borrowIndex, supplyRate, borrowRate, last] = await poolRead<ReserveState>("getReserveState", [asset("WETH")]);
    const scaledSupply = await poolRead<bigint>("scaledBalanceOf", [asset("WETH"), alice.address]);
    const scaledDebt = await poolRead<bigint>("scaledDebtOf", [asset("WETH"), bob.address]);
    expect(scaledDebt).toBe(rayDiv(units("WETH", "60"), borrowIndex));

    const block = await warp(6 * 3600 + 17);
    const dt = block.timestamp - BigInt(last);
    expect(dt).toBeGreaterThanOrEqual(6n * 3600n);

    const income = rayMul(linearFactor(supplyRate, dt), liquidityIndex);
    const debtIndex = rayMul(compoundedFactor(borrowRate, dt), borrowIndex);
    expect(await poolAt<bigint>(block.number, "getReserveNormalizedIncome", [asset("WETH")])).toBe(income);
    expect(await poolAt<bigint>(block.number, "getReserveNormalizedVariableDebt", [asset("WETH")])).toBe(debtIndex);

    const supplyBalance = await poolAt<bigint>(block.number, "balanceOf", [asset("WETH"), alice.address]);
    const debt = await poolAt<bigint>(block.number, "debtOf", [asset("WETH"), bob.address]);
    expect(supplyBalance).toBe(rayMul(scaledSupply, income));
    expect(debt).toBe(rayMul(scaledDebt, debtIndex));
    expect(supplyBalance).toBeGreaterThan(units("WETH", "10") + units("WETH", "0.0001")); // ~2.6% APR for 6h
    expect(debt).toBeGreaterThan(units("WETH", "60") + units("WETH", "0.005")); // ~14.7% APR for 6h
    // compounding beats simple interest on the borrow side
    expect(debt).toBeGreaterThan(rayMul(scaledDebt, rayMul(linearFactor(borrowRate, dt), borrowIndex)));

    // the next action stores exactly these accrued indexes (updateState), then reprices
    const receipt = await poolSend(alice, "supply", [asset("WETH"), units("WETH", "1"), alice.address, 0]);
    expect(names(receipt)).toEqual(["ReserveDataUpdated", "Supply"]); // not a first supply
    const t = (await timestampOf(receipt.blockNumber)) - BigInt(last);
    const updated = reserveDataUpdated(receipt, "WETH");
    expect(updated.liquidityIndex).toBe(rayMul(linearFactor(supplyRate, t), liquidityIndex));
    expect(updated.variableBorrowIndex).toBe(rayMul(compoundedFactor(borrowRate, t), borrowIndex));
    expect(await poolRead<bigint>("scaledBalanceOf", [asset("WETH"), alice.address])).toBe(
      scaledSupply + rayDiv(units("WETH", "1"), updated.liquidityIndex),
    );
    // in the block of the update the normalized values are the stored indexes
    expect(await poolAt<bigint>(receipt.blockNumber, "getReserveNormalizedIncome", [asset("WETH")])).toBe(updated.liquidityIndex);
  });

  it("repays part then all of a debt (ReserveDataUpdated, Repay) and withdraws everything", async () => {
    const partial = await poolSend(bob, "repay", [asset("WETH"), units("WETH", "20"), 2n, bob.address]);
    expect(names(partial)).toEqual(["ReserveDataUpdated", "Repay"]);
    expect(argsOf(partial, "Repay")).toEqual({
      reserve: asset("WETH"),
      user: bob.address,
      repayer: bob.address,
      amount: units("WETH", "20"),
      useATokens: false,
    });

    await warp(3600);
    const scaled = await poolRead<bigint>("scaledDebtOf", [asset("WETH"), bob.address]);
    const before = await tokenBalance("WETH", bob.address);
    const full = await poolSend(bob, "repay", [asset("WETH"), maxUint256, 2n, bob.address]);
    const repaid = argsOf(full, "Repay").amount as bigint;
    expect(repaid).toBe(rayMul(scaled, reserveDataUpdated(full, "WETH").variableBorrowIndex));
    expect(before - (await tokenBalance("WETH", bob.address))).toBe(repaid);
    expect(await poolRead<bigint>("scaledDebtOf", [asset("WETH"), bob.address])).toBe(0n);
    expect((await poolRead<bigint>("getUserConfiguration", [bob.address])) & 1n).toBe(0n); // WETH (id 0) not borrowed

    const withdrawal = await poolSend(bob, "withdraw", [asset("USDC"), maxUint256, bob.address]);
    expect(names(withdrawal)).toEqual(["ReserveDataUpdated", "ReserveUsedAsCollateralDisabled", "Withdraw"]);
    expect(argsOf(withdrawal, "Withdraw")).toEqual({
      reserve: asset("USDC"),
      user: bob.address,
      to: bob.address,
      amount: units("USDC", "300000"), // no USDC borrowed: no supply rate
    });
    expect(await poolRead<bigint>("getUserConfiguration", [bob.address])).toBe(0n);
    expect(await poolRead<AccountTuple>("getUserAccountData", [bob.address])).toEqual([0n, 0n, 0n, 0n, 0n, maxUint256]);
  });
});

// ---------------------------------------------------------------- account data

describe("getUserAccountData", () => {
  it("matches GenericLogic for two collaterals and one debt", async () => {
    const carol = await fund(32, { WETH: "10", WBTC: "1", USDC: "1000" });
    await poolSend(carol, "supply", [asset("WETH"), units("WETH", "5"), carol.address, 0]);
    await poolSend(carol, "supply", [asset("WBTC"), units("WBTC", "0.2"), carol.address, 0]);
    await poolSend(carol, "borrow", [asset("USDC"), units("USDC", "10000"), 2n, 0, carol.address]);
    const block = await warp(3 * 3600 + 5);

    const actual = await poolAt<AccountTuple>(block.number, "getUserAccountData", [carol.address]);
    expect(actual).toEqual(await expectedAccountData(carol.address, block.number));

    const [collateral, debt, available, threshold, ltv, healthFactor] = actual;
    const value = async (s: AaveSymbol, price: bigint) =>
      ((await poolAt<bigint>(block.number, "balanceOf", [asset(s), carol.address])) * answer(price)) / 10n ** BigInt(a.reserves[s].decimals);
    const weth = await value("WETH", 3000n);
    const wbtc = await value("WBTC", 60_000n);
    expect(collateral).toBe(weth + wbtc);
    expect(threshold).toBe((weth * 8250n + wbtc * 7500n) / collateral);
    expect(ltv).toBe((weth * 8000n + wbtc * 7000n) / collateral);
    expect(healthFactor).toBe(wadDiv(percentMul(collateral, threshold), debt));
    expect(available).toBe(percentMul(collateral, ltv) - debt);
    // ~$15000 of WETH + $12000 of WBTC against ~$10000 (plus 3 hours of interest)
    expect(Number(collateral) / 1e8).toBeCloseTo(27_000, 0);
    expect(debt).toBeGreaterThan(answer(10_000n));
    expect(debt).toBeLessThan(answer(10_010n));
    expect([threshold, ltv]).toEqual([7916n, 7555n]);
    expect(Number(healthFactor) / 1e18).toBeCloseTo((27_000 * 0.7916) / 10_000, 2);
  });

  it("refuses withdrawals and collateral switches that would put the health factor under 1", async () => {
    const carol = anvilAccount(32);
    // without the WETH the WBTC alone covers $9000 of a $10000 debt
    expect(await poolRevert(carol, "withdraw", [asset("WETH"), maxUint256, carol.address])).toMatch(/reason:\s*35/);
    expect(await poolRevert(carol, "setUserUseReserveAsCollateral", [asset("WETH"), false])).toMatch(/reason:\s*35/);
    // a borrow beyond the LTV limit
    const [, , available] = await poolRead<AccountTuple>("getUserAccountData", [carol.address]);
    const tooMuch = ((available + answer(10n)) * 10n ** 6n) / answer(1n);
    expect(await poolRevert(carol, "borrow", [asset("USDC"), tooMuch, 2n, 0, carol.address])).toMatch(/reason:\s*36/);

    const receipt = await poolSend(carol, "withdraw", [asset("WETH"), units("WETH", "1"), carol.address]);
    expect(names(receipt)).toEqual(["ReserveDataUpdated", "Withdraw"]);
    expect(await poolRead<AccountTuple>("getUserAccountData", [carol.address])).toEqual(
      await expectedAccountData(carol.address, receipt.blockNumber),
    );
  });

  it("switches a collateral off and on with one event each, and ignores a no-op switch", async () => {
    const carol = anvilAccount(32);
    await poolSend(carol, "supply", [asset("USDC"), units("USDC", "500"), carol.address, 0]);
    const off = await poolSend(carol, "setUserUseReserveAsCollateral", [asset("USDC"), false]);
    expect(poolEvents(off).map((e) => [e.eventName, e.args])).toEqual([
      ["ReserveUsedAsCollateralDisabled", { reserve: asset("USDC"), user: carol.address }],
    ]);
    const [collateralOff] = await poolRead<AccountTuple>("getUserAccountData", [carol.address]);
    const on = await poolSend(carol, "setUserUseReserveAsCollateral", [asset("USDC"), true]);
    expect(poolEvents(on).map((e) => [e.eventName, e.args])).toEqual([
      ["ReserveUsedAsCollateralEnabled", { reserve: asset("USDC"), user: carol.address }],
    ]);
    const withUsdc = await poolAt<AccountTuple>(on.blockNumber, "getUserAccountData", [carol.address]);
    expect(withUsdc).toEqual(await expectedAccountData(carol.address, on.blockNumber));
    expect(Number(withUsdc[0] - collateralOff) / 1e8).toBeCloseTo(500, 0);
    expect(poolEvents(await poolSend(carol, "setUserUseReserveAsCollateral", [asset("USDC"), true]))).toEqual([]);
  });

  it("uses the e-mode LTV and liquidation threshold for assets of the user's category", async () => {
    const dave = await fund(33, { WETH: "20", USDC: "20000" });
    await poolSend(dave, "supply", [asset("WETH"), units("WETH", "10"), dave.address, 0]);
    await poolSend(dave, "supply", [asset("USDC"), units("USDC", "10000"), dave.address, 0]);
    const borrow = await poolSend(dave, "borrow", [asset("WETH"), units("WETH", "5"), 2n, 0, dave.address]);
    const outside = await poolAt<AccountTuple>(borrow.blockNumber, "getUserAccountData", [dave.address]);
    expect(outside).toEqual(await expectedAccountData(dave.address, borrow.blockNumber));

    const receipt = await poolSend(dave, "setUserEMode", [1]);
    expect(poolEvents(receipt).map((e) => [e.eventName, e.args])).toEqual([["UserEModeSet", { user: dave.address, categoryId: 1 }]]);
    expect(await poolRead<bigint>("getUserEMode", [dave.address])).toBe(1n);
    const inside = await poolAt<AccountTuple>(receipt.blockNumber, "getUserAccountData", [dave.address]);
    expect(inside).toEqual(await expectedAccountData(dave.address, receipt.blockNumber));

    // WETH (about 3/4 of the collateral) moves from 8250/8000 to 9300/9000; USDC keeps 8000/7700
    const [collateral, , , threshold, ltv, hf] = inside;
    const wethValue = ((await poolAt<bigint>(receipt.blockNumber, "balanceOf", [asset("WETH"), dave.address])) * answer(3000n)) / WAD;
    const usdcValue = collateral - wethValue;
    expect(usdcValue).toBe((await poolAt<bigint>(receipt.blockNumber, "balanceOf", [asset("USDC"), dave.address])) * 100n);
    expect(threshold).toBe((wethValue * 9300n + usdcValue * 8000n) / collateral);
    expect(ltv).toBe((wethValue * 9000n + usdcValue * 7700n) / collateral);
    expect(threshold).toBeGreaterThan(outside[3]);
    expect(hf).toBeGreaterThan(outside[5]);

    // in category 1 only category-1 assets can be borrowed; a USDC borrower cannot join
    expect(await poolRevert(dave, "borrow", [asset("USDC"), units("USDC", "100"), 2n, 0, dave.address])).toMatch(/reason:\s*58/);
    expect(await poolRevert(anvilAccount(32), "setUserEMode", [1])).toMatch(/reason:\s*58/);
  });
});

// ---------------------------------------------------------------- liquidation

describe("liquidationCall", () => {
  it("reverts while the health factor is >= 1, then liquidates half the debt with the bonus", async () => {
    const frank = await fund(35, { WETH: "10" });
    const liquidator = await fund(36, { USDC: "100000" });
    await poolSend(frank, "supply", [asset("WETH"), units("WETH", "10"), frank.address, 0]);
    const [, , available] = await poolRead<AccountTuple>("getUserAccountData", [frank.address]);
    await poolSend(frank, "borrow", [asset("USDC"), (available * 95n * 10n ** 6n) / 100n / answer(1n), 2n, 0, frank.address]);

    const args = [asset("WETH"), asset("USDC"), frank.address, maxUint256, false] as const;
    expect((await poolRead<AccountTuple>("getUserAccountData", [frank.address]))[5]).toBeGreaterThan(WAD);
    expect(await poolRevert(liquidator, "liquidationCall", args)).toMatch(/reason:\s*45/);

    await setPrice(d, "WETH", answer(2700n));
    const hf = (await poolRead<AccountTuple>("getUserAccountData", [frank.address]))[5];
    expect(hf).toBeLessThan(WAD);
    expect(hf).toBeGreaterThan((95n * WAD) / 100n); // close factor stays 50%

    const pre = await publicClient().getBlockNumber();
    const [scaledDebt, scaledCollateral] = [
      await poolRead<bigint>("scaledDebtOf", [asset("USDC"), frank.address]),
      await poolRead<bigint>("scaledBalanceOf", [asset("WETH"), frank.address]),
    ];
    const [usdcBefore, wethBefore] = [await tokenBalance("USDC", liquidator.address), await tokenBalance("WETH", liquidator.address)];
    const receipt = await poolSend(liquidator, "liquidationCall", args);
    const ts = await timestampOf(receipt.blockNumber);

    // expected amounts from the pre-state accrued to the liquidation's timestamp
    const [, usdcBorrowIndex, , usdcBorrowRate, usdcLast] = await poolAt<ReserveState>(pre, "getReserveState", [asset("USDC")]);
    const debtIndex = rayMul(compoundedFactor(usdcBorrowRate, ts - BigInt(usdcLast)), usdcBorrowIndex);
    const userDebt = rayMul(scaledDebt, debtIndex);
    const debtToCover = percentMul(userDebt, 5_000n);
    const collateralAmount = percentMul((answer(1n) * debtToCover * 10n ** 18n) / (answer(2700n) * 10n ** 6n), 10_500n);
    // the health factor the liquidation saw (debt index accrued in-tx) is in the 50% close-factor band
    const seen = (await expectedAccountData(frank.address, pre, ts))[5];
    expect(seen).toBeLessThan(WAD);
    expect(seen).toBeGreaterThan((95n * WAD) / 100n);

    expect(names(receipt)).toEqual(["ReserveDataUpdated", "ReserveDataUpdated", "LiquidationCall"]);
    const [debtUpdate, collateralUpdate] = poolEvents(receipt);
    expect(debtUpdate!.args.reserve).toBe(asset("USDC"));
    expect(debtUpdate!.args.variableBorrowIndex).toBe(debtIndex);
    expect(collateralUpdate!.args.reserve).toBe(asset("WETH"));
    expect(argsOf(receipt, "LiquidationCall")).toEqual({
      collateralAsset: asset("WETH"),
      debtAsset: asset("USDC"),
      user: frank.address,
      debtToCover,
      liquidatedCollateralAmount: collateralAmount,
      liquidator: liquidator.address,
      receiveAToken: false,
    });
    // about 5% more collateral value than debt repaid
    const ratio = Number((collateralAmount * 2700n * 10n ** 6n) / 10n ** 18n) / Number(debtToCover);
    expect(ratio).toBeCloseTo(1.05, 4);

    expect(usdcBefore - (await tokenBalance("USDC", liquidator.address))).toBe(debtToCover);
    expect((await tokenBalance("WETH", liquidator.address)) - wethBefore).toBe(collateralAmount);
    expect(await poolRead<bigint>("scaledDebtOf", [asset("USDC"), frank.address])).toBe(scaledDebt - rayDiv(debtToCover, debtIndex));
    expect(await poolRead<bigint>("scaledBalanceOf", [asset("WETH"), frank.address])).toBe(
      scaledCollateral - rayDiv(collateralAmount, collateralUpdate!.args.liquidityIndex as bigint),
    );
    expect((await poolRead<AccountTuple>("getUserAccountData", [frank.address]))[5]).toBeGreaterThan(hf);
  });

  it("takes all the collateral below HF 0.95, passing aTokens to the liquidator (receiveAToken)", async () => {
    const grace = await fund(37, { WETH: "1" });
    const liquidator = await fund(38, { USDC: "100000" });
    await poolSend(grace, "supply", [asset("WETH"), units("WETH", "1"), grace.address, 0]);
    const [, , available] = await poolRead<AccountTuple>("getUserAccountData", [grace.address]);
    await poolSend(grace, "borrow", [asset("USDC"), (available * 95n * 10n ** 6n) / 100n / answer(1n), 2n, 0, grace.address]);

    await setPrice(d, "WETH", answer(1800n));
    const hf = (await poolRead<AccountTuple>("getUserAccountData", [grace.address]))[5];
    expect(hf).toBeLessThan((95n * WAD) / 100n); // close factor 100%

    const pre = await publicClient().getBlockNumber();
    const scaledCollateral = await poolRead<bigint>("scaledBalanceOf", [asset("WETH"), grace.address]);
    const receipt = await poolSend(liquidator, "liquidationCall", [asset("WETH"), asset("USDC"), grace.address, maxUint256, true]);
    const ts = await timestampOf(receipt.blockNumber);

    const [wethIndex, , wethRate, , wethLast] = await poolAt<ReserveState>(pre, "getReserveState", [asset("WETH")]);
    const income = rayMul(linearFactor(wethRate, ts - BigInt(wethLast)), wethIndex);
    const userCollateral = rayMul(scaledCollateral, income);
    // the whole balance is worth less than debt * bonus, so debt is cut to what it buys
    const debtNeeded = percentDiv((answer(1800n) * userCollateral * 10n ** 6n) / (answer(1n) * 10n ** 18n), 10_500n);

    expect(names(receipt)).toEqual([
      "ReserveUsedAsCollateralDisabled",
      "ReserveDataUpdated",
      "ReserveUsedAsCollateralEnabled",
      "LiquidationCall",
    ]);
    const events = poolEvents(receipt);
    expect(events[0]!.args).toEqual({ reserve: asset("WETH"), user: grace.address });
    expect(events[1]!.args.reserve).toBe(asset("USDC"));
    expect(events[2]!.args).toEqual({ reserve: asset("WETH"), user: liquidator.address });
    expect(events[3]!.args).toEqual({
      collateralAsset: asset("WETH"),
      debtAsset: asset("USDC"),
      user: grace.address,
      debtToCover: debtNeeded,
      liquidatedCollateralAmount: userCollateral,
      liquidator: liquidator.address,
      receiveAToken: true,
    });
    expect(await poolRead<bigint>("scaledBalanceOf", [asset("WETH"), grace.address])).toBe(0n);
    expect(await poolRead<bigint>("scaledBalanceOf", [asset("WETH"), liquidator.address])).toBe(rayDiv(userCollateral, income));
    // bad debt stays: no collateral, some debt, health factor 0
    const [collateral, debt, , , , after] = await poolRead<AccountTuple>("getUserAccountData", [grace.address]);
    expect([collateral, after]).toEqual([0n, 0n]);
    expect(debt).toBeGreaterThan(0n);

    await setPrice(d, "WETH", answer(3000n));
  });
});

// ---------------------------------------------------------------- simulator

/** Scaled balances rebuilt from pool events alone, as an indexer would. */
async function replayScaledBalances(toBlock: bigint) {
  const logs = await publicClient().getLogs({ address: a.pool, fromBlock: BigInt(a.startBlock), toBlock });
  const events = parseEventLogs({ abi: IPOOL_EVENTS, logs }) as unknown as (PoolEvent & Log)[];
  const supply = new Map<string, bigint>();
  const debt = new Map<string, bigint>();
  const collateralOn = new Map<string, boolean>();
  const add = (m: Map<string, bigint>, reserve: unknown, user: unknown, v: bigint) => {
    const key = `${reserve}|${user}`;
    m.set(key, (m.get(key) ?? 0n) + v);
  };
  type Update = { liquidityRate: bigint; liquidityIndex: bigint; variableBorrowIndex: bigint; blockNumber: bigint };
  const last = new Map<unknown, Update>();
  for (const e of events) {
    const x = e.args;
    switch (e.eventName) {
      case "ReserveDataUpdated":
        last.set(x.reserve, { ...(x as Omit<Update, "blockNumber">), blockNumber: e.blockNumber });
        break;
      case "Supply":
        add(supply, x.reserve, x.onBehalfOf, rayDiv(x.amount as bigint, last.get(x.reserve)!.liquidityIndex));
        break;
      case "Withdraw":
        add(supply, x.reserve, x.user, -rayDiv(x.amount as bigint, last.get(x.reserve)!.liquidityIndex));
        break;
      case "Borrow":
        add(debt, x.reserve, x.onBehalfOf, rayDiv(x.amount as bigint, last.get(x.reserve)!.variableBorrowIndex));
        break;
      case "Repay":
        add(debt, x.reserve, x.user, -rayDiv(x.amount as bigint, last.get(x.reserve)!.variableBorrowIndex));
        break;
      case "LiquidationCall": {
        add(debt, x.debtAsset, x.user, -rayDiv(x.debtToCover as bigint, last.get(x.debtAsset)!.variableBorrowIndex));
        const c = last.get(x.collateralAsset)!;
        let index = c.liquidityIndex;
        if (x.receiveAToken) {
          // collateral reserve not updated in this path: aTokens move at its normalized income
          const dt = (await timestampOf(e.blockNumber)) - (await timestampOf(c.blockNumber));
          index = rayMul(linearFactor(c.liquidityRate, dt), c.liquidityIndex);
          add(supply, x.collateralAsset, x.liquidator, rayDiv(x.liquidatedCollateralAmount as bigint, index));
        }
        add(supply, x.collateralAsset, x.user, -rayDiv(x.liquidatedCollateralAmount as bigint, index));
        break;
      }
      case "ReserveUsedAsCollateralEnabled":
        collateralOn.set(`${x.reserve}|${x.user}`, true);
        break;
      case "ReserveUsedAsCollateralDisabled":
        collateralOn.set(`${x.reserve}|${x.user}`, false);
        break;
    }
  }
  return { supply, debt, collateralOn, events };
}

describe("simulateAave", () => {
  it("runs a deterministic scenario with a liquidation and leaves open positions the events fully explain", async () => {
    const feedAnswer = (s: AaveSymbol) => read<bigint>(d.rpcUrl, { address: a.reserves[s].feed, abi: feedAbi, functionName: "latestAnswer" });
    const startPrices = [await feedAnswer("WETH"), await feedAnswer("WBTC")];

    const summary = await simulateAave(d, a, { wallets: 5, steps: 45, seed: 11 });
    expect(summary.wallets).toHaveLength(5);
    expect(summary.wallets[0]).toBe(anvilAccount(21).address);
    for (const key of ["supply", "borrow", "repay", "withdraw", "timeWarp", "priceMove", "eMode"]) {
      expect(summary.counts[key], key).toBeGreaterThan(0);
    }
    expect(summary.counts.liquidation).toBeGreaterThanOrEqual(1);
    expect([await feedAnswer("WETH"), await feedAnswer("WBTC")]).toEqual(startPrices);

    const toBlock = BigInt(summary.toBlock);
    const { supply, debt, collateralOn, events } = await replayScaledBalances(toBlock);
    const inRun = events.filter((e) => e.blockNumber >= BigInt(summary.fromBlock));
    expect(inRun.filter((e) => e.eventName === "LiquidationCall")).toHaveLength(summary.counts.liquidation!);
    expect(inRun.filter((e) => e.eventName === "Borrow")).toHaveLength(summary.counts.borrow!);

    // every position the events describe matches the pool's scaled balances to the unit
    const list = await poolAt<Address[]>(toBlock, "getReservesList");
    for (const [key, scaled] of supply) {
      const [reserve, user] = key.split("|");
      expect(await poolAt<bigint>(toBlock, "scaledBalanceOf", [reserve, user]), `supply ${key}`).toBe(scaled);
    }
    for (const [key, scaled] of debt) {
      const [reserve, user] = key.split("|");
      expect(await poolAt<bigint>(toBlock, "scaledDebtOf", [reserve, user]), `debt ${key}`).toBe(scaled);
    }
    for (const [key, on] of collateralOn) {
      const [reserve, user] = key.split("|") as [Address, Address];
      const config = await poolAt<bigint>(toBlock, "getUserConfiguration", [user]);
      expect(((config >> BigInt(2 * list.indexOf(reserve) + 1)) & 1n) === 1n, `collateral ${key}`).toBe(on);
    }

    // account data of every wallet, recomputed from raw state
    let open = 0;
    for (const wallet of summary.wallets) {
      const actual = await poolAt<AccountTuple>(toBlock, "getUserAccountData", [wallet]);
      expect(actual, wallet).toEqual(await expectedAccountData(wallet, toBlock));
      if (actual[0] > 0n && actual[1] > 0n) open++;
      expect(actual[5]).toBeGreaterThanOrEqual(WAD); // prices restored: nobody left under water
    }
    expect(open).toBeGreaterThanOrEqual(3);
    expect([0n, 1n]).toContain(await poolAt<bigint>(toBlock, "getUserEMode", [summary.wallets[0]]));
  });
});
