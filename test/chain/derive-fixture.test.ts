import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decodeEventLog,
  pad,
  parseAbi,
  toEventSelector,
  toHex,
  zeroAddress,
  type AbiEvent,
  type Address,
  type Hex,
  type Log,
  type TransactionReceipt,
} from "viem";
import { startAnvil, type AnvilHandle } from "./anvil.js";
import { anvilAccount, chainClients, read, send } from "./clients.js";
import { deployFixtures, type Deployment } from "./deploy.js";
import { deployDeriveFixture, DERIVE_MARKETS, fromSubId, toSubId, type DeriveDeployment } from "./derive-deploy.js";
import { DeriveKeeper, simulateDerive, type DeriveHolding, type DeriveSimulationSummary } from "./derive-simulate.js";

const WAD = 10n ** 18n;
const MAX_EXPIRY = 2n ** 32n - 1n;
const MAX_STRIKE = (2n ** 63n - 1n) * 10n ** 10n;

// Written from Derive's declarations, independently of the fixture's compiled ABI.
const EVENTS = parseAbi([
  "event Transfer(address indexed from, address indexed to, uint256 indexed tokenId)",
  "event BalanceAdjusted(uint indexed accountId, address indexed manager, bytes32 indexed assetAndSubId, int amount, int preBalance, int postBalance, uint tradeId)",
]);
const [TRANSFER, BALANCE_ADJUSTED] = EVENTS;

type Adjusted = { accountId: bigint; manager: Address; assetAndSubId: Hex; amount: bigint; preBalance: bigint; postBalance: bigint; tradeId: bigint };

let anvil: AnvilHandle;
let d: Deployment;
let x: DeriveDeployment;
let k: DeriveKeeper;

beforeAll(async () => {
  anvil = await startAnvil();
  d = await deployFixtures(anvil.rpcUrl);
  x = await deployDeriveFixture(d);
  k = await DeriveKeeper.create(d, x);
}, 60_000);

afterAll(async () => {
  await anvil?.stop();
});

const ofSubAccounts = (receipt: TransactionReceipt) => receipt.logs.filter((l) => l.address.toLowerCase() === x.subAccounts.toLowerCase());

const decodeAdjusted = (log: Log): Adjusted => {
  const decoded = decodeEventLog({ abi: EVENTS, eventName: "BalanceAdjusted", data: log.data, topics: log.topics });
  return decoded.args as Adjusted;
};

const adjusted = (receipt: TransactionReceipt) => ofSubAccounts(receipt).map(decodeAdjusted);

async function adjustedSince(fromBlock: number): Promise<Adjusted[]> {
  const logs = await chainClients(d.rpcUrl).publicClient.getLogs({ address: x.subAccounts, event: BALANCE_ADJUSTED, fromBlock: BigInt(fromBlock) });
  return logs.map(decodeAdjusted);
}

/** The asset's 20 bytes followed by the subId's 12, i.e. uint160(asset) << 96 | subId. */
const packed = (asset: Address, subId: bigint): Hex => `0x${asset.slice(2).toLowerCase()}${subId.toString(16).padStart(24, "0")}`;
const addressTopic = (a: Address) => pad(a.toLowerCase() as Hex, { size: 32 });
const latestTimestamp = async () => (await chainClients(d.rpcUrl).publicClient.getBlock()).timestamp;
const wallet = (i: number) => anvilAccount(i).address;

// ---------------------------------------------------------------- deployment and encoding

