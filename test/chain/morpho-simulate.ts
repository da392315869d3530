import { createTestClient, http, maxUint256, parseUnits, type Address } from "viem";
import type { HDAccount } from "viem/accounts";
import { fundGas } from "./aave-deploy.js";
import { anvilAccount, fixtureChain, read, send, trySend } from "./clients.js";
import { fixtureAbis, setPrice, type Deployment, type TokenSymbol } from "./deploy.js";
import {
  feedAnswer,
  MORPHO_LIQUIDATOR_ACCOUNT_INDEX,
  morphoArtifact,
  syncOracles,
  type MorphoDeployment,
  type MorphoMarket,
} from "./morpho-deploy.js";
import { createRng, type Rng } from "./rng.js";

export type MorphoSimulationOptions = {
  wallets: number;
  operations: number;
  seed: number;
  firstAccountIndex?: number;
  /** Called after every operation that mined a block, with that block. */
  onBlock?: (block: bigint) => Promise<void>;
};

export type MorphoSimulationSummary = { wallets: Address[]; counts: Record<string, number>; blocks: bigint[] };

type OnChainPosition = readonly [supplyShares: bigint, borrowShares: bigint, collateral: bigint];

const GRANTS: Record<TokenSymbol, string> = { WETH: "400", WBTC: "20", USDC: "1000000", LINK: "0" };
const DAY = 86_400;

/**
 * Random operations of real users on the real Morpho Blue: supply and withdraw (by assets and by
 * shares), collateral in and out, borrows and repays (by assets and shares, some on behalf of an
 * authorizing wallet), interest accrual calls, fee changes, time warps of hours to days, oracle moves
 * (feeds and the markets' oracles together), crashes that make positions liquidatable, and
 * liquidations by seized assets or repaid shares, some taking all collateral and leaving bad debt.
 * Every transaction is probed by gas estimation first.
 */
export async function simulateMorphoBlue(d: Deployment, m: MorphoDeployment, opts: MorphoSimulationOptions): Promise<MorphoSimulationSummary> {
  if (opts.wallets < 2) throw new Error("simulateMorphoBlue needs at least two wallets (one borrows on behalf of another)");
  return new MorphoSimulator(d, m, createRng(opts.seed), opts).run(opts.operations);
}

class MorphoSimulator {
  readonly wallets: HDAccount[];
  private readonly liquidator = anvilAccount(MORPHO_LIQUIDATOR_ACCOUNT_INDEX);
  private readonly counts: Record<string, number> = {};
  private readonly blocks: bigint[] = [];
  private readonly start = {} as Record<TokenSymbol, bigint>;
  private readonly testClient;
  private abi: Awaited<ReturnType<typeof morphoArtifact>>["abi"] = [];
  private tokenAbi: Awaited<ReturnType<typeof fixtureAbis>>["token"] = [];
  private lastBlock = 0n;

  constructor(
    private readonly d: Deployment,
    private readonly m: MorphoDeployment,
    private readonly rng: Rng,
    private readonly opts: MorphoSimulationOptions,
  ) {
    const first = opts.firstAccountIndex ?? 30;
    this.wallets = Array.from({ length: opts.wallets }, (_, i) => anvilAccount(first + i));
    this.testClient = createTestClient({ mode: "anvil", chain: fixtureChain(d.rpcUrl), transport: http(d.rpcUrl) });
  }

  async run(operations: number): Promise<MorphoSimulationSummary> {
    await this.setup();
    let done = 0;
    for (let attempt = 0; done < operations && attempt < operations * 8; attempt++) {
      const kind = await this.step();
      if (!kind) continue;
      this.counts[kind] = (this.counts[kind] ?? 0) + 1;
      done++;
      const block = await this.testClient.request({ method: "eth_blockNumber" } as never).then((b) => BigInt(b as string));
      if (block !== this.lastBlock) {
        this.lastBlock = block;
        this.blocks.push(block);
        await this.opts.onBlock?.(block);
      }
    }
    return { wallets: this.wallets.map((w) => w.address), counts: this.counts, blocks: this.blocks };
  }

