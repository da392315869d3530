import { createTestClient, encodePacked, http, keccak256, type Address, type Hex } from "viem";
import type { HDAccount } from "viem/accounts";
import { anvilAccount, chainClients, fixtureChain, read, send, trySend, type ContractCall } from "./clients.js";
import { fixtureAbis, setPrice, type Deployment, type FixtureAbis, type TokenSymbol } from "./deploy.js";
import { createRng, type Rng } from "./rng.js";

export type SimulationOptions = { wallets: number; steps: number; seed: number };

export type ActionCounts = {
  open: number;
  increase: number;
  decrease: number; // partial
  close: number; // full close by the owner
  priceMove: number;
  fundingAccrual: number;
  liquidationState1: number; // LiquidatePosition
  liquidationState2: number; // over max leverage: closed for the owner (DecreasePosition + ClosePosition)
};

export type IndexSymbol = "WETH" | "WBTC";

export type OpenPosition = {
  key: Hex;
  account: Address;
  collateralToken: Address;
  indexToken: Address;
  indexSymbol: IndexSymbol;
  isLong: boolean;
};

export type SimulationSummary = {
  seed: number;
  wallets: Address[];
  counts: ActionCounts;
  /** Whether a liquidation kind had to be staged after the random steps because none happened naturally. */
  staged: { state1: boolean; state2: boolean };
  transactions: number;
  fromBlock: number;
  toBlock: number;
  openPositions: OpenPosition[];
  prices: Record<IndexSymbol, bigint>; // final feed answers
};

type Slot = { wallet: HDAccount; index: IndexSymbol; isLong: boolean };
type PositionView = { size: bigint; collateral: bigint; averagePrice: bigint };

const USD = 10n ** 30n;
const BPS = 10_000n;
const INDEXES: readonly IndexSymbol[] = ["WETH", "WBTC"];
const SIDES = INDEXES.flatMap((index) => [
  { index, isLong: true },
  { index, isLong: false },
]);

/**
 * Deterministic trading scenario on a deployed fixture. Wallets are anvil mnemonic accounts 1..n;
 * the deployer (account 0) moves prices, accrues funding and liquidates.
 */
export async function simulate(d: Deployment, opts: SimulationOptions): Promise<SimulationSummary> {
  const sim = new Simulator(d, await fixtureAbis(), createRng(opts.seed), opts.wallets);
  return sim.run(opts);
}

class Simulator {
  private readonly wallets: HDAccount[];
  private readonly deployer = anvilAccount(0);
  private readonly open = new Map<Hex, Slot>();
  private readonly answers = {} as Record<TokenSymbol, bigint>;
  private readonly counts: ActionCounts = {
    open: 0,
    increase: 0,
    decrease: 0,
    close: 0,
    priceMove: 0,
    fundingAccrual: 0,
    liquidationState1: 0,
    liquidationState2: 0,
  };
  private transactions = 0;

  constructor(
    private readonly d: Deployment,
    private readonly abis: FixtureAbis,
    private readonly rng: Rng,
    walletCount: number,
  ) {
    if (walletCount < 1) throw new Error("simulate needs at least one wallet");
    this.wallets = Array.from({ length: walletCount }, (_, i) => anvilAccount(i + 1));
  }

  async run(opts: SimulationOptions): Promise<SimulationSummary> {
    const { publicClient } = chainClients(this.d.rpcUrl);
    const fromBlock = Number(await publicClient.getBlockNumber()) + 1;
    await this.setup();

    for (let step = 0; step < opts.steps; step++) await this.step();

    // a short or unlucky run may miss a liquidation kind; stage each one explicitly
    const staged = { state1: false, state2: false };
    if (this.counts.liquidationState2 === 0) staged.state2 = await this.forceLiquidation(2);
    if (this.counts.liquidationState1 === 0) staged.state1 = await this.forceLiquidation(1);

    // leave something for the indexer to show
    const minOpen = Math.min(this.wallets.length * SIDES.length, Math.max(3, Math.ceil(this.wallets.length / 2)));
    while (this.open.size < minOpen) await this.openRandom();

    return {
      seed: opts.seed,
      wallets: this.wallets.map((w) => w.address),
      counts: { ...this.counts },
      staged,
      transactions: this.transactions,
      fromBlock,
      toBlock: Number(await publicClient.getBlockNumber()),
      openPositions: [...this.open.entries()].map(([key, s]) => ({
        key,
        account: s.wallet.address,
        collateralToken: this.collateralToken(s),
        indexToken: this.d.tokens[s.index].address,
        indexSymbol: s.index,
        isLong: s.isLong,
      })),
      prices: { WETH: this.answers.WETH, WBTC: this.answers.WBTC },
    };
  }

