import { parseUnits, type Address } from "viem";
import { describe, expect, it } from "vitest";
import { parseExposureConfig } from "../../src/config/exposure-config";
import { deriveDeployments, type StandardManagerSettings } from "../../src/protocols/derive/contracts";
import type { DeriveState } from "../../src/protocols/derive/normalise";
import { optionMark, subaccountMargin, type Holding } from "../../src/protocols/derive/subaccount-margin";

const w = (s: string) => parseUnits(s, 18);
const WETH = "0x82af49447d8a07e3bd95bd0d56f35241523fbab1";
const USDC = "0xaf88d065e77c8cc2239327c5edb3a432268e5831";
const MANAGER = "0x0000000000000000000000000000000000000b01" as Address;
const NOW = 1_800_000_000n;

const params = {
  option: { maxSpotReq: "0.15", minSpotReq: "0.1", mmCallSpotReq: "0.075", mmPutSpotReq: "0.075", MMPutMtMReq: "0.075", unpairedMMScale: "1.2", unpairedIMScale: "1.4", mmOffsetScale: "1.05" },
  perp: { mmPerpReq: "0.05", imPerpReq: "0.065" },
  base: { marginFactor: "0.8", IMScale: "0.9" },
};
const base = {
  chains: { arbitrum: { id: 42161, rpc: "http://127.0.0.1:1" } },
  assets: [
    { chain: "arbitrum", address: WETH, symbol: "ETH", decimals: 18 },
    { chain: "arbitrum", address: USDC, symbol: "USDC", decimals: 6 },
  ],
  priceFeeds: [],
  protocols: {},
};
const derive = {
  chain: "arbitrum",
  subAccounts: "0x0000000000000000000000000000000000000a01",
  startBlock: 3,
  options: [{ address: "0x0000000000000000000000000000000000000a02", underlying: WETH }],
  bases: [{ address: "0x0000000000000000000000000000000000000a04", underlying: WETH }],
  cash: [{ address: "0x0000000000000000000000000000000000000a03", token: USDC }],
  standardManager: { address: MANAGER, markets: [{ underlying: WETH, ...params }] },
};
const deployment = (entry: object) => deriveDeployments(parseExposureConfig({ ...base, protocols: { derive: [entry] } }))[0]!;

const state = (s: Partial<DeriveState>): DeriveState => ({ kind: "cash", accountId: 1n, asset: "0x01", subId: 0n, balance: 0n, manager: MANAGER, perp: null, ...s });
const optionSubId = (expiry: bigint, strike: bigint, isCall: boolean) => expiry | ((strike / 10n ** 10n) << 32n) | ((isCall ? 1n : 0n) << 95n);

describe("protocols.derive[].standardManager", () => {
  it("takes the manager's parameters by their contract names as 18-decimal integers, and base assets", () => {
    const d = deployment(derive);
    expect(d.assets.map((a) => a.kind)).toEqual(["option", "base", "cash"]);
    expect(d.standardManager!.markets[0]!.option.unpairedIMScale).toBe(w("1.4"));
    expect(d.standardManager!.markets[0]!.perp).toEqual({ mmPerpReq: w("0.05"), imPerpReq: w("0.065") });
    expect(d.standardManager!.address).toBe("0x0000000000000000000000000000000000000B01");
  });

  it("rejects what the manager's setters reject, naming the field", () => {
    const bad = (patch: object) => () => deployment({ ...derive, standardManager: { markets: [{ underlying: WETH, ...params, ...patch }] } });
    // setOptionMarginParams: unpairedMMScale within [1, 3]; setPerpMarginRequirements: mm <= im, below 1.
    expect(bad({ option: { ...params.option, unpairedMMScale: "0.9" } })).toThrow("standardManager.markets[0].option.unpairedMMScale");
    expect(bad({ perp: { mmPerpReq: "0.1", imPerpReq: "0.05" } })).toThrow("mmPerpReq exceeds imPerpReq");
    expect(bad({ base: { marginFactor: "1.5", IMScale: "1" } })).toThrow("base.marginFactor");
    expect(bad({ base: { marginFactor: "abc", IMScale: "1" } })).toThrow('expected a decimal such as "0.15"');
  });

  it("takes defaultVolatility null as 'no volatility'", () => {
    expect(deployment({ ...derive, defaultVolatility: null }).defaultVolatility).toBeNull();
  });
});

