import { encodeAbiParameters, keccak256, type Abi, type Address, type Hex, type TransactionReceipt } from "viem";
import { anvilAccount, chainClients, read, send, trySend, type ContractCall } from "./clients.js";
import { fixtureAbis, setPrice as setFeedAnswer, type Deployment, type TokenSymbol } from "./deploy.js";
import {
  feedUnitPrice,
  gmxV2Abi,
  gmxV2Keys,
  GMX_V2_MARKET_NAMES,
  GMX_V2_MARKET_TOKENS,
  type GmxV2Deployment,
  type GmxV2MarketName,
} from "./gmx-v2-deploy.js";
import { createRng, type Rng } from "./rng.js";

export type GmxV2PositionRef = { account: Address; market: GmxV2MarketName; collateralToken: Address; isLong: boolean };

/** FixtureGmxV2.Position as viem decodes it. */
export type GmxV2StoredPosition = {
  account: Address;
  market: Address;
  collateralToken: Address;
  isLong: boolean;
  sizeInUsd: bigint;
  sizeInTokens: bigint;
  collateralAmount: bigint;
  pendingImpactAmount: bigint;
  borrowingFactor: bigint;
  fundingFeeAmountPerSize: bigint;
  increasedAtTime: bigint;
  decreasedAtTime: bigint;
  longTokenClaimableFundingAmountPerSize: bigint;
  shortTokenClaimableFundingAmountPerSize: bigint;
};

export type GmxV2LiquidationCheck = { liquidatable: boolean; remainingCollateralUsd: bigint; minCollateralUsdForLeverage: bigint };

export const SECONDARY_ORDER_TYPE_ADL = 1n;

// Order keys hash (fixture, session, counter). The session is the keeper's transaction count when a
// process first needs a key: once any of its orders was sent, a later process on the same chain gets a
// higher one, so keys never repeat; a fresh chain always gives the same keys.
const orderCounters = new Map<string, Promise<{ session: bigint; counter: bigint }>>();

/**
 * Scripted access to a FixtureGmxV2 as its keeper (anvil account 0). Wrappers send and throw on a
 * revert; the try* variants return null instead, without mining anything.
 */
export class GmxV2Keeper {
  readonly owner = anvilAccount(0);

  private constructor(
    readonly d: Deployment,
    readonly g: GmxV2Deployment,
    readonly abi: Abi,
  ) {}

  static async create(d: Deployment, g: GmxV2Deployment): Promise<GmxV2Keeper> {
    return new GmxV2Keeper(d, g, await gmxV2Abi());
  }

  /** Opens a position that does not exist yet. */
  async open(ref: GmxV2PositionRef, collateralDeltaAmount: bigint, sizeDeltaUsd: bigint, pendingPriceImpactAmount = 0n) {
    if ((await this.position(ref)).sizeInUsd > 0n) throw new Error(`position ${this.key(ref)} is already open`);
    return this.increase(ref, collateralDeltaAmount, sizeDeltaUsd, pendingPriceImpactAmount);
  }

  async increase(ref: GmxV2PositionRef, collateralDeltaAmount: bigint, sizeDeltaUsd: bigint, pendingPriceImpactAmount = 0n) {
    return send(this.d.rpcUrl, this.owner, await this.increaseCall(ref, collateralDeltaAmount, sizeDeltaUsd, pendingPriceImpactAmount));
  }

  async tryIncrease(ref: GmxV2PositionRef, collateralDeltaAmount: bigint, sizeDeltaUsd: bigint, pendingPriceImpactAmount = 0n) {
    return trySend(this.d.rpcUrl, this.owner, await this.increaseCall(ref, collateralDeltaAmount, sizeDeltaUsd, pendingPriceImpactAmount));
  }

  async decrease(ref: GmxV2PositionRef, sizeDeltaUsd: bigint, collateralDeltaAmount = 0n, secondaryOrderType = 0n) {
    return send(this.d.rpcUrl, this.owner, await this.decreaseCall(ref, sizeDeltaUsd, collateralDeltaAmount, secondaryOrderType));
  }

