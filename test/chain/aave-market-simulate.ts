import { createPublicClient, createTestClient, erc20Abi, http, maxUint256, type Address } from "viem";
import type { HDAccount } from "viem/accounts";
import { anvilAccount, fixtureChain, read, send, trySend, type ContractCall } from "./clients.js";
import { AAVE_LIQUIDATOR_ACCOUNT_INDEX, AAVE_SYMBOLS, fundGas, type AaveSymbol } from "./aave-deploy.js";
import { aaveArtifact, MARKET_EMODE, type AaveMarket } from "./aave-market.js";
import { fixtureAbis, setPrice, type Deployment } from "./deploy.js";
import { createRng, type Rng } from "./rng.js";

export type MarketSimulationOptions = {
  wallets: number;
  operations: number;
  seed: number;
  firstAccountIndex?: number;
  /** Called after every operation that mined a block, with that block. */
  onBlock?: (block: bigint) => Promise<void>;
};

export type MarketSimulationSummary = {
  wallets: Address[];
  /** Successful operations by kind (a skipped or refused attempt is not counted). */
  counts: Record<string, number>;
  blocks: bigint[];
};

const WAD = 10n ** 18n;
const BPS = 10_000n;
const VOLATILE: readonly AaveSymbol[] = ["WETH", "WBTC"];
const STABLE_BORROWABLE: readonly AaveSymbol[] = ["WETH", "USDC"];
const GRANTS: Record<AaveSymbol, bigint> = { WETH: 200n, WBTC: 10n, USDC: 600_000n };
const PRICE_BAND_BPS = 1500n;
const DAY = 86_400;

/**
 * Random operations of real users on a real Aave v3.0 market: supply, withdraw, variable and stable
 * borrows, repays in the underlying or in aTokens, aToken transfers (to wallets and the treasury),
 * collateral switches, e-mode switches, stable/variable swaps and rebalances, treasury mints, oracle
 * moves, time warps of hours to days, and liquidations with and without receiveAToken (every
 * reserve charges a liquidation protocol fee). Every transaction is probed by gas estimation first,
 * so nothing reverted is mined.
 */
export async function simulateAaveMarket(d: Deployment, m: AaveMarket, opts: MarketSimulationOptions): Promise<MarketSimulationSummary> {
  if (opts.wallets < 2) throw new Error("simulateAaveMarket needs at least two wallets (aTokens move between them)");
  return new MarketSimulator(d, m, createRng(opts.seed), opts).run(opts.operations);
}

class MarketSimulator {
  readonly wallets: HDAccount[];
  private readonly liquidator = anvilAccount(AAVE_LIQUIDATOR_ACCOUNT_INDEX);
  private readonly deployer = anvilAccount(0);
  private readonly answers = {} as Record<AaveSymbol, bigint>;
  private readonly startAnswers = {} as Record<AaveSymbol, bigint>;
  private readonly counts: Record<string, number> = {};
  private readonly blocks: bigint[] = [];
  private readonly client;
  private readonly testClient;
  private lastBlock = 0n;

  constructor(
    private readonly d: Deployment,
    private readonly m: AaveMarket,
    private readonly rng: Rng,
    private readonly opts: MarketSimulationOptions,
  ) {
    const first = opts.firstAccountIndex ?? 21;
    this.wallets = Array.from({ length: opts.wallets }, (_, i) => anvilAccount(first + i));
    this.client = createPublicClient({ chain: fixtureChain(d.rpcUrl), transport: http(d.rpcUrl, { batch: true }) });
    this.testClient = createTestClient({ mode: "anvil", chain: fixtureChain(d.rpcUrl), transport: http(d.rpcUrl) });
  }