  // ------------------------------------------------------------ setup

  private async setup() {
    const testClient = createTestClient({ mode: "anvil", chain: fixtureChain(this.d.rpcUrl), transport: http(this.d.rpcUrl) });
    for (const symbol of ["WETH", "WBTC", "USDC"] as const) {
      this.answers[symbol] = await read<bigint>(this.d.rpcUrl, {
        address: this.d.tokens[symbol].feed,
        abi: this.abis.aggregator,
        functionName: "latestAnswer",
      });
    }
    const grants: Record<"WETH" | "WBTC" | "USDC", bigint> = {
      WETH: 1_000n * 10n ** 18n,
      WBTC: 100n * 10n ** 8n,
      USDC: 10_000_000n * 10n ** 6n,
    };
    for (const wallet of this.wallets) {
      await testClient.setBalance({ address: wallet.address, value: 100n * 10n ** 18n });
      for (const symbol of ["WETH", "WBTC", "USDC"] as const) {
        await this.tx(this.deployer, {
          address: this.d.tokens[symbol].address,
          abi: this.abis.token,
          functionName: "mint",
          args: [wallet.address, grants[symbol]],
        });
      }
      // adopt positions left by an earlier run on the same deployment
      for (const side of SIDES) {
        const slot = { wallet, ...side };
        if ((await this.position(slot)).size > 0n) this.open.set(this.key(slot), slot);
      }
    }
    // prices may have moved since then; the steps below assume every open position is healthy
    await this.sweepLiquidations();
  }

  // ------------------------------------------------------------ one random step

  private async step() {
    const roll = this.rng.next();
    if (roll < 0.3) return this.movePrice();
    if (roll < 0.36) return this.accrueFunding();
    if (roll < 0.66) return this.freeSlots().length > 0 ? this.openRandom() : this.increaseRandom();
    if (this.open.size === 0) return this.openRandom();
    if (roll < 0.74) return this.increaseRandom();
    if (roll < 0.87) return this.decreaseRandom();
    return this.closeRandom();
  }

  /** One market tick: both index prices take a random-walk step, then liquidations are swept. */
  private async movePrice() {
    for (const symbol of INDEXES) {
      // mostly small moves (which can stop inside the state-2 window), sometimes a shock that jumps past it
      const bps = this.rng.chance(0.08)
        ? this.rng.int(500, 1000) * (this.rng.chance(0.6) ? -1 : 1)
        : this.rng.int(-200, 200);
      await this.setAnswer(symbol, (this.answers[symbol] * BigInt(10_000 + bps)) / BPS);
    }
    await this.sweepLiquidations();
  }

  private async accrueFunding() {
    const symbol = this.rng.pick(["WETH", "WBTC", "USDC"] as const);
    const rateDelta = BigInt(this.rng.int(20, 300)); // 0.002% .. 0.03% of size
    await this.tx(this.deployer, this.vaultCall("accrueFunding", [this.d.tokens[symbol].address, rateDelta]));
    this.counts.fundingAccrual++;
    await this.sweepLiquidations();
  }

  private async openRandom() {
    const slot = this.rng.pick(this.freeSlots());
    const collateralUsd = BigInt(this.rng.int(200, 5000)) * USD;
    // 2x .. 20x, skewed towards high leverage so liquidations happen on their own
    const leverageBps = BigInt(20 + Math.floor(180 * Math.sqrt(this.rng.next()))) * 1_000n;
    await this.openPosition(slot, collateralUsd, leverageBps);
  }

  private async openPosition(slot: Slot, collateralUsd: bigint, leverageBps: bigint) {
    const depositedUsd = await this.deposit(slot, collateralUsd);
    const sizeDelta = (depositedUsd * leverageBps) / BPS;
    // a fresh 2x..20x position always passes; the 2x retry only guards against surprises
    if (!(await this.tryIncrease(slot, sizeDelta)) && !(await this.tryIncrease(slot, depositedUsd * 2n))) {
      throw new Error(`could not open ${this.describe(slot)}`);
    }
    this.open.set(this.key(slot), slot);
    this.counts.open++;
  }

