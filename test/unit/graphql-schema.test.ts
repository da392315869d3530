import { readdirSync, readFileSync } from "node:fs";
import { buildSchema, parse, specifiedRules, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { allTypeDefs } from "../../graphql";
import { depthLimit, rootFieldLimit } from "../../graphql/limits";
import { stressScenarios } from "../../graphql/resolvers";

describe("the exposure GraphQL schema", () => {
  const schema = buildSchema(allTypeDefs.join("\n"));

  it("builds, and every GraphQL example in the README and docs/ validates against it", () => {
    const docs = new URL("../../docs/", import.meta.url);
    const files = [new URL("../../README.md", import.meta.url), ...readdirSync(docs).filter((f) => f.endsWith(".md")).map((f) => new URL(f, docs))];
    const examples = files.flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => ({
        file: file.pathname,
        query: m[1]!.replace(/"0x…"/g, '"0x0000000000000000000000000000000000000001"'),
      })),
    );
    expect(examples.filter((e) => e.file.endsWith("README.md")).length).toBeGreaterThan(0);
    expect(examples.length).toBeGreaterThan(5);
    for (const { file, query } of examples) expect(validate(schema, parse(query)).map((e) => `${file}: ${e.message}`)).toEqual([]);
  });

  it("counts root fields through fragments, so aliases cannot hide in a spread", () => {
    const rules = [...specifiedRules, depthLimit(8), rootFieldLimit(10)];
    const aliases = (n: number) => Array.from({ length: n }, (_, i) => `c${i}: chains { chainId }`).join(" ");
    const errors = (q: string) => validate(schema, parse(q), rules).map((e) => e.message);
    expect(errors(`{ ${aliases(10)} }`)).toEqual([]);
    expect(errors(`{ ...F } fragment F on Query { ${aliases(11)} }`)).toEqual(["an operation may select at most 10 root fields, got 11"]);
    expect(errors(`{ c: chains { chainId } ... on Query { ${aliases(10)} } }`)).toEqual(["an operation may select at most 10 root fields, got 11"]);
  });

  it("turns shock series into single-asset points, then joint points", () => {
    const points = stressScenarios([{ asset: "ETH", moves: ["-0.5", "0.25"] }, { asset: "BTC", moves: ["-0.1", "0.1"], prices: [] }], { joint: true });
    expect(points).toEqual([
      [{ asset: "ETH", move: -(5n * 10n ** 17n) }],
      [{ asset: "ETH", move: 25n * 10n ** 16n }],
      [{ asset: "BTC", move: -(10n ** 17n) }],
      [{ asset: "BTC", move: 10n ** 17n }],
      [{ asset: "ETH", move: -(5n * 10n ** 17n) }, { asset: "BTC", move: -(10n ** 17n) }],
      [{ asset: "ETH", move: 25n * 10n ** 16n }, { asset: "BTC", move: 10n ** 17n }],
    ]);
    expect(stressScenarios([{ asset: "ETH", prices: ["2733.5"] }])).toEqual([[{ asset: "ETH", price: 27335n * 10n ** 29n }]]);
    expect(() => stressScenarios([{ asset: "ETH", moves: ["1e3"] }])).toThrow(`move '1e3' is not a decimal fraction like "-0.25"`);
    expect(() => stressScenarios([{ asset: "ETH", moves: ["-0.1"] }, { asset: "BTC", moves: [] }], { joint: true })).toThrow("joint shocks need the same number");
    expect(() => stressScenarios([{ asset: "ETH", prices: ["0"] }])).toThrow("a shocked price must be positive");
  });

  it("turns shock series into a grid: every combination of one shock per series, and nothing else", () => {
    const points = stressScenarios([{ asset: "ETH", moves: ["-0.5", "0.25"] }, { asset: "BTC", moves: ["0.1"], prices: ["50000"] }], { grid: true });
    const ethDown = { asset: "ETH", move: -(5n * 10n ** 17n) };
    const ethUp = { asset: "ETH", move: 25n * 10n ** 16n };
    const btcUp = { asset: "BTC", move: 10n ** 17n };
    const btcAt = { asset: "BTC", price: 50_000n * 10n ** 30n };
    expect(points).toEqual([[ethDown, btcUp], [ethDown, btcAt], [ethUp, btcUp], [ethUp, btcAt]]);
    const seven = ["-0.3", "-0.2", "-0.1", "0", "0.1", "0.2", "0.3"];
    expect(stressScenarios([{ asset: "ETH", moves: seven }, { asset: "BTC", moves: seven }], { grid: true })).toHaveLength(49);
    expect(stressScenarios([{ asset: "ETH", moves: seven }, { asset: "BTC", moves: [] }], { grid: true })).toEqual([]);
    // Refused before it is built: 21 x 21 = 441 points.
    const many = Array.from({ length: 21 }, (_, i) => `0.0${i}`);
    expect(() => stressScenarios([{ asset: "ETH", moves: many }, { asset: "BTC", moves: many }], { grid: true })).toThrow("a grid of 441 points; at most 201 stress points per query");
    expect(() => stressScenarios([{ asset: "ETH", moves: seven }], { joint: true, grid: true })).toThrow("give joint or grid, not both");
  });
});
