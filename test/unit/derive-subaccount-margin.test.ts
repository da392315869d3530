import { parseUnits, type Address } from "viem";
import { describe, expect, it } from "vitest";
import { parseExposureConfig } from "../../src/config/exposure-config";
import { deriveDeployments, type StandardManagerSettings } from "../../src/protocols/derive/contracts";
import type { DeriveState } from "../../src/protocols/derive/normalise";
import { normalCdf } from "../../src/protocols/derive/greeks";
import { optionMark, subaccountMargin, type Holding } from "../../src/protocols/derive/subaccount-margin";

const w = (s: string) => parseUnits(s, 18);
const WETH = "0x82af49447d8a07e3bd95bd0d56f35241523fbab1";
const USDC = "0xaf88d065e77c8cc2239327c5edb3a432268e5831";
const MANAGER = "0x0000000000000000000000000000000000000b01" as Address;
const NOW = 1_800_000_000n;

const params = {
  option: { maxSpotReq: "0.15", minSpotReq: "0.1", mmCallSpotReq: "0.075", mmPutSpotReq: "0.075", MMPutMtMReq: "0.075", unpairedMMScale: "1.2", unpairedIMScale: "1.4", mmOffsetScale: "1.05" },
  perp: { mmPerpReq: "0.05", imPerpReq: "0.065" },
  base: { marginFactor: "0.8", IMScale: "0.9" },
};
const base = {
  chains: { arbitrum: { id: 42161, rpc: "http://127.0.0.1:1" } },
  assets: [
    { chain: "arbitrum", address: WETH, symbol: "ETH", decimals: 18 },
    { chain: "arbitrum", address: USDC, symbol: "USDC", decimals: 6 },
  ],
  priceFeeds: [],
  protocols: {},
};
const derive = {
  chain: "arbitrum",
  subAccounts: "0x0000000000000000000000000000000000000a01",
  startBlock: 3,
  options: [{ address: "0x0000000000000000000000000000000000000a02", underlying: WETH }],
  bases: [{ address: "0x0000000000000000000000000000000000000a04", underlying: WETH }],
  cash: [{ address: "0x0000000000000000000000000000000000000a03", token: USDC }],
  standardManager: { address: MANAGER, markets: [{ underlying: WETH, ...params }] },
};
const deployment = (entry: object) => deriveDeployments(parseExposureConfig({ ...base, protocols: { derive: [entry] } }))[0]!;

const state = (s: Partial<DeriveState>): DeriveState => ({ kind: "cash", accountId: 1n, asset: "0x01", subId: 0n, balance: 0n, manager: MANAGER, perp: null, ...s });
const optionSubId = (expiry: bigint, strike: bigint, isCall: boolean) => expiry | ((strike / 10n ** 10n) << 32n) | ((isCall ? 1n : 0n) << 95n);

describe("protocols.derive[].standardManager", () => {
  it("takes the manager's parameters by their contract names as 18-decimal integers, and base assets", () => {
    const d = deployment(derive);
    expect(d.assets.map((a) => a.kind)).toEqual(["option", "base", "cash"]);
    expect(d.standardManager!.markets[0]!.option.unpairedIMScale).toBe(w("1.4"));
    expect(d.standardManager!.markets[0]!.perp).toEqual({ mmPerpReq: w("0.05"), imPerpReq: w("0.065") });
    expect(d.standardManager!.address).toBe("0x0000000000000000000000000000000000000B01");
  });

  it("rejects what the manager's setters reject, naming the field", () => {
    const bad = (patch: object) => () => deployment({ ...derive, standardManager: { markets: [{ underlying: WETH, ...params, ...patch }] } });
    // setOptionMarginParams: unpairedMMScale within [1, 3]; setPerpMarginRequirements: mm <= im, below 1.
    expect(bad({ option: { ...params.option, unpairedMMScale: "0.9" } })).toThrow("standardManager.markets[0].option.unpairedMMScale");
    expect(bad({ perp: { mmPerpReq: "0.1", imPerpReq: "0.05" } })).toThrow("mmPerpReq exceeds imPerpReq");
    expect(bad({ base: { marginFactor: "1.5", IMScale: "1" } })).toThrow("base.marginFactor");
    expect(bad({ base: { marginFactor: "abc", IMScale: "1" } })).toThrow('expected a decimal such as "0.15"');
  });

  it("takes defaultVolatility null as 'no volatility'", () => {
    expect(deployment({ ...derive, defaultVolatility: null }).defaultVolatility).toBeNull();
  });
});

