import type { Address } from "viem";
import type { AssessContext, Assessment, MarkPrice, PositionRisk, PositionRow, PriceBook, ProtocolAdapter } from "../core/adapter";
import { assetDirectory } from "../core/assets";
import { userError } from "../core/errors";
import { ExposureTally, LiquidatableTally, type LiquidatableSum } from "../core/exposure";
import type { Lookups } from "../core/memo";
import { noReadings, pointChanges, pointKey, recordingPrices, shockedPrices, type Readings, type Shock } from "../core/stress";
import { adapterFor } from "../protocols";
import { markKey, prepareRule, ScenarioWithLazyShift, type Rule } from "./prepared-rule";
import {
  blockMap,
  byProtocol,
  combine,
  concat,
  eachWallet,
  loadWallets,
  lookupsAt,
  resolveBlocks,
  selectWallets,
  unknownProtocol,
  walletAnswer,
  type AssessedPosition,
  type At,
  type BlockRef,
  type ExposureDeps,
  type LoadedWallet,
  type PortfolioExposure,
  type WalletSelector,
} from "./service";

export type { Shock };

/** A portfolio's answer at one stress point, and what its protocols would liquidate there. */
export type StressPoint = { shocks: Shock[]; exposure: PortfolioExposure; liquidatable: LiquidatableSum };

/**
 * Most shocked points one stress query may evaluate, and most wallet-points (wallets x points, base
 * included): a 50-step ladder over 200 wallets is 20,200. Sized when the worst allowed took about 2 s
 * of one core (4103d6d, before the per-group tallies).
 */
export const MAX_STRESS_POINTS = 201;
export const MAX_STRESS_WORK = 50_000;

/**
 * A selection's wallets at an answer's blocks, split into stress units with their rules prepared and
 * their base answers: points are then priced without I/O, by a stress and a ladder alike (one query
 * asking both loads once).
 */
export type StressBook = { deps: ExposureDeps; name: string | null; blocks: BlockRef[]; wallets: StressedWallet[]; groups: StressGroup[] };

/** Refuses a stress query beyond the limits, or shocking an unknown asset, before anything is loaded. */
export function checkStressQuery(deps: ExposureDeps, selector: WalletSelector, scenarios: Shock[][]): void {
  if (scenarios.length > MAX_STRESS_POINTS) throw userError(`at most ${MAX_STRESS_POINTS} stress points per query, got ${scenarios.length}`);
  const symbols = [...new Set(deps.config.assets.map((a) => a.symbol))];
  const unknown = scenarios.flat().find((s) => !symbols.includes(s.asset));
  if (unknown) throw userError(`unknown asset '${unknown.asset.slice(0, 32)}' to shock (configured: ${symbols.join(", ")})`);
  const { addresses } = selectWallets(deps, selector);
  const work = addresses.length * (scenarios.length + 1);
  if (work > MAX_STRESS_WORK) {
    throw userError(`stress over ${addresses.length} wallets x ${scenarios.length + 1} points is ${work} wallet-points; at most ${MAX_STRESS_WORK}`);
  }
}

/**
 * The StressBook of the selected wallets at `at`, each selection loaded once per `stressBooks()`: a
 * query asking a stress and a ladder of the same wallets shares one (and one snapshot of the head).
 */
export function stressBooks(deps: ExposureDeps) {
  const made = new Map<string, Promise<StressBook>>();
  return (selector: WalletSelector, at: At, chainId: number | null): Promise<StressBook> => {
    const when = at === null ? null : "block" in at ? `block ${at.block}` : `time ${at.timestamp}`;
    const key = JSON.stringify([selector.name ?? null, selector.wallets ?? null, when, chainId]);
    let book = made.get(key);
    if (!book) made.set(key, (book = loadBook(deps, selector, at, chainId)));
    return book;
  };
}

async function loadBook(deps: ExposureDeps, selector: WalletSelector, at: At, chainId: number | null): Promise<StressBook> {
  const { name, addresses } = selectWallets(deps, selector);
  const blocks = await resolveBlocks(deps, at, chainId);
  const loaded = await loadWallets(deps, addresses, blocks, at === null);
  return bookOf(deps, name, loaded, blocks, lookupsAt(deps, blocks));
}

