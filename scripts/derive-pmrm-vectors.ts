// Checks portfolio-margin.ts against Derive's own PMRM_2 portfolio vectors, which are not kept in this
// tree (another repository's data): `npx tsx scripts/derive-pmrm-vectors.ts <derivexyz/v2-core clone> [name filter]`.
// Each case (test/risk-managers/unit-tests/PMRM_2/portfolio_cases/*.json) is mapped into the portfolio
// as TestPMRM_2_PortfolioCasesNEW maps it into PMRM_2 (_arrangePortfolio), each option's vol from its
// SVI parameters through svi.ts; MM, IM, the option marks and every scenario's PnL are compared with the
// case's results at the test's own tolerance (1e-8 relative; 1e10 wei near zero). Exits 1 on a mismatch.
import { minBig as min } from "../src/core/fixed";
import { addPrecomputes, portfolioMargin, scenarioPnL, type PmrmExpiry, type PmrmLibParams, type PmrmPortfolio, type VolShockDirection } from "../src/protocols/derive/portfolio-margin";
import { sviVol } from "../src/protocols/derive/svi";
import { vectorSource } from "./derive-vectors";

const source = vectorSource("derive-pmrm-vectors.ts");
const DIR = "test/risk-managers/unit-tests/PMRM_2/portfolio_cases";
const WAD = 10n ** 18n;

/** The test's _toBNInt: a decimal string to 18 decimals, digits past the 18th cut. */
function wad(v: unknown): bigint {
  if (typeof v === "boolean") return v ? WAD : 0n;
  const s = String(v);
  if (/[eE]/.test(s)) throw new Error(`exponent in numeric input ${s}`);
  const [int, frac = ""] = s.replace("-", "").split(".");
  const r = BigInt((int || "0") + (frac + "0".repeat(18)).slice(0, 18));
  return s.startsWith("-") ? -r : r;
}

const DIRECTIONS: Record<string, VolShockDirection> = { None: "none", Up: "up", Down: "down", LINEAR: "linear", ABS: "abs" };

/** The lib's parameters and scenarios from the case's Parameters (TestPMRM_2_PortfolioCasesNEW._setLibParams). */
function libOf(P: any): PmrmLibParams {
  const [B, O, M, V, S] = [P.BasisContingency, P.OtherContingency, P.Margin, P.VolShock, P.SkewShock];
  return {
    basis: { scenarioSpotUp: wad(B.SCENARIO_SPOT_UP), scenarioSpotDown: wad(B.SCENARIO_SPOT_DOWN), basisContAddFactor: wad(B.BASIS_CONT_ADD_FACTOR), basisContMultFactor: wad(B.BASIS_CONT_MULT_FACTOR) },
    other: {
      pegLossThreshold: wad(O.PEG_LOSS_THRESHOLD),
      pegLossFactor: wad(O.PEG_LOSS_FACTOR),
      confThreshold: wad(O.CONF_THRESHOLD),
      confMargin: wad(O.CONF_MARGIN),
      MMPerpPercent: wad(O.MM_PERP_PERCENT),
      IMPerpPercent: wad(O.IM_PERP_PERCENT),
      MMOptionPercent: wad(O.MM_OPTION_PERCENT),
      IMOptionPercent: wad(O.IM_OPTION_PERCENT),
    },
    margin: {
      imFactor: wad(M.IM_LOSS_FACTOR),
      mmFactor: wad(M.MM_LOSS_FACTOR),
      shortRateMultScale: wad(M.SHORT_RATE_MULTSCALE),
      longRateMultScale: wad(M.LONG_RATE_MULTSCALE),
      shortRateAddScale: wad(M.SHORT_RATE_ADDSCALE),
      longRateAddScale: wad(M.LONG_RATE_ADDSCALE),
      shortBaseStaticDiscount: wad(M.BASE_STATIC_DISCOUNT_NEG),
      longBaseStaticDiscount: wad(M.BASE_STATIC_DISCOUNT),
    },
    volShock: {
      volRangeUp: wad(V.VOLRANGEUP),
      volRangeDown: wad(V.VOLRANGEDOWN),
      shortTermPower: wad(V.SHORTTERMPOWER),
      longTermPower: wad(V.LONGTERMPOWER),
      dteFloor: (wad(V.DTE_FLOOR) * 86_400n) / WAD,
      minVolUpShock: wad(V.MIN_VOL_EVAL_SHOCKED),
    },
    skewShock: {
      linearBaseCap: wad(S.LINEAR_SCALE_CAP),
      absBaseCap: wad(S.ABS_SCALE_CAP),
      linearCBase: wad(S.LINEAR_CBASE),
      absCBase: wad(S.ABS_CBASE),
      minKStar: wad(S.MIN_K_STAR),
      widthScale: wad(S.MIN_WIDTH_SCALE),
      volParamStatic: wad(S.VOL_PARAM_STATIC),
      volParamScale: wad(S.VOL_PARAM_SCALE),
    },
  };
}

