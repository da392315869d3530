import { createTestClient, http, maxUint256, type Address, type TestClient } from "viem";
import type { HDAccount } from "viem/accounts";
import { anvilAccount, chainClients, fixtureChain, read, send, trySend, type ContractCall } from "./clients.js";
import {
  AAVE_EMODE,
  AAVE_LIQUIDATOR_ACCOUNT_INDEX,
  AAVE_SYMBOLS,
  fixtureAaveAbis,
  fundGas,
  type AaveAbis,
  type AaveDeployment,
  type AaveSymbol,
} from "./aave-deploy.js";
import { fixtureAbis, setPrice, type Deployment } from "./deploy.js";
import { createRng, type Rng } from "./rng.js";

export type AaveSimulationOptions = { wallets: number; steps: number; seed: number; firstAccountIndex?: number };

export type AaveSimulationSummary = {
  wallets: Address[];
  counts: Record<string, number>;
  fromBlock: number;
  toBlock: number;
};

type AccountData = {
  totalCollateralBase: bigint;
  totalDebtBase: bigint;
  availableBorrowsBase: bigint;
  currentLiquidationThreshold: bigint;
  ltv: bigint;
  healthFactor: bigint;
};

const WAD = 10n ** 18n;
const BPS = 10_000n;
/** Assets whose price the simulator moves (USDC stays at its peg). */
const VOLATILE: readonly AaveSymbol[] = ["WETH", "WBTC"];
/** Wallet token grants (whole tokens). */
const GRANTS: Record<AaveSymbol, bigint> = { WETH: 200n, WBTC: 10n, USDC: 600_000n };
/** Random price walk stays within this band (bps) around the starting answer. */
const PRICE_BAND_BPS = 800n;

/**
 * Deterministic lending scenario on an Aave fixture pool. Wallets are anvil accounts from
 * firstAccountIndex (default 21); the liquidator is account 20; prices move through the shared
 * feeds (deployer) and are put back to their starting answers at the end.
 * Every transaction is probed with trySend (estimation) first, so nothing reverted is ever mined.
 */
export async function simulateAave(
  d: Deployment,
  a: AaveDeployment,
  opts: AaveSimulationOptions,
): Promise<AaveSimulationSummary> {
  if (opts.wallets < 2) throw new Error("simulateAave needs at least two wallets (one enters e-mode)");
  const sim = new AaveSimulator(d, a, await fixtureAaveAbis(), createRng(opts.seed), opts);
  return sim.run(opts.steps);
}

class AaveSimulator {
  private readonly wallets: HDAccount[];
  private readonly liquidator = anvilAccount(AAVE_LIQUIDATOR_ACCOUNT_INDEX);
  private readonly deployer = anvilAccount(0);
  private readonly testClient: TestClient;
  private readonly startAnswers = {} as Record<AaveSymbol, bigint>;
  private readonly answers = {} as Record<AaveSymbol, bigint>;
  private readonly eModeWallet: HDAccount;
  private readonly counts: Record<string, number> = {
    supply: 0,
    withdraw: 0,
    borrow: 0,
    repay: 0,
    collateralToggle: 0,
    eMode: 0,
    timeWarp: 0,
    priceMove: 0,
    liquidation: 0,
    liquidationReceiveAToken: 0,
  };

  constructor(
    private readonly d: Deployment,
    private readonly a: AaveDeployment,
    private readonly abis: AaveAbis,
    private readonly rng: Rng,
    opts: AaveSimulationOptions,
  ) {
    const first = opts.firstAccountIndex ?? 21;
    this.wallets = Array.from({ length: opts.wallets }, (_, i) => anvilAccount(first + i));
    this.eModeWallet = this.wallets[0]!;
    this.testClient = createTestClient({ mode: "anvil", chain: fixtureChain(d.rpcUrl), transport: http(d.rpcUrl) });
  }

  async run(steps: number): Promise<AaveSimulationSummary> {
    const { publicClient } = chainClients(this.d.rpcUrl);
    const fromBlock = Number(await publicClient.getBlockNumber()) + 1;

    await this.setup();
    for (let step = 0; step < steps; step++) await this.step();
    await this.stageLiquidation();
    await this.restorePrices();
    await this.leaveOpenPositions();

    return {
      wallets: this.wallets.map((w) => w.address),
      counts: { ...this.counts },
      fromBlock,
      toBlock: Number(await publicClient.getBlockNumber()),
    };
  }