  async tryDecrease(ref: GmxV2PositionRef, sizeDeltaUsd: bigint, collateralDeltaAmount = 0n, secondaryOrderType = 0n) {
    return trySend(this.d.rpcUrl, this.owner, await this.decreaseCall(ref, sizeDeltaUsd, collateralDeltaAmount, secondaryOrderType));
  }

  async close(ref: GmxV2PositionRef) {
    return this.decrease(ref, (await this.position(ref)).sizeInUsd);
  }

  async liquidate(ref: GmxV2PositionRef) {
    const m = this.g.markets[ref.market];
    return this.send("liquidate", [ref.account, m.marketToken, ref.collateralToken, ref.isLong, await this.nextOrderKey()]);
  }

  /** Moves a token's Chainlink feed (8-decimal answer) and the fixture's oracle price (min = max) in step. */
  async setPrice(symbol: TokenSymbol, answer: bigint): Promise<TransactionReceipt> {
    await setFeedAnswer(this.d, symbol, answer);
    const price = feedUnitPrice(answer, this.d.tokens[symbol]);
    return this.send("setPrice", [this.d.tokens[symbol].address, price, price]);
  }

  setBorrowing(market: GmxV2MarketName, isLong: boolean, cumulativeBorrowingFactor: bigint) {
    return this.send("setCumulativeBorrowingFactor", [this.g.markets[market].marketToken, isLong, cumulativeBorrowingFactor]);
  }

  setPool(market: GmxV2MarketName, token: Address, amount: bigint) {
    return this.send("setPoolAmount", [this.g.markets[market].marketToken, token, amount]);
  }

  setFunding(market: GmxV2MarketName, collateralToken: Address, isLong: boolean, fundingFeeAmountPerSize: bigint) {
    return this.send("setFundingFeeAmountPerSize", [this.g.markets[market].marketToken, collateralToken, isLong, fundingFeeAmountPerSize]);
  }

  key(ref: GmxV2PositionRef): Hex {
    return gmxV2Keys.positionKey(ref.account, this.g.markets[ref.market].marketToken, ref.collateralToken, ref.isLong);
  }

  position(ref: GmxV2PositionRef): Promise<GmxV2StoredPosition> {
    return this.read("getPosition", [this.key(ref)]);
  }

  async liquidationCheck(ref: GmxV2PositionRef): Promise<GmxV2LiquidationCheck> {
    const [liquidatable, remainingCollateralUsd, minCollateralUsdForLeverage] = await this.read<readonly [boolean, bigint, bigint]>(
      "isPositionLiquidatable",
      [this.key(ref)],
    );
    return { liquidatable, remainingCollateralUsd, minCollateralUsdForLeverage };
  }

  getUint(key: Hex): Promise<bigint> {
    return this.read("getUint", [key]);
  }

  /** The fixture's {min, max} unit price of a token. */
  price(token: Address): Promise<{ min: bigint; max: bigint }> {
    return this.read("getPrice", [token]);
  }

  send(functionName: string, args: readonly unknown[]): Promise<TransactionReceipt> {
    return send(this.d.rpcUrl, this.owner, this.call(functionName, args));
  }

  read<T>(functionName: string, args: readonly unknown[]): Promise<T> {
    return read<T>(this.d.rpcUrl, this.call(functionName, args));
  }

  private call(functionName: string, args: readonly unknown[]): ContractCall {
    return { address: this.g.address, abi: this.abi, functionName, args };
  }

  private async increaseCall(ref: GmxV2PositionRef, collateralDeltaAmount: bigint, sizeDeltaUsd: bigint, pendingPriceImpactAmount: bigint) {
    const m = this.g.markets[ref.market];
    return this.call("increasePosition", [
      ref.account, m.marketToken, ref.collateralToken, ref.isLong,
      collateralDeltaAmount, sizeDeltaUsd, pendingPriceImpactAmount, await this.nextOrderKey(),
    ]);
  }

  private async decreaseCall(ref: GmxV2PositionRef, sizeDeltaUsd: bigint, collateralDeltaAmount: bigint, secondaryOrderType: bigint) {
    const m = this.g.markets[ref.market];
    return this.call("decreasePosition", [
      ref.account, m.marketToken, ref.collateralToken, ref.isLong,
      sizeDeltaUsd, collateralDeltaAmount, secondaryOrderType, await this.nextOrderKey(),
    ]);
  }