describe("subaccountMargin", () => {
  const manager = deployment(derive).standardManager as StandardManagerSettings;
  const spots = new Map([[WETH, w("2000")]]);
  const live = NOW + 30n * 86_400n;
  const shortLivePut: Holding = { state: state({ kind: "option", subId: optionSubId(live, w("1800"), false), balance: -w("1") }), token: WETH };
  const cash: Holding = { state: state({ kind: "cash", balance: w("1000") }), token: USDC };
  const inputs = { manager, portfolioManagers: [], spots, stablePrice: undefined, timestamp: NOW };

  it("marks a live option by Black76 on the forward and an expired one as Black76 does at zero vol", () => {
    const mark = optionMark(w("1800"), false, live, w("2000"), NOW, 0.6)!;
    // Black76 (discount 1), worked in floats: 30 days, vol 0.6, K/F = 0.9.
    const v = 0.6 * Math.sqrt(30 / 365);
    const d1 = v / 2 - Math.log(0.9) / v;
    const put = 2000 * (0.9 * normalCdf(-(d1 - v)) - normalCdf(-d1));
    expect(Number(mark) / 1e18).toBeCloseTo(put, 9);
    expect(optionMark(w("1800"), false, live, w("2000"), NOW, null)).toBeNull();
    // At expiry, Black76 at zero total vol: (m - 1) x F with m = K / F truncated, a few wei short of 49.5.
    const m = (w("1800") * 10n ** 18n) / w("1750.5");
    expect(optionMark(w("1800"), false, NOW - 1n, w("1750.5"), NOW, null)).toBe(((m - 10n ** 18n) * w("1750.5")) / 10n ** 18n);
    expect(w("49.5") - optionMark(w("1800"), false, NOW - 1n, w("1750.5"), NOW, null)!).toBeLessThan(2_000n);
    expect(optionMark(0n, true, live, w("2000"), NOW, null)).toBe(w("2000")); // strike 0: the forward, no model
  });

  it("flags a missing volatility instead of margining live options on a guess", () => {
    const r = subaccountMargin({ ...inputs, holdings: [shortLivePut, cash], volatility: null });
    expect(r).toEqual({ ok: false, reason: "no usable volatility for live options: margin not computed" });
    // Cash alone needs no volatility: MM = IM = the cash.
    const c = subaccountMargin({ ...inputs, holdings: [cash], volatility: null });
    expect(c.ok && [c.maintenance, c.initial]).toEqual([w("1000"), w("1000")]);
  });

  it("flags a subaccount under an unconfigured manager, a missing price and missing parameters", () => {
    const other = { ...cash, state: { ...cash.state, manager: "0x0000000000000000000000000000000000000c01" } };
    expect(subaccountMargin({ ...inputs, holdings: [shortLivePut, other], volatility: 0.6 })).toMatchObject({ ok: false, reason: expect.stringContaining("neither the configured StandardManager nor a configured portfolio manager") });
    const noPrice = subaccountMargin({ ...inputs, spots: new Map(), holdings: [shortLivePut], volatility: 0.6 });
    expect(noPrice).toMatchObject({ ok: false, reason: expect.stringContaining("no usable price") });
    const noParams = subaccountMargin({ ...inputs, manager: { ...manager, markets: [] }, holdings: [shortLivePut], volatility: 0.6 });
    expect(noParams).toMatchObject({ ok: false, reason: expect.stringContaining("no StandardManager parameters") });
    const perp = { state: state({ kind: "perp", balance: w("1"), perp: null }), token: WETH };
    expect(subaccountMargin({ ...inputs, holdings: [perp], volatility: 0.6 })).toMatchObject({ ok: false, reason: expect.stringContaining("PerpAsset.positions") });
  });

  it("a short put on cash: MM from the rule, flagged as assuming the configured volatility, liquidated below spot", () => {
    const r = subaccountMargin({ ...inputs, holdings: [shortLivePut, cash], volatility: 0.6 });
    if (!r.ok) throw new Error(r.reason);
    const mark = optionMark(w("1800"), false, live, w("2000"), NOW, 0.6)!;
    // _getIsolatedMarginForPut: min(0.075 x 2000 x -1, 0.075 x -mark) - mark, plus cash; max loss at 0 is -1800.
    const mtm = -mark;
    const byMtm = (w("0.075") * mtm) / 10n ** 18n;
    expect(r.maintenance).toBe(w("1000") + (w("-150") < byMtm ? w("-150") : byMtm) + mtm);
    expect(r.assumptions.join(" ")).toContain("at the configured volatility 0.6 (assumed)");
    const b = r.byUnderlying.get(WETH)!;
    expect(b.below).not.toBeNull();
    expect(b.below!).toBeLessThan(w("2000"));
    // Up too: min(spot term, MtM term) keeps 0.075 x spot of MM on a short put however far OTM, so
    // 1000 of cash runs out near 1000 / 0.075 = 13333.33 (the put's mark is ~0 there).
    expect(Number(b.above!) / 1e18).toBeCloseTo(1000 / 0.075, 2);
    // The joint move of a one-underlying book is the same boundary as a fraction.
    expect(r.joint.below).not.toBeNull();
  });
});

