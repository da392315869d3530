// Bit-exact TypeScript mirror of PRBMathUD60x18.pow (prb-math v2, the version gmx-synthetics
// imports in utils/Precision.sol and pricing/PricingUtils.sol): x^y = exp2(log2(x) * y) in
// 60.18 fixed point. GMX's price impact goes through it, so our impact must round the same way.

const SCALE = 10n ** 18n;
const HALF_SCALE = SCALE / 2n;

/** 2^(2^-(k+1)) in 64.64 fixed point, for k = 0..63: the magic factors of PRBMath.exp2. */
const ROOTS_OF_TWO = [
  0x16a09e667f3bcc909n, 0x1306fe0a31b7152dfn, 0x1172b83c7d517adcen, 0x10b5586cf9890f62an, 0x1059b0d31585743aen,
  0x102c9a3e778060ee7n, 0x10163da9fb33356d8n, 0x100b1afa5abcbed61n, 0x10058c86da1c09ea2n, 0x1002c605e2e8cec50n,
  0x100162f3904051fa1n, 0x1000b175effdc76ban, 0x100058ba01fb9f96dn, 0x10002c5cc37da9492n, 0x1000162e525ee0547n,
  0x10000b17255775c04n, 0x1000058b91b5bc9aen, 0x100002c5c89d5ec6dn, 0x10000162e43f4f831n, 0x100000b1721bcfc9an,
  0x10000058b90cf1e6en, 0x1000002c5c863b73fn, 0x100000162e430e5a2n, 0x1000000b172183551n, 0x100000058b90c0b49n,
  0x10000002c5c8601ccn, 0x1000000162e42fff0n, 0x10000000b17217fbbn, 0x1000000058b90bfcen, 0x100000002c5c85fe3n,
  0x10000000162e42ff1n, 0x100000000b17217f8n, 0x10000000058b90bfcn, 0x1000000002c5c85fen, 0x100000000162e42ffn,
  0x1000000000b17217fn, 0x100000000058b90c0n, 0x10000000002c5c860n, 0x1000000000162e430n, 0x10000000000b17218n,
  0x1000000000058b90cn, 0x100000000002c5c86n, 0x10000000000162e43n, 0x100000000000b1721n, 0x10000000000058b91n,
  0x1000000000002c5c8n, 0x100000000000162e4n, 0x1000000000000b172n, 0x100000000000058b9n, 0x10000000000002c5dn,
  0x1000000000000162en, 0x10000000000000b17n, 0x1000000000000058cn, 0x100000000000002c6n, 0x10000000000000163n,
  0x100000000000000b1n, 0x10000000000000059n, 0x1000000000000002cn, 0x10000000000000016n, 0x1000000000000000bn,
  0x10000000000000006n, 0x10000000000000003n, 0x10000000000000001n, 0x10000000000000001n,
];

const MAX_UINT256 = (1n << 256n) - 1n;
const checked = (v: bigint): bigint => {
  if (v > MAX_UINT256) throw new RangeError("PRBMath overflow");
  return v;
};

const mostSignificantBit = (x: bigint): bigint => BigInt(x.toString(2).length - 1);

/** PRBMathUD60x18.log2: integer part from the msb, fraction by repeated squaring (x >= 1e18). */
export function log2(x: bigint): bigint {
  if (x < SCALE) throw new RangeError("PRBMath log2 input below 1");
  const n = mostSignificantBit(x / SCALE);
  let result = n * SCALE;
  let y = x >> n;
  if (y === SCALE) return result;
  for (let delta = HALF_SCALE; delta > 0n; delta >>= 1n) {
    y = (y * y) / SCALE;
    if (y >= 2n * SCALE) {
      result += delta;
      y >>= 1n;
    }
  }
  return result;
}

/** PRBMath.mulDivFixedPoint: x*y/1e18, rounding half up (remainder >= 5e17). */
export function mul(x: bigint, y: bigint): bigint {
  const product = x * y;
  if (product >> 256n >= SCALE) throw new RangeError("PRBMath mulDivFixedPoint overflow");
  return product / SCALE + (product % SCALE > 499_999_999_999_999_999n ? 1n : 0n);
}

/** PRBMathUD60x18.exp2 via PRBMath.exp2 on the 192.64 binary fraction. */
export function exp2(x: bigint): bigint {
  if (x >= 192n * SCALE) throw new RangeError("PRBMath exp2 input too big");
  const x64 = (x << 64n) / SCALE;
  let result = 1n << 191n;
  for (let k = 0; k < 64; k++) {
    if (x64 & (1n << BigInt(63 - k))) result = (result * ROOTS_OF_TWO[k]!) >> 64n;
  }
  // Solidity wraps in `unchecked` here; values in range never reach 2^256.
  return checked(result * SCALE) >> (191n - (x64 >> 64n));
}

/** PRBMathUD60x18.pow(x, y) = exp2(mul(log2(x), y)); 0^0 = 1. */
export function pow(x: bigint, y: bigint): bigint {
  if (x === 0n) return y === 0n ? SCALE : 0n;
  return exp2(mul(log2(x), y));
}
