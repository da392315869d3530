import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeEventLog, parseEventLogs, parseUnits, type Abi, type Address } from "viem";
import { startAnvil, type AnvilHandle } from "./anvil.js";
import { anvilAccount, chainClients, read, send } from "./clients.js";
import { deployFixtures, setPrice, type Deployment } from "./deploy.js";
import {
  deployDeriveFixture,
  deployDerivePortfolioManager,
  DERIVE_PMRM_PARAMS,
  pmrmParamsOnChain,
  type DerivePmrmParams,
  type DerivePortfolioManagerDeployment,
  type DeriveDeployment,
} from "./derive-deploy.js";
import { DeriveKeeper } from "./derive-simulate.js";

// Margin of FixtureDerivePortfolioManager (Derive's PMRM_2 with PMRMLib_2, expired options only) against
// values worked out here, rule by rule, from PMRMLib_2's formulas in bigint with its truncation.

const WAD = 10n ** 18n;
const DAY = 86_400n;
const w = (s: string) => parseUnits(s, 18);
/** ETH feed answer (8 decimals) the portfolios are marked at; perps trade at 3000. */
const MARK_ANSWER = 3_012_34567890n;
const TRADE_ANSWER = 3_000_00000000n;
const answerTo18 = (answer: bigint) => answer * 10n ** 10n;

// ---------------------------------------------------------------- the rules, by hand

type Params = ReturnType<typeof pmrmParamsOnChain>;
type Scenario = Params["scenarios"][number];
type Opt = { expiry: bigint; strike: bigint; isCall: boolean; amount: bigint };
/** What an account holds, as the test put it there. */
type Holdings = { cash: bigint; perp?: { size: bigint; lastMark: bigint; pnl: bigint }; options?: Opt[]; base?: bigint };

const LINEAR = 3;
const ABS = 4;
/** DecimalMath / SignedDecimalMath multiplyDecimal and divideDecimal (bigint division truncates toward zero, as Solidity's). */
const mul = (a: bigint, b: bigint) => (a * b) / WAD;
const div = (a: bigint, b: bigint) => (a * WAD) / b;
const min = (a: bigint, b: bigint) => (a < b ? a : b);
const abs = (a: bigint) => (a < 0n ? -a : a);

/** lyra-utils FixedPointMathLib.exp(0) = 1e18 - 1: the discount at rate 0. */
const EXP_ZERO = WAD - 1n;
/** Black76.pricesAndDelta at zero total vol: (1 - m) or (m - 1) of the discounted forward, m = K / F truncated. */
const expiredPrice = (forward: bigint, o: Opt) => {
  const fwdDiscounted = (forward * EXP_ZERO) / WAD;
  const m = (o.strike * WAD) / forward;
  if (o.isCall) return m < WAD ? ((WAD - m) * fwdDiscounted) / WAD : 0n;
  return m > WAD ? min(((m - WAD) * fwdDiscounted) / WAD, (o.strike * EXP_ZERO) / WAD) : 0n;
};

/** PMRMLib_2._getExpiryShockedMTM: forward = spot x spotShock (+ fixed 0); sum of price x amount. */
const expiryShockedMtm = (opts: Opt[], spot: bigint, spotShock: bigint) => {
  const forward = mul(spot, spotShock);
  return opts.reduce((total, o) => total + mul(expiredPrice(forward, o), o.amount), 0n);
};

/** PMRMLib_2._addStaticDiscount at tau 0: pos = longBase x exp(0), neg = min(1 / discount, shortBase / exp(0)). */
const staticDiscount = (p: Params) => ({ pos: mul(p.margin.longBaseStaticDiscount, EXP_ZERO), neg: min(div(WAD, EXP_ZERO), div(p.margin.shortBaseStaticDiscount, EXP_ZERO)) });

/** PMRMLib_2._addBasisContingency: min(up - mtm, down - mtm, 0) x (addFactor + multFactor x tau 0). */
const basisContingency = (opts: Opt[], spot: bigint, mtm: bigint, p: Params) => {
  const up = expiryShockedMtm(opts, spot, p.basis.scenarioSpotUp) - mtm;
  const down = expiryShockedMtm(opts, spot, p.basis.scenarioSpotDown) - mtm;
  return mul(min(min(up, down), 0n), p.basis.basisContAddFactor + mul(p.basis.basisContMultFactor, 0n));
};

