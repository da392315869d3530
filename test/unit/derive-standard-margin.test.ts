import { parseUnits } from "viem";
import { describe, expect, it } from "vitest";
import { priceBoundaries } from "../../src/protocols/derive/liquidation-search";
import {
  standardMargin,
  type MarketMarginParams,
  type MarketHolding,
  type OptionHolding,
  type StandardPortfolio,
} from "../../src/protocols/derive/standard-margin";

// Expected figures are worked out here by hand from derivexyz/v2-core @7736900
// src/risk-managers/StandardManager.sol (the function named beside each step), in whole dollars
// where the contract's truncating multiplyDecimal is exact, and in wei where it is not.

const w = (s: string) => parseUnits(s, 18);
const WAD = 10n ** 18n;

const ETH: MarketMarginParams = {
  option: {
    maxSpotReq: w("0.15"),
    minSpotReq: w("0.1"),
    mmCallSpotReq: w("0.075"),
    mmPutSpotReq: w("0.075"),
    MMPutMtMReq: w("0.075"),
    unpairedMMScale: w("1.2"),
    unpairedIMScale: w("1.4"),
    mmOffsetScale: w("1.05"),
  },
  perp: { mmPerpReq: w("0.05"), imPerpReq: w("0.065") },
  base: { marginFactor: w("0.8"), IMScale: w("0.9") },
};
const SPOT = w("2000");
const E1 = 1_700_000_000n;
const E2 = 1_702_592_000n;

const option = (strike: string, isCall: boolean, balance: string, mark: string): OptionHolding => ({ strike: w(strike), isCall, balance: w(balance), mark: w(mark) });
const market = (expiries: { expiry: bigint; options: OptionHolding[] }[], extra: Partial<MarketHolding> = {}): MarketHolding => ({
  params: ETH,
  spot: SPOT,
  perp: null,
  basePosition: 0n,
  expiries: expiries.map((e) => ({ ...e, forward: SPOT })),
  ...extra,
});
const portfolio = (cash: string, markets: MarketHolding[]): StandardPortfolio => ({ cash: w(cash), markets });
const mm = (p: StandardPortfolio) => standardMargin(p, false).margin;
const im = (p: StandardPortfolio) => standardMargin(p, true).margin;

