import v8 from "node:v8";
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { lazyFields } from "../../src/core/lazy";
import { assessRows, combine } from "../../src/exposure/service";
import { randomPortfolio } from "../support/random-portfolio";

const ownAccessors = (value: object) =>
  Object.entries(Object.getOwnPropertyDescriptors(value))
    .filter(([, d]) => d.get !== undefined || d.set !== undefined)
    .map(([name]) => name);

describe("lazyFields", () => {
  const Answer = lazyFields<{ id: number }, { figure: bigint }>(["figure"]);

  it("keeps the fields as own properties and runs a lazy field's function only when it is read", () => {
    let runs = 0;
    const answer = new Answer({ id: 7 }, { figure: () => BigInt(++runs) * 10n });
    expect(runs).toBe(0);
    expect(answer.id).toBe(7);
    expect(answer.figure).toBe(10n);
    expect(runs).toBe(1);
    expect(ownAccessors(answer)).toEqual([]);
    // Enumerable on the prototype: for-in (not a spread) sees it.
    const listed: string[] = [];
    for (const field in answer) listed.push(field);
    expect(listed).toEqual(["id", "figure"]);
    // Deep equality compares the lazy fields too (test/support/lazy-equality.ts).
    expect(new Answer({ id: 1 }, { figure: () => 1n })).toEqual(new Answer({ id: 1 }, { figure: () => 1n }));
    expect(new Answer({ id: 1 }, { figure: () => 1n })).not.toEqual(new Answer({ id: 1 }, { figure: () => 2n }));
  });

  // What the class is for, measured on V8 itself: 20,000 answers, each closing over ~2 KB, dropped,
  // then two young-generation collections. Own getters keep it for a major collection; lazyFields do not.
  it("lets what a lazy field closes over die young, where an own getter promotes it", () => {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as (options: { type: string; execution: string }) => void;
    const oldUsedMb = () =>
      v8
        .getHeapSpaceStatistics()
        .filter((s) => s.space_name === "old_space" || s.space_name === "large_object_space")
        .reduce((sum, s) => sum + s.space_used_size, 0) / 2 ** 20;
    const promotedMb = (make: (payload: { k: number; v: bigint }[]) => { figure: unknown }) => {
      gc({ type: "major", execution: "sync" });
      const before = oldUsedMb();
      let read = 0;
      for (let i = 0; i < 20_000; i++) {
        const payload = Array.from({ length: 16 }, (_, k) => ({ k, v: BigInt(i * k) }));
        read += make(payload).figure === payload ? 1 : 0;
      }
      gc({ type: "minor", execution: "sync" });
      gc({ type: "minor", execution: "sync" });
      expect(read).toBe(20_000);
      return oldUsedMb() - before;
    };
    const Held = lazyFields<{ id: number }, { figure: unknown }>(["figure"]);
    expect(promotedMb((payload) => new Held({ id: 1 }, { figure: () => payload }))).toBeLessThan(5);
    expect(promotedMb((payload) => ({ id: 1, get figure() { return payload; } }))).toBeGreaterThan(15);
  });
});

describe("answers keep their lazy figures off the object", () => {
  const p = randomPortfolio(11, 40);

  it("wallet answers, their totals, positions and accounts have no own getters", async () => {
    const answers = await Promise.all(p.wallets.map((w) => assessRows(p.deps, w.address, w.rows, w.prices, p.blocks, { lookups: p.lookups })));
    const protocols = new Set(answers.flatMap((a) => a.assessed.map((x) => x.row.protocol)));
    expect([...protocols].sort()).toEqual(["aave-v3", "derive", "gmx-v1"]);
    for (const answer of answers) {
      expect(ownAccessors(answer)).toEqual([]);
      expect(ownAccessors(answer.totals)).toEqual([]);
      for (const { risk } of answer.assessed) expect(ownAccessors(risk)).toEqual([]);
      for (const account of answer.accounts) expect(ownAccessors(account)).toEqual([]);
    }
  });

  it("a portfolio's accounts carry each account's lazy figures with its wallet", async () => {
    const answers = await Promise.all(p.wallets.map((w) => assessRows(p.deps, w.address, w.rows, w.prices, p.blocks, { lookups: p.lookups })));
    const portfolio = combine(p.deps, null, p.blocks, () => answers);
    expect(ownAccessors(portfolio)).toEqual([]);
    const derive = answers.flatMap((a) => a.accounts.map((account) => ({ account, wallet: a.address }))).filter((x) => x.account.protocol === "derive");
    expect(derive.length).toBeGreaterThan(0);
    for (const { account, wallet } of derive) {
      const listed = portfolio.accounts.find((a) => a.account === wallet && a.venue === account.venue && a.subaccountId === account.subaccountId)!;
      expect(listed.initialMarginUsd).toBe(account.initialMarginUsd);
      expect(listed.collateralDropToLiquidation).toBe(account.collateralDropToLiquidation);
      expect(listed.priceRiseToLiquidation).toBe(account.priceRiseToLiquidation);
      expect(listed.maintenanceMarginUsd).toBe(account.maintenanceMarginUsd);
    }
  });
});
