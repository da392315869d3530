// Checks standard-margin.ts against Derive's own StandardManager vectors, which are not kept in this
// tree (another repository's data): `npx tsx scripts/derive-srm-vectors.ts <derivexyz/v2-core clone> [name filter]`.
// Two sets, in test/risk-managers/unit-tests/StandardManager/:
// - test-cases.json (TestStandardManager_Cases): each case's feeds, perp state and balances set as the
//   test's _setUpScenario sets them; MM, IM and MtM compared with realMM, realIM and PortfolioMtM at the
//   test's own tolerance (forge assertApproxEqRel 0.1%; an expected 0 must be exactly 0).
// - test-cases-portfolio.json (TestStandardManager_Portfolio_Cases): the test's default feeds and the
//   per-case feed overrides of its testCaseN functions; MM and IM compared as the test does, in whole
//   dollars truncated toward zero (mm / 1e18 == result.mm).
// The portfolio is arranged as SRMPortfolioViewer.arrangeSRMPortfolio arranges the balances; each option
// marked by optionMark (Black76 at the forward, discount 1) with the vol the test gives the mock vol feed
// for its expiry and strike (per-option OptionVols; 0.5 in the portfolio set), time to expiry as the test
// sets it. Exits 1 on a mismatch.
import { minBig as min } from "../src/core/fixed";
import { mulD, standardMargin, WAD, type ExpiryHolding, type MarketHolding, type MarketMarginParams, type StandardPortfolio } from "../src/protocols/derive/standard-margin";
import { optionMark } from "../src/protocols/derive/subaccount-margin";
import { vectorSource } from "./derive-vectors";

const source = vectorSource("derive-srm-vectors.ts");
const DIR = "test/risk-managers/unit-tests/StandardManager";
const E = (n: number | string) => BigInt(n) * 10n ** 16n; // hundredths of 1e18: E(5) = 0.05e18
const MILLI = (n: number | string) => BigInt(n) * 10n ** 15n; // thousandths: MILLI(75) = 0.075e18
/** forge's block.timestamp (neither test warps). */
const T = 1n;

/** forge's readInt / readUint of an integer JSON number. */
function int(v: unknown): bigint {
  const s = String(v);
  if (!/^-?\d+$/.test(s)) throw new Error(`not an integer: ${s}`);
  return BigInt(s);
}

/** Config.getSRMParams (test/config-test.sol) option and oracle-contingency parameters, which both tests set. */
const OPTION_PARAMS = { maxSpotReq: E(15), minSpotReq: E(10), mmCallSpotReq: MILLI(75), mmPutSpotReq: MILLI(75), MMPutMtMReq: MILLI(75), unpairedIMScale: E(120), unpairedMMScale: E(110), mmOffsetScale: E(105) };
const ORACLE_CONTINGENCY = { perpThreshold: E(40), optionThreshold: E(40), baseThreshold: E(40), OCFactor: E(40) };
/** TestStandardManagerBase: setPerpMarginRequirements(market, 0.05e18 MM, 0.065e18 IM). */
const PERP_REQUIREMENTS = { mmPerpReq: E(5), imPerpReq: MILLI(65) };
/** Both tests: setDepegParameters(DepegParams(0.98e18, 1.2e18)). */
const DEPEG = { threshold: E(98), depegFactor: E(120) };
const paramsWithBase = (marginFactor: bigint): MarketMarginParams => ({
  option: OPTION_PARAMS,
  perp: PERP_REQUIREMENTS,
  base: { marginFactor, IMScale: WAD },
  oracleContingency: ORACLE_CONTINGENCY,
});

/** One MockFeeds (spot, forward and vol feed of a market) plus its MockPerp's price, as the tests set them. */
class Feed {
  spot = 0n;
  spotConf = 0n;
  perpPrice = 0n;
  perpConf = 0n;
  forwards = new Map<bigint, { price: bigint; conf: bigint }>();
  vols = new Map<string, bigint>();
  /** MockFeeds.volConfidences: per expiry, the last setVol's confidence (getExpiryMinConfidence). */
  volConfs = new Map<bigint, bigint>();
  /** MockPerp.getUnsettledAndUnrealizedCash for the account: mocked pnl + funding. */
  unsettled = 0n;
  setVol(expiry: bigint, strike: bigint, vol: bigint, conf: bigint) {
    this.vols.set(`${expiry}:${strike}`, vol);
    this.volConfs.set(expiry, conf);
  }
  getVol = (expiry: bigint, strike: bigint) => this.vols.get(`${expiry}:${strike}`) ?? 0n;
}
type MarketName = "eth" | "btc";
type World = { feeds: Record<MarketName, Feed>; stablePrice: bigint; params: MarketMarginParams };
type Balance =
  | { kind: "cash"; balance: bigint }
  | { kind: "perp"; market: MarketName; balance: bigint }
  | { kind: "base"; market: MarketName; balance: bigint }
  | { kind: "option"; market: MarketName; balance: bigint; expiry: bigint; strike: bigint; isCall: boolean };
