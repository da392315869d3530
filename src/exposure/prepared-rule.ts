import type { AssessContext, Assessment, PositionRow, PreparedAssessment, ProtocolAdapter, Scenario } from "../core/adapter";
import { lazyFields } from "../core/lazy";

/** A mark's key, by chain and asset (any case): what a prepared rule's unit notes it reads. */
export const markKey = (chainId: number, asset: string) => `${chainId}:${asset.toLowerCase()}`;

/** A protocol's rule over some rows with everything but the scenario read: run at any marks. */
export type Rule = { (scenario: Scenario): Assessment | Promise<Assessment>; liquidatable?: PreparedAssessment["liquidatable"] };

/** The protocol's rule over `rows`, prepared: its own split when it has one, else `assess` at each scenario (its reads memoized in `ctx.lookups`). */
export async function prepareRule(adapter: ProtocolAdapter, ctx: AssessContext, rows: PositionRow[]): Promise<Rule> {
  if (adapter.prepare) return adapter.prepare(ctx, rows);
  // The shift is read through the scenario only if the rule asks for it (a stress book notes whether it does).
  return (scenario) =>
    adapter.assess(
      new ContextAtScenario(
        { db: ctx.db, schema: ctx.schema, blockByChain: ctx.blockByChain, config: ctx.config, lookups: ctx.lookups, prices: scenario.prices },
        { volatilityShift: () => scenario.volatilityShift },
      ),
      rows,
    );
}

const ContextAtScenario = lazyFields<Omit<AssessContext, "volatilityShift">, Pick<AssessContext, "volatilityShift">>(["volatilityShift"]);

/** A scenario whose volatility shift comes from `volatilityShift()` when a rule reads it. */
export const ScenarioWithLazyShift = lazyFields<Omit<Scenario, "volatilityShift">, Pick<Scenario, "volatilityShift">>(["volatilityShift"]);
