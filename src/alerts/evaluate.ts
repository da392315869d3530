import { formatUnits, parseUnits } from "viem";
import type { AssessedPosition, WalletExposure } from "../exposure/service";
import { exposureTotals } from "../core/exposure";
import { formatUsd, USD_DECIMALS } from "../core/fixed";
import { lowIsRisky, type AlertMetric, type AlertRule } from "./config";

// Pure alert logic: what a rule measures in a wallet's answer, and when a measurement fires or
// resolves an alert. Values compare exactly, as 1e30 fixed point.

/**
 * A measured value: a number, unknown (a missing or stale price: no change), or beyond any threshold.
 * A ratio (a liquidation distance, a float) counts as the decimal it prints as; it is scaled only where
 * a comparison needs it or an event shows it (most readings change nothing).
 */
export type Reading = { kind: "value"; scaled: bigint; text: string } | { kind: "ratio"; value: number } | { kind: "unknown" } | { kind: "safe" } | { kind: "worst" };

export type Measurement = {
  /** What the alert is about: a position id, a lending account, or the wallet. */
  subject: string;
  wallet: string;
  reading: Reading;
  /** What an event about it shows, worked out only for one (most readings change nothing). */
  figures: () => Record<string, string | number | boolean | null>;
};

/** `parse` remembered per text (up to 10,000 texts): thresholds repeat at every reading. */
const perText = <T>(parse: (text: string) => T) => {
  const known = new Map<string, T>();
  return (text: string): T => {
    let value = known.get(text);
    if (value === undefined) {
      value = parse(text);
      if (known.size < 10_000) known.set(text, value);
    }
    return value;
  };
};

/** Decimal text as 1e30 fixed point. */
const scale = perText((text) => parseUnits(text, USD_DECIMALS));

/** Plain decimal text (no exponent, at most 30 decimals) as 1e30 fixed point: parseUnits' answer, without its cost at every position of every block. */
const decimalToScaled = (text: string): bigint => {
  const negative = text.startsWith("-");
  const [whole, fraction = ""] = (negative ? text.slice(1) : text).split(".");
  const digits = BigInt(whole! + fraction.padEnd(USD_DECIMALS, "0"));
  return negative ? -digits : digits;
};

/** A float shown to people as the decimal it prints as (1e-7 style included), exactly scaled. */
const fromFloat = (x: number): Exclude<Reading, { kind: "ratio" }> => {
  if (!Number.isFinite(x)) return { kind: "unknown" };
  if (Math.abs(x) >= 1e21) {
    // Printed with an exponent even by toFixed: a float this large is a whole number.
    const whole = BigInt(x);
    return { kind: "value", scaled: whole * 10n ** BigInt(USD_DECIMALS), text: whole.toString() };
  }
  const text = /e/i.test(String(x)) ? x.toFixed(USD_DECIMALS).replace(/\.?0+$/, "") : String(x);
  return { kind: "value", scaled: decimalToScaled(text), text };
};

const fromUsd = (x: bigint): Reading => ({ kind: "value", scaled: x, text: formatUsd(x) });

/** A reading as an exact value: a ratio scaled as the decimal it prints as. */
export const exactReading = (r: Reading): Exclude<Reading, { kind: "ratio" }> => (r.kind === "ratio" ? fromFloat(r.value) : r);

/**
 * Whether a ratio reads at or beyond (`below`: at or below) a threshold, as exactly as scaling both
 * would say. A float printed without an exponent prints as the shortest decimal that reads back as it,
 * so the comparison of the floats decides unless the float is the threshold's own (then scaling does).
 */
const ratioReaches = (x: number, threshold: string, below: boolean): boolean => {
  const t = ratioThreshold(threshold);
  const plain = x === 0 || (Math.abs(x) >= 1e-6 && Math.abs(x) < 1e21);
  if (plain && x !== t) return below ? x < t : x > t;
  const exact = fromFloat(x);
  if (exact.kind !== "value") return false;
  return below ? exact.scaled <= scale(threshold) : exact.scaled >= scale(threshold);
};
/** A threshold as the float a ratio compares with. */
const ratioThreshold = perText(Number);

/** A position's distance reading (one per watched position and block: a class, not a closure per position). */
class DistanceMeasurement implements Measurement {
  readonly subject: string;
  constructor(
    readonly wallet: string,
    readonly reading: Reading,
    private readonly position: AssessedPosition,
    private readonly symbolOf: (chainId: number, market: string) => string,
  ) {
    this.subject = position.row.positionId;
  }

  figures() {
    const { row, risk, mark } = this.position;
    return {
      positionId: row.positionId,
      protocol: row.protocol,
      asset: this.symbolOf(row.chainId, row.market),
      side: row.isLong ? "LONG" : "SHORT",
      liquidationPrice: risk.liquidationPrice === null ? null : formatUsd(risk.liquidationPrice),
      liquidationDistance: risk.liquidationDistance,
      markPrice: mark ? formatUsd(mark.price) : null,
      notionalUsd: risk.notionalUsd === null ? null : formatUsd(risk.notionalUsd),
      liquidatableNow: risk.liquidatableNow,
    };
  }
}