  private async nextOrderKey(): Promise<Hex> {
    const id = `${this.d.rpcUrl}|${this.g.address}`;
    const current =
      orderCounters.get(id) ??
      chainClients(this.d.rpcUrl)
        .publicClient.getTransactionCount({ address: this.owner.address })
        .then((n) => ({ session: BigInt(n), counter: 0n }));
    // chained before awaiting, so concurrent callers never share a counter
    orderCounters.set(id, current.then((c) => ({ ...c, counter: c.counter + 1n })));
    const { session, counter } = await current;
    return keccak256(
      encodeAbiParameters([{ type: "address" }, { type: "uint256" }, { type: "uint256" }], [this.g.address, session, counter]),
    );
  }
}

// ---------------------------------------------------------------- seeded simulation

export type GmxV2SimulationOptions = { seed: number; steps: number; wallets?: number; firstAccountIndex?: number };

export type GmxV2Counts = {
  open: number;
  increase: number;
  decrease: number; // partial, by the owner
  close: number;
  adl: number;
  priceMove: number;
  borrowing: number;
  funding: number;
  pool: number;
  liquidationLong: number;
  liquidationShort: number;
};

export type GmxV2SimulationSummary = {
  seed: number;
  wallets: Address[];
  counts: GmxV2Counts;
  liquidated: { key: Hex; isLong: boolean }[];
  adl: Hex[];
  /** Whether a long/short liquidation or an ADL had to be staged after the random steps. */
  staged: { liquidationLong: boolean; liquidationShort: boolean; adl: boolean };
  openPositions: (GmxV2PositionRef & { key: Hex })[];
  fromBlock: number;
  toBlock: number;
};

type Slot = GmxV2PositionRef & { key: Hex };

const USD = 10n ** 30n;
const BPS = 10_000n;
const FUNDING_SCALE = 10n ** 15n; // funding per size is 1e45: USD 1e30 times 1e15
const VOLATILE = ["WETH", "WBTC"] as const;

/**
 * Deterministic GMX v2 trading on a deployed fixture: wallets are anvil accounts from firstAccountIndex
 * (default 1; the fixture moves no tokens, so they need nothing), the keeper executes every order,
 * moves prices (fixture and Chainlink feed together), accrues borrowing and funding, liquidates and ADLs.
 */
export async function simulateGmxV2(d: Deployment, g: GmxV2Deployment, opts: GmxV2SimulationOptions): Promise<GmxV2SimulationSummary> {
  const sim = new GmxV2Simulator(await GmxV2Keeper.create(d, g), createRng(opts.seed), opts);
  return sim.run(opts);
}

class GmxV2Simulator {
  private readonly wallets: Address[];
  private readonly slots: Slot[];
  private readonly open = new Map<Hex, Slot>();
  private readonly answers = {} as Record<TokenSymbol, bigint>;
  private readonly counts: GmxV2Counts = {
    open: 0,
    increase: 0,
    decrease: 0,
    close: 0,
    adl: 0,
    priceMove: 0,
    borrowing: 0,
    funding: 0,
    pool: 0,
    liquidationLong: 0,
    liquidationShort: 0,
  };
  private readonly liquidated: { key: Hex; isLong: boolean }[] = [];
  private readonly adl: Hex[] = [];

  constructor(
    private readonly k: GmxV2Keeper,
    private readonly rng: Rng,
    opts: GmxV2SimulationOptions,
  ) {
    const first = opts.firstAccountIndex ?? 1;
    this.wallets = Array.from({ length: opts.wallets ?? 4 }, (_, i) => anvilAccount(first + i).address);
    // every wallet x market x side x collateral (the market's long or short token)
    this.slots = this.wallets.flatMap((account) =>
      GMX_V2_MARKET_NAMES.flatMap((market) => {
        const m = k.g.markets[market];
        return [true, false].flatMap((isLong) =>
          [m.longToken, m.shortToken].map((collateralToken) => {
            const ref = { account, market, collateralToken, isLong };
            return { ...ref, key: k.key(ref) };
          }),
        );
      }),
    );
  }

