import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Address } from "viem";
import { pow } from "../../src/protocols/gmx-v2/prb-pow";
import { startAnvil, type AnvilHandle } from "./anvil.js";
import { anvilAccount, deploy, read } from "./clients.js";
import { pickArtifacts } from "./compile.js";
import { createRng } from "./rng.js";

let anvil: AnvilHandle;
let probe: Address;
let abi: any;

beforeAll(async () => {
  anvil = await startAnvil();
  const { PrbPowProbe } = await pickArtifacts(["PrbPowProbe"] as const);
  abi = PrbPowProbe.abi;
  probe = (await deploy(anvil.rpcUrl, anvilAccount(0), PrbPowProbe, [])).address;
}, 60_000);

afterAll(async () => {
  await anvil?.stop();
});

describe("our PRBMathUD60x18.pow mirror against the Solidity library (prb-math 2.4.3)", () => {
  it("agrees to the unit on price-impact-like inputs: USD gaps from $1 to $10bn, exponents 1 to 3", async () => {
    const rng = createRng(7);
    const cases: [bigint, bigint][] = [
      [10n ** 18n, 2n * 10n ** 18n],
      [10n ** 18n + 1n, 10n ** 18n],
      [50_000n * 10n ** 18n, 2n * 10n ** 18n],
      [123_456_789n * 10n ** 18n + 987n, 19n * 10n ** 17n],
    ];
    for (let i = 0; i < 150; i++) {
      // Gaps are USD 1e30 divided by 1e12 (GMX's floatToWei): log-uniform from $1 to $1e10.
      const dollars = 10 ** (rng.next() * 10);
      const x = BigInt(Math.floor(dollars * 1e6)) * 10n ** 12n + BigInt(Math.floor(rng.next() * 1e12));
      const y = BigInt(Math.floor((1 + 2 * rng.next()) * 1e6)) * 10n ** 12n;
      cases.push([x, y]);
    }
    for (const [x, y] of cases) {
      const onChain = await read<bigint>(anvil.rpcUrl, { address: probe, abi, functionName: "pow", args: [x, y] });
      expect(pow(x, y), `pow(${x}, ${y})`).toBe(onChain);
    }
  });
});
