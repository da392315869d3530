import { formatUnits, parseUnits } from "viem";
import type { PositionRisk } from "../core/adapter";
import type { WalletExposure } from "../exposure/service";
import { exposureTotals } from "../core/exposure";
import { formatUsd, USD_DECIMALS } from "../core/fixed";
import { lowIsRisky, type AlertMetric, type AlertRule } from "./config";

// Pure alert logic: what a rule measures in a wallet's answer, and when a measurement fires or
// resolves an alert. Values compare exactly, as 1e30 fixed point.

/** A measured value: a number, unknown (a missing or stale price: no change), or beyond any threshold. */
export type Reading = { kind: "value"; scaled: bigint; text: string } | { kind: "unknown" } | { kind: "safe" } | { kind: "worst" };

export type Measurement = {
  /** What the alert is about: a position id, a lending account, or the wallet. */
  subject: string;
  wallet: string;
  reading: Reading;
  /** What an event about it shows, worked out only for one (most readings change nothing). */
  figures: () => Record<string, string | number | boolean | null>;
};

/** Decimal text as 1e30 fixed point; thresholds repeat at every reading, so each is parsed once. */
const scaled = new Map<string, bigint>();
const scale = (text: string): bigint => {
  let value = scaled.get(text);
  if (value === undefined) {
    value = parseUnits(text, USD_DECIMALS);
    if (scaled.size < 10_000) scaled.set(text, value);
  }
  return value;
};

/** Plain decimal text (no exponent, at most 30 decimals) as 1e30 fixed point: parseUnits' answer, without its cost at every position of every block. */
const decimalToScaled = (text: string): bigint => {
  const negative = text.startsWith("-");
  const [whole, fraction = ""] = (negative ? text.slice(1) : text).split(".");
  const digits = BigInt(whole! + fraction.padEnd(USD_DECIMALS, "0"));
  return negative ? -digits : digits;
};

/** A float shown to people as the decimal it prints as (1e-7 style included), exactly scaled. */
const fromFloat = (x: number): Reading => {
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

/**
 * A position's distance reading, once per figures: a wallet repriced at a block keeps the figures
 * (the same object) of positions whose marks did not move.
 */
const distanceReadings = new WeakMap<PositionRisk, Reading>();
const distanceReading = (risk: PositionRisk): Reading => {
  let reading = distanceReadings.get(risk);
  if (!reading) distanceReadings.set(risk, (reading = risk.liquidationDistance === null ? { kind: "unknown" } : fromFloat(risk.liquidationDistance)));
  return reading;
};

/** The rule's readings in one wallet's answer at one block. */
export function measure(rule: AlertRule, w: WalletExposure, symbolOf: (chainId: number, market: string) => string): Measurement[] {
  const keep = (protocol: string, chainId: number, market: string | null) =>
    (rule.protocol === undefined || rule.protocol === protocol) && (rule.asset === undefined || (market !== null && symbolOf(chainId, market) === rule.asset));
  const wallet = w.address.toLowerCase();

  switch (rule.metric) {
    case "liquidationDistance":
      return w.positions
        .filter(({ row }) => keep(row.protocol, row.chainId, row.market))
        .map(({ row, risk, mark }) => ({
          subject: row.positionId,
          wallet,
          reading: distanceReading(risk),
          figures: () => ({
            positionId: row.positionId,
            protocol: row.protocol,
            asset: symbolOf(row.chainId, row.market),
            side: row.isLong ? "LONG" : "SHORT",
            liquidationPrice: risk.liquidationPrice === null ? null : formatUsd(risk.liquidationPrice),
            liquidationDistance: risk.liquidationDistance,
            markPrice: mark ? formatUsd(mark.price) : null,
            notionalUsd: risk.notionalUsd === null ? null : formatUsd(risk.notionalUsd),
            liquidatableNow: risk.liquidatableNow,
          }),
        }));
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
      const items = w.items.filter((i) => (rule.protocol === undefined || i.protocol === rule.protocol) && (rule.asset === undefined || i.asset === rule.asset));
      const t = exposureTotals(items);
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
            positionCount: items.length,
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
  if (reading.kind === "unknown") return null;
  const low = lowIsRisky(metric);
  const risky = reading.kind === "worst" || (reading.kind === "value" && (low ? reading.scaled <= scale(fireAt) : reading.scaled >= scale(fireAt)));
  const clear = reading.kind === "safe" || (reading.kind === "value" && (low ? reading.scaled > scale(clearAt) : reading.scaled < scale(clearAt)));
  if (!firing && risky) return "fire";
  if (firing && clear) return "resolve";
  return null;
}