describe("Derive fixture deployment", () => {
  it("declares Derive's SubAccounts events with their exact topics", () => {
    expect(toEventSelector(BALANCE_ADJUSTED)).toBe("0x503ec09c1b4597d114eca849f7013c8c457988802d1dc5da49a0c461b5f88658");
    expect(toEventSelector(TRANSFER)).toBe("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
    const compiled = k.abis.subAccounts.filter((item): item is AbiEvent => item.type === "event");
    expect(compiled.map((e) => toEventSelector(e)).sort()).toEqual(EVENTS.map((e) => toEventSelector(e)).sort());
    const transfer = compiled.find((e) => e.name === "Transfer")!;
    expect(transfer.inputs.map((i) => i.indexed)).toEqual([true, true, true]);
  });

  it("deploys an option and a perp asset per underlying and a cash asset on USDC", async () => {
    const underlyingOf = (address: Address, abi: typeof k.abis.option) => read<Address>(d.rpcUrl, { address, abi, functionName: "underlying" });
    expect(x.underlying).toEqual({ ETH: d.tokens.WETH.address, BTC: d.tokens.WBTC.address });
    for (const market of DERIVE_MARKETS) {
      expect(await underlyingOf(x.options[market], k.abis.option)).toBe(x.underlying[market]);
      expect(await underlyingOf(x.perps[market], k.abis.perp)).toBe(x.underlying[market]);
    }
    expect(await underlyingOf(x.cash, k.abis.cash)).toBe(d.tokens.USDC.address);
    expect(x.cashToken).toBe(d.tokens.USDC.address);
    expect(new Set([x.subAccounts, ...Object.values(x.options), ...Object.values(x.perps), x.cash]).size).toBe(6);
    expect(await k.read("manager", [])).toBe(x.manager);
    expect(x.startBlock).toBeGreaterThan(d.startBlock);
  });

  it("encodes option subIds as Derive's OptionEncoding, in TypeScript and on chain alike", async () => {
    expect(toSubId(0n, 0n, false)).toBe(0n);
    expect(toSubId(0n, 0n, true)).toBe(2n ** 95n);
    expect(toSubId(MAX_EXPIRY, MAX_STRIKE, true)).toBe(2n ** 96n - 1n);
    expect(toSubId(1_767_254_400n, 3_000n * WAD, false)).toBe(1_767_254_400n | (300_000_000_000n << 32n));

    const option = (functionName: string, args: readonly unknown[]) => read<unknown>(d.rpcUrl, { address: x.options.ETH, abi: k.abis.option, functionName, args });
    const cases: [bigint, bigint, boolean][] = [
      [0n, 0n, false],
      [0n, 0n, true],
      [1n, 10n ** 10n, false],
      [1_767_254_400n, 3_000n * WAD, true],
      [1_767_254_400n, 3_000n * WAD, false],
      [1_774_944_000n, 65_432n * WAD + 12_345_678n * 10n ** 10n, true],
      [MAX_EXPIRY, 0n, false],
      [0n, MAX_STRIKE, false],
      [MAX_EXPIRY, MAX_STRIKE, true],
    ];
    for (const [expiry, strike, isCall] of cases) {
      const subId = toSubId(expiry, strike, isCall);
      expect(await option("toSubId", [expiry, strike, isCall])).toBe(subId);
      expect(await option("getOptionDetails", [subId])).toEqual([expiry, strike, isCall]);
      expect(fromSubId(subId)).toEqual({ expiry, strike, isCall });
    }

    const invalid: [bigint, bigint, RegExp][] = [
      [MAX_EXPIRY + 1n, 0n, /InvalidExpiry/],
      [0n, 10n ** 10n + 1n, /InvalidStrike/],
      [0n, MAX_STRIKE + 10n ** 10n, /InvalidStrike/],
    ];
    for (const [expiry, strike, error] of invalid) {
      expect(() => toSubId(expiry, strike, true)).toThrow();
      await expect(option("toSubId", [expiry, strike, true])).rejects.toThrow(error);
    }
  });
});

// ---------------------------------------------------------------- SubAccounts

describe("FixtureDeriveSubAccounts", () => {
  let alice: bigint;
  let bob: bigint;

  it("mints subaccounts from id 1 with an ERC-721 Transfer and moves them by owner or keeper only", async () => {
    const receipt = await k.send("createAccount", [wallet(1)]);
    const [mint] = ofSubAccounts(receipt);
    expect(mint!.topics).toEqual([toEventSelector(TRANSFER), addressTopic(zeroAddress), addressTopic(wallet(1)), toHex(1n, { size: 32 })]);
    expect(mint!.data).toBe("0x");
    alice = 1n;
    bob = await k.createAccount(wallet(2));
    expect(bob).toBe(2n);
    expect(await k.ownerOf(bob)).toBe(wallet(2));
    await expect(k.ownerOf(99n)).rejects.toThrow(/UnknownAccount/);

    // by the owner itself
    const call = { address: x.subAccounts, abi: k.abis.subAccounts, functionName: "transferFrom" };
    const moved = await send(d.rpcUrl, anvilAccount(2), { ...call, args: [wallet(2), wallet(3), bob] });
    const transfer = decodeEventLog({ abi: EVENTS, eventName: "Transfer", ...ofSubAccounts(moved)[0]! });
    expect(transfer.args).toEqual({ from: wallet(2), to: wallet(3), tokenId: bob });
    expect(await k.ownerOf(bob)).toBe(wallet(3));
    // by the keeper, back again
    await k.transferAccount(bob, wallet(3), wallet(2));
    expect(await k.ownerOf(bob)).toBe(wallet(2));

    await expect(send(d.rpcUrl, anvilAccount(3), { ...call, args: [wallet(2), wallet(3), bob] })).rejects.toThrow(/Unauthorized/);
    await expect(k.transferAccount(bob, wallet(1), wallet(3))).rejects.toThrow(/NotAccountOwner/);
    await expect(k.transferAccount(bob, wallet(2), zeroAddress)).rejects.toThrow(/InvalidRecipient/);
  });

  it("emits BalanceAdjusted for a deposit with the packed asset and subId and running pre/post balances", async () => {
    const [first] = adjusted(await k.deposit(alice, 1_000n * WAD));
    const [second] = adjusted(await k.deposit(alice, 500n * WAD));
    expect(first).toMatchObject({ accountId: alice, manager: x.manager, assetAndSubId: packed(x.cash, 0n), amount: 1_000n * WAD, preBalance: 0n, postBalance: 1_000n * WAD });
    expect(second).toMatchObject({ amount: 500n * WAD, preBalance: 1_000n * WAD, postBalance: 1_500n * WAD });
    expect(second!.tradeId).toBe(first!.tradeId + 1n);
    expect(await k.balance(alice, x.cash, 0n)).toBe(1_500n * WAD);

    const log = ofSubAccounts(await k.deposit(bob, 100n * WAD))[0]!;
    expect(log.topics).toEqual([toEventSelector(BALANCE_ADJUSTED), toHex(bob, { size: 32 }), addressTopic(x.manager), packed(x.cash, 0n)]);
  });

  it("records an option trade as four BalanceAdjusted events: buyer and seller option, then buyer and seller cash", async () => {
    const expiry = 1_767_254_400n;
    const strike = 3_100n * WAD;
    const subId = toSubId(expiry, strike, true);
    const option = x.options.ETH;
    const events = adjusted(await k.tradeOption(alice, bob, "ETH", expiry, strike, true, 2n * WAD, 300n * WAD));
    expect(events.map((e) => [e.accountId, e.assetAndSubId, e.amount, e.preBalance, e.postBalance])).toEqual([
      [alice, packed(option, subId), 2n * WAD, 0n, 2n * WAD],
      [bob, packed(option, subId), -2n * WAD, 0n, -2n * WAD],
      [alice, packed(x.cash, 0n), -300n * WAD, 1_500n * WAD, 1_200n * WAD],
      [bob, packed(x.cash, 0n), 300n * WAD, 100n * WAD, 400n * WAD],
    ]);
    expect(new Set(events.map((e) => e.tradeId)).size).toBe(1);
    expect(await k.balance(bob, option, subId)).toBe(-2n * WAD);

    // a premium beyond the buyer's cash leaves it negative: a borrow
    await k.tradeOption(bob, alice, "ETH", expiry, strike, false, WAD, 1_000n * WAD);
    expect(await k.balance(bob, x.cash, 0n)).toBe(-600n * WAD);
  });

  it("moves perp contracts without cash and keeps adjustments keeper-only", async () => {
    const events = adjusted(await k.tradePerp(bob, alice, "BTC", WAD / 2n));
    expect(events.map((e) => [e.accountId, e.assetAndSubId, e.amount])).toEqual([
      [bob, packed(x.perps.BTC, 0n), WAD / 2n],
      [alice, packed(x.perps.BTC, 0n), -WAD / 2n],
    ]);

    const call = { address: x.subAccounts, abi: k.abis.subAccounts, functionName: "adjustBalance", args: [alice, x.cash, 0n, WAD, 1n] };
    await expect(send(d.rpcUrl, anvilAccount(1), call)).rejects.toThrow(/Unauthorized/);
    await expect(k.tradePerp(alice, alice, "ETH", WAD)).rejects.toThrow(/SelfTrade/);
    await expect(k.deposit(99n, WAD)).rejects.toThrow(/UnknownAccount/);
  });
});

// ---------------------------------------------------------------- simulation

/** A holding in terms that do not depend on deployment addresses or the chain's clock. */
function portable(h: DeriveHolding, deployment: DeriveDeployment, expiries: bigint[]) {
  for (const market of DERIVE_MARKETS) {
    if (h.asset === deployment.perps[market]) return { accountId: h.accountId, asset: `perp ${market}`, balance: h.balance };
    if (h.asset === deployment.options[market]) {
      const o = fromSubId(h.subId);
      return { accountId: h.accountId, asset: `option ${market}`, expiry: expiries.indexOf(o.expiry), strike: o.strike, isCall: o.isCall, balance: h.balance };
    }
  }
  return { accountId: h.accountId, asset: h.asset === deployment.cash ? "cash" : h.asset, balance: h.balance };
}

describe("simulateDerive", () => {
  let summary: DeriveSimulationSummary;

  it("leaves calls and puts, longs and shorts, an expired option and a transferred subaccount, all explained by the events", async () => {
    const before = await latestTimestamp();
    summary = await simulateDerive(d, x, { seed: 11, steps: 40 });
    expect(summary.wallets).toEqual([1, 2, 3, 4].map(wallet));
    expect(summary.accounts.length).toBeGreaterThanOrEqual(4);
    expect(summary.counts.optionTrades).toBe(summary.counts.calls + summary.counts.puts);
    for (const count of ["deposits", "calls", "puts", "perpTrades", "transfers", "timeWarps"] as const) expect(summary.counts[count], count).toBeGreaterThan(0);

    // expiries at 08:00 UTC, about 2, 30 and 90 days out; the first has passed
    expect(summary.expiries.every((e) => e % 86_400n === 28_800n)).toBe(true);
    const daysOut = summary.expiries.map((e) => Number(e - before) / 86_400);
    for (const [i, target] of [2, 30, 90].entries()) expect(Math.abs(daysOut[i]! - target)).toBeLessThan(0.7);
    const now = await latestTimestamp();
    expect(summary.expiries[0]! < now && now < summary.expiries[1]!).toBe(true);

    // holdings are exactly the nonzero balances the event history adds up to
    const totals = new Map<string, bigint>();
    for (const e of await adjustedSince(x.startBlock)) {
      const key = `${e.accountId}|${e.assetAndSubId}`;
      expect(e.preBalance).toBe(totals.get(key) ?? 0n);
      expect(e.postBalance).toBe(e.preBalance + e.amount);
      expect(e.manager).toBe(x.manager);
      totals.set(key, e.postBalance);
    }
    const nonzero = [...totals].filter(([, balance]) => balance !== 0n);
    expect(summary.holdings.map((h) => [`${h.accountId}|${packed(h.asset, h.subId)}`, h.balance]).sort()).toEqual(nonzero.sort());
    for (const h of summary.holdings) expect(await k.balance(h.accountId, h.asset, h.subId)).toBe(h.balance);

    const own = new Set(summary.accounts.map((a) => a.accountId));
    const options = summary.holdings
      .filter((h) => own.has(h.accountId) && Object.values(x.options).includes(h.asset))
      .map((h) => ({ ...h, ...fromSubId(h.subId) }));
    expect(options.some((o) => o.isCall)).toBe(true);
    expect(options.some((o) => !o.isCall)).toBe(true);
    expect(options.some((o) => o.balance > 0n)).toBe(true);
    expect(options.some((o) => o.balance < 0n)).toBe(true);
    expect(options.some((o) => o.expiry === summary.expiries[0])).toBe(true); // expired, unsettled
    expect(options.every((o) => summary.expiries.includes(o.expiry) && o.strike % WAD === 0n && o.strike > 0n)).toBe(true);
    expect(summary.holdings.some((h) => own.has(h.accountId) && Object.values(x.perps).includes(h.asset))).toBe(true);

    // the final owners match the chain, and each transfer left an ERC-721 Transfer
    for (const a of summary.accounts) expect(await k.ownerOf(a.accountId)).toBe(a.owner);
    const transfers = await chainClients(d.rpcUrl).publicClient.getLogs({ address: x.subAccounts, event: TRANSFER, fromBlock: BigInt(summary.fromBlock) });
    const moves = transfers.filter((l) => l.args.from !== zeroAddress).map((l) => ({ accountId: l.args.tokenId, from: l.args.from, to: l.args.to }));
    expect(moves).toEqual(summary.transfers);
    expect(summary.transfers.length).toBeGreaterThan(0);
  }, 120_000);

  it("replays identically for the same seed on a fresh deployment", async () => {
    const again = await deployDeriveFixture(d);
    const replay = await simulateDerive(d, again, { seed: 11, steps: 40 });
    expect(replay.counts).toEqual(summary.counts);
    // ids restart at 1 on the new contract; the first run's accounts came after the two made above
    const shift = (id: bigint) => id + 2n;
    expect(replay.accounts.map((a) => ({ ...a, accountId: shift(a.accountId) }))).toEqual(summary.accounts);
    expect(replay.transfers.map((t) => ({ ...t, accountId: shift(t.accountId) }))).toEqual(summary.transfers);
    const own = new Set(summary.accounts.map((a) => a.accountId));
    const first = summary.holdings.filter((h) => own.has(h.accountId)).map((h) => portable(h, x, summary.expiries));
    const second = replay.holdings.map((h) => portable({ ...h, accountId: shift(h.accountId) }, again, replay.expiries));
    expect(second).toEqual(first);
  }, 120_000);
});
