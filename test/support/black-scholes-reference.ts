// An independent Black-Scholes for tests: N(x) by adaptive Simpson integration of the density from the
// nearer tail, and the textbook closed forms of the greeks on that N.
export function referenceCdf(x: number): number {
  const pdf = (t: number) => Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI);
  const simpson = (a: number, b: number) => ((b - a) / 6) * (pdf(a) + 4 * pdf((a + b) / 2) + pdf(b));
  const adaptive = (a: number, b: number, whole: number, depth: number): number => {
    const m = (a + b) / 2;
    const left = simpson(a, m);
    const right = simpson(m, b);
    if (depth > 40 || Math.abs(left + right - whole) < 1e-18) return left + right + (left + right - whole) / 15;
    return adaptive(a, m, left, depth + 1) + adaptive(m, b, right, depth + 1);
  };
  const tail = (from: number) => {
    // integral of the density from `from` (>= 0) to 40, in unit pieces for accuracy
    let sum = 0;
    for (let a = from; a < 40; a += 1) sum += adaptive(a, Math.min(a + 1, 40), simpson(a, Math.min(a + 1, 40)), 0);
    return sum;
  };
  return x >= 0 ? 1 - tail(x) : tail(-x);
}

export function reference(spot: number, strike: number, years: number, vol: number, isCall: boolean) {
  const sd = vol * Math.sqrt(years);
  const d1 = Math.log(spot / strike) / sd + sd / 2;
  const d2 = d1 - sd;
  const price = isCall ? spot * referenceCdf(d1) - strike * referenceCdf(d2) : strike * referenceCdf(-d2) - spot * referenceCdf(-d1);
  const density = Math.exp(-0.5 * d1 * d1) / Math.sqrt(2 * Math.PI);
  return {
    price,
    delta: isCall ? referenceCdf(d1) : referenceCdf(d1) - 1,
    gamma: density / (spot * sd),
    vega: spot * density * Math.sqrt(years),
    theta: (-spot * density * vol) / (2 * Math.sqrt(years)),
  };
}
