import { createHmac } from "node:crypto";
import { getAddress, parseUnits } from "viem";
import { describe, expect, it } from "vitest";
import { retryDelay, signature } from "../../src/alerts/deliver";
import type { AlertRule } from "../../src/alerts/config";
import { exactReading, measure, transition, type Reading } from "../../src/alerts/evaluate";
import type { TaggedItem } from "../../src/core/breakdown";
import { taggedItem } from "../support/items";
import { exposureTotals } from "../../src/core/exposure";
import { parseExposureConfig } from "../../src/config/exposure-config";

const value = (text: string): Reading => ({ kind: "value", scaled: BigInt(Math.round(Number(text) * 1e6)) * 10n ** 24n, text });

describe("alert transitions", () => {
  it("fires at the threshold, holds inside the band, resolves past clearAt (low is risky)", () => {
    const step = (firing: boolean, x: string) => transition("liquidationDistance", "0.05", "0.08", firing, value(x));
    expect(step(false, "0.050001")).toBeNull();
    expect(step(false, "0.05")).toBe("fire");
    expect(step(true, "0.03")).toBeNull();
    expect(step(true, "0.08")).toBeNull(); // clearAt itself is still inside the band
    expect(step(true, "0.080001")).toBe("resolve");
    expect(step(false, "0.07")).toBeNull();
  });

  it("mirrors for high-is-risky metrics, and treats unknown, safe and worst readings as such", () => {
    expect(transition("leverage", "10", "8", false, value("10"))).toBe("fire");
    expect(transition("leverage", "10", "8", true, value("8"))).toBeNull();
    expect(transition("leverage", "10", "8", true, value("7.999999"))).toBe("resolve");
    expect(transition("leverage", "10", "8", false, { kind: "worst" })).toBe("fire");
    expect(transition("healthFactor", "1.1", "1.2", true, { kind: "safe" })).toBe("resolve");
    expect(transition("healthFactor", "1.1", "1.2", true, { kind: "unknown" })).toBeNull();
    expect(transition("healthFactor", "1.1", "1.2", false, { kind: "unknown" })).toBeNull();
  });
});