/**
 * Positions whose figures a stress point works out together, with their protocol's rule prepared
 * (loaded once, then run at each point): one margined protocol's rows in one wallet (an account), or
 * one isolated protocol's rows on the same market and collateral, whatever their wallets.
 */
type StressUnit = {
  rows: PositionRow[];
  /** Each row's asset symbol, as totals group it. */
  assets: string[];
  prices: PriceBook;
  at: Rule;
  /** What its base answer read: a point that moves none of it keeps the base answer. */
  readings: Readings;
  base: Assessment;
  /** Its group (below), and its place there. */
  group: number;
  member: number;
};

/**
 * Units that read the same inputs (symbols, and the volatility shift or not): any point moves all of
 * them or none, and two points that show them the same part (pointKey) give them the same answers.
 * So a point's key is worked out once per group, and its answers and their tally kept per key.
 */
type StressGroup = { readings: Readings; units: StressUnit[]; base: GroupAnswer; answers: Map<string, GroupAnswer>; liquidatable: Map<string, LiquidatableTally> };

type GroupAnswer = { assessments: Assessment[]; tally: ExposureTally };

/** A wallet under stress: where each of its positions is worked out, in assessment order, and its accounts' units. */
type StressedWallet = {
  w: LoadedWallet;
  slots: { row: PositionRow; unit: StressUnit; index: number }[];
  units: StressUnit[];
  margined: StressUnit[];
  warnings: string[];
};

const notPrepared = (): never => {
  throw new Error("stress unit used before its rule was prepared");
};

/** The StressBook of wallets already loaded: split into stress units (see StressUnit), each prepared and assessed at the base with what it read noted. */
export async function bookOf(deps: ExposureDeps, name: string | null, loaded: LoadedWallet[], blocks: BlockRef[], lookups: Lookups): Promise<StressBook> {
  const symbolOf = assetDirectory(deps.config).symbol;
  // Isolated positions read their own market's and collateral's marks only: one book serves them all.
  const marks = new Map<string, MarkPrice | undefined>();
  const isolatedMarks: PriceBook = (chainId, asset) => marks.get(markKey(chainId, asset));
  const isolated = new Map<string, StressUnit>();
  const units: { unit: StressUnit; adapter: ProtocolAdapter }[] = [];
  const newUnit = (adapter: ProtocolAdapter, prices: PriceBook) => {
    // Its rule, base answer and group are set once every unit has its rows (below).
    const unit: StressUnit = { rows: [], assets: [], prices, at: notPrepared, readings: noReadings(), base: { positions: [], accounts: [] }, group: -1, member: -1 };
    units.push({ unit, adapter });
    return unit;
  };
  const place = (wallet: StressedWallet, unit: StressUnit, row: PositionRow) => {
    const asset = symbolOf(row.chainId, row.market);
    // Each position's answer shows its market's mark, which a point moving it changes.
    unit.readings.symbols.add(asset);
    unit.assets.push(asset);
    wallet.slots.push({ row, unit, index: unit.rows.push(row) - 1 });
  };
  const wallets = loaded.map((w): StressedWallet => {
    const wallet: StressedWallet = { w, slots: [], units: [], margined: [], warnings: [] };
    for (const [protocol, group] of byProtocol(w.rows)) {
      const adapter = adapterFor(protocol);
      if (!adapter) {
        wallet.warnings.push(unknownProtocol(protocol, group.length));
        continue;
      }
      if (!adapter.isolatedPositions) {
        const unit = newUnit(adapter, w.prices);
        wallet.margined.push(unit);
        wallet.units.push(unit);
        for (const row of group) place(wallet, unit, row);
        continue;
      }
      for (const row of group) {
        for (const asset of [row.market, row.collateralToken]) marks.set(markKey(row.chainId, asset), w.prices(row.chainId, asset));
        const key = `${protocol}:${markKey(row.chainId, row.market)}:${markKey(row.chainId, row.collateralToken)}`;
        let unit = isolated.get(key);
        if (!unit) isolated.set(key, (unit = newUnit(adapter, isolatedMarks)));
        if (!wallet.units.includes(unit)) wallet.units.push(unit);
        place(wallet, unit, row);
      }
    }
    return wallet;
  });
  const ctx: AssessContext = { db: deps.db, schema: deps.schema, blockByChain: blockMap(blocks), config: deps.config, lookups, prices: isolatedMarks };
  await eachWallet(units, async ({ unit, adapter }) => {
    unit.at = await prepareRule(adapter, { ...ctx, prices: unit.prices }, unit.rows);
    const readings = unit.readings;
    unit.base = await unit.at(
      new ScenarioWithLazyShift(
        { prices: recordingPrices(unit.prices, readings, symbolOf) },
        {
          volatilityShift: () => {
            readings.volatility = true;
            return 0;
          },
        },
      ),
    );
  });
  return { deps, name, blocks, wallets, groups: groupUnits(units.map((u) => u.unit)) };
}

