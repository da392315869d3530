import type { LiquidatableTally } from "./exposure";
import type { Lookups } from "./memo";
import type { Address } from "viem";
import type { ExposureConfig } from "../config/exposure-config";
import type { PonderSchema, ReadonlyDb } from "./db";
import type { PositionStatus } from "./position-columns";

/** A position row as stored (current table or a history snapshot). */
export type PositionRow = {
  positionId: string;
  chainId: number;
  protocol: string;
  venue: Address;
  positionKey: `0x${string}`;
  account: Address;
  market: Address;
  collateralToken: Address;
  isLong: boolean;
  sizeUsd: bigint | null;
  sizeInTokens: bigint | null;
  collateralUsd: bigint | null;
  collateralAmount: bigint | null;
  entryPrice: bigint | null;
  realisedPnlUsd: bigint | null;
  protocolState: Record<string, string>;
  /** See position-columns.ts; absent for adapters that keep no level. */
  liquidationLevel?: bigint | null;
  status: PositionStatus;
  openedBlock: bigint;
  openedAt: bigint;
  updatedBlock: bigint;
  updatedAt: bigint;
};

/** An oracle price as of the queried block. */
export type MarkPrice = {
  /** USD per whole token, 1e30. */
  price: bigint;
  updatedAt: bigint;
  feed: Address;
  /** Older than the feed's heartbeat at the queried block: shown, never used for figures. */
  stale: boolean;
  /**
   * Under a stress scenario, the mark before the shock: a protocol that decides on its own oracle
   * (Morpho Blue's market oracles) moves that oracle by the same factor.
   */
  unshocked?: bigint;
};

export type PriceBook = (chainId: number, asset: Address) => MarkPrice | undefined;

/** What every adapter answers for one position at one block. */
export type PositionRisk = {
  sizeInTokens: bigint | null;
  /** Current notional: size in tokens at the mark price. */
  notionalUsd: bigint | null;
  /** Value this position contributes as margin (USD); null when it needs a missing price. */
  collateralUsd: bigint | null;
  collateralAmount: bigint | null;
  unrealizedPnlUsd: bigint | null;
  /** Fees the protocol would charge to close now (funding, borrowing, closing fee). */
  pendingFeesUsd: bigint | null;
  leverage: number | null;
  /** Index price (USD per whole token, 1e30) at which the protocol's own check liquidates. */
  liquidationPrice: bigint | null;
  /** Fractional move of the index price from the mark to the liquidation price (0.1 = 10%). */
  liquidationDistance: number | null;
  liquidatableNow: boolean | null;
  /**
   * Where liquidationPrice lies from the mark when the position's side does not say it (a position in
   * a cross-margined account, whose liquidation may come from either direction).
   */
  liquidationSide?: "below" | "above";
  /** What closing this position now would leave the wallet (perp: collateral + PnL - fees; deposit: +value; debt: -value). */
  equityUsd: bigint | null;
  /**
   * Signed contribution to the asset's net notional when it is not +/- notionalUsd: an option's
   * delta-adjusted notional (delta x contracts x spot). Absent for linear positions.
   */
  netNotionalUsd?: bigint | null;
  /** Terms and model figures of an option position; absent for other positions. */
  option?: OptionRisk;
  warnings: string[];
};

/** An option position's terms and Black-Scholes figures (greeks already x signed contracts). */
export type OptionRisk = {
  expiry: bigint;
  /** USD per whole underlying token, 1e30. */
  strike: bigint;
  isCall: boolean;
  /** At or past expiry: out of exposure, valued at intrinsic until settled. */
  expired: boolean;
  volatility: number | null;
  /** True when the volatility is the configured default, not a protocol feed. */
  volatilityAssumed: boolean;
  delta: number | null;
  gamma: number | null;
  vega: number | null;
  theta: number | null;
};