  async run(operations: number): Promise<MarketSimulationSummary> {
    await this.setup();
    let done = 0;
    for (let attempt = 0; done < operations && attempt < operations * 6; attempt++) {
      const kind = await this.step();
      if (kind) {
        this.counts[kind] = (this.counts[kind] ?? 0) + 1;
        done++;
        await this.mined();
      }
    }
    if (done < operations) throw new Error(`only ${done} of ${operations} operations went through`);
    for (const s of VOLATILE) if (this.answers[s] !== this.startAnswers[s]) await this.setAnswer(s, this.startAnswers[s]);
    await this.mined();
    // The run ends with no account left below 1, as keepers would leave it.
    for (let round = 0; round < 8 && (await this.sweepLiquidations(true)); round++);
    await this.leaveOpenDebts(3);
    return { wallets: this.wallets.map((w) => w.address), counts: { ...this.counts }, blocks: [...this.blocks] };
  }

  private async mined() {
    const block = await this.client.getBlockNumber({ cacheTime: 0 });
    if (block === this.lastBlock) return;
    this.lastBlock = block;
    this.blocks.push(block);
    await this.opts.onBlock?.(block);
  }

  private async setup() {
    const feedAbi = (await fixtureAbis()).aggregator;
    for (const s of AAVE_SYMBOLS) {
      this.answers[s] = this.startAnswers[s] = await read<bigint>(this.d.rpcUrl, { address: this.m.reserves[s].feed, abi: feedAbi, functionName: "latestAnswer" });
    }
    for (const account of [...this.wallets, this.liquidator]) {
      await fundGas(this.d.rpcUrl, account.address);
      for (const s of AAVE_SYMBOLS) {
        await this.mint(account, s, GRANTS[s] * this.unit(s) * (account === this.liquidator ? 10n : 1n));
        await send(this.d.rpcUrl, account, this.tokenCall(s, "approve", [this.m.pool, maxUint256]));
      }
    }
    for (const w of this.wallets) await this.supply(w, this.rng.pick(AAVE_SYMBOLS));
  }

  /** One random operation; returns its kind when a transaction (or a warp) went through. */
  private async step(): Promise<string | null> {
    const w = this.rng.pick(this.wallets);
    const roll = this.rng.next();
    if (roll < 0.14) return (await this.supply(w, this.rng.pick(AAVE_SYMBOLS))) ? "supply" : null;
    if (roll < 0.24) return (await this.borrow(w, 2n)) ? "borrowVariable" : null;
    if (roll < 0.32) return (await this.borrow(w, 1n)) ? "borrowStable" : null;
    if (roll < 0.41) return this.repay(w, false);
    if (roll < 0.47) return this.repay(w, true);
    if (roll < 0.53) return (await this.withdraw(w)) ? "withdraw" : null;
    if (roll < 0.6) return this.transferATokens(w);
    if (roll < 0.65) return (await this.toggleCollateral(w)) ? "collateralToggle" : null;
    if (roll < 0.69) return (await this.toggleEMode(w)) ? "eMode" : null;
    if (roll < 0.72) return (await this.swapRateMode(w)) ? "swapBorrowRateMode" : null;
    if (roll < 0.74) return (await this.rebalance(w)) ? "rebalanceStableBorrowRate" : null;
    if (roll < 0.76) return (await this.poolTx(this.deployer, "mintToTreasury", [AAVE_SYMBOLS.map((s) => this.asset(s))])) ? "mintToTreasury" : null;
    if (roll < 0.84) return this.warp();
    if (roll < 0.94) return this.movePrice();
    return this.squeeze(w);
  }

  // ------------------------------------------------------------ operations

  private async supply(w: HDAccount, s: AaveSymbol): Promise<boolean> {
    const amount = (BigInt(this.rng.int(1_000, 20_000)) * 10n ** 8n * this.unit(s)) / this.answers[s];
    await this.ensureTokens(w, s, amount);
    return this.poolTx(w, "supply", [this.asset(s), amount, w.address, 0]);
  }