/** PMRMLib_2._addOptionContingency: contracts short beyond the longs at their strike (calls and puts alike). */
const nakedShorts = (opts: Opt[]) => {
  const byStrike = new Map<bigint, bigint[]>();
  for (const o of opts) byStrike.set(o.strike, [...(byStrike.get(o.strike) ?? []), o.amount]);
  let naked = 0n;
  for (const amounts of byStrike.values()) {
    const [a, b] = amounts as [bigint, bigint | undefined];
    if (b === undefined) naked += a < 0n ? -a : 0n;
    else if (a * b < 0n) naked += a < 0n ? -a - min(-a, b) : -b - min(a, -b);
    else if (a < 0n) naked += -a - b;
  }
  return naked;
};

/** PMRMLib_2._getShockedPerpPnL: position x ((spotShock - 1) x perpPrice). */
const shockedPerpPnl = (size: bigint, perpPrice: bigint, spotShock: bigint) => (size === 0n ? 0n : mul(size, mul(spotShock - WAD, perpPrice)));

type Precomputed = {
  spot: bigint;
  cash: bigint;
  perpSize: bigint;
  perpPrice: bigint;
  totalMtM: bigint;
  basisContingency: bigint;
  MMContingency: bigint;
  IMContingency: bigint;
  expiries: { opts: Opt[]; mtm: bigint; pos: bigint; neg: bigint }[];
  baseValue: bigint;
};

/** PMRM_2._arrangePortfolio + PMRMLib_2.addPrecomputes for holdings at a spot (the perp priced at the same feed). */
function precompute(h: Holdings, spot: bigint, p: Params): Precomputed {
  const perpSize = h.perp?.size ?? 0n;
  // PerpAsset.getUnsettledAndUnrealizedCash (funding zero)
  const perpValue = h.perp ? mul(spot - h.perp.lastMark, h.perp.size) + h.perp.pnl : 0n;
  const perpNotional = mul(abs(perpSize), spot);
  const pc: Precomputed = {
    spot,
    cash: h.cash,
    perpSize,
    perpPrice: perpSize !== 0n ? spot : 0n,
    totalMtM: perpValue,
    basisContingency: 0n,
    MMContingency: mul(perpNotional, p.other.MMPerpPercent),
    IMContingency: mul(perpNotional, p.other.IMPerpPercent),
    expiries: [],
    baseValue: 0n,
  };
  const expiries = [...new Set((h.options ?? []).map((o) => o.expiry))];
  for (const expiry of expiries) {
    const opts = h.options!.filter((o) => o.expiry === expiry);
    const mtm = expiryShockedMtm(opts, spot, WAD);
    pc.totalMtM += mtm;
    pc.basisContingency += basisContingency(opts, spot, mtm, p);
    const { pos, neg } = staticDiscount(p);
    pc.expiries.push({ opts, mtm, pos, neg });
    const notionalShorts = mul(nakedShorts(opts), spot);
    pc.MMContingency += mul(notionalShorts, p.other.MMOptionPercent);
    pc.IMContingency += mul(notionalShorts, p.other.IMOptionPercent);
  }
  if (h.base) {
    // PMRM_2._arrangeAssets: balance x price / stablePrice (1e18)
    pc.baseValue = (h.base * spot) / WAD;
    pc.totalMtM += pc.baseValue;
    pc.MMContingency += mul(pc.baseValue, p.baseCollateral.MMHaircut);
    pc.IMContingency += mul(pc.baseValue, p.baseCollateral.IMHaircut);
  }
  return pc;
}

/** PMRMLib_2.getScenarioPnL. */
function scenarioPnl(pc: Precomputed, s: Scenario, p: Params): bigint {
  const skew = s.volShock === LINEAR || s.volShock === ABS;
  let pnl = mul(shockedPerpPnl(pc.perpSize, pc.perpPrice, s.spotShock), s.dampeningFactor);
  for (const e of pc.expiries) {
    // vol shocks leave expired marks alone; skew scenarios mark at the unshocked forward
    let shocked = expiryShockedMtm(e.opts, pc.spot, skew ? WAD : s.spotShock);
    shocked = mul(shocked, shocked >= 0n ? e.pos : e.neg);
    const expiryPnl = mul(shocked - e.mtm, s.dampeningFactor);
    pnl += skew && expiryPnl > 0n ? -expiryPnl : expiryPnl;
  }
  if (pc.baseValue > 0n && p.baseCollateral.isRiskCancelling) pnl += mul(mul(pc.baseValue, s.spotShock - WAD), s.dampeningFactor);
  return pnl;
}