  // ------------------------------------------------------------ setup

  private async setup() {
    const feedAbi = (await fixtureAbis()).aggregator;
    for (const symbol of AAVE_SYMBOLS) {
      const answer = await read<bigint>(this.d.rpcUrl, { address: this.a.reserves[symbol].feed, abi: feedAbi, functionName: "latestAnswer" });
      this.startAnswers[symbol] = answer;
      this.answers[symbol] = answer;
    }
    for (const account of [...this.wallets, this.liquidator]) {
      await fundGas(this.d.rpcUrl, account.address);
      for (const symbol of AAVE_SYMBOLS) {
        const grant = GRANTS[symbol] * (account === this.liquidator ? 10n : 1n);
        await this.mint(account, symbol, grant * this.unit(symbol));
        await this.tx(account, this.tokenCall(symbol, "approve", [this.a.pool, maxUint256]));
      }
    }
    // one wallet lives in the ETH-correlated category; it only ever borrows WETH
    if ((await this.readPool<bigint>("getUserEMode", [this.eModeWallet.address])) !== BigInt(AAVE_EMODE.id)) {
      await this.tx(this.eModeWallet, this.poolCall("setUserEMode", [AAVE_EMODE.id]));
      this.counts.eMode!++;
    }
    // everyone starts with some collateral
    for (const wallet of this.wallets) {
      await this.supply(wallet, wallet === this.eModeWallet ? "WETH" : this.rng.pick(AAVE_SYMBOLS));
    }
  }

  // ------------------------------------------------------------ random steps

  private async step() {
    const roll = this.rng.next();
    const wallet = this.rng.pick(this.wallets);
    if (roll < 0.2) return this.supply(wallet, this.rng.pick(AAVE_SYMBOLS));
    if (roll < 0.42) return this.borrow(wallet);
    if (roll < 0.55) return this.repay(wallet);
    if (roll < 0.66) return this.withdraw(wallet);
    if (roll < 0.72) return this.toggleCollateral(wallet);
    if (roll < 0.75) return this.toggleEMode();
    if (roll < 0.88) return this.warp();
    return this.movePrices();
  }

  private async supply(wallet: HDAccount, symbol: AaveSymbol) {
    // $1k .. $20k worth
    const usd = BigInt(this.rng.int(1_000, 20_000));
    const amount = (usd * 10n ** 8n * this.unit(symbol)) / this.answers[symbol];
    await this.ensureTokens(wallet, symbol, amount);
    if (await this.trySend(wallet, this.poolCall("supply", [this.asset(symbol), amount, wallet.address, 0]))) this.counts.supply!++;
  }

  private async borrow(wallet: HDAccount) {
    const data = await this.accountData(wallet.address);
    if (data.availableBorrowsBase === 0n) return this.supply(wallet, this.rng.pick(AAVE_SYMBOLS));
    const symbol = wallet === this.eModeWallet ? "WETH" : this.rng.pick(AAVE_SYMBOLS);
    // 10% .. 50% of what is left, so positions drift towards but rarely reach the limit
    const base = (data.availableBorrowsBase * BigInt(this.rng.int(10, 50))) / 100n;
    const amount = this.fromBase(symbol, base);
    if (amount === 0n) return;
    if (await this.trySend(wallet, this.poolCall("borrow", [this.asset(symbol), amount, 2n, 0, wallet.address]))) this.counts.borrow!++;
  }

  private async repay(wallet: HDAccount) {
    const debts = await this.debts(wallet.address);
    if (debts.length === 0) return this.borrow(wallet);
    const { symbol, debt } = this.rng.pick(debts);
    const full = this.rng.chance(0.35);
    const amount = full ? maxUint256 : (debt * BigInt(this.rng.int(20, 80))) / 100n;
    if (amount === 0n) return;
    await this.ensureTokens(wallet, symbol, debt + debt / 100n + 1n);
    if (await this.trySend(wallet, this.poolCall("repay", [this.asset(symbol), amount, 2n, wallet.address]))) this.counts.repay!++;
  }