/** The tally of a group's answers: every position of every unit. */
function tallyOf(units: StressUnit[], assessments: Assessment[]): ExposureTally {
  const tally = new ExposureTally();
  units.forEach((unit, u) => tally.addEach(unit.assets, unit.rows, assessments[u]!.positions));
  return tally;
}

/** The units grouped by what they read (see StressGroup), each given its group and place. */
function groupUnits(units: StressUnit[]): StressGroup[] {
  const groups: StressGroup[] = [];
  const bySignature = new Map<string, number>();
  for (const unit of units) {
    const signature = `${unit.readings.volatility ? "v" : ""}|${[...unit.readings.symbols].sort().join("|")}`;
    if (!bySignature.has(signature)) {
      bySignature.set(signature, groups.length);
      groups.push({ readings: unit.readings, units: [], base: { assessments: [], tally: new ExposureTally() }, answers: new Map(), liquidatable: new Map() });
    }
    unit.group = bySignature.get(signature)!;
    unit.member = groups[unit.group]!.units.push(unit) - 1;
  }
  for (const group of groups) {
    const assessments = group.units.map((u) => u.base);
    group.base = { assessments, tally: tallyOf(group.units, assessments) };
  }
  return groups;
}

/**
 * A group's answer at a point: its base when the point moves nothing it read, an earlier point's
 * when that one showed it the same (pointKey), else its units' rules run at the point's marks.
 */
async function groupAnswerAt(group: StressGroup, shocks: Shock[], volatilityShift: number, shocked: (book: PriceBook) => PriceBook): Promise<GroupAnswer> {
  if (!pointChanges(group.readings, shocks, volatilityShift, 0)) return group.base;
  const key = pointKey(group.readings, shocks, volatilityShift);
  const known = group.answers.get(key);
  if (known) return known;
  const results = group.units.map((unit) => unit.at({ prices: shocked(unit.prices), volatilityShift }));
  const assessments = results.some((r) => r instanceof Promise) ? await Promise.all(results) : (results as Assessment[]);
  const answer = { assessments, tally: tallyOf(group.units, assessments) };
  group.answers.set(key, answer);
  return answer;
}

/**
 * Re-runs every protocol's own risk rule with shocked marks, once per scenario (check the query
 * first: checkStressQuery). Cross-margined accounts (Aave) see all their shocked prices at once.
 * Positions and protocol parameters are the same at every point (read once, through `lookups`, when
 * each unit's rule is prepared); only marks and the volatility shift move. So a point runs again only
 * the units whose base answer read an input it moves, without I/O; every other position keeps its
 * base figures, which the same rule on the same inputs would give again. A point's totals and what
 * it would liquidate add up its groups' tallies; its positions, wallets and accounts are put
 * together when read.
 */
