// Black-Scholes value and greeks of European options, no rates or dividends (Derive marks options
// on a forward at ~zero carry; src/libraries/BlackScholesV2.sol). Inputs and outputs are floats:
// greeks are model outputs shown to people, and turn into money only through deltaNotional, below.

export const SECONDS_PER_YEAR = 365 * 24 * 3600;

/**
 * Standard normal CDF to double precision: erfc by its Taylor series near 0 and by Lentz's
 * continued fraction in the tails, so deep out-of-the-money values keep their relative precision.
 */
export function normalCdf(x: number): number {
  const z = x / Math.SQRT2;
  if (Math.abs(z) < 2) {
    // erf(z) = 2/sqrt(pi) * sum (-1)^n z^(2n+1) / (n! (2n+1))
    let term = z;
    let sum = z;
    for (let n = 1; n < 200; n++) {
      term *= (-z * z) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return 0.5 + sum / Math.sqrt(Math.PI);
  }
  const tail = 0.5 * erfcContinuedFraction(Math.abs(z));
  return z > 0 ? 1 - tail : tail;
}

/** erfc(z) for z >= 2: exp(-z^2)/sqrt(pi) / (z + 1/2/(z + 1/(z + 3/2/(z + ...)))), evaluated by modified Lentz. */
function erfcContinuedFraction(z: number): number {
  const tiny = 1e-300;
  let f = z;
  let c = z;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = z + a * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = z + a / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
}

export const normalPdf = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

export type OptionInputs = { spot: number; strike: number; years: number; volatility: number; isCall: boolean };

export type Greeks = {
  /** Value per contract (USD). */
  price: number;
  /** dV/dS per contract. */
  delta: number;
  /** d2V/dS2 per contract (per USD of spot). */
  gamma: number;
  /** dV/dsigma per contract, per 1.00 of volatility (divide by 100 for one vol point). */
  vega: number;
  /** dV/dt per contract, per year (negative: time decay); divide by 365 for a day. */
  theta: number;
};

/** Black-Scholes with r = 0: d1 = (ln(S/K) + sigma^2 T / 2) / (sigma sqrt T), d2 = d1 - sigma sqrt T. */
export function blackScholes({ spot, strike, years, volatility, isCall }: OptionInputs): Greeks {
  if (!(spot > 0) || !(strike > 0) || !(volatility > 0)) throw new RangeError("spot, strike and volatility must be positive");
  if (!(years > 0)) throw new RangeError("an option at or past expiry has no Black-Scholes greeks");
  const sqrtT = Math.sqrt(years);
  const d1 = (Math.log(spot / strike) + 0.5 * volatility * volatility * years) / (volatility * sqrtT);
  const d2 = d1 - volatility * sqrtT;
  const pdf = normalPdf(d1);
  const gamma = pdf / (spot * volatility * sqrtT);
  const vega = spot * pdf * sqrtT;
  const theta = -(spot * pdf * volatility) / (2 * sqrtT);
  if (isCall) return { price: spot * normalCdf(d1) - strike * normalCdf(d2), delta: normalCdf(d1), gamma, vega, theta };
  return { price: strike * normalCdf(-d2) - spot * normalCdf(-d1), delta: normalCdf(d1) - 1, gamma, vega, theta };
}

/** Intrinsic value at expiry: what the option settles for. */
export const intrinsicValue = (spot: number, strike: number, isCall: boolean): number => Math.max(0, isCall ? spot - strike : strike - spot);