  private async increaseRandom() {
    const slot = this.rng.pick([...this.open.values()]);
    const { size, collateral } = await this.position(slot);
    const loss = await this.loss(slot);
    const depositedUsd = await this.deposit(slot, BigInt(this.rng.int(100, 2000)) * USD);
    // aim for 2x..15x on equity, but never let collateral exceed size (vault rule) - keep >= 1.5x
    const targetBps = BigInt(this.rng.int(20, 150)) * 1_000n;
    const minSize = ((collateral + depositedUsd) * 3n) / 2n;
    const targetSize = max((collateral + depositedUsd - loss) * targetBps / BPS, minSize);
    const ok =
      (await this.tryIncrease(slot, max(targetSize - size, 0n))) ||
      (await this.tryIncrease(slot, max(minSize - size, 0n)));
    if (!ok) throw new Error(`could not increase ${this.describe(slot)}`);
    this.counts.increase++;
  }

  private async decreaseRandom() {
    const slot = this.rng.pick([...this.open.values()]);
    const { size, collateral } = await this.position(slot);
    const loss = await this.loss(slot);
    const sizeDelta = (size * BigInt(this.rng.int(20, 70))) / 100n;
    const remainingSize = size - sizeDelta;
    // the rest must stay >= 2x (size >= collateral is a vault rule) and is kept <= 10x on equity
    const minWithdraw = max(collateral - (sizeDelta * loss) / size - remainingSize / 2n, 0n);
    const maxWithdraw = max(collateral - loss - remainingSize / 10n, minWithdraw);
    const collateralDelta = this.rng.chance(0.5)
      ? minWithdraw + ((maxWithdraw - minWithdraw) * BigInt(this.rng.int(0, 30))) / 100n
      : minWithdraw;
    const ok =
      (await this.tryDecrease(slot, collateralDelta, sizeDelta)) ||
      (await this.tryDecrease(slot, minWithdraw, sizeDelta));
    if (!ok) return this.closePosition(slot); // a partial cut that cannot stay valid becomes a full close
    this.counts.decrease++;
  }

  private async closeRandom() {
    const slot = this.rng.pick([...this.open.values()]);
    await this.closePosition(slot);
  }

  private async closePosition(slot: Slot) {
    const { size } = await this.position(slot);
    // every open position is healthy here (sweeps run after each price/funding change)
    if (!(await this.tryDecrease(slot, 0n, size))) throw new Error(`could not close ${this.describe(slot)}`);
    this.open.delete(this.key(slot));
    this.counts.close++;
  }

  // ------------------------------------------------------------ liquidations

  /** Liquidates every tracked position the vault reports as liquidatable, in a stable order. */
  private async sweepLiquidations() {
    const slots = [...this.open.values()];
    const states = await Promise.all(slots.map((s) => this.liquidationState(s)));
    for (const [i, slot] of slots.entries()) {
      const state = states[i]!.state;
      if (state === 0n) continue;
      await this.tx(
        this.deployer,
        this.vaultCall("liquidatePosition", [
          slot.wallet.address,
          this.collateralToken(slot),
          this.d.tokens[slot.index].address,
          slot.isLong,
          this.deployer.address,
        ]),
      );
      this.open.delete(this.key(slot));
      if (state === 1n) this.counts.liquidationState1++;
      else this.counts.liquidationState2++;
    }
  }

  /**
   * Opens a 20x long and moves its index price so that exactly the wanted rule trips:
   * state 2 puts remaining collateral midway between (fees + liquidation fee) and size / maxLeverage,
   * state 1 puts it at half of (fees + liquidation fee).
   */
  private async forceLiquidation(state: 1 | 2): Promise<true> {
    let slot = this.freeSlots().find((s) => s.isLong);
    if (!slot) {
      slot = [...this.open.values()].find((s) => s.isLong) ?? this.rng.pick([...this.open.values()]);
      await this.closePosition(slot);
    }
    await this.openPosition(slot, 1_000n * USD, 200_000n);

    const { size, collateral, averagePrice } = await this.position(slot);
    const { fees } = await this.liquidationState(slot);
    const liquidationFeeUsd = await read<bigint>(this.d.rpcUrl, this.vaultCall("liquidationFeeUsd", []));
    const maxLeverage = await read<bigint>(this.d.rpcUrl, this.vaultCall("maxLeverage", []));
    const floor = fees + liquidationFeeUsd;
    const ceiling = (size * BPS) / maxLeverage;
    if (state === 2 && ceiling <= floor) throw new Error("vault settings leave no room for a state-2 liquidation");
    const remaining = state === 2 ? (floor + ceiling) / 2n : floor / 2n;

    // long loss = size * (avg - price) / avg  =>  price = avg - avg * loss / size
    const targetPrice = averagePrice - (averagePrice * (collateral - remaining)) / size;
    const feedScale = 10n ** BigInt(this.d.tokens[slot.index].feedDecimals);
    await this.setAnswer(slot.index, (targetPrice * feedScale) / USD);

    const before = state === 1 ? this.counts.liquidationState1 : this.counts.liquidationState2;
    await this.sweepLiquidations();
    const after = state === 1 ? this.counts.liquidationState1 : this.counts.liquidationState2;
    if (after === before) throw new Error(`staged state-${state} liquidation did not happen`);
    return true;
  }