  private async withdraw(wallet: HDAccount) {
    const supplies = await this.supplies(wallet.address);
    if (supplies.length === 0) return this.supply(wallet, this.rng.pick(AAVE_SYMBOLS));
    const { symbol, balance } = this.rng.pick(supplies);
    const data = await this.accountData(wallet.address);
    const attempts = data.totalDebtBase === 0n && this.rng.chance(0.4) ? [maxUint256] : [];
    attempts.push((balance * BigInt(this.rng.int(10, 60))) / 100n, balance / 20n);
    for (const amount of attempts) {
      if (amount === 0n) continue;
      if (await this.trySend(wallet, this.poolCall("withdraw", [this.asset(symbol), amount, wallet.address]))) {
        this.counts.withdraw!++;
        return;
      }
    }
  }

  private async toggleCollateral(wallet: HDAccount) {
    const supplies = await this.supplies(wallet.address);
    if (supplies.length === 0) return;
    const { symbol } = this.rng.pick(supplies);
    const config = await this.readPool<bigint>("getUserConfiguration", [wallet.address]);
    const id = await this.reserveId(symbol);
    const enabled = ((config >> (id * 2n + 1n)) & 1n) === 1n;
    // disabling fails (and is not sent) when the wallet's debt needs it
    const ok = await this.trySend(wallet, this.poolCall("setUserUseReserveAsCollateral", [this.asset(symbol), !enabled]));
    if (ok) this.counts.collateralToggle!++;
  }

  /** The e-mode wallet leaves its category (if its health allows) or re-enters it. */
  private async toggleEMode() {
    const current = await this.readPool<bigint>("getUserEMode", [this.eModeWallet.address]);
    const next = current === 0n ? AAVE_EMODE.id : 0;
    if (await this.trySend(this.eModeWallet, this.poolCall("setUserEMode", [next]))) this.counts.eMode!++;
  }

  private async warp() {
    const seconds = this.rng.int(1, 8) * 3600 + this.rng.int(0, 3599);
    await this.testClient.increaseTime({ seconds });
    await this.testClient.mine({ blocks: 1 });
    this.counts.timeWarp!++;
    await this.sweepLiquidations();
  }

  private async movePrices() {
    for (const symbol of VOLATILE) {
      const bps = BigInt(this.rng.int(-300, 300));
      let next = (this.answers[symbol] * (BPS + bps)) / BPS;
      const start = this.startAnswers[symbol];
      const low = (start * (BPS - PRICE_BAND_BPS)) / BPS;
      const high = (start * (BPS + PRICE_BAND_BPS)) / BPS;
      next = next < low ? low : next > high ? high : next;
      await this.setAnswer(symbol, next);
    }
    await this.sweepLiquidations();
  }

  // ------------------------------------------------------------ liquidations

  /** Liquidates every wallet whose health factor fell below 1 (largest debt against largest collateral). */
  private async sweepLiquidations() {
    for (const wallet of this.wallets) {
      const data = await this.accountData(wallet.address);
      if (data.healthFactor >= WAD) continue;
      await this.liquidate(wallet, this.rng.chance(0.3));
    }
  }

  private async liquidate(victim: HDAccount, receiveAToken: boolean): Promise<boolean> {
    const debts = await this.debts(victim.address);
    const collaterals = await this.supplies(victim.address, true);
    if (debts.length === 0 || collaterals.length === 0) return false;
    const debt = debts.reduce((x, y) => (this.toBase(x.symbol, x.debt) >= this.toBase(y.symbol, y.debt) ? x : y));
    const collateral = collaterals.reduce((x, y) => (this.toBase(x.symbol, x.balance) >= this.toBase(y.symbol, y.balance) ? x : y));
    await this.ensureTokens(this.liquidator, debt.symbol, debt.debt + debt.debt / 100n + 1n);
    const ok = await this.trySend(
      this.liquidator,
      this.poolCall("liquidationCall", [this.asset(collateral.symbol), this.asset(debt.symbol), victim.address, maxUint256, receiveAToken]),
    );
    if (ok) {
      this.counts.liquidation!++;
      if (receiveAToken) this.counts.liquidationReceiveAToken!++;
    }
    return ok;
  }