  async run(opts: GmxV2SimulationOptions): Promise<GmxV2SimulationSummary> {
    const { publicClient } = chainClients(this.k.d.rpcUrl);
    const fromBlock = Number(await publicClient.getBlockNumber()) + 1;
    await this.setup();

    for (let step = 0; step < opts.steps; step++) await this.step();

    // a short or unlucky run may miss one of these; stage it explicitly
    const staged = { liquidationLong: false, liquidationShort: false, adl: false };
    if (this.counts.adl === 0) staged.adl = await this.stageAdl();
    if (this.counts.liquidationLong === 0) staged.liquidationLong = await this.stageLiquidation(true);
    if (this.counts.liquidationShort === 0) staged.liquidationShort = await this.stageLiquidation(false);

    // leave something for the indexer to show
    while (this.open.size < Math.min(4, this.slots.length)) await this.openRandom();

    return {
      seed: opts.seed,
      wallets: this.wallets,
      counts: { ...this.counts },
      liquidated: [...this.liquidated],
      adl: [...this.adl],
      staged,
      openPositions: [...this.open.values()],
      fromBlock,
      toBlock: Number(await publicClient.getBlockNumber()),
    };
  }

  private async setup() {
    const aggregator = (await fixtureAbis()).aggregator;
    for (const symbol of [...VOLATILE, "USDC"] as const) {
      this.answers[symbol] = await read<bigint>(this.k.d.rpcUrl, {
        address: this.k.d.tokens[symbol].feed,
        abi: aggregator,
        functionName: "latestAnswer",
      });
    }
    // adopt positions left on this deployment by tests or an earlier run
    const sizes = await Promise.all(this.slots.map(async (s) => (await this.k.position(s)).sizeInUsd));
    for (const [i, slot] of this.slots.entries()) if (sizes[i]! > 0n) this.open.set(slot.key, slot);
    // prices may have moved since then; the steps below assume every open position is healthy
    await this.sweepLiquidations();
  }

  // ------------------------------------------------------------ one random step

  private async step() {
    const roll = this.rng.next();
    if (roll < 0.25) return this.movePrices();
    if (roll < 0.32) return this.accrueBorrowing();
    if (roll < 0.38) return this.accrueFunding();
    if (roll < 0.42) return this.movePool();
    if (roll < 0.62 || this.open.size === 0) return this.freeSlots().length > 0 ? this.openRandom() : this.increaseRandom();
    if (roll < 0.72) return this.increaseRandom();
    if (roll < 0.85) return this.decreaseRandom();
    if (roll < 0.95) return this.close(this.rng.pick([...this.open.values()]));
    return this.adlRandom();
  }

  /** Both index prices take a random-walk step (sometimes a shock), then liquidations are swept. */
  private async movePrices() {
    for (const symbol of VOLATILE) {
      const bps = this.rng.chance(0.1) ? this.rng.int(400, 900) * (this.rng.chance(0.5) ? -1 : 1) : this.rng.int(-200, 200);
      await this.setAnswer(symbol, (this.answers[symbol] * BigInt(10_000 + bps)) / BPS);
    }
    await this.sweepLiquidations();
  }

  /** Borrowing of 0.001% .. 0.05% of size for one market side. */
  private async accrueBorrowing() {
    const market = this.rng.pick(GMX_V2_MARKET_NAMES);
    const isLong = this.rng.chance(0.5);
    const current = await this.k.getUint(gmxV2Keys.cumulativeBorrowingFactor(this.k.g.markets[market].marketToken, isLong));
    await this.k.setBorrowing(market, isLong, current + (BigInt(this.rng.int(1, 50)) * USD) / 100_000n);
    this.counts.borrowing++;
    await this.sweepLiquidations();
  }

  /** Funding of 0.001% .. 0.03% of size, paid by one market side in one collateral token. */
  private async accrueFunding() {
    const market = this.rng.pick(GMX_V2_MARKET_NAMES);
    const m = this.k.g.markets[market];
    const collateralToken = this.rng.chance(0.5) ? m.longToken : m.shortToken;
    const isLong = this.rng.chance(0.5);
    const current = await this.k.getUint(gmxV2Keys.fundingFeeAmountPerSize(m.marketToken, collateralToken, isLong));
    const rate = (BigInt(this.rng.int(1, 30)) * USD) / 100_000n;
    // amount per USD of size = rate / unit price, scaled to 1e45
    const delta = (rate * FUNDING_SCALE) / this.unitPrice(this.symbolOf(collateralToken));
    await this.k.setFunding(market, collateralToken, isLong, current + delta);
    this.counts.funding++;
    await this.sweepLiquidations();
  }