export async function stressPoints(book: StressBook, scenarios: Shock[][], volatilityShift: number): Promise<{ base: StressPoint; points: StressPoint[] }> {
  const { deps, name, blocks, wallets, groups } = book;
  const symbolOf = assetDirectory(deps.config).symbol;
  // One assessed position per figures: a point whose unit answer is an earlier one's (or the base's) reuses its positions.
  const made = new WeakMap<PositionRisk, AssessedPosition>();
  const pointAt = (shocks: Shock[], answers: GroupAnswer[], bookOf: (wallet: StressedWallet) => PriceBook, walletBase?: (i: number) => ReturnType<typeof walletAnswer>): StressPoint => {
    const answerOf = (unit: StressUnit) => answers[unit.group]!.assessments[unit.member]!;
    const positionsOf = (wallet: StressedWallet) =>
      wallet.slots.map(({ row, unit, index }) => {
        const risk = answerOf(unit).positions[index]!;
        let position = made.get(risk);
        if (!position) made.set(risk, (position = { row, risk, mark: bookOf(wallet)(row.chainId, row.market) }));
        return position;
      });
    const walletOf = (wallet: StressedWallet) =>
      walletAnswer(deps, wallet.w.address, blocks, () => positionsOf(wallet), concat(wallet.margined.map((u) => answerOf(u).accounts)), wallet.warnings);
    // A wallet none of whose units moved has its base answer.
    const moved = (wallet: StressedWallet) => walletBase === undefined || wallet.units.some((u) => answers[u.group] !== groups[u.group]!.base);
    const tally = new ExposureTally();
    for (const answer of answers) tally.merge(answer.tally);
    const exposure = combine(
      deps,
      name,
      blocks,
      () => wallets.map((wallet, i) => (moved(wallet) ? walletOf(wallet) : walletBase!(i))),
      () => concat(wallets.map((wallet, i) => (moved(wallet) ? positionsOf(wallet) : walletBase!(i).assessed))),
      tally,
    );
    return { shocks, exposure, liquidatable: tally.liquidatable.sum };
  };
  const base = pointAt([], groups.map((g) => g.base), (wallet) => wallet.w.prices);
  const baseWallets = base.exposure.wallets;

  const points: StressPoint[] = [];
  for (const shocks of scenarios) {
    const shocked = shockedBooks(shocks, symbolOf);
    const answers: GroupAnswer[] = [];
    for (const group of groups) answers.push(await groupAnswerAt(group, shocks, volatilityShift, shocked));
    points.push(pointAt(shocks, answers, (wallet) => shocked(wallet.w.prices), (i) => baseWallets[i]!));
  }
  return { base, points };
}

/** The price books with a point's shocks applied, each book shocked once. */
function shockedBooks(shocks: Shock[], symbolOf: (chainId: number, asset: Address) => string) {
  const books = new Map<PriceBook, PriceBook>();
  return (book: PriceBook) => books.get(book) ?? books.set(book, shockedPrices(book, shocks, symbolOf)).get(book)!;
}

/**
 * What the protocols would liquidate at each point (a liquidation ladder): stressPoints' `liquidatable`
 * alone, each unit asked for that alone when its protocol's rule can answer it so.
 */
export async function ladderSteps({ deps, groups }: StressBook, scenarios: Shock[][]): Promise<LiquidatableSum[]> {
  const symbolOf = assetDirectory(deps.config).symbol;
  const steps: LiquidatableSum[] = [];
  for (const shocks of scenarios) {
    const shocked = shockedBooks(shocks, symbolOf);
    const tally = new LiquidatableTally();
    for (const group of groups) tally.merge(await groupLiquidatableAt(group, shocks, shocked));
    steps.push(tally.sum);
  }
  return steps;
}

/** groupAnswerAt's tally of what is liquidatable, from each unit's `liquidatable` where its rule has one. */
async function groupLiquidatableAt(group: StressGroup, shocks: Shock[], shocked: (book: PriceBook) => PriceBook): Promise<LiquidatableTally> {
  if (!pointChanges(group.readings, shocks, 0, 0)) return group.base.tally.liquidatable;
  const key = pointKey(group.readings, shocks, 0);
  // A stress point of the same book may have shown the group the same.
  const known = group.liquidatable.get(key) ?? group.answers.get(key)?.tally.liquidatable;
  if (known) return known;
  const tally = new LiquidatableTally();
  for (const unit of group.units) {
    const scenario = { prices: shocked(unit.prices), volatilityShift: 0 };
    if (unit.at.liquidatable) unit.at.liquidatable(scenario, tally);
    else tally.addMarked((await unit.at(scenario)).positions);
  }
  group.liquidatable.set(key, tally);
  return tally;
}
