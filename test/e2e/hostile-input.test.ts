import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAnvil, type AnvilHandle } from "../chain/anvil";
import { deployFixtures, type Deployment } from "../chain/deploy";
import { fixtureExposureConfig } from "../chain/exposure-config";
import { simulate } from "../chain/simulate";
import { DATABASES } from "../support/databases";
import { indexFixtureChain, stopAll, type Indexer } from "../support/indexer";

/** Signs of a leaked stack trace or source location in an answer. */
const LEAK = /\n\s+at |stacktrace|\.ts:\d+|node_modules/i;

describe.each(DATABASES)("hostile input on %s", (database) => {
  let anvil: AnvilHandle;
  let d: Deployment;
  let indexer: Indexer;
  let wallet: string;

  beforeAll(async () => {
    anvil = await startAnvil();
    d = await deployFixtures(anvil.rpcUrl);
    const summary = await simulate(d, { wallets: 2, steps: 12, seed: 5 });
    wallet = summary.wallets[0]!;
    indexer = await indexFixtureChain(fixtureExposureConfig(d), database, d.rpcUrl);
  });
  afterAll(() => stopAll(database, indexer, anvil));

  const post = async (body: string) => {
    const res = await fetch(`${indexer.url}/exposure`, { method: "POST", headers: { "content-type": "application/json" }, body });
    const text = await res.text();
    expect(text).not.toMatch(LEAK);
    return { status: res.status, text };
  };
  const errors = async (query: string) => {
    const { text } = await post(JSON.stringify({ query }));
    const answer = JSON.parse(text);
    expect(answer.errors?.length, query.slice(0, 80)).toBeGreaterThan(0);
    return (answer.errors as { message: string }[]).map((e) => e.message);
  };
  const stress = (shocks: string, extra = "") => `{ stress(wallets: ["${wallet}"], shocks: ${shocks}${extra}) { points { pnlUsd } } }`;

  it("answers each with a clear message, no stack trace, and stays up", async () => {
    const nest = (depth: number): string => (depth === 0 ? "symbol" : `market { ${nest(depth - 1)} }`);
    const cases: [string, string | RegExp][] = [
      [`{ ${Array.from({ length: 11 }, (_, i) => `w${i}: chains { chainId }`).join(" ")} }`, "an operation may select at most 10 root fields, got 11"],
      // Deeper than the schema goes: refused by the depth limit before execution.
      [`{ wallet(address: "${wallet}") { positions { ${nest(10)} } } }`, "query is nested deeper than 8 levels"],
      [`{ atRisk(maxDistance: 0.1, first: 100000000) { items { id } } }`, "first must be a whole number from 1 to 1000"],
      [`{ atRisk(maxDistance: 0.1, first: 99999999999) { items { id } } }`, /Int cannot represent non 32-bit signed integer value/],
      [`{ atRisk(maxDistance: -3) { items { id } } }`, "maxDistance must be a number from 0 to 1000 (0.05 = 5%)"],
      [`{ wallet(address: "0xZZ${"0".repeat(38)}") { address } }`, /^invalid address '0xZZ0+': expected 0x followed by 40 hex digits$/],
      [`{ wallet(address: "${"0x".padEnd(5000, "f")}") { address } }`, /^invalid address '0xf{62}': expected 0x followed by 40 hex digits$/],
      [`{ portfolio(wallets: []) { totals { equityUsd } } }`, "portfolio needs at least one wallet"],
      [`{ portfolio(name: "nope") { totals { equityUsd } } }`, "unknown portfolio 'nope' (configured: none)"],
      [`{ atRisk(maxDistance: 0.1, asset: "DOGE") { items { id } } }`, /unknown asset 'DOGE'/],
      [stress(`[{ asset: "DOGE", moves: ["0.1"] }]`), "unknown asset 'DOGE' to shock (configured: ETH, BTC, USDC, LINK)"],
      [`{ ladder(wallets: ["${wallet}"], asset: "NOPE") { move } }`, "unknown asset 'NOPE' to shock (configured: ETH, BTC, USDC, LINK)"],
      [stress(`[{ asset: "ETH", moves: ["1e9"] }]`), `move '1e9' is not a decimal fraction like "-0.25"`],
      [stress(`[{ asset: "ETH", moves: ["-1.5"] }]`), "move -1.5 would take the price to zero or below"],
      [stress(`[{ asset: "ETH", prices: ["0"] }]`), "a shocked price must be positive"],
      [stress(`[{ asset: "ETH", moves: ["0.1"] }]`, ", volatilityShift: 1e300"), "volatilityShift must be between -5 and 5 (0.1 = +10 vol points)"],
      [stress(`[{ asset: "ETH", moves: [${Array(202).fill('"0.01"').join(",")}] }]`), "at most 201 stress points per query, got 202"],
      [stress(`[{ asset: "ETH", moves: ["0.1", "0.2"] }, { asset: "BTC", moves: ["0.1"] }]`, ", joint: true"), "joint shocks need the same number of moves in every series"],
      // A grid multiplies: three series of 200 moves would be 8 million points, refused before any is built.
      [stress(`[${Array(3).fill(`{ asset: "ETH", moves: [${Array(200).fill('"0.01"').join(",")}] }`).join(", ")}]`, ", grid: true"), "a grid of 8000000 points; at most 201 stress points per query"],
      [stress(`[{ asset: "ETH", moves: ["0.1"] }]`, ", joint: true, grid: true"), "give joint or grid, not both"],
      [`{ ladder(wallets: ["${wallet}"], asset: "ETH", steps: 0) { move } }`, "steps must be a whole number from 1 to 100"],
      [`{ wallet(address: "${wallet}", atBlock: "1", atTimestamp: "1") { address } }`, "give atBlock or atTimestamp, not both"],
    ];
    for (const [query, expected] of cases) {
      const messages = await errors(query);
      if (typeof expected === "string") expect(messages, query.slice(0, 80)).toContain(expected);
      else expect(messages.some((m) => expected.test(m)), `${query.slice(0, 80)}: ${messages.join(" | ")}`).toBe(true);
    }

    // An alias bomb inside one root field (within the size limit) is answered, not refused or crashed on.
    const bomb = await post(JSON.stringify({ query: `{ wallet(address: "${wallet}") { ${Array.from({ length: 3000 }, (_, i) => `a${i}: address`).join(" ")} } }` }));
    expect(bomb.status).toBe(200);
    expect(Object.keys(JSON.parse(bomb.text).data.wallet)).toHaveLength(3000);

    // Malformed bodies.
    for (const body of ["{", "[]", '{"query": 5}', '{"query": "{ chains { chainId } ", "variables": "x"}']) {
      const { status, text } = await post(body);
      expect(status, body).toBeGreaterThanOrEqual(400);
      expect(JSON.parse(text).errors?.[0]?.message, body).toEqual(expect.any(String));
    }
    // Oversized.
    expect((await post(JSON.stringify({ query: `{ chains { chainId } } # ${"x".repeat(70_000)}` }))).status).toBe(413);

    // Still up, answering as before.
    const { text } = await post(JSON.stringify({ query: "{ chains { chainId } }" }));
    expect(JSON.parse(text)).toEqual({ data: { chains: [{ chainId: d.chainId }] } });
  });
});