/** Our mark: optionMark, as the indexer marks a live option. */
function mark(strike: bigint, isCall: boolean, expiry: bigint, forward: bigint, vol: bigint): bigint {
  const m = optionMark(strike, isCall, expiry, forward, T, Number(vol) / 1e18);
  if (m === null) throw new Error(`optionMark gives no mark (strike ${strike}, vol ${vol})`);
  return m;
}

/** SRMPortfolioViewer.arrangeSRMPortfolio over the balances, priced from the world's feeds as StandardManager reads them. */
function arrange(world: World, balances: Balance[]): StandardPortfolio {
  let cash = 0n;
  const markets = new Map<MarketName, MarketHolding>();
  const expiriesOf = new Map<MarketName, Map<bigint, ExpiryHolding>>();
  for (const b of balances) {
    if (b.kind === "cash") {
      cash = b.balance; // the last cash balance wins
      continue;
    }
    const feed = world.feeds[b.market];
    // Every non-cash balance, even a zero one, makes its market part of the portfolio.
    const m = markets.get(b.market) ?? { params: world.params, spot: feed.spot, spotConfidence: feed.spotConf, perp: null, basePosition: 0n, expiries: [] };
    markets.set(b.market, m);
    const expiries = expiriesOf.get(b.market) ?? new Map<bigint, ExpiryHolding>();
    expiriesOf.set(b.market, expiries);
    if (b.kind === "perp") m.perp = { position: b.balance, perpPrice: feed.perpPrice, perpConfidence: feed.perpConf, unsettledCash: feed.unsettled };
    else if (b.kind === "base") {
      if (b.balance < 0n) throw new Error("negative base balance (toUint256 reverts)");
      m.basePosition = b.balance; // the last one wins
    } else {
      let e = expiries.get(b.expiry);
      if (!e) {
        // StandardManager._getForwardPrice (SRM_NoForwardPrice at 0); the expiry's confidence: forward's and vol feed's.
        const fwd = feed.forwards.get(b.expiry);
        if (!fwd || fwd.price === 0n) throw new Error(`SRM_NoForwardPrice for expiry ${b.expiry}`);
        e = { expiry: b.expiry, forward: fwd.price, options: [], confidence: min(fwd.conf, feed.volConfs.get(b.expiry) ?? 0n) };
        expiries.set(b.expiry, e);
      }
      e.options.push({ strike: b.strike, isCall: b.isCall, balance: b.balance, mark: mark(b.strike, b.isCall, b.expiry, e.forward, feed.getVol(b.expiry, b.strike)) });
    }
  }
  for (const [name, m] of markets) m.expiries = [...expiriesOf.get(name)!.values()];
  return { cash, markets: [...markets.values()], depeg: { ...DEPEG, stablePrice: world.stablePrice } };
}

type Figures = { mm: bigint; im: bigint; mtm: bigint };
function figures(world: World, balances: Balance[]): Figures {
  const portfolio = arrange(world, balances);
  const im = standardMargin(portfolio, true);
  return { mm: standardMargin(portfolio, false).margin, im: im.margin, mtm: im.markToMarket };
}

/** forge's assertApproxEqRel(a, b, 0.001e18): b == 0 demands a == 0; else |a - b| x 1e18 / |b| <= 1e15. */
const approxRel = (a: bigint, b: bigint) => {
  if (b === 0n) return a === 0n;
  const diff = a > b ? a - b : b - a;
  return (diff * WAD) / (b < 0n ? -b : b) <= 10n ** 15n;
};
const relative = (a: bigint, b: bigint) => (b === 0n ? (a === 0n ? 0 : Infinity) : Math.abs(Number(a - b) / Number(b)));
const usd = (x: bigint) => Number(x) / 1e18;