describe("protocols.derive[].portfolioManagers and a PMRM subaccount", () => {
  const PMRM = "0x0000000000000000000000000000000000000c01" as Address;
  const BASE = "0x0000000000000000000000000000000000000a04";
  const pmConfig = {
    address: PMRM,
    underlying: WETH,
    scenarios: [
      { spotShock: "0.8", volShock: "none" },
      { spotShock: "1.2", volShock: "none", dampeningFactor: "0.9" },
      { spotShock: "1", volShock: "linear" },
    ],
    basisContingency: { scenarioSpotUp: "1.05", scenarioSpotDown: "0.95", basisContAddFactor: "0.25", basisContMultFactor: "0.01" },
    otherContingency: { pegLossThreshold: "0.98", pegLossFactor: "2", confThreshold: "0.6", confMargin: "0.5", MMPerpPercent: "0.02", IMPerpPercent: "0.03", MMOptionPercent: "0.01", IMOptionPercent: "0.02" },
    margin: { imFactor: "1.3", mmFactor: "1", shortRateMultScale: "0", longRateMultScale: "0", shortRateAddScale: "0.05", longRateAddScale: "0.05", shortBaseStaticDiscount: "1.05", longBaseStaticDiscount: "0.95" },
    volShock: { volRangeUp: "0.45", volRangeDown: "0.3", shortTermPower: "0.3", longTermPower: "0.13", dteFloorDays: 1, minVolUpShock: "0.5" },
    skewShock: { linearBaseCap: "0.15", absBaseCap: "0.2", linearCBase: "0.1", absCBase: "0.1", minKStar: "0.05", widthScale: "2", volParamStatic: "1", volParamScale: "-0.5" },
    collaterals: [{ asset: BASE, isRiskCancelling: true, MMHaircut: "0.02", IMHaircut: "0.03" }],
  };
  const d = deployment({ ...derive, perps: [{ address: "0x0000000000000000000000000000000000000a05", underlying: WETH }], portfolioManagers: [pmConfig] });
  const pmState = (s: Partial<DeriveState>) => state({ manager: PMRM, ...s });
  const inputs = { manager: d.standardManager, portfolioManagers: d.portfolioManagers, spots: new Map([[WETH, w("2000")]]), stablePrice: undefined, timestamp: NOW, volatility: 0.6 };
  const perp = (balance: bigint, lastMarkPrice: bigint): Holding => ({
    state: pmState({ kind: "perp", asset: "0x0000000000000000000000000000000000000a05", balance, perp: { lastMarkPrice, funding: 0n, pnl: 0n, lastFundingPaid: NOW, lastAggregatedFunding: 0n } }),
    token: WETH,
  });
  const cash = (balance: bigint): Holding => ({ state: pmState({ kind: "cash", balance }), token: USDC });

  it("takes PMRMLib_2's parameters by their contract names, with the setters' bounds", () => {
    const pm = d.portfolioManagers[0]!;
    expect(pm.scenarios[1]).toEqual({ spotShock: w("1.2"), volShock: "none", dampeningFactor: w("0.9") });
    expect(pm.lib.skewShock.volParamScale).toBe(w("-0.5"));
    expect(pm.lib.volShock.dteFloor).toBe(86_400n);
    expect(pm.collaterals.get(BASE)).toEqual({ isRiskCancelling: true, MMHaircut: w("0.02"), IMHaircut: w("0.03") });
    const bad = (patch: object) => () => deployment({ ...derive, portfolioManagers: [{ ...pmConfig, ...patch }] });
    expect(bad({ basisContingency: { ...pmConfig.basisContingency, scenarioSpotUp: "0.9" } })).toThrow("basisContingency.scenarioSpotUp");
    expect(bad({ margin: { ...pmConfig.margin, mmFactor: "0.05" } })).toThrow("margin.mmFactor");
    expect(bad({ scenarios: [{ spotShock: "0.9", volShock: "abs" }] })).toThrow("with spotShock 1");
    expect(bad({ scenarios: [{ spotShock: "0.9", volShock: "sideways" }] })).toThrow("volShock: expected one of none");
    expect(bad({ collaterals: [{ asset: BASE, MMHaircut: "0.6", IMHaircut: "0.6" }] })).toThrow("MMHaircut + IMHaircut exceeds 1");
    expect(bad({ skewShock: { ...pmConfig.skewShock, minKStar: "-1" } })).toThrow("skewShock.minKStar");
  });

  it("margins a subaccount under the configured PMRM by its scenarios, and finds where MM turns negative", () => {
    // 1 ETH long from 1900 on 1000 of cash: MM = -0.2 x S (worst: 0.8) - 0.02 x S + (S - 1900) + 1000 = 0.78 S - 900.
    const r = subaccountMargin({ ...inputs, holdings: [perp(w("1"), w("1900")), cash(w("1000"))] });
    if (!r.ok) throw new Error(r.reason);
    expect(r.maintenance).toBe(w("660"));
    expect(r.initial).toBe(w("480")); // -400 x 1.3 - 60 - 40 + 1100
    expect(r.assumptions.join(" ")).toContain("portfolio margin");
    const below = r.byUnderlying.get(WETH)!.below!;
    // S - floor(S / 5) - floor(S / 50) - 900e18 < 0 first at the integer below 900 / 0.78.
    const mmAt = (S: bigint) => S - S / 5n - S / 50n - w("900");
    expect(mmAt(below)).toBeLessThan(0n);
    expect(mmAt(below + 1n)).toBeGreaterThanOrEqual(0n);
    expect(Number(below) / 1e18).toBeCloseTo(900 / 0.78, 9);
  });

  it("flags what PMRM would reject or cannot compute, instead of a number", () => {
    const otherOption = { state: pmState({ kind: "option", asset: "0x0000000000000000000000000000000000000a02", subId: optionSubId(NOW + 86_400n, w("1800"), false), balance: -w("1") }), token: USDC };
    expect(subaccountMargin({ ...inputs, holdings: [otherOption, cash(w("1"))] })).toMatchObject({ ok: false, reason: expect.stringContaining("not this portfolio manager's underlying") });
    const strayBase = { state: pmState({ kind: "base", asset: "0x0000000000000000000000000000000000000a09", balance: w("1") }), token: WETH };
    expect(subaccountMargin({ ...inputs, holdings: [strayBase] })).toMatchObject({ ok: false, reason: expect.stringContaining("is not a collateral configured") });
    const livePut = { state: pmState({ kind: "option", subId: optionSubId(NOW + 86_400n, w("1800"), false), balance: -w("1") }), token: WETH };
    expect(subaccountMargin({ ...inputs, volatility: null, holdings: [livePut, cash(w("500"))] })).toMatchObject({ ok: false, reason: expect.stringContaining("no usable volatility") });
    const expiredPut = { state: pmState({ kind: "option", subId: optionSubId(NOW - 86_400n, w("1800"), false), balance: -w("1") }), token: WETH };
    const noFloor = { ...inputs, portfolioManagers: [{ ...d.portfolioManagers[0]!, lib: { ...d.portfolioManagers[0]!.lib, volShock: { ...d.portfolioManagers[0]!.lib.volShock, dteFloor: 0n } } }] };
    expect(subaccountMargin({ ...noFloor, holdings: [expiredPut, cash(w("500"))] })).toMatchObject({ ok: false, reason: expect.stringContaining("divides by zero") });
  });

  it("values wrapped base as collateral at balance x spot / stable price, moving with spot", () => {
    const base = { state: pmState({ kind: "base", asset: BASE, balance: w("2") }), token: WETH };
    const r = subaccountMargin({ ...inputs, holdings: [base, perp(-w("1"), w("2000")), cash(-w("3000"))] });
    if (!r.ok) throw new Error(r.reason);
    // Collateral 4000 risk-cancelling, short perp 1: net +1 ETH. Worst: 0.8 -> -800 + 400 = -400.
    // Contingencies 4000 x 0.02 + 2000 x 0.02 = 120. MtM 4000 + 0 - 3000.
    expect(r.maintenance).toBe(w("-400") - w("120") + w("1000"));
  });
});