describe("StandardManager margin (pure)", () => {
  it("a short OTM call: isolated margin beats max loss with unpaired calls", () => {
    // spot 2000, short 1 call K 2200 marked 50.
    const p = portfolio("0", [market([{ expiry: E1, options: [option("2200", true, "-1", "50")] }])]);
    // _getMarkToMarket: mtm = 50 x -1 = -50.
    // _getIsolatedMarginForCall (MM): mtm + mmCallSpotReq x spot x amount = -50 + 0.075 x 2000 x -1 = -200.
    // _calcMaxLoss at 0 and at 2200: 0; _calcNetBasicMarginSingleExpiry: netCalls -1 < 0 adds unpairedMMScale x forward x netCalls = 1.2 x 2000 x -1 = -2400.
    // max(-200, -2400) = -200.
    expect(mm(p)).toBe(w("-200"));
    // IM: otmRatio = (2200 - 2000) / 2000 = 0.1; maxSpotReq - otmRatio = 0.05 is not above minSpotReq 0.1, so 0.1;
    // 0.1 x 2000 x -1 + mtm = -250; max loss with unpairedIMScale: 1.4 x 2000 x -1 = -2800. max(-250, -2800) = -250.
    expect(im(p)).toBe(w("-250"));
  });

  it("a short ITM call uses maxSpotReq - otmRatio (0 when ITM)", () => {
    // K 1900 < spot: otmRatio 0 (_getIsolatedMarginForCall), multiplier maxSpotReq 0.15 x 2000 = 300.
    const p = portfolio("0", [market([{ expiry: E1, options: [option("1900", true, "-2", "150")] }])]);
    // MM: -300 + 0.075 x 2000 x -2 = -600; max loss: at 1900 payoff 0 + unpaired 1.2 x 2000 x -2 = -4800 -> -600.
    expect(mm(p)).toBe(w("-600"));
    // IM: 300 x -2 - 300 = -900.
    expect(im(p)).toBe(w("-900"));
  });

  it("a short OTM put: min of spot and MtM terms, IM capped by mmOffsetScale", () => {
    const p = portfolio("0", [market([{ expiry: E1, options: [option("1800", false, "-2", "20")] }])]);
    // _getIsolatedMarginForPut (MM): min(0.075 x 2000 x -2, 0.075 x -40) + mtm = min(-300, -3) - 40 = -340.
    // _calcMaxLoss at 0: put payoff -(0 - 1800) x -2 = -3600; max(-340, -3600) = -340.
    expect(mm(p)).toBe(w("-340"));
    // IM: otmRatio (2000 - 1800) / 2000 = 0.1 -> multiplier 0.1 x 2000 = 200; min(200 x -2 - 40, 1.05 x -340) = min(-440, -357) = -440.
    expect(im(p)).toBe(w("-440"));
  });

  it("a short deep-OTM put where mmOffsetScale x MM is the lower IM", () => {
    // K 1000, spot 2000: otmRatio 0.5 -> minSpotReq 0.1 x 2000 = 200. Short 1, marked 1.
    const p = portfolio("0", [market([{ expiry: E1, options: [option("1000", false, "-1", "1")] }])]);
    // MM: min(0.075 x 2000 x -1, 0.075 x -1) + -1 = -150 - 1 = -151; max loss at 0: -1000 -> -151.
    expect(mm(p)).toBe(w("-151"));
    // IM: min(200 x -1 - 1, 1.05 x -151) = min(-201, -158.55) = -201.
    expect(im(p)).toBe(w("-201"));
  });

  it("a call spread: max loss (bounded) beats the isolated sum; longs add MtM but no margin", () => {
    const p = portfolio("0", [market([{ expiry: E1, options: [option("2000", true, "-1", "100"), option("2100", true, "1", "60")] }])]);
    // Isolated (_getIsolatedMargin): the short -100 + 0.075 x 2000 x -1 = -250; the long returns 0.
    // _calcMaxLoss: at 0: 0; at 2000: 0; at 2100: (2100 - 2000) x -1 = -100. netCalls 0: no unpaired term. max(-250, -100) = -100.
    expect(mm(p)).toBe(w("-100"));
    expect(standardMargin(p, false).markToMarket).toBe(w("-40")); // -100 + 60
    // IM isolated: K 2000 ATM: 0.15 x 2000 x -1 - 100 = -400; max(-400, -100) = -100.
    expect(im(p)).toBe(w("-100"));
  });

  it("two expiries margin separately; a long put at one expiry does not offset a short put at another", () => {
    const p = portfolio("0", [
      market([
        { expiry: E1, options: [option("1800", false, "-2", "20")] },
        { expiry: E2, options: [option("1800", false, "2", "45")] },
      ]),
    ]);
    // E1 as above: MM -340. E2: a long alone: isolated 0, max loss 0 -> 0.
    expect(mm(p)).toBe(w("-340"));
    // mark to market: -40 + 90 (cash 0).
    expect(standardMargin(p, false).markToMarket).toBe(w("50"));
  });

  it("perps, wrapped base and negative cash add up with the options (getMargin)", () => {
    const p = portfolio("-1000", [
      market([{ expiry: E1, options: [option("1800", false, "-2", "20")] }], {
        perp: { position: w("3"), perpPrice: w("2010"), unsettledCash: w("305") },
        basePosition: w("2"),
      }),
    ]);
    // _getNetPerpMargin: -(|3| x 2010) x mmPerpReq 0.05 = -301.5 (IM: x 0.065 = -391.95).
    // _getBaseMarginAndMtM: 2 x 2000 x marginFactor 0.8 = 3200 (IM: x IMScale 0.9 = 2880).
    // _getMarketMargin adds getUnsettledAndUnrealizedCash = 305; _getMarginAndMarkToMarket adds cash -1000 (a borrow counts in full).
    // MM = -340 - 301.5 + 3200 + 305 - 1000 = 1863.5
    expect(mm(p)).toBe(w("1863.5"));
    // IM = -440 - 391.95 + 2880 + 305 - 1000 = 1353.05
    expect(im(p)).toBe(w("1353.05"));
    // MtM: options -40 + unsettled 305 + base 4000 (stable price 1) + cash -1000.
    expect(standardMargin(p, false).markToMarket).toBe(w("3265"));
  });

  it("two markets sum; BTC with its own spot", () => {
    const btc: MarketHolding = { ...market([{ expiry: E1, options: [option("40000", true, "-0.5", "800")] }]), spot: w("38000"), expiries: [{ expiry: E1, forward: w("38000"), options: [option("40000", true, "-0.5", "800")] }] };
    const p = portfolio("10000", [market([{ expiry: E1, options: [option("2200", true, "-1", "50")] }]), btc]);
    // BTC: mtm 800 x -0.5 = -400; MM -400 + 0.075 x 38000 x -0.5 = -400 - 1425 = -1825; unpaired 1.2 x 38000 x -0.5 = -22800 -> -1825.
    // Total: 10000 - 200 - 1825 = 7975.
    expect(mm(p)).toBe(w("7975"));
  });

  it("truncates toward zero as multiplyDecimal does", () => {
    // A third of a dollar mark, short 1 contract put K 1900: mtm = 0.333333333333333333 x -1 = -0.333333333333333333.
    const third = 333_333_333_333_333_333n;
    const p = portfolio("0", [market([{ expiry: E1, options: [{ strike: w("1900"), isCall: false, balance: -WAD, mark: third }] }])]);
    // MMPutMtMReq x mtm = 0.075e18 x -333333333333333333 / 1e18 = -24999999999999999.975 -> -24999999999999999 (toward zero);
    // spot term 0.075 x 2000 x -1 = -150 is lower, so MM = -150e18 - 333333333333333333.
    expect(mm(p)).toBe(-150n * WAD - third);
  });

  it("the depeg penalty applies to IM only, on |perp| + shorts x spot", () => {
    const base = portfolio("0", [market([{ expiry: E1, options: [option("1800", false, "-2", "20")] }], { perp: { position: w("-1"), perpPrice: w("2000"), unsettledCash: 0n } })]);
    const depegged = { ...base, depeg: { threshold: w("0.98"), depegFactor: w("1.2"), stablePrice: w("0.96") } };
    // _getDepegMultiplier: (0.98 - 0.96) x 1.2 = 0.024; penalty = (1 + 2) x 0.024 x 2000 = 144.
    expect(im(depegged)).toBe(im(base) - w("144"));
    expect(mm(depegged)).toBe(mm(base));
  });
});