type Worst = { value: number; what: string };
const worst = () => ({ rel: { value: 0, what: "" } as Worst, abs: { value: 0, what: "" } as Worst });
/** test-cases set: margins (MM, IM) and MtM apart. */
const worstMargin = worst();
const worstMtm = worst();
const track = (w: ReturnType<typeof worst>, what: string, got: bigint, want: bigint) => {
  const r = relative(got, want);
  const a = Math.abs(usd(got - want));
  if (r > w.rel.value) w.rel = { value: r, what };
  if (a > w.abs.value) w.abs = { value: a, what };
};
/** portfolio set: our figure closest to a whole dollar (where truncation would flip the test's integer). */
let nearestEdge: Worst = { value: Infinity, what: "" };
const mismatches: string[] = [];
const errors: string[] = [];
/** The case's figures, or null with the error recorded (a case the rules cannot value). */
function figuresOrError(label: string, world: World, balances: Balance[]): Figures | null {
  try {
    return figures(world, balances);
  } catch (e) {
    errors.push(`${label}: ${(e as Error).message}`);
    console.log(`ERR  ${label}: ${(e as Error).message}`);
    return null;
  }
}
let count = 0;

// ---- test-cases.json (UNIT_TestStandardManager_TestCases) ----
{
  const all = source.json(`${DIR}/test-cases.json`);
  for (const name of Object.keys(all).filter(source.wanted)) {
    count++;
    const S = all[name].Scenario;
    const R = all[name].Result;
    const world: World = { feeds: { eth: new Feed(), btc: new Feed() }, stablePrice: int(S.USDCValue), params: paramsWithBase(E(10)) };
    const { eth, btc } = world.feeds;
    const confs = S.SpotPerpConfidences.map((row: unknown[]) => row.map(int));
    [eth.spot, eth.spotConf, btc.spot, btc.spotConf] = [int(S.ETHSpotPrice), confs[0][0], int(S.BTCSpotPrice), confs[1][0]];
    [eth.perpPrice, eth.perpConf, btc.perpPrice, btc.perpConf] = [int(S.PerpPrice[0]), confs[0][1], int(S.PerpPrice[1]), confs[1][1]];
    const underlying: MarketName[] = S.OptionUnderlying.map((u: string) => (u === "ETH" ? "eth" : "btc"));
    S.FeedExpiries.forEach((fe: unknown, i: number) => {
      const isEth = underlying[i] === "eth";
      // Under an hour to expiry the test sets the settlement price as the forward.
      const price = int(fe) < 3600n ? int(isEth ? S.SettlementPriceETH : S.SettlementPriceBTC) : int(S.Forwards[i]);
      (isEth ? eth : btc).forwards.set(T + int(fe), { price, conf: int(S.ForwardConfidences[i]) });
    });
    const [ethPerps, btcPerps] = [int(S.Perps_ETH), int(S.Perps_BTC)];
    const balances: Balance[] = [
      { kind: "cash", balance: int(S.Cash) },
      { kind: "perp", market: "eth", balance: ethPerps },
      { kind: "perp", market: "btc", balance: btcPerps },
      { kind: "base", market: "eth", balance: int(S.wETH) },
      { kind: "base", market: "btc", balance: int(S.wBTC) },
    ];
    // Mocked perp cash: (perp price - last entry) x position, and -position x (global - account funding index).
    for (const [feed, pos, entry, globalIdx, accIdx] of [
      [eth, ethPerps, S.LastEntryETH, S.ETHGlobalFundingIndex, S.AccountETHFundingIndex],
      [btc, btcPerps, S.LastEntryBTC, S.BTCGlobalFundingIndex, S.AccountBTCFundingIndex],
    ] as const) {
      if (pos === 0n) continue;
      feed.unsettled = mulD(feed.perpPrice - int(entry), pos) - mulD(pos, int(globalIdx) - int(accIdx));
    }
    underlying.forEach((market, i) => {
      const expiry = T + int(S.OptionExpiries[i]);
      const strike = (int(S.OptionStrikes[i]) / 10n ** 10n) * 10n ** 10n; // the test's dust removal
      world.feeds[market].setVol(expiry, strike, int(S.OptionVols[i]), int(S.OptionVolConfidences[i]));
      balances.push({ kind: "option", market, balance: int(S.OptionAmounts[i]), expiry, strike, isCall: int(S.OptionIsCall[i]) === 1n });
    });
    const want = { mm: int(R.realMM), im: int(R.realIM), mtm: int(R.PortfolioMtM) };
    const label = `test-cases ${name}`;
    const got = figuresOrError(label, world, balances);
    if (!got) continue;
    for (const k of ["mm", "im", "mtm"] as const) track(k === "mtm" ? worstMtm : worstMargin, `${label} ${k.toUpperCase()}`, got[k], want[k]);
    const ok = approxRel(got.mm, want.mm) && approxRel(got.im, want.im) && approxRel(got.mtm, want.mtm);
    if (!ok) mismatches.push(label);
    const fmt = (k: keyof Figures) => `${k.toUpperCase()} ${usd(got[k])} vs ${usd(want[k])}`;
    console.log(`${ok ? "ok  " : "FAIL"} ${label}: ${fmt("mm")}, ${fmt("im")}, ${fmt("mtm")}`);
  }
}

