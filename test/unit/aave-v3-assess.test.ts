import { describe, expect, it } from "vitest";
import type { Lookups } from "../../src/core/memo";
import { assessRows } from "../../src/exposure/service";
import { randomPortfolio } from "../support/random-portfolio";

// An Aave row whose reserve has no state indexed at the block (an unknown reserve, or one the index
// has not reached yet): the account is flagged and left without figures, never valued at zero.
describe("Aave v3 account with an unknown reserve", () => {
  const p = randomPortfolio(7, 30);
  const wallet = p.wallets.find((w) => w.rows.some((r) => r.protocol === "aave-v3"))!;
  const aave = wallet.rows.filter((r) => r.protocol === "aave-v3");
  const debt = aave.find((r) => !r.isLong)!;
  const deposit = aave.find((r) => r.isLong)!;
  const assess = (lookups: Lookups) => assessRows(p.deps, wallet.address, aave, wallet.prices, p.blocks, { lookups });

  it("has figures when every reserve is known (the control)", async () => {
    const answer = await assess(p.lookups);
    const account = answer.accounts.find((a) => a.protocol === "aave-v3")!;
    expect(account.healthFactor).not.toBeNull();
    expect(account.debtUsd! > 0n).toBe(true);
    expect(account.warnings).toEqual([]);
  });

  it("flags the reserve and leaves health, collateral and debt unknown", async () => {
    const unknownReserve = `:reserve:${debt.market.toLowerCase()}`;
    const lookups: Lookups = (key, load) => (key.endsWith(unknownReserve) ? Promise.resolve(undefined as never) : p.lookups(key, load));
    const answer = await assess(lookups);
    const account = answer.accounts.find((a) => a.protocol === "aave-v3")!;
    expect(account.warnings).toContain(`${debt.market}: no reserve state indexed at this block`);
    expect([account.healthFactor, account.collateralUsd, account.debtUsd, account.liquidatableNow]).toEqual([null, null, null, null]);
    const of = (row: typeof debt) => answer.positions.find((x) => x.row === row)!.risk;
    expect([of(debt).sizeInTokens, of(debt).notionalUsd, of(debt).liquidationPrice]).toEqual([null, null, null]);
    // The known deposit keeps its own balance; only what needs the whole account is withheld.
    expect(of(deposit).sizeInTokens! > 0n).toBe(true);
    expect([of(deposit).liquidationPrice, of(deposit).liquidatableNow]).toEqual([null, null]);
    expect(answer.totals.complete).toBe(false);
  });
});