  // ------------------------------------------------------------ chain helpers

  private async setAnswer(symbol: IndexSymbol, answer: bigint) {
    const next = answer > 0n ? answer : 1n;
    await setPrice(this.d, symbol, next);
    this.transactions++;
    this.answers[symbol] = next;
    this.counts.priceMove++;
  }

  /** Transfers collateral worth ~usd from the wallet to the vault; returns the USD value the vault will credit. */
  private async deposit(slot: Slot, usd: bigint): Promise<bigint> {
    const symbol = slot.isLong ? slot.index : "USDC";
    const unit = 10n ** BigInt(this.d.tokens[symbol].decimals);
    const price = this.price(symbol);
    const amount = (usd * unit) / price;
    await this.tx(slot.wallet, {
      address: this.d.tokens[symbol].address,
      abi: this.abis.token,
      functionName: "transfer",
      args: [this.d.vault, amount],
    });
    return (amount * price) / unit;
  }

  private async tryIncrease(slot: Slot, sizeDelta: bigint): Promise<boolean> {
    const receipt = await trySend(
      this.d.rpcUrl,
      slot.wallet,
      this.vaultCall("increasePosition", [
        slot.wallet.address,
        this.collateralToken(slot),
        this.d.tokens[slot.index].address,
        sizeDelta,
        slot.isLong,
      ]),
    );
    if (receipt) this.transactions++;
    return receipt !== null;
  }

  private async tryDecrease(slot: Slot, collateralDelta: bigint, sizeDelta: bigint): Promise<boolean> {
    const receipt = await trySend(
      this.d.rpcUrl,
      slot.wallet,
      this.vaultCall("decreasePosition", [
        slot.wallet.address,
        this.collateralToken(slot),
        this.d.tokens[slot.index].address,
        collateralDelta,
        sizeDelta,
        slot.isLong,
        slot.wallet.address,
      ]),
    );
    if (receipt) this.transactions++;
    return receipt !== null;
  }

  private async tx(account: HDAccount, call: ContractCall) {
    await send(this.d.rpcUrl, account, call);
    this.transactions++;
  }

  private async position(slot: Slot): Promise<PositionView> {
    const r = await read<readonly bigint[]>(this.d.rpcUrl, this.vaultCall("getPosition", this.positionArgs(slot)));
    return { size: r[0]!, collateral: r[1]!, averagePrice: r[2]! };
  }

  private async loss(slot: Slot): Promise<bigint> {
    const [hasProfit, delta] = await read<readonly [boolean, bigint]>(
      this.d.rpcUrl,
      this.vaultCall("getPositionDelta", this.positionArgs(slot)),
    );
    return hasProfit ? 0n : delta;
  }

  private async liquidationState(slot: Slot): Promise<{ state: bigint; fees: bigint }> {
    const [state, fees] = await read<readonly [bigint, bigint]>(
      this.d.rpcUrl,
      this.vaultCall("validateLiquidation", [...this.positionArgs(slot), false]),
    );
    return { state, fees };
  }

  private vaultCall(functionName: string, args: readonly unknown[]): ContractCall {
    return { address: this.d.vault, abi: this.abis.vault, functionName, args };
  }

  private positionArgs(slot: Slot) {
    return [slot.wallet.address, this.collateralToken(slot), this.d.tokens[slot.index].address, slot.isLong] as const;
  }

  private collateralToken(slot: Slot): Address {
    return this.d.tokens[slot.isLong ? slot.index : "USDC"].address;
  }

  /** Same as the vault's getPositionKey, computed locally. */
  private key(slot: Slot): Hex {
    return keccak256(encodePacked(["address", "address", "address", "bool"], this.positionArgs(slot)));
  }

  private price(symbol: TokenSymbol): bigint {
    return (this.answers[symbol] * USD) / 10n ** BigInt(this.d.tokens[symbol].feedDecimals);
  }

  private freeSlots(): Slot[] {
    return this.wallets.flatMap((wallet) =>
      SIDES.map((side) => ({ wallet, ...side })).filter((slot) => !this.open.has(this.key(slot))),
    );
  }

  private describe(slot: Slot) {
    return `${slot.isLong ? "long" : "short"} ${slot.index} of ${slot.wallet.address}`;
  }
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