  private async borrow(w: HDAccount, mode: 1n | 2n, share = BigInt(this.rng.int(10, 60))): Promise<boolean> {
    const data = await this.accountData(w.address);
    if (data[2] === 0n) return false;
    const eMode = (await this.readPool<bigint>("getUserEMode", [w.address])) !== 0n;
    const choices = eMode ? ["WETH" as const] : mode === 1n ? STABLE_BORROWABLE : AAVE_SYMBOLS;
    const s = this.rng.pick(choices);
    const amount = (((data[2] * share) / 100n) * this.unit(s)) / this.answers[s];
    return amount > 0n && this.poolTx(w, "borrow", [this.asset(s), amount, mode, 0, w.address]);
  }

  private async repay(w: HDAccount, withATokens: boolean): Promise<string | null> {
    const debts = await this.debts(w.address);
    if (debts.length === 0) return null;
    const { s, mode, debt } = this.rng.pick(debts);
    const amount = this.rng.chance(0.3) ? maxUint256 : (debt * BigInt(this.rng.int(10, 90))) / 100n;
    if (amount === 0n) return null;
    if (withATokens) {
      if ((await this.balance(this.m.reserves[s].aToken, w.address)) === 0n) return null;
      return (await this.poolTx(w, "repayWithATokens", [this.asset(s), amount, mode])) ? "repayWithATokens" : null;
    }
    await this.ensureTokens(w, s, debt + debt / 50n + 1n);
    return (await this.poolTx(w, "repay", [this.asset(s), amount, mode, w.address])) ? (mode === 1n ? "repayStable" : "repayVariable") : null;
  }

  private async withdraw(w: HDAccount): Promise<boolean> {
    const s = this.rng.pick(AAVE_SYMBOLS);
    const balance = await this.balance(this.m.reserves[s].aToken, w.address);
    if (balance === 0n) return false;
    for (const amount of [this.rng.chance(0.2) ? maxUint256 : (balance * BigInt(this.rng.int(10, 70))) / 100n, balance / 20n]) {
      if (amount > 0n && (await this.poolTx(w, "withdraw", [this.asset(s), amount, w.address]))) return true;
    }
    return false;
  }

  private async transferATokens(w: HDAccount): Promise<string | null> {
    const s = this.rng.pick(AAVE_SYMBOLS);
    const balance = await this.balance(this.m.reserves[s].aToken, w.address);
    if (balance === 0n) return null;
    const toTreasury = this.rng.chance(0.25);
    const to = toTreasury ? this.m.treasury : this.rng.pick(this.wallets.filter((x) => x !== w)).address;
    const amount = this.rng.chance(0.15) ? balance : (balance * BigInt(this.rng.int(5, 60))) / 100n;
    const call = { address: this.m.reserves[s].aToken, abi: erc20Abi, functionName: "transfer", args: [to, amount] } as ContractCall;
    return (await this.tryTx(w, call)) ? (toTreasury ? "aTokenTransferToTreasury" : "aTokenTransfer") : null;
  }

  private async toggleCollateral(w: HDAccount): Promise<boolean> {
    const s = this.rng.pick(AAVE_SYMBOLS);
    if ((await this.balance(this.m.reserves[s].aToken, w.address)) === 0n) return false;
    const config = await this.readPool<{ data: bigint }>("getUserConfiguration", [w.address]);
    const id = BigInt((await this.reserveData(s)).id);
    const enabled = ((config.data >> (id * 2n + 1n)) & 1n) === 1n;
    return this.poolTx(w, "setUserUseReserveAsCollateral", [this.asset(s), !enabled]);
  }

  private async toggleEMode(w: HDAccount): Promise<boolean> {
    const current = await this.readPool<number>("getUserEMode", [w.address]);
    return this.poolTx(w, "setUserEMode", [BigInt(current) === 0n ? MARKET_EMODE.id : 0]);
  }

  private async swapRateMode(w: HDAccount): Promise<boolean> {
    const debts = await this.debts(w.address);
    if (debts.length === 0) return false;
    const { s, mode } = this.rng.pick(debts);
    return this.poolTx(w, "swapBorrowRateMode", [this.asset(s), mode]);
  }