/** PMRMLib_2.getMarginAndMarkToMarket (stable price 1e18 is above pegLossThreshold: no peg loss). */
function handMargin(pc: Precomputed, isInitial: boolean, scenarios: readonly Scenario[], p: Params) {
  let minSpan = pc.basisContingency;
  let worst = scenarios.length;
  scenarios.forEach((s, i) => {
    const pnl = scenarioPnl(pc, s, p);
    if (pnl < minSpan) [minSpan, worst] = [pnl, i];
  });
  let mFactor = isInitial ? p.margin.imFactor : p.margin.mmFactor;
  if (isInitial && WAD < p.other.pegLossThreshold) mFactor += mul(p.other.pegLossThreshold - WAD, p.other.pegLossFactor);
  minSpan = mul(minSpan, mFactor);
  if (isInitial) minSpan -= pc.IMContingency;
  minSpan -= pc.MMContingency;
  return { margin: minSpan + pc.totalMtM + pc.cash, mtm: pc.totalMtM + pc.cash, worst };
}

// ---------------------------------------------------------------- chain

let anvil: AnvilHandle;
let d: Deployment;
let x: DeriveDeployment;
let k: DeriveKeeper;
let pm: DerivePortfolioManagerDeployment;
const params = pmrmParamsOnChain(DERIVE_PMRM_PARAMS);
const LINEAR_ID = DERIVE_PMRM_PARAMS.scenarios.findIndex((s) => s.volShock === "Linear");

beforeAll(async () => {
  anvil = await startAnvil();
  d = await deployFixtures(anvil.rpcUrl);
  x = await deployDeriveFixture(d);
  k = await DeriveKeeper.create(d, x);
  pm = await deployDerivePortfolioManager(d, x, "ETH");
}, 60_000);

afterAll(async () => {
  await anvil?.stop();
});

const pmRead = <T>(functionName: string, args: readonly unknown[], at: { address: Address; abi: Abi } = pm) => read<T>(d.rpcUrl, { ...at, functionName, args });
const pmSend = (functionName: string, args: readonly unknown[], from = 0) => send(d.rpcUrl, anvilAccount(from), { ...pm, functionName, args });
const margin = (accountId: bigint, isInitial: boolean, at = pm) => pmRead<bigint>("getMargin", [accountId, isInitial], at);
const latestTimestamp = async () => (await chainClients(d.rpcUrl).publicClient.getBlock()).timestamp;

/** Creates an account under the given manager (the PMRM fixture unless told). */
async function pmAccount(owner = 1, manager: Address = pm.address): Promise<bigint> {
  const id = await k.createAccount(anvilAccount(owner).address);
  await k.send("setAccountManager", [id, manager]);
  return id;
}