/** The rule's readings in one wallet's answer at one block. */
export function measure(rule: AlertRule, w: WalletExposure, symbolOf: (chainId: number, market: string) => string): Measurement[] {
  const keep = (protocol: string, chainId: number, market: string | null) =>
    (rule.protocol === undefined || rule.protocol === protocol) && (rule.asset === undefined || (market !== null && symbolOf(chainId, market) === rule.asset));
  const wallet = w.address.toLowerCase();

  switch (rule.metric) {
    case "liquidationDistance": {
      const measured: Measurement[] = [];
      for (const position of w.assessed) {
        const { row, risk } = position;
        if (!keep(row.protocol, row.chainId, row.market)) continue;
        const x = risk.liquidationDistance;
        const reading: Reading = x === null || !Number.isFinite(x) ? { kind: "unknown" } : { kind: "ratio", value: x };
        measured.push(new DistanceMeasurement(wallet, reading, position, symbolOf));
      }
      return measured;
    }
    case "healthFactor":
      // An account's health spans its assets: only the protocol filter applies.
      return w.accounts
        // Derive subaccounts have no health factor (their distance is a position reading).
        .filter((a) => (rule.protocol === undefined || a.protocol === rule.protocol) && a.subaccountId === undefined)
        .map((a) => ({
          // Morpho Blue isolates markets: one account, and one alert, per wallet and market.
          subject: `${a.protocol}:${a.chainId}:${a.venue.toLowerCase()}:${wallet}${a.isolatedMarket ? `:${a.isolatedMarket.id}` : ""}`,
          wallet,
          reading:
            a.collateralUsd === null
              ? { kind: "unknown" as const }
              : a.healthFactor === null
                ? { kind: "safe" as const }
                : { kind: "value" as const, scaled: a.healthFactor * 10n ** 12n, text: formatUnits(a.healthFactor, 18) },
          figures: () => ({
            protocol: a.protocol,
            venue: a.venue,
            ...(a.isolatedMarket ? { marketId: a.isolatedMarket.id } : {}),
            healthFactor: a.healthFactor === null ? null : formatUnits(a.healthFactor, 18),
            collateralUsd: a.collateralUsd === null ? null : formatUsd(a.collateralUsd),
            debtUsd: a.debtUsd === null ? null : formatUsd(a.debtUsd),
          }),
        }));
    case "leverage":
    case "grossNotionalUsd": {
      // The wallet's own totals when the rule keeps every position (kept wallets add them up by parts).
      const t =
        rule.protocol === undefined && rule.asset === undefined
          ? w.totals
          : exposureTotals(w.items.filter((i) => (rule.protocol === undefined || i.protocol === rule.protocol) && (rule.asset === undefined || i.asset === rule.asset)));
      let reading: Reading;
      if (rule.metric === "grossNotionalUsd") {
        reading = t.grossNotionalUsd === null ? { kind: "unknown" } : fromUsd(t.grossNotionalUsd);
      } else if (t.leverage) {
        reading = { kind: "value", scaled: (t.leverage.numerator * 10n ** 30n) / t.leverage.denominator, text: "" };
        reading.text = formatUsd(reading.scaled);
      } else {
        // No leverage figure: nothing held is safe, equity at or below zero is the worst, else unknown.
        const held = t.grossNotionalUsd !== null && t.grossNotionalUsd > 0n;
        reading = !held && t.grossNotionalUsd !== null ? { kind: "safe" } : held && t.equityUsd !== null && t.equityUsd <= 0n ? { kind: "worst" } : { kind: "unknown" };
      }
      return [
        {
          subject: wallet,
          wallet,
          reading,
          figures: () => ({
            grossNotionalUsd: t.grossNotionalUsd === null ? null : formatUsd(t.grossNotionalUsd),
            equityUsd: t.equityUsd === null ? null : formatUsd(t.equityUsd),
            leverage: t.leverage ? Number(t.leverage.numerator * 10_000n / t.leverage.denominator) / 10_000 : null,
            positionCount: t.positionCount,
          }),
        },
      ];
    }
  }
}

/**
 * What a reading does to an alert: fire when it reaches `fireAt` on the risky side, resolve once it
 * is past `clearAt` on the safe side (hysteresis: between the two, nothing changes). An unknown
 * reading changes nothing.
 */
export function transition(metric: AlertMetric, fireAt: string, clearAt: string, firing: boolean, reading: Reading): "fire" | "resolve" | null {
  switch (reading.kind) {
    case "unknown":
      return null;
    case "worst":
      return firing ? null : "fire";
    case "safe":
      return firing ? "resolve" : null;
  }
  const low = lowIsRisky(metric);
  if (!firing) return reaches(reading, fireAt, low) ? "fire" : null;
  return reaches(reading, clearAt, low) ? null : "resolve";
}

/** Whether a number reads at or past `threshold` on the risky side (`low`: at or below it). */
const reaches = (reading: Extract<Reading, { kind: "value" | "ratio" }>, threshold: string, low: boolean): boolean =>
  reading.kind === "ratio" ? ratioReaches(reading.value, threshold, low) : low ? reading.scaled <= scale(threshold) : reading.scaled >= scale(threshold);