describe("what a rule measures in a wallet's answer", () => {
  const E30 = 10n ** 30n;
  const item = taggedItem;

  const wallet = (items: TaggedItem[], accounts: any[] = []) =>
    ({ address: "0xAbC", positions: [], accounts, items, totals: exposureTotals(items), blocks: [], warnings: [] }) as any;
  const rule = (over: Partial<AlertRule>): AlertRule => ({ id: "r", wallets: [], metric: "leverage", fireAt: "10", clearAt: "8", ...over });
  const symbol = () => "ETH";

  it("takes leverage and gross notional over the positions the filters keep, exactly", () => {
    const items = [item({ positionId: "a" }), item({ positionId: "b", asset: "BTC", notionalUsd: 9_000n * E30, equityUsd: 1_000n * E30 })];
    const [eth] = measure(rule({ asset: "ETH" }), wallet(items), symbol);
    expect(eth!.reading).toEqual({ kind: "value", scaled: 10n * E30, text: "10" });
    expect(eth!.subject).toBe("0xabc");
    const [all] = measure(rule({ metric: "grossNotionalUsd", fireAt: "5000", clearAt: "4000" }), wallet(items), symbol);
    expect(all!.reading).toEqual({ kind: "value", scaled: 10_000n * E30, text: "10000" });
  });

  it("reads negative equity as the worst leverage, an empty wallet as safe, a missing price as unknown", () => {
    expect(measure(rule({}), wallet([item({ equityUsd: -5n * E30 })]), symbol)[0]!.reading).toEqual({ kind: "worst" });
    expect(measure(rule({}), wallet([]), symbol)[0]!.reading).toEqual({ kind: "safe" });
    expect(measure(rule({}), wallet([item({ notionalUsd: null, equityUsd: null })]), symbol)[0]!.reading).toEqual({ kind: "unknown" });
  });

  it("reads an account's health factor exactly, and no debt as safe", () => {
    const account = (healthFactor: bigint | null) => ({ protocol: "aave-v3", chainId: 1, venue: "0xPool", healthFactor, collateralUsd: 1n, debtUsd: 1n });
    const hf = rule({ metric: "healthFactor", fireAt: "1.1", clearAt: "1.2" });
    const [m] = measure(hf, wallet([], [account(1_050_000_000_000_000_000n)]), symbol);
    expect(m!.subject).toBe("aave-v3:1:0xpool:0xabc");
    expect(m!.reading).toEqual({ kind: "value", scaled: 105n * 10n ** 28n, text: "1.05" });
    expect(transition("healthFactor", "1.1", "1.2", false, m!.reading)).toBe("fire");
    expect(measure(hf, wallet([], [account(null)]), symbol)[0]!.reading).toEqual({ kind: "safe" });
    expect(measure({ ...hf, protocol: "gmx-v1" }, wallet([], [account(null)]), symbol)).toEqual([]);
  });

  it("keeps one alert per Morpho Blue market: a wallet's accounts in two markets of one Morpho are two subjects", () => {
    const isolated = (id: `0x${string}`, healthFactor: bigint) => ({
      protocol: "morpho-blue",
      chainId: 1,
      venue: "0xMorpho",
      healthFactor,
      collateralUsd: 1n,
      debtUsd: 1n,
      isolatedMarket: { id, oraclePrice: 1n, liquidationOraclePrice: 0n, liquidationIncentiveFactor: 10n ** 18n },
    });
    const hf = rule({ metric: "healthFactor", fireAt: "1.1", clearAt: "1.2", protocol: "morpho-blue" });
    const readings = measure(hf, wallet([], [isolated("0xaa", 10n ** 18n), isolated("0xbb", 2n * 10n ** 18n)]), symbol);
    expect(readings.map((r) => r.subject)).toEqual(["morpho-blue:1:0xmorpho:0xabc:0xaa", "morpho-blue:1:0xmorpho:0xabc:0xbb"]);
    expect(readings.map((r) => transition("healthFactor", "1.1", "1.2", false, r.reading))).toEqual(["fire", null]);
    expect(readings[0]!.figures().marketId).toBe("0xaa");
  });

  it("scales a distance exactly as the decimal it prints as, for floats of every size", () => {
    const distance = (x: number) => {
      const positions = [{ row: { positionId: "p", protocol: "gmx-v1", chainId: 1, market: "0xaa", isLong: true }, risk: { liquidationDistance: x, liquidationPrice: null, notionalUsd: null }, mark: undefined }];
      return measure(rule({ metric: "liquidationDistance", fireAt: "0.05", clearAt: "0.08" }), { ...wallet([]), assessed: positions }, symbol)[0]!.reading;
    };
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const floats = Array.from({ length: 5_000 }, () => (random() - 0.3) * 10 ** Math.floor(random() * 40 - 20));
    for (const x of floats) {
      const reading = exactReading(distance(x));
      if (reading.kind !== "value") throw new Error(`no value for ${x}`);
      // The text is what people see; the scaled value is that decimal, exactly (viem's parse as the reference).
      if (!/e/.test(String(x))) expect(reading.text).toBe(String(x));
      expect(reading.scaled).toBe(parseUnits(reading.text, 30));
    }
    // 2^-30, exact in binary: printed in full, not as 9.3e-10.
    expect(exactReading(distance(2 ** -30))).toEqual({ kind: "value", scaled: 931322574615478515625n, text: "0.000000000931322574615478515625" });
    expect(exactReading(distance(-0.25))).toEqual({ kind: "value", scaled: -25n * 10n ** 28n, text: "-0.25" });
    expect(exactReading(distance(2 ** 80))).toEqual({ kind: "value", scaled: 2n ** 80n * 10n ** 30n, text: (2n ** 80n).toString() });
    expect(distance(Number.POSITIVE_INFINITY)).toEqual({ kind: "unknown" });

    // A distance compares with thresholds as its scaled decimal does, at the thresholds' own floats and
    // their neighbours too (where the floats tie and the decimals decide).
    const thresholds = ["0.05", "0.1", "0.3", "0.000001", "0.0000001", "1", "0.050000000000000000000000000001", "0.049999999999999999999999999999", "0"];
    const neighbours = (t: number) => [t, t * (1 + Number.EPSILON), t * (1 - Number.EPSILON), -t, t + 1e-300];
    const cases = [...floats, ...thresholds.flatMap((t) => neighbours(Number(t)))];
    const readings = cases.map((x) => ({ x, reading: distance(x) })).map(({ x, reading }) => ({ x, reading, exact: exactReading(reading) }));
    const differing: string[] = [];
    let ties = 0;
    for (const fireAt of thresholds) {
      for (const clearAt of thresholds.filter((c) => Number(c) >= Number(fireAt))) {
        for (const { x, reading, exact } of readings) {
          ties += reading.kind === "ratio" && reading.value === Number(fireAt) ? 1 : 0;
          for (const firing of [false, true]) {
            const [fast, scaled] = [transition("liquidationDistance", fireAt, clearAt, firing, reading), transition("liquidationDistance", fireAt, clearAt, firing, exact)];
            if (fast !== scaled) differing.push(`${x} at ${fireAt}/${clearAt}: ${fast} vs ${scaled}`);
          }
        }
      }
    }
    expect(differing).toEqual([]);
    expect(ties).toBeGreaterThan(0);
  });
});

