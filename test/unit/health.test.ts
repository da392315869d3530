import { describe, expect, it } from "vitest";
import { assessChain, healthReport, type ChainReadings } from "../../src/core/health";

const base: ChainReadings = { chainId: 1, name: "main", indexed: { number: 100n, timestamp: 1_000n }, head: { number: 102n, timestamp: 1_024n }, staleFeeds: [] };

describe("health", () => {
  it("is ok near the head, with the lag in blocks and seconds", () => {
    expect(assessChain(base)).toMatchObject({ status: "ok", lagBlocks: 2n, lagSeconds: 24n, alertLagBlocks: null, reasons: [] });
  });

  it("is degraded when behind, with a stale feed, an unknown head or a lagging alert engine; down when far behind or empty", () => {
    expect(assessChain({ ...base, head: { number: 130n, timestamp: 1_360n } })).toMatchObject({ status: "degraded", lagBlocks: 30n });
    expect(assessChain({ ...base, staleFeeds: [{ asset: "0xa", symbol: "ETH", feed: "0xf", updatedAt: 1n }] }).reasons).toEqual(["stale price feeds: ETH"]);
    expect(assessChain({ ...base, head: null })).toMatchObject({ status: "degraded", lagBlocks: null });
    expect(assessChain({ ...base, alertEvaluated: 80n })).toMatchObject({ status: "degraded", alertLagBlocks: 20n });
    expect(assessChain({ ...base, alertEvaluated: 99n })).toMatchObject({ status: "ok", alertLagBlocks: 1n });
    expect(assessChain({ ...base, head: { number: 500n, timestamp: 9_000n } }).status).toBe("down");
    expect(assessChain({ ...base, indexed: null }).status).toBe("down");
  });

  it("takes the worst chain; a database that does not answer is down", () => {
    const chains = [assessChain(base), assessChain({ ...base, chainId: 2, head: null })];
    expect(healthReport(chains, 5n).status).toBe("degraded");
    expect(healthReport([], 5n, "the database did not answer")).toEqual({ status: "down", checkedAt: 5n, chains: [], reasons: ["the database did not answer"] });
  });
});
