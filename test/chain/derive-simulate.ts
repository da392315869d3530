import { createTestClient, getAddress, http, parseAbi, parseEventLogs, type Abi, type Address, type TestClient } from "viem";
import { anvilAccount, chainClients, fixtureChain, read, send, type ContractCall } from "./clients.js";
import { fixtureAbis, type Deployment } from "./deploy.js";
import {
  deriveAbis,
  DERIVE_MARKETS,
  DERIVE_UNDERLYING,
  fromSubId,
  toSubId,
  type DeriveAbis,
  type DeriveDeployment,
  type DeriveMarket,
} from "./derive-deploy.js";
import { createRng, type Rng } from "./rng.js";

export type DeriveHolding = { accountId: bigint; asset: Address; subId: bigint; balance: bigint };

/** SubAccounts' events as Derive declares them. */
const SUB_ACCOUNTS_EVENTS = parseAbi([
  "event Transfer(address indexed from, address indexed to, uint256 indexed tokenId)",
  "event BalanceAdjusted(uint indexed accountId, address indexed manager, bytes32 indexed assetAndSubId, int amount, int preBalance, int postBalance, uint tradeId)",
]);

const SUB_ID_MASK = 2n ** 96n - 1n;

// Trade ids continue from the contract's lastTradeId, then count up in memory: chained before
// awaiting, so concurrent callers in a process never share one.
const tradeIds = new Map<string, Promise<bigint>>();

/** Scripted access to a Derive fixture as its keeper (anvil account 0), which sends every transaction. */
export class DeriveKeeper {
  readonly owner = anvilAccount(0);

  private constructor(
    readonly d: Deployment,
    readonly x: DeriveDeployment,
    readonly abis: DeriveAbis,
    private readonly aggregator: Abi,
  ) {}

  static async create(d: Deployment, x: DeriveDeployment): Promise<DeriveKeeper> {
    return new DeriveKeeper(d, x, await deriveAbis(), (await fixtureAbis()).aggregator);
  }

  /** Mints a subaccount to owner; returns its id. */
  async createAccount(owner: Address): Promise<bigint> {
    const receipt = await this.send("createAccount", [owner]);
    const [minted] = parseEventLogs({ abi: SUB_ACCOUNTS_EVENTS, eventName: "Transfer", logs: receipt.logs });
    if (!minted) throw new Error(`createAccount(${owner}) minted nothing`);
    return minted.args.tokenId;
  }

  transferAccount(accountId: bigint, from: Address, to: Address) {
    return this.send("transferFrom", [from, to, accountId]);
  }

  /** Credits cash (18 decimals), as a USDC deposit into Derive's cash asset does. */
  async deposit(accountId: bigint, amount18: bigint) {
    return this.send("adjustBalance", [accountId, this.x.cash, 0n, amount18, await this.nextTradeId()]);
  }

  /** The buyer gets contracts18 options from the seller for premium18 of cash in total. */
  async tradeOption(
    buyer: bigint,
    seller: bigint,
    market: DeriveMarket,
    expiry: bigint,
    strike18: bigint,
    isCall: boolean,
    contracts18: bigint,
    premium18: bigint,
  ) {
    const subId = toSubId(expiry, strike18, isCall);
    const tradeId = await this.nextTradeId();
    return this.send("trade", [buyer, seller, this.optionAsset(market), subId, contracts18, this.x.cash, premium18, tradeId]);
  }

  /** Moves perp contracts from seller to buyer; no cash changes hands. Both sides' PnL is realised first, as PerpAsset.handleAdjustment does. */
  async tradePerp(buyer: bigint, seller: bigint, market: DeriveMarket, contracts18: bigint) {
    for (const id of [buyer, seller]) {
      await send(this.d.rpcUrl, this.owner, { address: this.perpAsset(market), abi: this.abis.perp, functionName: "realizeAccountPNL", args: [id] });
    }
    return this.send("trade", [buyer, seller, this.perpAsset(market), 0n, contracts18, this.x.cash, 0n, await this.nextTradeId()]);
  }