describe("webhook signing and retries", () => {
  it("signs the exact body with HMAC-SHA256 and doubles the wait up to the cap", () => {
    const body = '{"id":"a:fire"}';
    expect(signature("s", body)).toBe(`sha256=${createHmac("sha256", "s").update(body).digest("hex")}`);
    expect(signature("s", body)).not.toBe(signature("t", body));
    const pacing = { retryInitialMs: 100, retryMaxMs: 1_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelay(n, pacing))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });
});

describe("the alerts section of the config", () => {
  const base = {
    chains: { main: { id: 1, rpc: "http://127.0.0.1:8545" } },
    assets: [],
    priceFeeds: [],
    portfolios: { treasury: { wallets: ["0x00000000000000000000000000000000000000aa"] } },
  };
  const parse = (alerts: object) => parseExposureConfig({ ...base, alerts });
  const rule = { id: "r", portfolio: "treasury", metric: "healthFactor", fireAt: "1.1", clearAt: "1.2" };

  it("reads rules, portfolios and webhooks, with secrets from the environment", () => {
    process.env.TEST_HOOK_SECRET = "from-env";
    const a = parse({ rules: [rule], webhooks: [{ id: "w", url: "https://example.org/hook", secret: "env:TEST_HOOK_SECRET", rules: ["r"] }] }).alerts;
    expect(a.rules[0]).toEqual({ id: "r", wallets: [getAddress("0x00000000000000000000000000000000000000aa")], metric: "healthFactor", fireAt: "1.1", clearAt: "1.2" });
    expect(a.webhooks[0]).toEqual({ id: "w", url: "https://example.org/hook", secret: "from-env", rules: ["r"] });
    expect(parseExposureConfig(base).alerts.rules).toEqual([]);
  });

  it("refuses what would alert wrongly or never", () => {
    expect(() => parse({ rules: [{ ...rule, clearAt: "1.0" }] })).toThrow(/safe side of fireAt/);
    expect(() => parse({ rules: [{ ...rule, metric: "vibes" }] })).toThrow(/expected one of/);
    expect(() => parse({ rules: [{ ...rule, portfolio: "nope" }] })).toThrow(/unknown portfolio 'nope'/);
    expect(() => parse({ rules: [rule, rule] })).toThrow(/a second rule 'r'/);
    // A JSON number is the decimal it prints as: one printed with an exponent is refused, like such text.
    expect(() => parse({ rules: [{ ...rule, metric: "liquidationDistance", fireAt: 1e-7, clearAt: 0.1 }] })).toThrow(/fireAt: expected a decimal number, got 1e-7/);
    expect(() => parse({ rules: [{ ...rule, metric: "liquidationDistance", fireAt: "1e-7", clearAt: "0.1" }] })).toThrow(/fireAt: expected a decimal number/);
    expect(parse({ rules: [{ ...rule, metric: "liquidationDistance", fireAt: 0.05, clearAt: 0.08 }] }).alerts.rules[0]).toMatchObject({ fireAt: "0.05", clearAt: "0.08" });
    expect(() => parse({ rules: [rule], webhooks: [{ id: "w", url: "ftp://x", secret: "s" }] })).toThrow(/http\(s\) URL/);
    expect(() => parse({ rules: [rule], webhooks: [{ id: "w", url: "http://x", secret: "s", rules: ["other"] }] })).toThrow(/unknown rule 'other'/);
  });
});