  private async rebalance(w: HDAccount): Promise<boolean> {
    const stable = (await this.debts(w.address)).filter((x) => x.mode === 1n);
    if (stable.length === 0) return false;
    return this.poolTx(this.liquidator, "rebalanceStableBorrowRate", [this.asset(this.rng.pick(stable).s), w.address]);
  }

  private async warp(): Promise<string> {
    const days = this.rng.chance(0.4);
    const seconds = days ? this.rng.int(1, 3) * DAY + this.rng.int(0, 3_599) : this.rng.int(1, 12) * 3_600;
    await this.testClient.increaseTime({ seconds });
    await this.testClient.mine({ blocks: 1 });
    return days ? "timeWarpDays" : "timeWarpHours";
  }

  private async movePrice(): Promise<string> {
    const s = this.rng.pick(VOLATILE);
    const next = (this.answers[s] * (BPS + BigInt(this.rng.int(-500, 500)))) / BPS;
    const low = (this.startAnswers[s] * (BPS - PRICE_BAND_BPS)) / BPS;
    const high = (this.startAnswers[s] * (BPS + PRICE_BAND_BPS)) / BPS;
    await this.setAnswer(s, next < low ? low : next > high ? high : next);
    await this.mined();
    await this.sweepLiquidations();
    return "priceMove";
  }

  /** A wallet borrows to ~95% of its limit and its collateral price drops until it can be liquidated. */
  private async squeeze(w: HDAccount): Promise<string | null> {
    if (!(await this.borrow(w, 2n, 95n))) return null;
    await this.mined();
    for (let i = 0; i < 12 && (await this.accountData(w.address))[5] >= WAD; i++) {
      const s = this.rng.pick(VOLATILE);
      await this.setAnswer(s, (this.answers[s] * 96n) / 100n);
      await this.mined();
    }
    await this.sweepLiquidations();
    return "squeeze";
  }

  /** At least `target` wallets end with collateral and debt (for the liquidation-price checks). */
  private async leaveOpenDebts(target: number) {
    let open = 0;
    for (const w of this.wallets) {
      if (open >= target) return;
      const [collateral, debt] = await this.accountData(w.address);
      if (collateral > 0n && debt > 0n) {
        open++;
        continue;
      }
      if (collateral === 0n && debt > 0n) continue;
      await this.poolTx(w, "setUserEMode", [0]);
      await this.ensureTokens(w, "USDC", 20_000n * this.unit("USDC"));
      await this.poolTx(w, "supply", [this.asset("USDC"), 20_000n * this.unit("USDC"), w.address, 0]);
      await this.poolTx(w, "setUserUseReserveAsCollateral", [this.asset("USDC"), true]);
      const [, , available] = await this.accountData(w.address);
      for (const s of [...VOLATILE, "USDC" as const]) {
        if (await this.poolTx(w, "borrow", [this.asset(s), (((available * 40n) / 100n) * this.unit(s)) / this.answers[s], 2n, 0, w.address])) {
          open++;
          break;
        }
      }
      await this.mined();
    }
  }

  /** Liquidates accounts below 1 once each (a random pair; `thorough`: every pair until one goes through). Returns whether any was below 1. */
  private async sweepLiquidations(thorough = false): Promise<boolean> {
    let found = false;
    for (const w of this.wallets) {
      if ((await this.accountData(w.address))[5] >= WAD) continue;
      found = true;
      const debts = await this.debts(w.address);
      const config = await this.readPool<{ data: bigint }>("getUserConfiguration", [w.address]);
      const collaterals: AaveSymbol[] = [];
      for (const s of AAVE_SYMBOLS) {
        const id = BigInt((await this.reserveData(s)).id);
        if (((config.data >> (id * 2n + 1n)) & 1n) === 1n && (await this.balance(this.m.reserves[s].aToken, w.address)) > 0n) collaterals.push(s);
      }
      if (debts.length === 0 || collaterals.length === 0) continue;
      const pairs = thorough
        ? debts.flatMap((debt) => collaterals.map((collateral) => ({ debt, collateral })))
        : [{ debt: this.rng.pick(debts), collateral: this.rng.pick(collaterals) }];
      for (const { debt, collateral } of pairs) {
        await this.ensureTokens(this.liquidator, debt.s, debt.debt * 2n + 1n);
        const receiveAToken = this.rng.chance(0.4);
        const cover = thorough || this.rng.chance(0.5) ? maxUint256 : debt.debt / 3n;
        const ok = await this.poolTx(this.liquidator, "liquidationCall", [this.asset(collateral), this.asset(debt.s), w.address, cover, receiveAToken]);
        if (!ok) continue;
        const kind = receiveAToken ? "liquidationReceiveAToken" : "liquidation";
        this.counts[kind] = (this.counts[kind] ?? 0) + 1;
        await this.mined();
        break;
      }
    }
    return found;
  }