  /** Credits wrapped base collateral (18 decimals), as a WrappedERC20Asset deposit does. */
  async depositBase(accountId: bigint, market: DeriveMarket, amount18: bigint) {
    return this.send("adjustBalance", [accountId, this.x.bases[market], 0n, amount18, await this.nextTradeId()]);
  }

  /** The fixture manager's getMargin(accountId, isInitial). */
  margin(accountId: bigint, isInitial: boolean): Promise<bigint> {
    return read<bigint>(this.d.rpcUrl, { address: this.x.manager, abi: this.abis.manager, functionName: "getMargin", args: [accountId, isInitial] });
  }

  balance(accountId: bigint, asset: Address, subId: bigint): Promise<bigint> {
    return this.read("getBalance", [accountId, asset, subId]);
  }

  ownerOf(accountId: bigint): Promise<Address> {
    return this.read("ownerOf", [accountId]);
  }

  optionAsset(market: DeriveMarket): Address {
    return this.x.options[market];
  }

  perpAsset(market: DeriveMarket): Address {
    return this.x.perps[market];
  }

  /** The underlying's feed answer in 18 decimals. */
  async spot(market: DeriveMarket): Promise<bigint> {
    const token = this.d.tokens[DERIVE_UNDERLYING[market]];
    const answer = await read<bigint>(this.d.rpcUrl, { address: token.feed, abi: this.aggregator, functionName: "latestAnswer" });
    return answer * 10n ** BigInt(18 - token.feedDecimals);
  }

  /** Every nonzero balance on the contract: keys found through BalanceAdjusted, balances read with getBalance. */
  async holdings(): Promise<DeriveHolding[]> {
    const logs = await chainClients(this.d.rpcUrl).publicClient.getLogs({
      address: this.x.subAccounts,
      event: SUB_ACCOUNTS_EVENTS[1],
      fromBlock: BigInt(this.x.startBlock),
    });
    const keys = new Map<string, { accountId: bigint; asset: Address; subId: bigint }>();
    for (const { args } of logs) {
      const packed = BigInt(args.assetAndSubId!);
      const asset = getAddress(`0x${(packed >> 96n).toString(16).padStart(40, "0")}`);
      keys.set(`${args.accountId}|${args.assetAndSubId}`, { accountId: args.accountId!, asset, subId: packed & SUB_ID_MASK });
    }
    const held = await Promise.all([...keys.values()].map(async (k) => ({ ...k, balance: await this.balance(k.accountId, k.asset, k.subId) })));
    return held.filter((h) => h.balance !== 0n);
  }

  send(functionName: string, args: readonly unknown[]) {
    return send(this.d.rpcUrl, this.owner, this.call(functionName, args));
  }

  read<T>(functionName: string, args: readonly unknown[]): Promise<T> {
    return read<T>(this.d.rpcUrl, this.call(functionName, args));
  }

  private call(functionName: string, args: readonly unknown[]): ContractCall {
    return { address: this.x.subAccounts, abi: this.abis.subAccounts, functionName, args };
  }

  private nextTradeId(): Promise<bigint> {
    const id = `${this.d.rpcUrl}|${this.x.subAccounts}`;
    const next = (tradeIds.get(id) ?? this.read<bigint>("lastTradeId", [])).then((last) => last + 1n);
    tradeIds.set(id, next);
    return next;
  }
}

// ---------------------------------------------------------------- seeded simulation

export type DeriveSimulationOptions = { seed: number; steps: number; wallets?: number; firstAccountIndex?: number };

export type DeriveCounts = {
  accounts: number;
  deposits: number;
  optionTrades: number;
  calls: number;
  puts: number;
  perpTrades: number;
  transfers: number;
  timeWarps: number;
};

export type DeriveSimulationSummary = {
  seed: number;
  wallets: Address[];
  /** The scenario's subaccounts with their owners at the end. */
  accounts: { accountId: bigint; owner: Address }[];
  counts: DeriveCounts;
  /** About 2, 30 and 90 days out at 08:00 UTC when the scenario began; the first has passed by the end. */
  expiries: bigint[];
  transfers: { accountId: bigint; from: Address; to: Address }[];
  /** Every nonzero balance on the contract at the end (earlier runs' and tests' accounts included). */
  holdings: DeriveHolding[];
  fromBlock: number;
  toBlock: number;
};

