import { parseUnits } from "viem";
import { describe, expect, it } from "vitest";
import { normalCdf } from "../../src/protocols/derive/greeks";
import {
  black76Prices,
  portfolioMargin,
  PmrmRevert,
  type PmrmLibParams,
  type PmrmPortfolio,
  type PmrmScenario,
} from "../../src/protocols/derive/portfolio-margin";

// Expected values are worked out here from derivexyz/v2-core @7736900 src/risk-managers/PMRMLib_2.sol
// (and lyra-utils Black76 / FixedPointMathLib), step by step, with the function named beside each.

const w = (s: string) => parseUnits(s, 18);
const W = 10n ** 18n;
/** multiplyDecimal: truncated toward zero. */
const mul = (a: bigint, b: bigint) => (a * b) / W;
/** lyra-utils FixedPointMathLib.exp(0) = 1e18 - 1: every rate-0 discount. */
const DISCOUNT_AT_RATE_0 = W - 1n;

const lib: PmrmLibParams = {
  basis: { scenarioSpotUp: w("1.05"), scenarioSpotDown: w("0.95"), basisContAddFactor: w("0.25"), basisContMultFactor: w("0.01") },
  other: {
    pegLossThreshold: w("0.98"),
    pegLossFactor: w("2"),
    confThreshold: w("0.6"),
    confMargin: w("0.5"),
    MMPerpPercent: w("0.02"),
    IMPerpPercent: w("0.03"),
    MMOptionPercent: w("0.01"),
    IMOptionPercent: w("0.02"),
  },
  margin: {
    imFactor: w("1.3"),
    mmFactor: w("1"),
    shortRateMultScale: 0n,
    longRateMultScale: 0n,
    shortRateAddScale: w("0.05"),
    longRateAddScale: w("0.05"),
    shortBaseStaticDiscount: w("1.05"),
    longBaseStaticDiscount: w("0.95"),
  },
  volShock: { volRangeUp: w("0.45"), volRangeDown: w("0.3"), shortTermPower: w("0.3"), longTermPower: w("0.13"), dteFloor: 86_400n, minVolUpShock: w("0.5") },
  skewShock: {
    linearBaseCap: w("0.15"),
    absBaseCap: w("0.2"),
    linearCBase: w("0.1"),
    absCBase: w("0.1"),
    minKStar: w("0.05"),
    widthScale: w("2"),
    volParamStatic: w("1"),
    volParamScale: w("-0.5"),
  },
};
const none = (spotShock: string, damp = "1"): PmrmScenario => ({ spotShock: w(spotShock), volShock: "none", dampeningFactor: w(damp) });
const empty: PmrmPortfolio = { spotPrice: w("2000"), perpPrice: w("2000"), stablePrice: W, minConfidence: W, cash: 0n, perpPosition: 0n, perpValue: 0n, expiries: [], collaterals: [] };
const expired = (options: PmrmPortfolio["expiries"][number]["options"]) => ({ secToExpiry: 0n, forwardFixedPortion: 0n, forwardVariablePortion: w("2000"), rate: 0n, minConfidence: W, options });