  // ------------------------------------------------------------ reads

  private accountData(user: Address) {
    return this.readPool<readonly [bigint, bigint, bigint, bigint, bigint, bigint]>("getUserAccountData", [user]);
  }

  private async debts(user: Address): Promise<{ s: AaveSymbol; mode: 1n | 2n; debt: bigint }[]> {
    const out: { s: AaveSymbol; mode: 1n | 2n; debt: bigint }[] = [];
    for (const s of AAVE_SYMBOLS) {
      const variable = await this.balance(this.m.reserves[s].variableDebtToken, user);
      const stable = await this.balance(this.m.reserves[s].stableDebtToken, user);
      if (variable > 0n) out.push({ s, mode: 2n, debt: variable });
      if (stable > 0n) out.push({ s, mode: 1n, debt: stable });
    }
    return out;
  }

  private readonly ids = new Map<AaveSymbol, { id: number }>();
  private async reserveData(s: AaveSymbol) {
    let data = this.ids.get(s);
    if (!data) this.ids.set(s, (data = await this.readPool<{ id: number }>("getReserveData", [this.asset(s)])));
    return data;
  }

  private balance(token: Address, user: Address) {
    return read<bigint>(this.d.rpcUrl, { address: token, abi: erc20Abi, functionName: "balanceOf", args: [user] });
  }

  private readPool<T>(functionName: string, args: readonly unknown[]): Promise<T> {
    return read<T>(this.d.rpcUrl, { address: this.m.pool, abi: aaveArtifact("Pool").abi, functionName, args });
  }

  // ------------------------------------------------------------ writes

  private poolTx(account: HDAccount, functionName: string, args: readonly unknown[]) {
    return this.tryTx(account, { address: this.m.pool, abi: aaveArtifact("Pool").abi, functionName, args });
  }

  private async tryTx(account: HDAccount, call: ContractCall): Promise<boolean> {
    return (await trySend(this.d.rpcUrl, account, call)) !== null;
  }

  private async setAnswer(s: AaveSymbol, answer: bigint) {
    await setPrice(this.d, s, answer);
    this.answers[s] = answer;
  }

  private async ensureTokens(account: HDAccount, s: AaveSymbol, amount: bigint) {
    const balance = await this.balance(this.asset(s), account.address);
    if (balance < amount) await this.mint(account, s, amount - balance + GRANTS[s] * this.unit(s));
  }

  private async mint(account: HDAccount, s: AaveSymbol, amount: bigint) {
    await send(this.d.rpcUrl, this.deployer, this.tokenCall(s, "mint", [account.address, amount]));
  }

  private tokenCall(s: AaveSymbol, functionName: string, args: readonly unknown[]): ContractCall {
    return { address: this.asset(s), abi: erc20MintAbi, functionName, args };
  }

  private asset(s: AaveSymbol): Address {
    return this.m.reserves[s].address;
  }

  private unit(s: AaveSymbol): bigint {
    return 10n ** BigInt(this.m.reserves[s].decimals);
  }
}

const erc20MintAbi = [...erc20Abi, { type: "function", name: "mint", stateMutability: "nonpayable", inputs: [{ type: "address" }, { type: "uint256" }], outputs: [] }] as const;