describe("subaccountMargin", () => {
  const manager = deployment(derive).standardManager as StandardManagerSettings;
  const spots = new Map([[WETH, w("2000")]]);
  const live = NOW + 30n * 86_400n;
  const shortLivePut: Holding = { state: state({ kind: "option", subId: optionSubId(live, w("1800"), false), balance: -w("1") }), token: WETH };
  const cash: Holding = { state: state({ kind: "cash", balance: w("1000") }), token: USDC };
  const inputs = { manager, spots, stablePrice: undefined, timestamp: NOW };

  it("marks a live option by Black76 at 1e-6 USD and an expired one at intrinsic exactly", () => {
    const mark = optionMark(w("1800"), false, live, w("2000"), NOW, 0.6)!;
    expect(mark % 10n ** 12n).toBe(0n);
    expect(mark).toBeGreaterThan(0n);
    expect(optionMark(w("1800"), false, NOW - 1n, w("1750.5"), NOW, null)).toBe(w("49.5"));
    expect(optionMark(0n, true, live, w("2000"), NOW, null)).toBe(w("2000")); // strike 0: the forward, no model
  });

  it("flags a missing volatility instead of margining live options on a guess", () => {
    const r = subaccountMargin({ ...inputs, holdings: [shortLivePut, cash], volatility: null });
    expect(r).toEqual({ ok: false, reason: "no usable volatility for live options: margin not computed" });
    // Cash alone needs no volatility: MM = IM = the cash.
    const c = subaccountMargin({ ...inputs, holdings: [cash], volatility: null });
    expect(c.ok && [c.maintenance, c.initial]).toEqual([w("1000"), w("1000")]);
  });

  it("flags a subaccount under another manager (PMRM), a missing price and missing parameters", () => {
    const other = { ...cash, state: { ...cash.state, manager: "0x0000000000000000000000000000000000000c01" } };
    expect(subaccountMargin({ ...inputs, holdings: [shortLivePut, other], volatility: 0.6 })).toMatchObject({ ok: false, reason: expect.stringContaining("(PMRM) is not modelled") });
    const noPrice = subaccountMargin({ ...inputs, spots: new Map(), holdings: [shortLivePut], volatility: 0.6 });
    expect(noPrice).toMatchObject({ ok: false, reason: expect.stringContaining("no usable price") });
    const noParams = subaccountMargin({ ...inputs, manager: { ...manager, markets: [] }, holdings: [shortLivePut], volatility: 0.6 });
    expect(noParams).toMatchObject({ ok: false, reason: expect.stringContaining("no StandardManager parameters") });
    const perp = { state: state({ kind: "perp", balance: w("1"), perp: null }), token: WETH };
    expect(subaccountMargin({ ...inputs, holdings: [perp], volatility: 0.6 })).toMatchObject({ ok: false, reason: expect.stringContaining("PerpAsset.positions") });
  });

  it("a short put on cash: MM from the rule, flagged as assuming the configured volatility, liquidated below spot", () => {
    const r = subaccountMargin({ ...inputs, holdings: [shortLivePut, cash], volatility: 0.6 });
    if (!r.ok) throw new Error(r.reason);
    const mark = optionMark(w("1800"), false, live, w("2000"), NOW, 0.6)!;
    // _getIsolatedMarginForPut: min(0.075 x 2000 x -1, 0.075 x -mark) - mark, plus cash; max loss at 0 is -1800.
    const mtm = -mark;
    const byMtm = (w("0.075") * mtm) / 10n ** 18n;
    expect(r.maintenance).toBe(w("1000") + (w("-150") < byMtm ? w("-150") : byMtm) + mtm);
    expect(r.assumptions.join(" ")).toContain("assumed: the SVI vol feed is not indexed");
    const b = r.byUnderlying.get(WETH)!;
    expect(b.below).not.toBeNull();
    expect(b.below!).toBeLessThan(w("2000"));
    // Up too: min(spot term, MtM term) keeps 0.075 x spot of MM on a short put however far OTM, so
    // 1000 of cash runs out near 1000 / 0.075 = 13333.33 (the put's mark is ~0 there).
    expect(Number(b.above!) / 1e18).toBeCloseTo(1000 / 0.075, 2);
    // The joint move of a one-underlying book is the same boundary as a fraction.
    expect(r.joint.below).not.toBeNull();
  });
});