describe("a PMRM subaccount's feeds: rate, forward and vol confidences reach the portfolio", () => {
  it("discounts at the rate feed's rate and charges IM the confidence contingency of the expiry's lowest confidence", async () => {
    const { portfolioMargin } = await import("../../src/protocols/derive/portfolio-margin");
    const PMRM = "0x0000000000000000000000000000000000000c01" as Address;
    const pm = {
      address: PMRM,
      underlying: WETH,
      scenarios: [{ spotShock: "0.9", volShock: "up" }],
      basisContingency: { scenarioSpotUp: "1.05", scenarioSpotDown: "0.95", basisContAddFactor: "0.25", basisContMultFactor: "0.01" },
      otherContingency: { pegLossThreshold: "0.98", pegLossFactor: "2", confThreshold: "0.6", confMargin: "0.5", MMPerpPercent: "0.02", IMPerpPercent: "0.03", MMOptionPercent: "0.01", IMOptionPercent: "0.02" },
      margin: { imFactor: "1.3", mmFactor: "1", shortRateMultScale: "1", longRateMultScale: "1", shortRateAddScale: "0.05", longRateAddScale: "0.05", shortBaseStaticDiscount: "1.05", longBaseStaticDiscount: "0.95" },
      volShock: { volRangeUp: "0.45", volRangeDown: "0.3", shortTermPower: "0.3", longTermPower: "0.13", dteFloorDays: 1, minVolUpShock: "0.5" },
      skewShock: { linearBaseCap: "0.15", absBaseCap: "0.2", linearCBase: "0.1", absCBase: "0.1", minKStar: "0.05", widthScale: "2", volParamStatic: "1", volParamScale: "-0.5" },
    };
    const d = deployment({ ...derive, portfolioManagers: [pm] });
    const expiry = NOW + 20n * 86_400n;
    const put = { state: state({ kind: "option", manager: PMRM, subId: optionSubId(expiry, w("1900"), false), balance: -w("3") }), token: WETH };
    const cash = { state: state({ kind: "cash", manager: PMRM, balance: w("5000") }), token: USDC };
    const r = subaccountMargin({
      manager: d.standardManager,
      portfolioManagers: d.portfolioManagers,
      spots: new Map([[WETH, w("2000")]]),
      stablePrice: undefined,
      timestamp: NOW,
      volatility: () => ({ volatility: 0.7, assumed: false, warning: null, confidence: w("0.9") }),
      forward: () => ({ at: (spot) => ({ fixed: 0n, variable: spot + w("10") }), assumed: false, warning: null, settlement: null, confidence: w("0.5") }),
      rate: () => ({ rate: w("0.05"), confidence: w("0.8"), assumed: false, warning: null }),
      holdings: [put, cash],
    });
    if (!r.ok) throw new Error(r.reason);
    // PMRM_2._initialiseExpiries / _arrangeAssets: min(forward 0.5, rate 0.8, vol 0.9) = 0.5, below confThreshold 0.6.
    const portfolio = {
      spotPrice: w("2000"), perpPrice: 0n, stablePrice: w("1"), minConfidence: w("1"), cash: w("5000"), perpPosition: 0n, perpValue: 0n, collaterals: [],
      expiries: [{ secToExpiry: 20n * 86_400n, forwardFixedPortion: 0n, forwardVariablePortion: w("2010"), rate: w("0.05"), minConfidence: w("0.5"), options: [{ strike: w("1900"), isCall: false, amount: -w("3"), vol: w("0.7") }] }],
    };
    const lib = d.portfolioManagers[0]!.lib;
    const scenarios = d.portfolioManagers[0]!.scenarios;
    expect(r.maintenance).toBe(portfolioMargin(portfolio, lib, scenarios, false).margin);
    expect(r.initial).toBe(portfolioMargin(portfolio, lib, scenarios, true).margin);
    // The contingency itself: (1 - 0.5) x 0.5 x (3 x 2000) = 1500 less IM than at full confidence.
    const confident = { ...portfolio, expiries: [{ ...portfolio.expiries[0]!, minConfidence: w("1") }] };
    expect(portfolioMargin(confident, lib, scenarios, true).margin - r.initial).toBe(w("1500"));
    expect(r.assumptions.join(" ")).toContain("rates from the rate feed");
  });
});