  private async setup() {
    this.abi = (await morphoArtifact("Morpho")).abi;
    this.tokenAbi = (await fixtureAbis()).token;
    const deployer = anvilAccount(0);
    for (const account of [...this.wallets, this.liquidator]) {
      await fundGas(this.d.rpcUrl, account.address);
      for (const symbol of ["WETH", "WBTC", "USDC"] as const) {
        const token = this.d.tokens[symbol].address;
        const grant = parseUnits(GRANTS[symbol], this.d.tokens[symbol].decimals) * (account === this.liquidator ? 10n : 1n);
        await send(this.d.rpcUrl, deployer, { address: token, abi: this.tokenAbi, functionName: "mint", args: [account.address, grant] });
        await send(this.d.rpcUrl, account, { address: token, abi: this.tokenAbi, functionName: "approve", args: [this.m.morpho, maxUint256] });
      }
    }
    for (const symbol of ["WETH", "WBTC", "USDC"] as const) this.start[symbol] = await feedAnswer(this.d, symbol);
  }

  /**
   * The call's receipt, or null when it would revert. Interest accrues by the second: a repay of all
   * shares or a borrow at the limit that passed estimation can still revert when mined a second
   * later; that leaves Morpho's state as it was, and counts as not done.
   */
  private async call(account: HDAccount, functionName: string, args: unknown[]) {
    try {
      return await trySend(this.d.rpcUrl, account, { address: this.m.morpho, abi: this.abi, functionName, args });
    } catch (error) {
      if (error instanceof Error && error.message.includes(`${functionName} reverted in tx`)) return null;
      throw error;
    }
  }

  private position(market: MorphoMarket, user: Address) {
    return read<OnChainPosition>(this.d.rpcUrl, { address: this.m.morpho, abi: this.abi, functionName: "position", args: [market.id, user] });
  }

  private balance(symbol: TokenSymbol, user: Address) {
    return read<bigint>(this.d.rpcUrl, { address: this.d.tokens[symbol].address, abi: this.tokenAbi, functionName: "balanceOf", args: [user] });
  }

  /** A random amount up to `fraction` of `max` (at least 1 unit when max > 0). */
  private part(max: bigint, fraction = 1): bigint {
    if (max <= 0n) return 0n;
    const scaled = (max * BigInt(Math.floor(this.rng.next() * fraction * 1_000_000))) / 1_000_000n;
    return scaled > 0n ? scaled : 1n;
  }

  /** One random operation; its kind when it mined a transaction, else null. */
  private async step(): Promise<string | null> {
    const market = this.rng.pick(this.m.markets);
    const wallet = this.rng.pick(this.wallets);
    const [supplyShares, borrowShares, collateral] = await this.position(market, wallet.address);
    const roll = this.rng.next();
    if (roll < 0.12) {
      const amount = this.part(await this.balance(market.loan, wallet.address), 0.3);
      return (await this.call(wallet, "supply", [market.params, amount, 0n, wallet.address, "0x"])) ? "supply" : null;
    }
    if (roll < 0.2) {
      if (supplyShares === 0n) return null;
      // By shares (all of them, or a part) or by assets.
      const all = this.rng.chance(0.3);
      const args = all ? [0n, supplyShares] : this.rng.chance(0.5) ? [0n, this.part(supplyShares)] : [this.part(supplyShares / 10n ** 6n + 1n), 0n];
      return (await this.call(wallet, "withdraw", [market.params, ...args, wallet.address, wallet.address])) ? "withdraw" : null;
    }
    if (roll < 0.34) {
      const amount = this.part(await this.balance(market.collateral, wallet.address), 0.25);
      return (await this.call(wallet, "supplyCollateral", [market.params, amount, wallet.address, "0x"])) ? "supplyCollateral" : null;
    }
    if (roll < 0.5) {
      if (collateral === 0n) return null;
      // Up to the limit, probed down until the contract takes it; sometimes on behalf of an authorizer.
      const onBehalf = this.rng.chance(0.2) ? await this.authorizedCaller(wallet) : wallet;
      // Half the time near the limit, so that price moves make positions liquidatable.
      const max = await this.maxBorrow(market, collateral);
      let amount = this.rng.chance(0.5) ? max - this.part(max / 8n) : this.part(max);
      for (let i = 0; i < 4 && amount > 0n; i++, amount /= 2n) {
        if (await this.call(onBehalf, "borrow", [market.params, amount, 0n, wallet.address, onBehalf.address])) return onBehalf === wallet ? "borrow" : "borrowOnBehalf";
      }
      return null;
    }
    if (roll < 0.6) {
      if (borrowShares === 0n) return null;
      const args = this.rng.chance(0.4) ? [0n, borrowShares] : this.rng.chance(0.5) ? [0n, this.part(borrowShares)] : [this.part(borrowShares / 10n ** 6n + 1n), 0n];
      return (await this.call(wallet, "repay", [market.params, ...args, wallet.address, "0x"])) ? "repay" : null;
    }
    if (roll < 0.68) {
      if (collateral === 0n) return null;
      const amount = this.rng.chance(0.3) ? collateral : this.part(collateral, 0.5);
      return (await this.call(wallet, "withdrawCollateral", [market.params, amount, wallet.address, wallet.address])) ? "withdrawCollateral" : null;
    }
    if (roll < 0.74) {
      await this.testClient.increaseTime({ seconds: this.rng.int(DAY / 8, 3 * DAY) });
      return (await this.call(wallet, "accrueInterest", [market.params])) ? "warpAndAccrue" : null;
    }
    if (roll < 0.84) return this.movePrice(market);
    if (roll < 0.96) return this.liquidate(market);
    if (roll < 0.98) {
      // A fee change accrues interest first (SetFee after AccrueInterest). Like the calls above, it can revert
      // when mined a second after its estimate (the demo once stopped on one): a revert counts as not done.
      const fee = this.rng.chance(0.5) ? 0n : parseUnits(String(this.rng.int(1, 25) / 100), 18);
      if (fee === (await this.marketFee(market))) return null;
      return (await this.call(anvilAccount(0), "setFee", [market.params, fee])) ? "setFee" : null;
    }
    await this.testClient.increaseTime({ seconds: this.rng.int(60, DAY) });
    await this.testClient.mine({ blocks: 1 });
    return null;
  }