  /**
   * Guaranteed liquidations: a wallet (not the e-mode one) adds WBTC collateral and borrows USDC up to ~98%
   * of its limit; its collateral price then drops until it can be liquidated, once paid out in the
   * underlying and once (after a further drop) in aTokens.
   */
  private async stageLiquidation() {
    const victim = this.wallets[this.wallets.length - 1]!;
    await this.ensureTokens(victim, "WBTC", this.unit("WBTC"));
    const wbtc = this.unit("WBTC"); // one WBTC, ~$60k at the fixture's starting price
    await this.tx(victim, this.poolCall("supply", [this.asset("WBTC"), wbtc, victim.address, 0]));
    this.counts.supply!++;
    const id = await this.reserveId("WBTC");
    const config = await this.readPool<bigint>("getUserConfiguration", [victim.address]);
    if (((config >> (id * 2n + 1n)) & 1n) === 0n) {
      await this.tx(victim, this.poolCall("setUserUseReserveAsCollateral", [this.asset("WBTC"), true]));
      this.counts.collateralToggle!++;
    }
    const data = await this.accountData(victim.address);
    const liquidity = await read<bigint>(this.d.rpcUrl, this.tokenCall("USDC", "balanceOf", [this.a.pool]));
    const wanted = this.fromBase("USDC", (data.availableBorrowsBase * 98n) / 100n);
    const usdc = wanted < (liquidity * 9n) / 10n ? wanted : (liquidity * 9n) / 10n;
    if (usdc > 0n) {
      await this.tx(victim, this.poolCall("borrow", [this.asset("USDC"), usdc, 2n, 0, victim.address]));
      this.counts.borrow!++;
    }

    // first paid out in the underlying, then (after a further drop) in aTokens
    for (const receiveAToken of [false, true]) {
      await this.dropUntilLiquidatable(victim);
      if (!(await this.liquidate(victim, receiveAToken))) throw new Error(`staged liquidationCall (receiveAToken ${receiveAToken}) failed`);
    }
    // anyone else the drops pushed under water
    await this.sweepLiquidations();
  }

  /** Lowers, 3% at a time, the volatile asset the victim is most net long of until its health factor is below 1. */
  private async dropUntilLiquidatable(victim: HDAccount) {
    for (let drop = 0; drop < 40; drop++) {
      if ((await this.accountData(victim.address)).healthFactor < WAD) return;
      const collaterals = await this.supplies(victim.address, true);
      const debts = await this.debts(victim.address);
      const exposure = (symbol: AaveSymbol) =>
        this.toBase(symbol, collaterals.find((c) => c.symbol === symbol)?.balance ?? 0n) -
        this.toBase(symbol, debts.find((x) => x.symbol === symbol)?.debt ?? 0n);
      const symbol = exposure("WETH") >= exposure("WBTC") ? "WETH" : "WBTC";
      if (exposure(symbol) <= 0n) break;
      await this.setAnswer(symbol, (this.answers[symbol] * 97n) / 100n);
    }
    if ((await this.accountData(victim.address)).healthFactor >= WAD) throw new Error("staged liquidation: health factor stayed >= 1");
  }

  // ------------------------------------------------------------ end state

  private async restorePrices() {
    for (const symbol of VOLATILE) {
      if (this.answers[symbol] !== this.startAnswers[symbol]) await this.setAnswer(symbol, this.startAnswers[symbol]);
    }
    await this.sweepLiquidations();
  }

  /** At least min(wallets, 3) wallets end with collateral and debt. */
  private async leaveOpenPositions() {
    const target = Math.min(this.wallets.length, 3);
    let open = 0;
    for (const wallet of this.wallets) {
      const data = await this.accountData(wallet.address);
      if (data.totalDebtBase > 0n && data.totalCollateralBase > 0n) open++;
    }
    for (const wallet of this.wallets) {
      if (open >= target) break;
      let data = await this.accountData(wallet.address);
      if (data.totalDebtBase > 0n && data.totalCollateralBase > 0n) continue;
      if (data.availableBorrowsBase === 0n) {
        await this.supply(wallet, wallet === this.eModeWallet ? "WETH" : "USDC");
        data = await this.accountData(wallet.address);
      }
      const symbol = wallet === this.eModeWallet ? "WETH" : "WBTC";
      const amount = this.fromBase(symbol, (data.availableBorrowsBase * 30n) / 100n);
      if (amount > 0n && (await this.trySend(wallet, this.poolCall("borrow", [this.asset(symbol), amount, 2n, 0, wallet.address])))) {
        this.counts.borrow!++;
        open++;
      }
    }
    if (open < target) throw new Error(`only ${open} wallets left with open debt`);
  }

  // ------------------------------------------------------------ reads

