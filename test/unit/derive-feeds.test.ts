import { parseUnits, type Address } from "viem";
import { describe, expect, it } from "vitest";
import type { ForwardFeedSettings } from "../../src/protocols/derive/contracts";
import { forwardOf } from "../../src/protocols/derive/feeds";

// LyraForwardFeed.getForwardPricePortions / _verifyDetailTimestamp / _getSettlementPricePortions
// (derivexyz/v2-core src/feeds/LyraForwardFeed.sol), worked out by hand.
const w = (s: string) => parseUnits(s, 18);
const WETH = "0x82af49447d8a07e3bd95bd0d56f35241523fbab1";
const feed: ForwardFeedSettings = { address: "0x00000000000000000000000000000000000000f1" as Address, underlying: WETH as Address, heartbeatSeconds: 600n, settlementHeartbeatSeconds: 300n };
const EXPIRY = 1_800_000_000n;
const data = (d: Partial<{ fwdSpotDifference: bigint; timestamp: bigint; settlementStartAggregate: bigint; currentSpotAggregate: bigint }>) => ({
  fwdSpotDifference: w("12"),
  confidence: w("0.9"),
  timestamp: EXPIRY - 86_400n,
  settlementStartAggregate: 0n,
  currentSpotAggregate: 0n,
  ...d,
});
const quote = (stored: ReturnType<typeof data> | undefined, now: bigint) => forwardOf(new Map([[WETH, feed]]), () => stored, now)(WETH, EXPIRY);

describe("forwardOf (LyraForwardFeed.getForwardPricePortions)", () => {
  it("more than 30 minutes out: all variable, spot + fwdSpotDifference", () => {
    const q = quote(data({}), EXPIRY - 86_400n + 60n);
    expect(q).toMatchObject({ assumed: false, warning: null, settlement: null, confidence: w("0.9") });
    expect(q.at(w("2000"))).toEqual({ fixed: 0n, variable: w("2012") });
  });

  it("inside the settlement TWAP: the TWAP so far is fixed, the variable part shrinks to the time left", () => {
    // 600 s into the 1800 s window: 600 s of spot at 1990 aggregated.
    const ts = EXPIRY - 1_200n;
    const q = quote(data({ timestamp: ts, settlementStartAggregate: w("5"), currentSpotAggregate: w("5") + w("1990") * 600n }), ts + 10n);
    expect(q.at(w("2000"))).toEqual({ fixed: (w("1990") * 600n) / 1_800n, variable: (w("2012") * 1_200n) / 1_800n });
  });

  it("final data: the settlement price, which no spot moves", () => {
    const q = quote(data({ timestamp: EXPIRY, settlementStartAggregate: w("5"), currentSpotAggregate: w("5") + w("1987") * 1_800n }), EXPIRY + 7n * 86_400n);
    expect(q.settlement).toBe(w("1987"));
    expect(q.at(w("1000"))).toEqual({ fixed: w("1987"), variable: 0n });
  });

  it("where the feed reverts, forward = spot, flagged with the reason", () => {
    const spot = (q: ReturnType<typeof quote>) => [q.assumed, q.at(w("2000"))];
    expect(spot(quote(undefined, EXPIRY - 100_000n))).toEqual([true, { fixed: 0n, variable: w("2000") }]);
    expect(quote(undefined, EXPIRY - 100_000n).warning).toContain("no data");
    // _checkNotStale: older than the 600 s heartbeat
    expect(quote(data({}), EXPIRY - 86_400n + 601n).warning).toContain("stale");
    // LFF_SettlementDataTooOld: inside the window, data older than settlementHeartbeat (300 s)
    const ts = EXPIRY - 1_000n;
    expect(quote(data({ timestamp: ts, currentSpotAggregate: w("1") }), ts + 301n).warning).toContain("too old");
    expect(quote(data({ timestamp: ts, currentSpotAggregate: w("1") }), ts + 299n).assumed).toBe(false);
    // No feed configured for the underlying: spot, no warning (the account's assumptions say so).
    expect(forwardOf(new Map(), () => undefined, EXPIRY)(WETH, EXPIRY)).toMatchObject({ assumed: true, warning: null });
  });
});