  private async marketFee(market: MorphoMarket): Promise<bigint> {
    const state = await read<readonly bigint[]>(this.d.rpcUrl, { address: this.m.morpho, abi: this.abi, functionName: "market", args: [market.id] });
    return state[5]!;
  }

  /** Another wallet the borrower authorizes (SetAuthorization) to borrow on its behalf. */
  private async authorizedCaller(wallet: HDAccount): Promise<HDAccount> {
    const other = this.wallets.find((w) => w !== wallet)!;
    const authorized = await read<boolean>(this.d.rpcUrl, { address: this.m.morpho, abi: this.abi, functionName: "isAuthorized", args: [wallet.address, other.address] });
    if (!authorized) await send(this.d.rpcUrl, wallet, { address: this.m.morpho, abi: this.abi, functionName: "setAuthorization", args: [other.address, true] });
    return other;
  }

  /** collateral x oracle price x LLTV, as Morpho's health check bounds a borrow. */
  private async maxBorrow(market: MorphoMarket, collateral: bigint): Promise<bigint> {
    const oracle = await morphoArtifact("OracleMock");
    const price = await read<bigint>(this.d.rpcUrl, { address: market.params.oracle, abi: oracle.abi, functionName: "price" });
    return (((collateral * price) / 10n ** 36n) * market.params.lltv) / 10n ** 18n;
  }

  /** The collateral's feed moves (a crash now and then), and every market's oracle follows the feeds. */
  private async movePrice(market: MorphoMarket): Promise<string> {
    const symbol = market.collateral;
    const now = await feedAnswer(this.d, symbol);
    const crash = this.rng.chance(0.35);
    const bps = crash ? -this.rng.int(1500, 4500) : this.rng.int(-800, 800);
    let next = (now * BigInt(10_000 + bps)) / 10_000n;
    // Back toward the start when the walk has wandered far.
    if (next < this.start[symbol] / 3n || next > this.start[symbol] * 2n) next = this.start[symbol];
    await setPrice(this.d, symbol, next);
    await syncOracles(this.d, this.m);
    return crash ? "crash" : "priceMove";
  }

  /** A liquidation of some unhealthy borrower: by repaid shares, by seized assets, or all collateral (bad debt when it does not cover the debt). */
  private async liquidate(market: MorphoMarket): Promise<string | null> {
    for (const wallet of this.wallets) {
      const [, borrowShares, collateral] = await this.position(market, wallet.address);
      if (borrowShares === 0n) continue;
      const how = this.rng.next();
      const args =
        how < 0.35 ? [collateral, 0n] : how < 0.7 ? [0n, this.part(borrowShares, 0.6)] : [this.part(collateral, 0.5), 0n];
      if (await this.call(this.liquidator, "liquidate", [market.params, wallet.address, ...args, "0x"])) {
        return args[0] === collateral ? "liquidateAll" : "liquidate";
      }
    }
    return null;
  }
}