  /** A market's pool of one token moves to $20k .. $2M: a thin pool caps the side's profits (MAX_PNL_FACTOR_FOR_TRADERS). */
  private async movePool() {
    const market = this.rng.pick(GMX_V2_MARKET_NAMES);
    const m = this.k.g.markets[market];
    const token = this.rng.chance(0.5) ? m.longToken : m.shortToken;
    const usd = BigInt(Math.round(20_000 * 100 ** this.rng.next())) * USD;
    await this.k.setPool(market, token, this.amountOf(token, usd));
    this.counts.pool++;
    await this.sweepLiquidations();
  }

  private async openRandom() {
    const slot = this.rng.pick(this.freeSlots());
    const collateralUsd = BigInt(this.rng.int(200, 5000)) * USD;
    // 2x .. 40x, skewed towards high leverage so liquidations happen on their own
    const leverage = BigInt(2 + Math.floor(38 * Math.sqrt(this.rng.next())));
    await this.openPosition(slot, collateralUsd, leverage);
  }

  private async openPosition(slot: Slot, collateralUsd: bigint, leverage: bigint) {
    const amount = this.amountOf(slot.collateralToken, collateralUsd);
    const ok =
      (await this.k.tryIncrease(slot, amount, collateralUsd * leverage, this.randomImpact(slot, collateralUsd * leverage))) ||
      (await this.k.tryIncrease(slot, amount, collateralUsd * 2n));
    if (!ok) throw new Error(`could not open ${describeSlot(slot)}`);
    this.open.set(slot.key, slot);
    this.counts.open++;
  }

  private async increaseRandom() {
    const slot = this.rng.pick([...this.open.values()]);
    const collateralUsd = BigInt(this.rng.int(100, 2000)) * USD;
    const sizeDeltaUsd = collateralUsd * BigInt(this.rng.int(0, 10));
    const amount = this.amountOf(slot.collateralToken, collateralUsd);
    const ok =
      (await this.k.tryIncrease(slot, amount, sizeDeltaUsd, this.randomImpact(slot, sizeDeltaUsd))) ||
      (await this.k.tryIncrease(slot, amount, 0n)); // collateral only
    if (!ok) throw new Error(`could not increase ${describeSlot(slot)}`);
    this.counts.increase++;
  }

  private async decreaseRandom() {
    const slot = this.rng.pick([...this.open.values()]);
    const p = await this.k.position(slot);
    const sizeDeltaUsd = (p.sizeInUsd * BigInt(this.rng.int(20, 70))) / 100n;
    const withdraw = (p.collateralAmount * BigInt(this.rng.int(0, 30))) / 100n;
    const ok = (await this.k.tryDecrease(slot, sizeDeltaUsd, withdraw)) || (await this.k.tryDecrease(slot, sizeDeltaUsd, 0n));
    if (!ok) return this.close(slot); // a partial cut that cannot stay valid becomes a full close
    this.counts.decrease++;
  }

  private async close(slot: Slot) {
    // every open position is healthy here (sweeps follow each price and fee change)
    await this.k.close(slot);
    this.open.delete(slot.key);
    this.counts.close++;
  }

  /** Auto-deleverages part of a position in profit; nothing happens when none is. */
  private async adlRandom() {
    const profitable = [];
    for (const slot of this.open.values()) if ((await this.pnlUsd(slot)) > 0n) profitable.push(slot);
    if (profitable.length === 0) return;
    const slot = this.rng.pick(profitable);
    const p = await this.k.position(slot);
    if (await this.k.tryDecrease(slot, (p.sizeInUsd * BigInt(this.rng.int(20, 60))) / 100n, 0n, SECONDARY_ORDER_TYPE_ADL)) {
      this.adl.push(slot.key);
      this.counts.adl++;
    }
  }

  // ------------------------------------------------------------ liquidations