/** The portfolio from the case's Scenario, as PMRM_2._arrangePortfolio arranges it from the test's feeds. */
function portfolioOf(S: any): PmrmPortfolio {
  const spotConfidence = wad(S.SpotConfidence);
  const stablePrice = wad(S.StablePrice);
  const perps = wad(S.NumPerps);
  const feeds = new Map<string, any>((S.OptionFeeds ?? []).map((f: any) => [String(f.FeedExpiry), f]));
  const expiries = new Map<string, PmrmExpiry>();
  for (const o of S.Options ?? []) {
    const f = feeds.get(String(o.Expiry));
    const secs = BigInt(String(f.FeedExpiry).split(".")[0]!);
    const forward = wad(f.Forward);
    // The test's forward portions: inside the 30-minute settlement window, the elapsed share is fixed.
    const [fixed, variable] = secs < 1_800n ? [(forward * (1_800n - secs)) / 1_800n, (forward * secs) / 1_800n] : [0n, forward];
    const e = expiries.get(String(o.Expiry)) ?? {
      secToExpiry: secs,
      forwardFixedPortion: fixed,
      forwardVariablePortion: variable,
      rate: wad(f.Rate) > 0n ? wad(f.Rate) : 0n,
      minConfidence: min(min(wad(f.ForwardConfidence), wad(f.RateConfidence)), wad(f.OptionVolConfidences)),
      options: [],
    };
    const [a, b, rho, m, sigma, fwd, refTau] = f.SVIparam.map(wad);
    const strike = wad(o.Strike);
    const vol = sviVol(strike, { a, b, rho, m, sigma, forward: fwd, refTau });
    if (vol === null) throw new Error(`SVI gives no vol at strike ${o.Strike}`);
    e.options.push({ strike, isCall: String(o.IsCall) !== "0", amount: wad(o.Amount), vol });
    expiries.set(String(o.Expiry), e);
  }
  return {
    spotPrice: wad(S.SpotPrice),
    perpPrice: perps !== 0n ? wad(S.PerpPrice) : 0n,
    stablePrice,
    minConfidence: perps !== 0n ? min(spotConfidence, wad(S.PerpConfidence)) : spotConfidence,
    cash: wad(S.Cash),
    perpPosition: perps,
    perpValue: perps !== 0n ? wad(S.UnrealisedPerpPNL) + wad(S.UnrealisedFunding) : 0n,
    expiries: [...expiries.values()],
    collaterals: (S.Collaterals ?? []).map((c: any) => ({
      value: (wad(c.Amount) * wad(c.Price)) / stablePrice,
      minConfidence: min(wad(c.Confidence), spotConfidence),
      params: { isRiskCancelling: String(c.IsRiskCancelling) === "true" || String(c.IsRiskCancelling) === "1", MMHaircut: wad(c.MMHaircut), IMHaircut: wad(c.IMHaircut) },
    })),
  };
}

/** forge's assertApproxEqRel(a, b, 1e10), or within 1e10 wei where the expected value is near zero. */
const close = (a: bigint, b: bigint) => {
  const diff = a > b ? a - b : b - a;
  const size = b < 0n ? -b : b;
  return size < 10n ** 8n ? diff <= 10n ** 10n : (diff * WAD) / size <= 10n ** 10n;
};
const relative = (a: bigint, b: bigint) => (b === 0n ? (a === 0n ? 0 : Infinity) : Math.abs(Number(a - b) / Number(b)));

const names = source
  .files(DIR)
  .filter(source.wanted)
  .sort((a, b) => Number(a.split("_")[1]) - Number(b.split("_")[1]));
let worst = { relative: 0, name: "" };
const mismatches: string[] = [];
const scenarioOff: string[] = [];
for (const name of names) {
  const q = source.json(`${DIR}/${name}`);
  const lib = libOf(q.Parameters);
  const scenarios = q.Parameters.Scenarios.map((s: any) => ({ spotShock: wad(s.SpotShock), volShock: DIRECTIONS[s.VolShockDirection]!, dampeningFactor: wad(s.DampeningFactor) }));
  const portfolio = portfolioOf(q.Scenario);
  const R = q.Result;
  const [mm, im] = [false, true].map((initial) => portfolioMargin(portfolio, lib, scenarios, initial).margin);
  for (const [got, want] of [[mm!, wad(R.MM)], [im!, wad(R.IM)]] as const) {
    if (relative(got, want) > worst.relative) worst = { relative: relative(got, want), name };
  }
  const ok = close(mm!, wad(R.MM)) && close(im!, wad(R.IM));
  if (!ok) mismatches.push(name);
  // The case's expected PnL per scenario: regular, then tail, then skew losses, in scenario order.
  const expected = [...(R.reg_losses ?? []).map((l: any) => l[2]), ...(R.tail_losses ?? []).map((l: any) => l[2]), ...(R.skew_losses ?? []).map((l: any) => l[1])];
  const pre = addPrecomputes(portfolio, lib);
  const off = scenarios.filter((s: any, i: number) => expected[i] !== undefined && !close(scenarioPnL(pre, lib, s), wad(expected[i]))).length;
  if (off > 0) scenarioOff.push(`${name} (${off})`);
  console.log(`${ok ? "ok  " : "FAIL"} ${name}: MM ${Number(mm) / 1e18} vs ${Number(wad(R.MM)) / 1e18}, IM ${Number(im) / 1e18} vs ${Number(wad(R.IM)) / 1e18}`);
}
console.log(`\n${names.length} cases: MM and IM within 1e-8 in ${names.length - mismatches.length}; largest relative difference ${worst.relative.toExponential(2)} (${worst.name})`);
console.log(`scenario PnL off in: ${scenarioOff.join(", ") || "none"}`);
if (mismatches.length) {
  console.log(`mismatches: ${mismatches.join(", ")}`);
  process.exitCode = 1;
}