  private async accountData(user: Address): Promise<AccountData> {
    const r = await this.readPool<readonly bigint[]>("getUserAccountData", [user]);
    return {
      totalCollateralBase: r[0]!,
      totalDebtBase: r[1]!,
      availableBorrowsBase: r[2]!,
      currentLiquidationThreshold: r[3]!,
      ltv: r[4]!,
      healthFactor: r[5]!,
    };
  }

  private async debts(user: Address): Promise<{ symbol: AaveSymbol; debt: bigint }[]> {
    const out: { symbol: AaveSymbol; debt: bigint }[] = [];
    for (const symbol of AAVE_SYMBOLS) {
      const debt = await this.readPool<bigint>("debtOf", [this.asset(symbol), user]);
      if (debt > 0n) out.push({ symbol, debt });
    }
    return out;
  }

  /** Supplied balances (only those used as collateral with onlyCollateral). */
  private async supplies(user: Address, onlyCollateral = false): Promise<{ symbol: AaveSymbol; balance: bigint }[]> {
    const config = onlyCollateral ? await this.readPool<bigint>("getUserConfiguration", [user]) : 0n;
    const out: { symbol: AaveSymbol; balance: bigint }[] = [];
    for (const symbol of AAVE_SYMBOLS) {
      const balance = await this.readPool<bigint>("balanceOf", [this.asset(symbol), user]);
      if (balance === 0n) continue;
      if (onlyCollateral && ((config >> ((await this.reserveId(symbol)) * 2n + 1n)) & 1n) === 0n) continue;
      out.push({ symbol, balance });
    }
    return out;
  }

  private readonly ids = new Map<AaveSymbol, bigint>();
  private async reserveId(symbol: AaveSymbol): Promise<bigint> {
    let id = this.ids.get(symbol);
    if (id === undefined) {
      const totals = await this.readPool<readonly [bigint, bigint, number, bigint, bigint]>("getReserveTotals", [this.asset(symbol)]);
      id = BigInt(totals[2]);
      this.ids.set(symbol, id);
    }
    return id;
  }

  private readPool<T>(functionName: string, args: readonly unknown[]): Promise<T> {
    return read<T>(this.d.rpcUrl, this.poolCall(functionName, args));
  }

  // ------------------------------------------------------------ writes

  private async setAnswer(symbol: AaveSymbol, answer: bigint) {
    await setPrice(this.d, symbol, answer);
    this.answers[symbol] = answer;
    this.counts.priceMove!++;
  }

  private async ensureTokens(account: HDAccount, symbol: AaveSymbol, amount: bigint) {
    const balance = await read<bigint>(this.d.rpcUrl, this.tokenCall(symbol, "balanceOf", [account.address]));
    if (balance < amount) await this.mint(account, symbol, amount - balance + GRANTS[symbol] * this.unit(symbol));
  }

  private mint(account: HDAccount, symbol: AaveSymbol, amount: bigint) {
    return this.tx(this.deployer, this.tokenCall(symbol, "mint", [account.address, amount]));
  }

  /** A transaction that must succeed (send throws on a revert). */
  private async tx(account: HDAccount, call: ContractCall) {
    await send(this.d.rpcUrl, account, call);
  }

  private async trySend(account: HDAccount, call: ContractCall): Promise<boolean> {
    return (await trySend(this.d.rpcUrl, account, call)) !== null;
  }

  private poolCall(functionName: string, args: readonly unknown[]): ContractCall {
    return { address: this.a.pool, abi: this.abis.pool, functionName, args };
  }

  private tokenCall(symbol: AaveSymbol, functionName: string, args: readonly unknown[]): ContractCall {
    return { address: this.asset(symbol), abi: this.abis.token, functionName, args };
  }

  // ------------------------------------------------------------ units

  private asset(symbol: AaveSymbol): Address {
    return this.a.reserves[symbol].address;
  }

  private unit(symbol: AaveSymbol): bigint {
    return 10n ** BigInt(this.a.reserves[symbol].decimals);
  }

  /** Base currency (1e8 = $1) to token units at the current feed answer, rounded down. */
  private fromBase(symbol: AaveSymbol, base: bigint): bigint {
    return (base * this.unit(symbol)) / this.answers[symbol];
  }

  private toBase(symbol: AaveSymbol, amount: bigint): bigint {
    return (amount * this.answers[symbol]) / this.unit(symbol);
  }
}