describe("FixtureDerivePortfolioManager", () => {
  let maker: bigint; // the counterparty of every trade, under the StandardManager fixture
  let expiry: bigint; // yesterday 08:00 UTC: expired
  let earlier: bigint; // a week before
  const held = new Map<bigint, Holdings>();
  const names: Record<string, bigint> = {};

  it("deploys with its parameters and the base asset as risk-cancelling collateral", async () => {
    const scenarios = await pmRead<{ spotShock: bigint; volShock: number; dampeningFactor: bigint }[]>("getScenarios", []);
    expect(scenarios).toEqual(params.scenarios);
    expect(scenarios.length).toBe(29);
    expect(await pmRead("getBasisContingencyParams", [])).toEqual(params.basis);
    expect(await pmRead("getOtherContingencyParams", [])).toEqual(params.other);
    expect(await pmRead("getMarginParams", [])).toEqual(params.margin);
    expect(await pmRead("getCollateralParameters", [x.bases.ETH])).toEqual(params.baseCollateral);
    expect(await pmRead("collateralSpotFeeds", [x.bases.ETH])).toBe(d.tokens.WETH.feed);
    expect(await pmRead("option", [])).toBe(x.options.ETH);
    expect(await pmRead("perp", [])).toBe(x.perps.ETH);
    expect(await pmRead("cashAsset", [])).toBe(x.cash);
  });

  it("validates scenarios and parameters as PMRM_2 and PMRMLib_2 do, owner only", async () => {
    const s = (spotShock: string, volShock: number) => ({ spotShock: w(spotShock), volShock, dampeningFactor: WAD });
    await expect(pmSend("setScenarios", [[]])).rejects.toThrow(/PMRM_2_InvalidScenarios/);
    await expect(pmSend("setScenarios", [[s("1", LINEAR), s("1", LINEAR)]])).rejects.toThrow(/PMRM_2_InvalidScenarios/);
    await expect(pmSend("setScenarios", [[s("1", ABS), s("1", ABS)]])).rejects.toThrow(/PMRM_2_InvalidScenarios/);
    await expect(pmSend("setScenarios", [[s("1.1", LINEAR)]])).rejects.toThrow(/PMRM_2_InvalidScenarios/);
    await expect(pmSend("setScenarios", [[s("1", 5)]])).rejects.toThrow(/PMRM_2_InvalidScenarios/);
    await expect(pmSend("setScenarios", [Array.from({ length: 41 }, () => s("1", 0))])).rejects.toThrow(/PMRM_2_InvalidScenarios/);
    await expect(pmSend("setBasisContingencyParams", [{ ...params.basis, scenarioSpotUp: WAD }])).rejects.toThrow(/PMRML2_InvalidBasisContingencyParameters/);
    await expect(pmSend("setOtherContingencyParams", [{ ...params.other, confThreshold: WAD + 1n }])).rejects.toThrow(/PMRML2_InvalidOtherContingencyParameters/);
    await expect(pmSend("setMarginParams", [{ ...params.margin, imFactor: w("0.49") }])).rejects.toThrow(/PMRML2_InvalidMarginParameters/);
    const feed = d.tokens.WETH.feed;
    await expect(pmSend("setCollateral", [x.bases.ETH, feed, 8, { ...params.baseCollateral, isEnabled: false }])).rejects.toThrow(/PMRML2_InvalidCollateralParameters/);
    await expect(pmSend("setCollateral", [x.bases.ETH, feed, 8, { ...params.baseCollateral, MMHaircut: w("0.6"), IMHaircut: w("0.5") }])).rejects.toThrow(
      /PMRML2_InvalidCollateralParameters/,
    );
    await expect(pmSend("setCollateral", [x.cash, feed, 8, params.baseCollateral])).rejects.toThrow(/PMRM_2_InvalidCollateralAsset/);
    await expect(pmSend("setScenarios", [params.scenarios], 1)).rejects.toThrow(/Unauthorized/);
    await expect(pmSend("setMarginParams", [params.margin], 1)).rejects.toThrow(/Unauthorized/);
    expect(await pmRead("getScenarios", [])).toEqual(params.scenarios);
  });

  it("puts chosen accounts under it in SubAccounts: BalanceAdjusted names each account's manager", async () => {
    maker = await k.createAccount(anvilAccount(5).address);
    await k.deposit(maker, 1_000_000n * WAD);
    const id = await pmAccount();
    expect(await k.read("managerOf", [id])).toBe(pm.address);
    expect(await k.read("managerOf", [maker])).toBe(x.manager);
    const events = (receipt: Awaited<ReturnType<typeof k.deposit>>) => parseEventLogs({ abi: k.abis.subAccounts, eventName: "BalanceAdjusted", logs: receipt.logs });
    const [own] = events(await k.deposit(id, 1_000n * WAD));
    expect(own!.args).toMatchObject({ accountId: id, manager: pm.address });
    const [other] = events(await k.deposit(maker, WAD));
    expect(other!.args).toMatchObject({ accountId: maker, manager: x.manager });
    await expect(send(d.rpcUrl, anvilAccount(1), { address: x.subAccounts, abi: k.abis.subAccounts, functionName: "setAccountManager", args: [id, pm.address] })).rejects.toThrow(
      /Unauthorized/,
    );
    // cleared: back to the global manager
    await k.send("setAccountManager", [id, "0x0000000000000000000000000000000000000000"]);
    expect(await k.read("managerOf", [id])).toBe(x.manager);
    await k.send("setAccountManager", [id, pm.address]);
    names.a = id;
  });

  it("builds the portfolios: (a) long perp, (b) call spread, (c) naked put, (d) base + short perp, (f) strikes paired over two expiries", async () => {
    const now = await latestTimestamp();
    expiry = (now / DAY) * DAY + 8n * 3_600n - DAY;
    earlier = expiry - 7n * DAY;
    expect(expiry).toBeLessThan(now);
    await setPrice(d, "WETH", TRADE_ANSWER);
    const traded = answerTo18(TRADE_ANSWER);

    // (a) long 1.2345 perp + 1000 cash (the account made above)
    const size = w("1.2345");
    await k.tradePerp(names.a!, maker, "ETH", size);
    held.set(names.a!, { cash: 1_000n * WAD, perp: { size, lastMark: traded, pnl: 0n } });

    // (b) long 1.5 call 2950 / short 1.5 call 3050, + 500 cash
    names.b = await pmAccount();
    await k.deposit(names.b, 500n * WAD);
    await k.tradeOption(names.b, maker, "ETH", expiry, 2_950n * WAD, true, w("1.5"), 0n);
    await k.tradeOption(maker, names.b, "ETH", expiry, 3_050n * WAD, true, w("1.5"), 0n);
    held.set(names.b, {
      cash: 500n * WAD,
      options: [
        { expiry, strike: 2_950n * WAD, isCall: true, amount: w("1.5") },
        { expiry, strike: 3_050n * WAD, isCall: true, amount: -w("1.5") },
      ],
    });

    // (c) naked short 2 puts 3100 (in the money) for a 150 premium, + 1000 cash
    names.c = await pmAccount();
    await k.deposit(names.c, 1_000n * WAD);
    await k.tradeOption(maker, names.c, "ETH", expiry, 3_100n * WAD, false, 2n * WAD, 150n * WAD);
    held.set(names.c, { cash: 1_150n * WAD, options: [{ expiry, strike: 3_100n * WAD, isCall: false, amount: -2n * WAD }] });

    // (d) 2.5 wrapped ETH + short 1.1 perp + 200 cash
    names.d = await pmAccount();
    await k.deposit(names.d, 200n * WAD);
    await k.depositBase(names.d, "ETH", w("2.5"));
    await k.tradePerp(maker, names.d, "ETH", w("1.1"));
    held.set(names.d, { cash: 200n * WAD, base: w("2.5"), perp: { size: -w("1.1"), lastMark: traded, pnl: 0n } });

    // (f) option contingency pairing (PMRMLib_2._addOptionContingency pairs holdings by strike, call or
    // put, within an expiry; PMRM_2._arrangeAssets fills each expiry from the back, so the later-held
    // option comes first). Expiry: short 2 puts 3000 then long 0.5 call 3000 (1.5 naked), long 1 call
    // 3200 then short 1.5 puts 3200 (0.5 naked). A week earlier: long 0.7 put 2800, short 0.3 call and
    // 0.4 put 2900 (both short: 0.7 naked). + 50 cash.
    names.f = await pmAccount();
    await k.deposit(names.f, 50n * WAD);
    const f: Opt[] = [
      { expiry, strike: 3_000n * WAD, isCall: false, amount: -2n * WAD },
      { expiry, strike: 3_000n * WAD, isCall: true, amount: w("0.5") },
      { expiry, strike: 3_200n * WAD, isCall: true, amount: WAD },
      { expiry, strike: 3_200n * WAD, isCall: false, amount: -w("1.5") },
      { expiry: earlier, strike: 2_800n * WAD, isCall: false, amount: w("0.7") },
      { expiry: earlier, strike: 2_900n * WAD, isCall: true, amount: -w("0.3") },
      { expiry: earlier, strike: 2_900n * WAD, isCall: false, amount: -w("0.4") },
    ];
    for (const o of f) {
      if (o.amount > 0n) await k.tradeOption(names.f, maker, "ETH", o.expiry, o.strike, o.isCall, o.amount, 0n);
      else await k.tradeOption(maker, names.f, "ETH", o.expiry, o.strike, o.isCall, -o.amount, 0n);
    }
    held.set(names.f, { cash: 50n * WAD, options: f });
    expect(nakedShorts(f.filter((o) => o.expiry === expiry))).toBe(2n * WAD);
    expect(nakedShorts(f.filter((o) => o.expiry === earlier))).toBe(w("0.7"));

    await setPrice(d, "WETH", MARK_ANSWER);
    for (const [id, h] of held) expect(await k.balance(id, x.cash, 0n), `cash of ${id}`).toBe(h.cash);
  });

  it("equals the hand-worked MM and IM over all scenarios for each portfolio", async () => {
    const spot = answerTo18(MARK_ANSWER);
    for (const [name, id] of Object.entries(names)) {
      const pc = precompute(held.get(id)!, spot, params);
      for (const isInitial of [false, true]) {
        const hand = handMargin(pc, isInitial, params.scenarios, params);
        expect(await margin(id, isInitial), `${name} ${isInitial ? "IM" : "MM"}`).toBe(hand.margin);
        const [m, mtm, worst] = await pmRead<[bigint, bigint, bigint]>("getMarginAndMtM", [id, isInitial]);
        expect([m, mtm, Number(worst)], `${name} ${isInitial ? "IM" : "MM"}`).toEqual([hand.margin, hand.mtm, hand.worst]);
      }
    }
  });

  it("(a) long perp: worst is the dampened 20% drop, step by step", async () => {
    const spot = answerTo18(MARK_ANSWER); // 3012.3456789
    const size = w("1.2345");
    const pc = precompute(held.get(names.a!)!, spot, params);
    // PerpAsset.getUnsettledAndUnrealizedCash: 1.2345 x 12.3456789
    expect(pc.totalMtM).toBe(mul(spot - 3_000n * WAD, size));
    expect(pc.totalMtM).toBe(15_240_740_602_050_000_000n);
    // addPrecomputes: |size| x spot x 2% / 3%
    expect(pc.MMContingency).toBe(mul(mul(size, spot), w("0.02")));
    expect(pc.IMContingency).toBe(mul(mul(size, spot), w("0.03")));
    // getScenarioPnL of scenario 0 (0.8, None, dampening 0.9): size x (-0.2 x spot) x 0.9
    expect(scenarioPnl(pc, params.scenarios[0]!, params)).toBe(mul(mul(size, mul(-w("0.2"), spot)), w("0.9")));
    const mm = handMargin(pc, false, params.scenarios, params);
    expect(mm.worst).toBe(0);
    // about 1000 + 15.24 - 0.18 x 3718.74 - 0.02 x 3718.74
    expect(Number(mm.margin) / 1e18).toBeCloseTo(1_000 + 15.2407406 - 0.2 * 1.2345 * 3_012.3456789, 6);
    expect(await margin(names.a!, false)).toBe(mm.margin);
    // IM: the same scenario x 1.3, less 2% + 3% of the notional
    const im = handMargin(pc, true, params.scenarios, params);
    expect(im.margin).toBe(mul(mul(mul(size, mul(-w("0.2"), spot)), w("0.9")), w("1.3")) - pc.IMContingency - pc.MMContingency + pc.totalMtM + 1_000n * WAD);
    expect(await margin(names.a!, true)).toBe(im.margin);
  });

  it("(b) call spread: the basis contingency is nonzero and the short call is naked", async () => {
    const spot = answerTo18(MARK_ANSWER);
    const pc = precompute(held.get(names.b!)!, spot, params);
    // mtm ~1.5 x (spot - 2950) (the rate-0 discount and K/F's truncation move it by a few thousand wei);
    // up 1.05: 1.5 x 100 (capped); down 0.95: 0
    const mtm = pc.totalMtM;
    expect(abs(mtm - mul(spot - 2_950n * WAD, w("1.5")))).toBeLessThan(10_000n);
    expect(pc.basisContingency).toBe(mul(0n - mtm, w("0.25")));
    expect(pc.basisContingency).toBeLessThan(0n);
    expect(pc.MMContingency).toBe(mul(mul(w("1.5"), spot), w("0.01")));
    expect(pc.IMContingency).toBe(mul(mul(w("1.5"), spot), w("0.02")));
    for (const isInitial of [false, true]) expect(await margin(names.b!, isInitial)).toBe(handMargin(pc, isInitial, params.scenarios, params).margin);
  });

  it("(c) naked short put: option contingency, short marks undiscounted (staticDiscountNeg capped at 1)", async () => {
    const spot = answerTo18(MARK_ANSWER);
    const pc = precompute(held.get(names.c!)!, spot, params);
    // 1 / exp(0) = 1 + 1 wei caps the 1.05; 0.95 x exp(0) loses a wei
    expect(pc.expiries[0]!.neg).toBe(WAD + 1n);
    expect(pc.expiries[0]!.pos).toBe(w("0.95") - 1n);
    expect(abs(pc.totalMtM - mul(3_100n * WAD - spot, -2n * WAD))).toBeLessThan(10_000n);
    expect(pc.MMContingency).toBe(mul(mul(2n * WAD, spot), w("0.01")));
    const mm = handMargin(pc, false, params.scenarios, params);
    // worst: the 20% drop, 2 x (3100 - 0.8 spot) lost beyond the mark, dampened 0.9
    expect(mm.worst).toBe(0);
    expect(await margin(names.c!, false)).toBe(mm.margin);
    expect(await margin(names.c!, true)).toBe(handMargin(pc, true, params.scenarios, params).margin);
  });

  it("(d) base collateral cancels the short perp's risk; haircuts are contingencies", async () => {
    const spot = answerTo18(MARK_ANSWER);
    const pc = precompute(held.get(names.d!)!, spot, params);
    const baseValue = (w("2.5") * spot) / WAD;
    expect(pc.baseValue).toBe(baseValue);
    expect(pc.MMContingency).toBe(mul(mul(w("1.1"), spot), w("0.02")) + mul(baseValue, w("0.02")));
    // net long 1.4 ETH: the 20% drop again, base and perp each shocked and dampened
    const s0 = params.scenarios[0]!;
    expect(scenarioPnl(pc, s0, params)).toBe(mul(mul(-w("1.1"), mul(-w("0.2"), spot)), w("0.9")) + mul(mul(baseValue, -w("0.2")), w("0.9")));
    for (const isInitial of [false, true]) expect(await margin(names.d!, isInitial)).toBe(handMargin(pc, isInitial, params.scenarios, params).margin);
  });

  it("gives one scenario's margin and mark-to-market through getMarginAndMarkToMarket", async () => {
    const spot = answerTo18(MARK_ANSWER);
    for (const [name, id] of Object.entries(names)) {
      const pc = precompute(held.get(id)!, spot, params);
      for (const scenarioId of [0, 4 * 3 + 1, 8 * 3 + 2, LINEAR_ID, LINEAR_ID + 1]) {
        for (const isInitial of [false, true]) {
          const hand = handMargin(pc, isInitial, [params.scenarios[scenarioId]!], params);
          const got = await pmRead<[bigint, bigint]>("getMarginAndMarkToMarket", [id, isInitial, BigInt(scenarioId)]);
          expect(got, `${name} scenario ${scenarioId} ${isInitial}`).toEqual([hand.margin, hand.mtm]);
        }
        expect(await pmRead<bigint>("getScenarioPnL", [id, BigInt(scenarioId)])).toBe(scenarioPnl(pc, params.scenarios[scenarioId]!, params));
      }
    }
  });

  it("(e) a Linear skew scenario is the worst when short marks are discounted below 1", async () => {
    // With shortBaseStaticDiscount >= 1 an expired short's discount is capped at 1 and every expiry's
    // PnL at spot 1 is <= 0, so -abs changes nothing and Linear can at best tie None at 1. A manager
    // with shortBaseStaticDiscount 0.9 makes the short's discounted mark a gain that Linear flips.
    const variant: DerivePmrmParams = { ...DERIVE_PMRM_PARAMS, margin: { ...DERIVE_PMRM_PARAMS.margin, shortBaseStaticDiscount: "0.9" } };
    const p = pmrmParamsOnChain(variant);
    const other = await deployDerivePortfolioManager(d, x, "ETH", variant);
    const id = await pmAccount(2, other.address);
    // short 1 deep ITM call 1500, hedged by 1 long perp, + 2000 cash
    await k.deposit(id, 2_000n * WAD);
    await setPrice(d, "WETH", TRADE_ANSWER);
    await k.tradePerp(id, maker, "ETH", WAD);
    await k.tradeOption(maker, id, "ETH", expiry, 1_500n * WAD, true, WAD, 0n);
    await setPrice(d, "WETH", MARK_ANSWER);
    const h: Holdings = { cash: 2_000n * WAD, perp: { size: WAD, lastMark: answerTo18(TRADE_ANSWER), pnl: 0n }, options: [{ expiry, strike: 1_500n * WAD, isCall: true, amount: -WAD }] };
    const spot = answerTo18(MARK_ANSWER);
    const pc = precompute(h, spot, p);
    expect(pc.expiries[0]!.neg).toBe(div(w("0.9"), EXP_ZERO));
    // at spot 1 the expiry gains ~0.1 x (spot - 1500); Linear takes -abs of it
    const mark = expiredPrice(spot, { expiry, strike: 1_500n * WAD, isCall: true, amount: -WAD });
    const gain = mul(-mark, pc.expiries[0]!.neg) + mark;
    expect(abs(gain - mul(spot - 1_500n * WAD, w("0.1")))).toBeLessThan(10_000n);
    expect(scenarioPnl(pc, p.scenarios[4 * 3]!, p)).toBe(gain); // None at 1
    expect(scenarioPnl(pc, p.scenarios[LINEAR_ID]!, p)).toBe(-gain);
    for (const isInitial of [false, true]) {
      const hand = handMargin(pc, isInitial, p.scenarios, p);
      expect(hand.worst).toBe(LINEAR_ID);
      expect(await margin(id, isInitial, other)).toBe(hand.margin);
      const [m, mtm, worst] = await pmRead<[bigint, bigint, bigint]>("getMarginAndMtM", [id, isInitial], other);
      expect([m, mtm, Number(worst)]).toEqual([hand.margin, hand.mtm, LINEAR_ID]);
      const single = await pmRead<[bigint, bigint]>("getMarginAndMarkToMarket", [id, isInitial, BigInt(LINEAR_ID)], other);
      expect(single).toEqual([hand.margin, hand.mtm]);
    }
    // under the default parameters Linear only ties None at spot 1 (the earlier index is the worst)
    const tie = precompute(h, spot, params);
    expect(scenarioPnl(tie, params.scenarios[LINEAR_ID]!, params)).toBe(scenarioPnl(tie, params.scenarios[4 * 3]!, params));
  });

  it("reverts for a live option and for an asset it does not margin", async () => {
    const live = await pmAccount();
    const future = (await latestTimestamp()) + 30n * DAY;
    await k.tradeOption(live, maker, "ETH", future, 3_000n * WAD, true, WAD, 0n);
    await expect(margin(live, false)).rejects.toThrow(/LiveOptionNotPriced/);
    const btc = await pmAccount();
    await k.tradePerp(btc, maker, "BTC", WAD / 100n);
    await expect(margin(btc, false)).rejects.toThrow(/UnsupportedAsset/);
  });

  it("starts an auction exactly when the scenario's MM turns negative (bisection over feed answers)", async () => {
    const id = names.a!;
    const h = held.get(id)!;
    const scenarioId = 0n; // the long perp's worst scenario
    const mmAt = async (answer: bigint) => {
      await setPrice(d, "WETH", answer);
      const [mm] = await pmRead<[bigint, bigint]>("getMarginAndMarkToMarket", [id, false, scenarioId]);
      return mm;
    };
    // MM rises with the price for a long perp: find the lowest answer with MM >= 0
    let lo = 1_000_00000000n; // MM < 0
    let hi = MARK_ANSWER; // MM >= 0
    expect(await mmAt(lo)).toBeLessThan(0n);
    expect(await mmAt(hi)).toBeGreaterThanOrEqual(0n);
    while (hi - lo > 1n) {
      const mid = (lo + hi) / 2n;
      if ((await mmAt(mid)) >= 0n) hi = mid;
      else lo = mid;
    }
    // the crossing agrees with the hand formula on both sides
    const hand = (answer: bigint) => handMargin(precompute(h, answerTo18(answer), params), false, [params.scenarios[0]!], params).margin;
    expect(hand(hi)).toBeGreaterThanOrEqual(0n);
    expect(hand(lo)).toBeLessThan(0n);
    expect(Number(hi) / 1e8).toBeCloseTo((3_000 * 1.2345 - 1_000) / (1.2345 * 0.8), 2);

    await setPrice(d, "WETH", hi);
    expect(await mmAt(hi)).toBe(hand(hi));
    await expect(pmSend("startAuction", [id, scenarioId])).rejects.toThrow(/DA_AccountIsAboveMaintenanceMargin/);
    await setPrice(d, "WETH", lo);
    const receipt = await pmSend("startAuction", [id, scenarioId]);
    const [started] = receipt.logs.filter((l) => l.address.toLowerCase() === pm.address.toLowerCase());
    const event = decodeEventLog({ abi: pm.abi, data: started!.data, topics: started!.topics });
    expect(event.eventName).toBe("AuctionStarted");
    expect(event.args).toEqual({ accountId: id, maintenanceMargin: hand(lo) });
    await setPrice(d, "WETH", MARK_ANSWER);
  }, 30_000);
});