describe("liquidation boundaries on the margin rule", () => {
  it("a long perp: the exact price where MM turns negative, worked by hand", () => {
    // Long 10 perps last marked 2000 with 1000 cash: MM(P) = 1000 + 10 (P - 2000) - trunc(10 P x 0.05)
    // = 10 P - trunc(P / 2) - 19000 (in wei). At P = 2000e18 it is exactly 0 (not liquidatable:
    // DutchAuction needs MM < 0); at 2000e18 - 1 it is 10P - (1000e18 - 1) - 19000e18 = -9 wei.
    const mmAt = (P: bigint) =>
      mm(portfolio("1000", [{ ...market([]), spot: P, perp: { position: w("10"), perpPrice: P, unsettledCash: ((P - w("2000")) * w("10")) / WAD } }]));
    expect(mmAt(w("2000"))).toBe(0n);
    expect(mmAt(w("2000") - 1n)).toBe(-9n);
    const b = priceBoundaries((P) => mmAt(P) < 0n, w("2100"));
    expect(b.below).toBe(w("2000") - 1n);
    expect(b.above).toBeNull();
  });

  it("a short straddle fails both ways; each boundary's neighbour toward spot passes", () => {
    // Marks: intrinsic on the scenario price (an expired straddle), so the rule alone moves.
    const mmAt = (P: bigint) => {
      const intrinsic = (k: bigint, call: boolean) => (call ? (P > k ? P - k : 0n) : P < k ? k - P : 0n);
      const K = w("2000");
      return mm(portfolio("700", [{ ...market([]), spot: P, expiries: [{ expiry: E1, forward: P, options: [{ strike: K, isCall: true, balance: -WAD, mark: intrinsic(K, true) }, { strike: K, isCall: false, balance: -WAD, mark: intrinsic(K, false) }] }] }]));
    };
    // At 2000: each leg 0.075 x 2000 = 150 of MM: 700 - 300 = 400 > 0.
    expect(mmAt(w("2000"))).toBe(w("400"));
    const b = priceBoundaries((P) => mmAt(P) < 0n, w("2000"));
    expect(b.below).not.toBeNull();
    expect(b.above).not.toBeNull();
    expect(mmAt(b.below!)).toBeLessThan(0n);
    expect(mmAt(b.below! + 1n)).toBeGreaterThanOrEqual(0n);
    expect(mmAt(b.above!)).toBeLessThan(0n);
    expect(mmAt(b.above! - 1n)).toBeGreaterThanOrEqual(0n);
    // Below: 700 - (2000 - P) - 0.075 P x 2 (put ITM: min(spot term, MtM term) picks the spot term) ... = 0 near P = 1529.4.
    expect(Number(b.below!) / 1e18).toBeCloseTo(1300 / 0.85, 6);
  });
});