describe("perpUnsettledCash (PerpAsset.getUnsettledAndUnrealizedCash)", () => {
  it("adds the funding accrued since the account's last application, at the perp's last hourly rate", async () => {
    const { perpUnsettledCash } = await import("../../src/protocols/derive/subaccount-margin");
    const perp = state({ kind: "perp", balance: w("2"), perp: { lastMarkPrice: w("1990"), funding: w("-0.25"), pnl: w("3"), lastFundingPaid: NOW - 7_200n, lastAggregatedFunding: w("5") } });
    const index = { aggregatedFunding: w("5.3"), fundingRate: w("0.0001"), lastFundingPaidAt: NOW - 7_200n };
    // _getUnrealizedFunding: latest = 5.3 + (0.0001 x 7200 / 3600) x 2000 = 5.7; funding = -2 x (5.7 - 5) = -1.4.
    // _getUnrealizedPnl: (2000 - 1990) x 2 = 20; plus pnl 3 and funding -0.25 not yet settled.
    expect(perpUnsettledCash(perp, w("2000"), index, NOW)).toBe(w("-1.4") + w("20") + w("3") - w("0.25"));
    // No funding index seen, or the account's last one unknown: nothing accrued.
    expect(perpUnsettledCash(perp, w("2000"), undefined, NOW)).toBe(w("20") + w("3") - w("0.25"));
    expect(perpUnsettledCash({ ...perp, perp: { ...perp.perp!, lastAggregatedFunding: null } }, w("2000"), index, NOW)).toBe(w("22.75"));
  });
});