/** A cross-margined account (a lending position set): its health as the protocol computes it. */
export type AccountRisk = {
  protocol: string;
  chainId: number;
  venue: Address;
  /** 1e18 = 1.0; null when the account has no debt (the protocol's "infinite"). */
  healthFactor: bigint | null;
  collateralUsd: bigint | null;
  debtUsd: bigint | null;
  /** Weighted liquidation threshold in basis points. */
  liquidationThresholdBps: bigint | null;
  /** Uniform fractional drop of all collateral prices that brings the health factor to 1. */
  collateralDropToLiquidation: number | null;
  liquidatableNow: boolean | null;
  /** Derive: the subaccount, its manager's margins (below zero: what it lacks) and the joint price rise to liquidation. */
  subaccountId?: bigint;
  maintenanceMarginUsd?: bigint | null;
  initialMarginUsd?: bigint | null;
  priceRiseToLiquidation?: number | null;
  /** Lending accounts (Aave v3): the user's e-mode category (0: none) and isolated collateral, if any. */
  lendingMode?: { eModeCategory: number; isolationModeCollateral: Address | null };
  /** Isolated lending markets (Morpho Blue: one account per wallet and market): the market and its oracle's figures. */
  isolatedMarket?: IsolatedMarketRisk;
  warnings: string[];
};

/** An account's market when the protocol isolates each market (Morpho Blue), with its oracle in its own units. */
export type IsolatedMarketRisk = {
  /** The market's id (Morpho Blue: MarketParamsLib.id). */
  id: `0x${string}`;
  /** The market oracle's price (loan-token units per collateral unit, 1e36 scale) the figures use; null when not read. */
  oraclePrice: bigint | null;
  /** The highest oracle price at which the protocol's liquidation check passes; null when no price does. */
  liquidationOraclePrice: bigint | null;
  /** What a liquidator receives per unit repaid (1e18 = 1.0). */
  liquidationIncentiveFactor: bigint;
};

export type Assessment = { positions: PositionRisk[]; accounts: AccountRisk[] };

export type AssessContext = {
  db: ReadonlyDb;
  schema: PonderSchema;
  /** Block (number and timestamp) per chain the answer is for. */
  blockByChain: Map<number, { number: bigint; timestamp: bigint }>;
  prices: PriceBook;
  config: ExposureConfig;
  /** Added to every option model's implied volatility (stress scenarios; 0.1 = +10 vol points). */
  volatilityShift?: number;
  /** Lookups that may be shared with other queries of the same indexed data: keys must name the chain and block. */
  lookups: Lookups;
};

/** What a stress point moves: the marks and the option models' volatility shift. */
export type Scenario = { prices: PriceBook; volatilityShift?: number };

/** `assess` with everything but the scenario loaded: the same figures at any scenario, without I/O. */
export type PreparedAssessment = {
  (scenario: Scenario): Assessment;
  /**
   * Adds to `into` the positions the assessment at `scenario` marks liquidatable now, with their
   * notional and collateral, without working out its other figures (all a liquidation ladder reads).
   * Optional: without it, the ladder adds them up from the whole assessment.
   */
  liquidatable?(scenario: Scenario, into: LiquidatableTally): void;
};

export type ProtocolAdapter = {
  /** Stable id stored in position.protocol and used in config under `protocols`. */
  id: string;
  /** Risk figures for open positions of this protocol (any wallets), in row order, and the wallets' margin accounts. */
  assess(ctx: AssessContext, rows: PositionRow[]): Promise<Assessment>;
  /**
   * `assess` split in two: its reads at the context's blocks (not its prices), then its rule, run at each
   * scenario. A stress query loads once and reprices every point synchronously; `assess` is the
   * prepared rule at the context's own scenario.
   */
  prepare?(ctx: AssessContext, rows: PositionRow[]): Promise<PreparedAssessment>;
  /**
   * True when the handlers keep `liquidationLevel` equal to the liquidation price `assess` would give
   * at the indexed head, re-filing open positions whenever an input of the check changes: `atRisk`
   * then range-scans stored levels per market and side. Otherwise it assesses every open position.
   */
  keepsLiquidationLevels?: boolean;
  /** True when no position of this protocol has a liquidation price (margin not modelled): `atRisk` skips it and says so. */
  withoutLiquidationPrices?: boolean;
  /**
   * True when each position's figures depend on its own row and marks alone (isolated margin, no
   * account-level health: `assess` returns no accounts): a stress point re-assesses only the
   * positions whose market or collateral mark it moves.
   */
  isolatedPositions?: boolean;
};