// ---- test-cases-portfolio.json (UNIT_TestStandardManager_Portfolio_Cases) ----
{
  const DAY = 86_400n;
  // TestCaseExpiries: block.timestamp + days + 8 hours, and its default forwards (spot + premium).
  const DATES: [string, bigint, bigint, bigint][] = [
    ["20230104", 3n, 913_450_000_000_000_000n, 12_788_300_000_000_000_000n],
    ["20230111", 10n, 2_833_050_000_000_000_000n, 39_662_760_000_000_000_000n],
    ["20230118", 17n, 4_754_500_000_000_000_000n, 66_563_010_000_000_000_000n],
    ["20230227", 57n, 15_769_600_000_000_000_000n, 220_774_510_000_000_000_000n],
    ["20230804", 215n, 59_874_160_000_000_000_000n, 838_238_350_000_000_000_000n],
    ["20230811", 222n, 61_859_330_000_000_000_000n, 865_904_720_000_000_000_000n],
    ["20230818", 229n, 63_828_400_000_000_000_000n, 893_597_630_000_000_000_000n],
    ["20230825", 238n, 66_374_400_000_000_000_000n, 929_241_840_000_000_000_000n],
  ];
  const dateToExpiry = new Map(DATES.map(([d, days]) => [d, T + days * DAY + 8n * 3_600n]));
  const [ETH_DEFAULT, BTC_DEFAULT] = [2_000n * WAD, 28_000n * WAD];
  const jan18 = dateToExpiry.get("20230118")!;
  const FWD_2004_75 = 2_004_750_000_000_000_000_000n;
  /** The per-case feed changes of the test's testCaseN functions, made before the case's balances are loaded. */
  const OVERRIDES: Record<string, (w: World) => void> = {
    test_USDC_depeg: (w) => void (w.stablePrice = E(10)),
    test_short_call_low_vol_conf: (w) => w.feeds.eth.setVol(jan18, 2_000n * WAD, E(50), E(10)),
    test_short_call_low_vol_and_fwd_confidence: (w) => {
      w.feeds.eth.setVol(jan18, 2_000n * WAD, E(50), E(50));
      w.feeds.eth.forwards.set(jan18, { price: FWD_2004_75, conf: E(40) - 1n });
    },
    test_short_call_low_spot_vol_fwd_confidence: (w) => {
      w.feeds.eth.setVol(jan18, 2_000n * WAD, E(50), E(50));
      w.feeds.eth.forwards.set(jan18, { price: FWD_2004_75, conf: E(40) });
      w.feeds.eth.spotConf = E(20);
    },
    test_long_call_low_spot_vol_fwd_confidence: (w) => {
      w.feeds.eth.setVol(jan18, 2_000n * WAD, E(50), E(50));
      w.feeds.eth.forwards.set(jan18, { price: FWD_2004_75, conf: E(40) });
      w.feeds.eth.spotConf = E(20);
    },
    test_short_options_two_expiries_low_conf_one_expiry: (w) => {
      w.feeds.eth.setVol(jan18, 2_000n * WAD, E(50), E(30));
      w.feeds.eth.forwards.set(jan18, { price: FWD_2004_75, conf: E(40) });
      w.feeds.eth.spotConf = E(90);
    },
    test_long_eth_perp_low_perp_confidence: (w) => void (w.feeds.eth.perpConf = E(10)),
    test_base_asset_low_spot_confidence: (w) => void (w.feeds.eth.spotConf = E(10)),
    test_long_perp_and_USDC_depeg: (w) => void (w.stablePrice = E(10)),
    test_general_portfolio: (w) => {
      w.stablePrice = E(97);
      w.feeds.eth.setVol(jan18, 2_000n * WAD, E(50), E(50));
      w.feeds.eth.forwards.set(jan18, { price: FWD_2004_75, conf: E(40) - 1n });
      w.feeds.eth.spotConf = E(20);
    },
  };
  const all = source.json(`${DIR}/test-cases-portfolio.json`);
  for (const name of Object.keys(all).filter(source.wanted)) {
    count++;
    const C = all[name];
    const world: World = { feeds: { eth: new Feed(), btc: new Feed() }, stablePrice: WAD, params: paramsWithBase(E(80)) };
    const { eth, btc } = world.feeds;
    [eth.spot, eth.spotConf, btc.spot, btc.spotConf] = [ETH_DEFAULT, WAD, BTC_DEFAULT, WAD];
    // _setUpAdditional: perp prices $1 and $20 over spot.
    [eth.perpPrice, eth.perpConf, btc.perpPrice, btc.perpConf] = [ETH_DEFAULT + WAD, WAD, BTC_DEFAULT + 20n * WAD, WAD];
    for (const [d, , ethPremium, btcPremium] of DATES) {
      eth.forwards.set(dateToExpiry.get(d)!, { price: ETH_DEFAULT + ethPremium, conf: WAD });
      btc.forwards.set(dateToExpiry.get(d)!, { price: BTC_DEFAULT + btcPremium, conf: WAD });
    }
    OVERRIDES[name]?.(world);
    const marketOf = (u: string): MarketName => (u === "eth" ? "eth" : "btc");
    const balances: Balance[] = [];
    for (const o of C.options) {
      const market = marketOf(o.underlying);
      const expiry = dateToExpiry.get(o.expiry);
      if (expiry === undefined) throw new Error(`${name}: unset date ${o.expiry}`);
      const strike = int(o.strike) * WAD;
      // A strike without a vol yet gets 0.5 at confidence 1 (which also resets the expiry's vol confidence).
      if (world.feeds[market].getVol(expiry, strike) === 0n) world.feeds[market].setVol(expiry, strike, E(50), WAD);
      balances.push({ kind: "option", market, balance: int(o.amount) * 10n ** 10n, expiry, strike, isCall: o.type === "call" });
    }
    for (const p of C.perps) {
      const feed = world.feeds[marketOf(p.underlying)];
      const amount = int(p.amount) * 10n ** 10n;
      balances.push({ kind: "perp", market: marketOf(p.underlying), balance: amount });
      feed.unsettled = mulD(feed.perpPrice - int(p.entryPrice) * 10n ** 10n, amount); // funding mocked 0
    }
    for (const b of C.bases) balances.push({ kind: "base", market: marketOf(b.underlying), balance: int(b.amount) * 10n ** 10n });
    balances.push({ kind: "cash", balance: int(C.cash) * 10n ** 10n });
    const result = C.result ?? C.results;
    const want = { mm: int(result.mm), im: int(result.im) };
    const label = `portfolio ${name}`;
    const got = figuresOrError(label, world, balances);
    if (!got) continue;
    // The test's assertEq(margin / 1e18, expected): whole dollars, truncated toward zero.
    for (const [k, v] of [["MM", got.mm], ["IM", got.im]] as const) {
      const frac = Math.abs(usd(v % WAD));
      const edge = Math.min(frac, 1 - frac);
      if (v !== (v / WAD) * WAD && edge < nearestEdge.value) nearestEdge = { value: edge, what: `${label} ${k} ${usd(v)}` };
    }
    const ok = got.mm / WAD === want.mm && got.im / WAD === want.im;
    if (!ok) mismatches.push(label);
    console.log(`${ok ? "ok  " : "FAIL"} ${label}: MM ${usd(got.mm)} vs ${want.mm}, IM ${usd(got.im)} vs ${want.im}`);
  }
}

const show = (w: ReturnType<typeof worst>) => `relative ${w.rel.value.toExponential(2)} (${w.rel.what}), absolute $${w.abs.value.toExponential(2)} (${w.abs.what})`;
console.log(`\n${count} cases: within the tests' tolerance in ${count - mismatches.length - errors.length}`);
console.log(`test-cases, largest MM/IM difference: ${show(worstMargin)}`);
console.log(`test-cases, largest MtM difference: ${show(worstMtm)}`);
if (nearestEdge.what) console.log(`portfolio (whole dollars): closest to flipping is ${nearestEdge.what}, $${nearestEdge.value.toPrecision(3)} from a whole dollar`);
if (mismatches.length || errors.length) {
  if (mismatches.length) console.log(`mismatches: ${mismatches.join(", ")}`);
  if (errors.length) console.log(`errors: ${errors.join("; ")}`);
  process.exitCode = 1;
}