describe("PMRMLib_2.getMarginAndMarkToMarket", () => {
  it("a long perp on cash: the worst spot scenario, the perp contingency, IM's factor", () => {
    const p = { ...empty, cash: w("1000"), perpPosition: w("1"), perpValue: w("100") };
    const scenarios = [none("0.8"), none("1.2")];
    // _getShockedPerpPnL: 1 x ((0.8 - 1) x 2000) = -400 (worst); getMarginAndMarkToMarket starts from the basis contingency, 0.
    const worst = mul(w("1"), mul(w("0.8") - W, w("2000")));
    expect(worst).toBe(w("-400"));
    // addPrecomputes: perp notional 2000 -> MM contingency x 0.02 = 40, IM x 0.03 = 60; MtM = perpValue 100, + cash.
    const mm = mul(worst, lib.margin.mmFactor) - mul(w("2000"), w("0.02")) + w("100") + w("1000");
    const im = mul(worst, lib.margin.imFactor) - mul(w("2000"), w("0.03")) - mul(w("2000"), w("0.02")) + w("1100");
    expect(portfolioMargin(p, lib, scenarios, false)).toEqual({ margin: mm, markToMarket: w("1100"), worstScenario: 0 });
    expect(portfolioMargin(p, lib, scenarios, true).margin).toBe(im);
    expect([mm, im]).toEqual([w("660"), w("480")]);
    // A dampened scenario counts its PnL x dampeningFactor.
    expect(portfolioMargin(p, lib, [none("0.8", "0.5")], false).margin).toBe(mul(w("-400"), w("0.5")) - w("40") + w("1100"));
  });

  it("IM adds the peg-loss factor when the stable feed is below its threshold", () => {
    const p = { ...empty, stablePrice: w("0.97"), cash: w("1000"), perpPosition: w("1"), perpValue: 0n };
    // mFactor = 1.3 + (0.98 - 0.97) x 2 = 1.32
    const im = mul(w("-400"), w("1.32")) - w("60") - w("40") + w("1000");
    expect(portfolioMargin(p, lib, [none("0.8")], true).margin).toBe(im);
  });

  it("expired calls: marks from Black76 at zero vol, static discounts, basis and naked-short contingencies", () => {
    // A 1900/2150 call spread, short the lower strike, at spot 2000.
    const p = { ...empty, cash: w("500"), expiries: [expired([{ strike: w("1900"), isCall: true, amount: -W, vol: 0n }, { strike: w("2150"), isCall: true, amount: W, vol: 0n }])] };
    // Black76.pricesAndDelta at zero total vol: call = (1 - K/F) x F x discount in the money, 0 out of it.
    const call = (K: bigint, F: bigint) => {
      const m = (K * W) / F;
      return m < W ? ((W - m) * ((F * DISCOUNT_AT_RATE_0) / W)) / W : 0n;
    };
    const book = (F: bigint) => mul(call(w("1900"), F), -W) + mul(call(w("2150"), F), W);
    const mtm = book(w("2000"));
    expect(mtm).toBe(-(w("100") - 100n)); // the discount's missing wei, x 2000
    // _addStaticDiscount at tau 0: pos = 0.95 x exp(0); neg = min(1 / discount, 1.05 / exp(0)).
    const discountNeg = (W * W) / DISCOUNT_AT_RATE_0;
    expect(discountNeg).toBe(W + 1n);
    // _addBasisContingency: min(up - mtm, down - mtm, 0) x (addFactor + multFactor x 0).
    const up = book(w("2100"));
    const down = book(w("1900"));
    const basis = mul(up - mtm < down - mtm ? up - mtm : down - mtm, w("0.25"));
    expect(basis).toBeLessThan(0n);
    // getScenarioPnL, scenario 0.9: the shocked mark x the negative static discount, less the mark.
    const at09 = book(w("1800"));
    const pnl09 = mul(mul(at09, at09 >= 0n ? mul(w("0.95"), DISCOUNT_AT_RATE_0) : discountNeg) - mtm, W);
    const at11 = book(w("2200"));
    const pnl11 = mul(mul(at11, at11 >= 0n ? mul(w("0.95"), DISCOUNT_AT_RATE_0) : discountNeg) - mtm, W);
    const minSpan = [basis, pnl09, pnl11].reduce((a, b) => (b < a ? b : a));
    expect(minSpan).toBe(pnl11); // the spread's max loss, up
    // _addOptionContingency: 1 naked short (strikes differ) x spot x 1% (MM).
    const mm = minSpan - mul(mul(W, w("2000")), w("0.01")) + mtm + w("500");
    expect(portfolioMargin(p, lib, [none("0.9"), none("1.1")], false)).toEqual({ margin: mm, markToMarket: mtm + w("500"), worstScenario: 1 });
  });

  it("a short and a long at one strike offset each other in the option contingency; the basis contingency is worst with no shock", () => {
    const opts = [{ strike: w("1900"), isCall: false, amount: -w("2"), vol: 0n }, { strike: w("1900"), isCall: true, amount: w("0.5"), vol: 0n }];
    const p = { ...empty, cash: w("1000"), expiries: [expired(opts)] };
    const only = portfolioMargin(p, lib, [none("1")], false);
    const put = (K: bigint, F: bigint) => {
      const m = (K * W) / F;
      return m > W ? ((m - W) * ((F * DISCOUNT_AT_RATE_0) / W)) / W : 0n;
    };
    const call = (K: bigint, F: bigint) => {
      const m = (K * W) / F;
      return m < W ? ((W - m) * ((F * DISCOUNT_AT_RATE_0) / W)) / W : 0n;
    };
    const book = (F: bigint) => mul(put(w("1900"), F), -w("2")) + mul(call(w("1900"), F), w("0.5"));
    const mtm = book(w("2000"));
    const basis = mul([book(w("2100")) - mtm, book(w("1900")) - mtm, 0n].reduce((a, b) => (b < a ? b : a)), w("0.25"));
    // The no-shock scenario: the mark x the positive static discount (0.95 x exp(0)), less the mark.
    const same = mul(mtm, mul(w("0.95"), DISCOUNT_AT_RATE_0)) - mtm;
    const minSpan = basis < same ? basis : same;
    // naked shorts at 1900: max(0, 2 - 0.5) = 1.5
    const mm = minSpan - mul(mul(w("1.5"), w("2000")), w("0.01")) + mtm + w("1000");
    expect(only.margin).toBe(mm);
    expect(only.worstScenario).toBe(basis < same ? 1 : 0);
  });

  it("a skew scenario takes each expiry's loss whichever way it moves (-|pnl|)", () => {
    // A long expired call: the skew changes no mark at zero vol, but the static discount still applies,
    // so the expiry PnL is 0.95-discount less the mark: negative either way.
    const p = { ...empty, expiries: [expired([{ strike: w("1500"), isCall: true, amount: W, vol: w("0.6") }])] };
    const r = portfolioMargin(p, lib, [{ spotShock: W, volShock: "linear", dampeningFactor: W }], false);
    const mark = ((W - (w("1500") * W) / w("2000")) * ((w("2000") * DISCOUNT_AT_RATE_0) / W)) / W;
    const pnl = mul(mark, mul(w("0.95"), DISCOUNT_AT_RATE_0)) - mark;
    expect(r.worstScenario).toBe(0);
    expect(r.margin).toBe(pnl + mark); // no contingency for a long
  });

  it("risk-cancelling collateral moves with the spot shock; haircuts are contingencies", () => {
    const params = { isRiskCancelling: true, MMHaircut: w("0.02"), IMHaircut: w("0.03") };
    const p = { ...empty, cash: w("-1500"), collaterals: [{ value: w("2000"), minConfidence: W, params }] };
    // getScenarioPnL: value x (0.8 - 1) x dampening = -400; contingency 2000 x 0.02 = 40.
    expect(portfolioMargin(p, lib, [none("0.8")], false).margin).toBe(w("-400") - w("40") + w("2000") - w("1500"));
    const idle = { ...p, collaterals: [{ ...p.collaterals[0]!, params: { ...params, isRiskCancelling: false } }] };
    expect(portfolioMargin(idle, lib, [none("0.8")], false).margin).toBe(-w("40") + w("500"));
    // A low oracle confidence adds (1 - conf) x confMargin x value to IM (_getConfidenceContingency).
    const unsure = { ...idle, collaterals: [{ ...idle.collaterals[0]!, minConfidence: w("0.5") }] };
    expect(portfolioMargin(unsure, lib, [none("0.8")], true).margin).toBe(-w("60") - mul(mul(w("0.5"), w("0.5")), w("2000")) - w("40") + w("500"));
  });

  it("live options: vol-up scenarios reprice at vol x (1 + volRangeUp x (30d / dte)^power), floored at minVolUpShock", () => {
    const dte = 10n * 86_400n;
    const p = { ...empty, cash: w("3000"), expiries: [{ ...expired([{ strike: w("1800"), isCall: false, amount: -w("10"), vol: w("0.4") }]), secToExpiry: dte }] };
    const years = Number(dte) / (365 * 86_400);
    const put = (F: number, vol: number) => {
      const v = vol * Math.sqrt(years);
      const m = 1800 / F;
      const d1 = v / 2 - Math.log(m) / v;
      const call = normalCdf(d1) - m * normalCdf(d1 - v);
      return (call + m - 1) * F;
    };
    const shockUp = 1 + 0.45 * Math.pow(30 / 10, 0.3); // _addVolShocks, short term (<= 30 days)
    const mark = -10 * put(2000, 0.4);
    const upMark = -10 * put(2000, Math.max(0.5, 0.4 * shockUp));
    const discountNeg = Math.min(1, 1.05 / Math.exp(-years * 0.05)); // _addStaticDiscount, rate 0
    const pnl = upMark * discountNeg - mark;
    const expected = pnl - 10 * 2000 * 0.01 + mark + 3000;
    const r = portfolioMargin(p, lib, [{ spotShock: W, volShock: "up", dampeningFactor: W }], false);
    expect(Number(r.margin) / 1e18).toBeCloseTo(expected, 6);
    expect(r.worstScenario).toBe(0);
  });

  it("a linear skew raises an OTM call's vol by ln(K/F) x cap / kStar (capped), and its gain counts as a loss", () => {
    const dte = 60n * 86_400n;
    const p = { ...empty, expiries: [{ ...expired([{ strike: w("2600"), isCall: true, amount: W, vol: w("0.5") }]), secToExpiry: dte }] };
    const years = Number(dte) / (365 * 86_400);
    const call = (vol: number) => {
      const v = vol * Math.sqrt(years);
      const m = 2600 / 2000;
      const d1 = v / 2 - Math.log(m) / v;
      return (normalCdf(d1) - m * normalCdf(d1 - v)) * 2000;
    };
    // _getExpirySkewedShockedMTM and _getKStar
    const sqrtTau = Math.sqrt(years);
    const multCap = 0.1 * sqrtTau + 0.15;
    const kStar = Math.max(0.05, sqrtTau * 2 * (1 + sqrtTau * -0.5));
    const k = Math.log(2600 / 2000);
    const skewed = call(0.5 * (1 + Math.min(multCap, (k * multCap) / kStar)));
    const mark = call(0.5);
    const gain = skewed * 0.95 * Math.exp(-years * 0.05) - mark; // _addStaticDiscount: long side
    expect(gain).toBeGreaterThan(0);
    const r = portfolioMargin(p, lib, [{ spotShock: W, volShock: "linear", dampeningFactor: W }], false);
    expect(Number(r.margin) / 1e18).toBeCloseTo(-gain + mark, 6);
  });

  it("what the contract cannot compute (it reverts) is thrown as PmrmRevert, not a number", () => {
    const p = { ...empty, expiries: [expired([{ strike: w("1500"), isCall: true, amount: W, vol: 0n }])] };
    expect(() => portfolioMargin(p, { ...lib, volShock: { ...lib.volShock, dteFloor: 0n } }, [none("1")], false)).toThrow(PmrmRevert);
    expect(() => portfolioMargin(p, lib, [], false)).toThrow(PmrmRevert);
  });
});

describe("black76Prices", () => {
  it("follows Black76.pricesAndDelta's special cases and caps", () => {
    expect(black76Prices(86_400n, w("0.5"), w("2000"), 0n, W)).toEqual({ call: w("2000"), put: 0n });
    expect(black76Prices(86_400n, w("0.5"), 0n, w("10"), W)).toEqual({ call: 0n, put: w("10") });
    // Put-call parity on the standardised prices: put - call = (K - F) x discount, to the model's step.
    const { call, put } = black76Prices(30n * 86_400n, w("0.8"), w("2000"), w("2100"), W);
    expect(put - call).toBe(w("100"));
  });
});
