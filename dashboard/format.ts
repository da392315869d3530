// How the dashboard shows the API's exact decimals to people: USD rounded to cents (half away from
// zero) with thousands separators, done on the decimal string so nothing passes through a float.

/** "-1234.565" -> "-$1,234.57"; null -> "–". */
export function formatUsd(value: string | null): string {
  if (value === null) return "–";
  const negative = value.startsWith("-");
  const [whole = "0", fraction = ""] = (negative ? value.slice(1) : value).split(".");
  let cents = BigInt(whole) * 100n + BigInt((fraction + "00").slice(0, 2));
  if (Number(fraction[2] ?? "0") >= 5) cents += 1n;
  const dollars = (cents / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const sign = negative && cents !== 0n ? "-" : "";
  return `${sign}$${dollars}.${(cents % 100n).toString().padStart(2, "0")}`;
}

/** A distance or share as a percentage with two decimals; null -> "–". */
export const formatRatio = (value: number | null): string => (value === null ? "–" : `${(value * 100).toFixed(2)}%`);

/** A decimal string as a float, for charts only. */
export const parseDecimal = (value: string): number => Number(value);