const WAD = 10n ** 18n;
const BPS = 10_000n;
const DAY = 86_400n;
const EXPIRY_DAYS = [2n, 30n, 90n];
/** Smallest trade size per market: 0.1 ETH, 0.01 BTC. */
const CONTRACT_STEP: Record<DeriveMarket, bigint> = { ETH: WAD / 10n, BTC: WAD / 100n };

/** Derive's expiries fall at 08:00 UTC. */
const expiryOnDayOf = (timestamp: bigint) => (timestamp / DAY) * DAY + 8n * 3_600n;

/**
 * Deterministic Derive trading on a deployed fixture: wallets are anvil accounts from firstAccountIndex
 * (default 1; the keeper sends every transaction, so they need no ETH). Each wallet gets 1-2 funded
 * subaccounts that trade options and perps with one another; halfway through, time passes the nearest
 * expiry, whose options stay in balances unsettled.
 */
export async function simulateDerive(d: Deployment, x: DeriveDeployment, opts: DeriveSimulationOptions): Promise<DeriveSimulationSummary> {
  if ((opts.wallets ?? 4) < 2) throw new Error("simulateDerive needs at least two wallets (subaccounts change hands)");
  const sim = new DeriveSimulator(await DeriveKeeper.create(d, x), createRng(opts.seed), opts);
  return sim.run(opts);
}

type OptionChoice = { expiry?: bigint; isCall?: boolean };

class DeriveSimulator {
  private readonly wallets: Address[];
  private readonly testClient: TestClient;
  /** Current owner of each subaccount the scenario created, in creation order. */
  private readonly owners = new Map<bigint, Address>();
  private readonly transfers: { accountId: bigint; from: Address; to: Address }[] = [];
  private readonly counts: DeriveCounts = {
    accounts: 0,
    deposits: 0,
    optionTrades: 0,
    calls: 0,
    puts: 0,
    perpTrades: 0,
    transfers: 0,
    timeWarps: 0,
  };
  private expiries: bigint[] = [];
  /** Expiries not yet passed: the only ones traded. */
  private live: bigint[] = [];

  constructor(
    private readonly k: DeriveKeeper,
    private readonly rng: Rng,
    opts: DeriveSimulationOptions,
  ) {
    const first = opts.firstAccountIndex ?? 1;
    this.wallets = Array.from({ length: opts.wallets ?? 4 }, (_, i) => anvilAccount(first + i).address);
    this.testClient = createTestClient({ mode: "anvil", chain: fixtureChain(k.d.rpcUrl), transport: http(k.d.rpcUrl) });
  }

  async run(opts: DeriveSimulationOptions): Promise<DeriveSimulationSummary> {
    const { publicClient } = chainClients(this.k.d.rpcUrl);
    const fromBlock = Number(await publicClient.getBlockNumber()) + 1;
    await this.setup();

    const half = Math.floor(opts.steps / 2);
    for (let step = 0; step < half; step++) await this.step();
    await this.expireNearest();
    for (let step = half; step < opts.steps; step++) await this.step();

    // a short or unlucky run may miss one of these; stage it
    if (this.transfers.length === 0) await this.transferRandom();
    for (const isCall of [true, false]) {
      const held = (await this.ownOptions()).some((h) => fromSubId(h.subId).isCall === isCall);
      if (!held) await this.tradeOption({ isCall });
    }

    return {
      seed: opts.seed,
      wallets: this.wallets,
      accounts: [...this.owners].map(([accountId, owner]) => ({ accountId, owner })),
      counts: { ...this.counts },
      expiries: this.expiries,
      transfers: [...this.transfers],
      holdings: await this.k.holdings(),
      fromBlock,
      toBlock: Number(await publicClient.getBlockNumber()),
    };
  }