  /** Liquidates every tracked position the fixture reports as liquidatable, in a stable order. */
  private async sweepLiquidations() {
    const slots = [...this.open.values()];
    const checks = await Promise.all(slots.map((s) => this.k.liquidationCheck(s)));
    for (const [i, slot] of slots.entries()) {
      if (!checks[i]!.liquidatable) continue;
      await this.k.liquidate(slot);
      this.open.delete(slot.key);
      this.liquidated.push({ key: slot.key, isLong: slot.isLong });
      if (slot.isLong) this.counts.liquidationLong++;
      else this.counts.liquidationShort++;
    }
  }

  /** Opens a 40x ETH position and walks the price against it until a sweep liquidates it. */
  private async stageLiquidation(isLong: boolean): Promise<true> {
    const slot = await this.freeSlotOn("ETH", isLong);
    await this.openPosition(slot, 1_000n * USD, 40n);
    for (let step = 0; this.open.has(slot.key); step++) {
      if (step === 50) throw new Error(`staged ${describeSlot(slot)} was never liquidated`);
      await this.setAnswer("WETH", (this.answers.WETH * (isLong ? 9_900n : 10_100n)) / BPS);
      await this.sweepLiquidations();
    }
    return true;
  }

  /** Opens a 5x ETH long, lifts the price 5% and deleverages half of it. */
  private async stageAdl(): Promise<true> {
    const slot = await this.freeSlotOn("ETH", true);
    await this.openPosition(slot, 1_000n * USD, 5n);
    await this.setAnswer("WETH", (this.answers.WETH * 10_500n) / BPS);
    await this.sweepLiquidations();
    const p = await this.k.position(slot);
    await this.k.decrease(slot, p.sizeInUsd / 2n, 0n, SECONDARY_ORDER_TYPE_ADL);
    this.adl.push(slot.key);
    this.counts.adl++;
    return true;
  }

  /** A free slot on the market side (longs backed by the long token, shorts by the short one), closing one if all are taken. */
  private async freeSlotOn(market: GmxV2MarketName, isLong: boolean): Promise<Slot> {
    const m = this.k.g.markets[market];
    const collateralToken = isLong ? m.longToken : m.shortToken;
    const fits = (s: Slot) => s.market === market && s.isLong === isLong && s.collateralToken === collateralToken;
    const free = this.freeSlots().find(fits);
    if (free) return free;
    const taken = this.slots.find(fits)!;
    await this.close(taken);
    return taken;
  }

  // ------------------------------------------------------------ helpers

  private async setAnswer(symbol: (typeof VOLATILE)[number], answer: bigint) {
    const next = answer > 0n ? answer : 1n;
    await this.k.setPrice(symbol, next);
    this.answers[symbol] = next;
    this.counts.priceMove++;
  }

  /** Keeper-chosen price impact: -0.1% .. +0.03% of the size, in index tokens. */
  private randomImpact(slot: Slot, sizeDeltaUsd: bigint): bigint {
    const impactUsd = (sizeDeltaUsd * BigInt(this.rng.int(-10, 3))) / BPS;
    return impactUsd / this.unitPrice(GMX_V2_MARKET_TOKENS[slot.market].index);
  }

  private async pnlUsd(slot: Slot): Promise<bigint> {
    const p = await this.k.position(slot);
    const value = p.sizeInTokens * this.unitPrice(GMX_V2_MARKET_TOKENS[slot.market].index);
    return slot.isLong ? value - p.sizeInUsd : p.sizeInUsd - value;
  }

  private amountOf(token: Address, usd: bigint): bigint {
    return usd / this.unitPrice(this.symbolOf(token));
  }

  private unitPrice(symbol: TokenSymbol): bigint {
    return feedUnitPrice(this.answers[symbol], this.k.d.tokens[symbol]);
  }

  private symbolOf(token: Address): TokenSymbol {
    const symbol = (Object.keys(this.k.d.tokens) as TokenSymbol[]).find((s) => this.k.d.tokens[s].address === token);
    if (!symbol) throw new Error(`unknown token ${token}`);
    return symbol;
  }

  private freeSlots(): Slot[] {
    return this.slots.filter((s) => !this.open.has(s.key));
  }
}

function describeSlot(slot: Slot) {
  return `${slot.isLong ? "long" : "short"} ${slot.market} (${slot.collateralToken} collateral) of ${slot.account}`;
}
