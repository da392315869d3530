import { readFileSync } from "node:fs";
import { buildSchema, parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { typeDefs } from "../../graphql/schema";
import { stressScenarios } from "../../graphql/resolvers";

describe("the exposure GraphQL schema", () => {
  const schema = buildSchema(typeDefs);

  it("builds, and every GraphQL example in the README validates against it", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const examples = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!.replace(/"0x…"/g, '"0x0000000000000000000000000000000000000001"'));
    expect(examples.length).toBeGreaterThan(1);
    for (const example of examples) expect(validate(schema, parse(example)).map((e) => e.message)).toEqual([]);
  });

  it("turns shock series into single-asset points, then joint points", () => {
    const points = stressScenarios([{ asset: "ETH", moves: ["-0.5", "0.25"] }, { asset: "BTC", moves: ["-0.1", "0.1"], prices: [] }], true);
    expect(points).toEqual([
      [{ asset: "ETH", move: -(5n * 10n ** 17n) }],
      [{ asset: "ETH", move: 25n * 10n ** 16n }],
      [{ asset: "BTC", move: -(10n ** 17n) }],
      [{ asset: "BTC", move: 10n ** 17n }],
      [{ asset: "ETH", move: -(5n * 10n ** 17n) }, { asset: "BTC", move: -(10n ** 17n) }],
      [{ asset: "ETH", move: 25n * 10n ** 16n }, { asset: "BTC", move: 10n ** 17n }],
    ]);
    expect(stressScenarios([{ asset: "ETH", prices: ["2733.5"] }], false)).toEqual([[{ asset: "ETH", price: 27335n * 10n ** 29n }]]);
    expect(() => stressScenarios([{ asset: "ETH", moves: ["1e3"] }], false)).toThrow(`move '1e3' is not a decimal fraction like "-0.25"`);
    expect(() => stressScenarios([{ asset: "ETH", moves: ["-0.1"] }, { asset: "BTC", moves: [] }], true)).toThrow("joint shocks need the same number");
    expect(() => stressScenarios([{ asset: "ETH", prices: ["0"] }], false)).toThrow("a shocked price must be positive");
  });
});