  private async setup() {
    for (const wallet of this.wallets) {
      for (let n = this.rng.int(1, 2); n > 0; n--) {
        const accountId = await this.k.createAccount(wallet);
        this.owners.set(accountId, wallet);
        this.counts.accounts++;
        await this.deposit(accountId);
      }
    }
    const now = await this.now();
    this.expiries = EXPIRY_DAYS.map((days) => expiryOnDayOf(now + days * DAY));
    this.live = [...this.expiries];
  }

  private async step() {
    const roll = this.rng.next();
    if (roll < 0.55) return this.tradeOption();
    if (roll < 0.8) return this.tradePerp();
    if (roll < 0.88) return this.transferRandom();
    return this.deposit(this.rng.pick(this.accountIds()));
  }

  /** Cash of $10k .. $200k. */
  private async deposit(accountId: bigint) {
    await this.k.deposit(accountId, BigInt(this.rng.int(10, 200)) * 1_000n * WAD);
    this.counts.deposits++;
  }

  /** Strikes every 5% within ±30% of spot in whole dollars; premium 2% .. 10% of spot per contract. */
  private async tradeOption(choice: OptionChoice = {}) {
    const market = this.rng.pick(DERIVE_MARKETS);
    const [buyer, seller] = this.pair();
    const expiry = choice.expiry ?? this.rng.pick(this.live);
    const isCall = choice.isCall ?? this.rng.chance(0.5);
    const spot = await this.k.spot(market);
    const strike = ((spot * BigInt(10_000 + 500 * this.rng.int(-6, 6))) / BPS / WAD) * WAD;
    const contracts = CONTRACT_STEP[market] * BigInt(this.rng.int(1, 100));
    const premium = (contracts * spot * BigInt(this.rng.int(200, 1_000))) / BPS / WAD;
    await this.k.tradeOption(buyer, seller, market, expiry, strike, isCall, contracts, premium);
    this.counts.optionTrades++;
    this.counts[isCall ? "calls" : "puts"]++;
  }

  private async tradePerp() {
    const market = this.rng.pick(DERIVE_MARKETS);
    const [buyer, seller] = this.pair();
    await this.k.tradePerp(buyer, seller, market, CONTRACT_STEP[market] * BigInt(this.rng.int(1, 100)));
    this.counts.perpTrades++;
  }

  private async transferRandom() {
    const accountId = this.rng.pick(this.accountIds());
    const from = this.owners.get(accountId)!;
    const to = this.rng.pick(this.wallets.filter((w) => w !== from));
    await this.k.transferAccount(accountId, from, to);
    this.owners.set(accountId, to);
    this.transfers.push({ accountId, from, to });
    this.counts.transfers++;
  }

  /** Makes sure a position on the nearest expiry is open, then moves time an hour past that expiry. */
  private async expireNearest() {
    const nearest = this.expiries[0]!;
    if (!(await this.ownOptions()).some((h) => fromSubId(h.subId).expiry === nearest)) await this.tradeOption({ expiry: nearest });
    await this.testClient.increaseTime({ seconds: Number(nearest - (await this.now())) + 3_600 });
    await this.testClient.mine({ blocks: 1 });
    this.live = this.expiries.slice(1);
    this.counts.timeWarps++;
  }

  /** Nonzero option balances of the scenario's own subaccounts. */
  private async ownOptions(): Promise<DeriveHolding[]> {
    const options = new Set<Address>(Object.values(this.k.x.options));
    return (await this.k.holdings()).filter((h) => this.owners.has(h.accountId) && options.has(h.asset));
  }

  /** A buyer and a different seller among the scenario's subaccounts. */
  private pair(): [bigint, bigint] {
    const ids = this.accountIds();
    const buyer = this.rng.pick(ids);
    return [buyer, this.rng.pick(ids.filter((id) => id !== buyer))];
  }

  private accountIds(): bigint[] {
    return [...this.owners.keys()];
  }

  private async now(): Promise<bigint> {
    return (await chainClients(this.k.d.rpcUrl).publicClient.getBlock()).timestamp;
  }
}
