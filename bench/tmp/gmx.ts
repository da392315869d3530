import { prepareGmxV1 } from "../../src/protocols/gmx-v1/assess";
import { randomPortfolio } from "../../test/support/random-portfolio";
import { shockedPrices } from "../../src/core/stress";
import { assetDirectory } from "../../src/core/assets";
const p = randomPortfolio(7, 400);
const rows = p.wallets.flatMap((w) => w.rows).filter((r) => r.protocol === "gmx-v1");
const ctx: any = { db: null, schema: {}, blockByChain: new Map(p.blocks.map((b) => [b.chainId, b])), config: p.deps.config, lookups: p.lookups, prices: p.wallets[0]!.prices };
const at = await prepareGmxV1(ctx, rows);
const symbolOf = assetDirectory(p.deps.config).symbol;
const books = Array.from({ length: 100 }, (_, i) => shockedPrices(p.wallets[0]!.prices, [{ asset: "ETH", move: BigInt(i - 50) * 10n ** 16n }, { asset: "BTC", move: BigInt(i - 50) * 10n ** 16n }, { asset: "LINK", move: BigInt(i - 50) * 10n ** 16n }], symbolOf));
let sink = 0;
const times: number[] = [];
for (let r = 0; r < 15; r++) {
  const t = performance.now();
  for (const prices of books) sink += at({ prices }).positions.length;
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
console.log(`${rows.length} positions x 100 points: median ${times[7]!.toFixed(1)} ms, min ${times[0]!.toFixed(1)} ms; per eval ${((times[7]! * 1000) / (rows.length * 100)).toFixed(2)} us`, sink > 0);
