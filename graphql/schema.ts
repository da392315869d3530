/** The exposure API's schema. Exact amounts are decimal strings; ratios for people are Float. */
export const typeDefs = /* GraphQL */ `
  """
  Integer that may exceed 2^53 (block numbers, timestamps): a decimal string in results; a string or an integer in arguments.
  """
  scalar BigInt

  type Query {
    """
    Exposure of one wallet across every indexed protocol and chain. Every query answers as of the latest
    indexed block of each chain, or as of atBlock (that block; needs chainId when several chains are
    indexed), or as of atTimestamp (unix seconds: each chain's last block at or before it).
    """
    wallet(address: String!, atBlock: BigInt, atTimestamp: BigInt, chainId: Int): WalletExposure!
    """
    One answer for a group of wallets: a portfolio named in the config (portfolios), or an explicit
    list (at most 500). Totals are computed over all positions together, with breakdowns.
    """
    portfolio(name: String, wallets: [String!], atBlock: BigInt, atTimestamp: BigInt, chainId: Int): PortfolioExposure!
    "The portfolios named in the config."
    portfolios: [PortfolioInfo!]!
    """
    Price shocks on a portfolio or wallet list: each point re-runs every protocol's own risk rule with
    shocked marks (positions and parameters as of the block). At most 201 points.
    """
    stress(
      portfolio: String
      wallets: [String!]
      shocks: [ShockSeries!]!
      "Also the i-th moves of every series together (after each asset's points alone)."
      joint: Boolean = false
      "Instead: every combination of one shock from each series (7 ETH moves x 7 BTC moves: 49 points). Not with joint."
      grid: Boolean = false
      "Added to every option's implied volatility at each point (0.1 = +10 vol points); the base is unshifted."
      volatilityShift: Float = 0
      atBlock: BigInt
      atTimestamp: BigInt
      chainId: Int
    ): StressResult!
    "Liquidation ladder: what becomes liquidatable as one asset moves in 1% steps down and up (steps: 1..100, default 50)."
    ladder(portfolio: String, wallets: [String!], asset: String!, steps: Int = 50, atBlock: BigInt, atTimestamp: BigInt, chainId: Int): [LadderStep!]!
    """
    Realised correlation of the assets a portfolio (or wallet list) holds, from indexed price history,
    and its correlation-aware one-day volatility and 99% value at risk; \`method\` states how.
    window and interval are seconds (defaults: 30 days of daily samples; at most 8760 samples).
    """
    risk(portfolio: String, wallets: [String!], window: Int = 2592000, interval: Int = 86400, atBlock: BigInt, atTimestamp: BigInt, chainId: Int): RiskStatistics!
    """
    Every open position in the index within maxDistance of liquidation (0.05: the index price moving 5%
    toward the liquidation price), nearest first, each distance exact by the protocol's own rule.
    Positions already liquidatable come first. Pages: first (1..1000, default 50) and after
    (pageInfo.endCursor of the previous page). Without atBlock/atTimestamp, GMX v1 positions are found by
    a range scan of stored liquidation prices per market and side; other protocols, and any past block,
    are assessed in full.
    """
    atRisk(
      maxDistance: Float!
      "A protocol id (gmx-v1, gmx-v2, aave-v3, derive, morpho-blue, gtrade)."
      protocol: String
      "An asset symbol from the config (the position's market)."
      asset: String
      chainId: Int
      first: Int = 50
      after: String
      atBlock: BigInt
      atTimestamp: BigInt
    ): AtRiskPage!
    "How far the indexer has got on each chain."
    chains: [ChainStatus!]!
    """
    A GMX v1 Vault's parameters and prices, which change without events, as last read at or before the
    block (null before the first reading). Liquidation prices of its positions are in the price the
    Vault checks: its min price for longs, its max price for shorts.
    """
    gmxV1Vault(vault: String!, chainId: Int, atBlock: BigInt, atTimestamp: BigInt): GmxV1Vault
  }

  type GmxV1Vault {
    chainId: Int!
    vault: String!
    "The block the answer is for."
    block: BlockRef!
    "The block these values were first read at."
    changedAtBlock: BigInt!
    "The last re-read at or before the block (every paramsRefreshBlocks) that found them unchanged."
    readAtBlock: BigInt!
    "Basis points: 500000 = 50x."
    maxLeverage: BigInt!
    liquidationFeeUsd: String!
    marginFeeBasisPoints: BigInt!
    "VaultUtils.validateLiquidation release: earlier, or current (profit counts on liquidation, since 2025-02-26)."
    liquidationRule: String!
    minProfitTime: BigInt!
    vaultUtils: String!
    priceFeed: String!
    tokens: [GmxV1VaultToken!]!
  }

  type GmxV1VaultToken {
    token: String!
    symbol: String!
    "Vault.getMinPrice, USD per whole token (null: the Vault could not price it)."
    minPriceUsd: String
    "Vault.getMaxPrice."
    maxPriceUsd: String
    minProfitBasisPoints: BigInt!
    "True when the VaultPriceFeed / FastPriceFeed model reproduces both prices (stress shocks then move them)."
    modelled: Boolean!
  }

  "Shocks of one asset (by symbol): each move or price is a point with that asset alone moved."
  input ShockSeries {
    asset: String!
    "Fractional moves as decimal strings: -0.5 is -50%."
    moves: [String!]
    "Exact prices in USD per whole token."
    prices: [String!]
  }

  type AtRiskPage {
    blocks: [BlockRef!]!
    "Nearest to liquidation first (Position.liquidationDistance ascending, then id)."
    items: [Position!]!
    pageInfo: PageInfo!
    "Markets without a usable price, positions whose distance is unknown: what the page could not rank."
    warnings: [String!]!
  }

  "Filters on a position list; all given conditions must hold."
  input PositionFilter {
    protocol: String
    protocol_in: [String!]
    chainId: Int
    "Asset symbol of the position's market."
    asset: String
    side: Side
    liquidatableNow: Boolean
    liquidationDistance_lte: Float
    "USD decimal string."
    notionalUsd_gte: String
  }

  "Sort keys of a position list; nulls last, equal values by id."
  enum PositionOrderBy {
    notionalUsd
    liquidationDistance
    leverage
    unrealizedPnlUsd
    updatedBlock
  }

  enum OrderDirection {
    asc
    desc
  }

  type PositionPage {
    items: [Position!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }

  type PageInfo {
    hasNextPage: Boolean!
    "Pass as after for the next page."
    endCursor: String
  }

  type StressResult {
    blocks: [BlockRef!]!
    "The unshocked answer."
    base: StressPoint!
    "Single-asset points in the order given, then (joint) the i-th moves of all series together."
    points: [StressPoint!]!
  }

  type StressPoint {
    shocks: [AppliedShock!]!
    totals: ExposureTotals!
    "Equity change from the unshocked answer (USD)."
    pnlUsd: String
    "Positions the protocol's own rule would liquidate at these prices (a whole Aave account when its health factor is below 1)."
    liquidatable: [Position!]!
    liquidatableNotionalUsd: String
    liquidatableCollateralUsd: String
    accounts: [MarginAccount!]!
  }

  type AppliedShock {
    asset: String!
    move: String
    priceUsd: String
  }

  type LadderStep {
    "Fractional move of the asset (-0.01 = -1%)."
    move: Float!
    liquidatableCount: Int!
    liquidatableNotionalUsd: String
    liquidatableCollateralUsd: String
  }

  type PortfolioInfo {
    name: String!
    wallets: [String!]!
  }

  type PortfolioExposure {
    "The configured name, or null for an explicit wallet list."
    name: String
    wallets: [String!]!
    blocks: [BlockRef!]!
    totals: ExposureTotals!
    byAsset: [Breakdown!]!
    byProtocol: [Breakdown!]!
    "Keyed by chain id."
    byChain: [Breakdown!]!
    byWallet: [Breakdown!]!
    concentration: Concentration!
    "Open positions of every wallet, largest notional first unless orderBy says otherwise (arguments as on WalletExposure)."
    positions(where: PositionFilter, orderBy: PositionOrderBy = notionalUsd, orderDirection: OrderDirection = desc, first: Int, after: String): [Position!]!
    positionPage(where: PositionFilter, orderBy: PositionOrderBy = notionalUsd, orderDirection: OrderDirection = desc, first: Int, after: String): PositionPage!
    accounts: [MarginAccount!]!
  }

  "Totals of one slice of a portfolio, computed as wallet totals are."
  type Breakdown {
    key: String!
    positionCount: Int!
    totals: ExposureTotals!
  }

  type Concentration {
    largestPosition: PositionConcentration
    largestAsset: AssetConcentration
  }

  type PositionConcentration {
    positionId: String!
    "Absolute notional (USD)."
    notionalUsd: String!
    "Share of the portfolio's gross notional (0..1); null when that is unknown."
    share: Float
  }

  type AssetConcentration {
    asset: String!
    "Gross (long + short) notional in the asset (USD)."
    grossUsd: String!
    share: Float
  }

  type ChainStatus {
    chainId: Int!
    name: String!
    blockNumber: BigInt!
    blockTimestamp: BigInt!
  }

  "The block an answer is for, per chain."
  type BlockRef {
    chainId: Int!
    number: BigInt!
    timestamp: BigInt!
  }

  type WalletExposure {
    address: String!
    blocks: [BlockRef!]!
    "Open positions, largest notional first unless orderBy says otherwise; where filters; first (1..1000; all when omitted) and after cut a page."
    positions(where: PositionFilter, orderBy: PositionOrderBy = notionalUsd, orderDirection: OrderDirection = desc, first: Int, after: String): [Position!]!
    "The same list as a page with pageInfo and totalCount (the count after where)."
    positionPage(where: PositionFilter, orderBy: PositionOrderBy = notionalUsd, orderDirection: OrderDirection = desc, first: Int, after: String): PositionPage!
    "Cross-margined accounts (lending): health as the protocol computes it."
    accounts: [MarginAccount!]!
    totals: ExposureTotals!
  }

  type MarginAccount {
    "The wallet (set in portfolio answers)."
    account: String
    protocol: String!
    chainId: Int!
    "The contract holding the account (for Aave v3, the Pool)."
    venue: String!
    "Health factor as a decimal (1.0 = liquidatable below); null when the account has no debt. Morpho Blue: borrow capacity (collateral x oracle price x LLTV) over debt, the two sides of Morpho's _isHealthy."
    healthFactor: String
    "Collateral valued as the protocol does (USD), before liquidation thresholds."
    collateralUsd: String
    debtUsd: String
    "Collateral-weighted liquidation threshold (0.825 = 82.5%)."
    liquidationThreshold: Float
    "Uniform fractional drop of every collateral price that brings the health factor to 1 (debt prices held); Derive: of every underlying until maintenance margin < 0."
    collateralDropToLiquidation: Float
    liquidatableNow: Boolean
    "Derive: the subaccount id."
    subaccountId: String
    "Derive: the manager's maintenance margin (getMargin(id, false), USD); below zero the subaccount is liquidatable."
    maintenanceMarginUsd: String
    "Derive: the manager's initial margin (getMargin(id, true), USD); below zero no risk-adding trade passes."
    initialMarginUsd: String
    "Derive: uniform fractional rise of every underlying until maintenance margin < 0."
    priceRiseToLiquidation: Float
    "What the account's figures assume or could not compute."
    warnings: [String!]!
    "Aave v3: the user's e-mode category (0 = none); null for other protocols."
    eModeCategory: Int
    "Aave v3: the single collateral with a debt ceiling that puts the account in isolation mode; null otherwise."
    isolationModeCollateral: String
    "Morpho Blue: the market (its id); each wallet has one account per market."
    marketId: String
    "Morpho Blue: the market oracle's price the figures use (loan-token units per collateral unit, 1e36 scale, integer)."
    oraclePrice: String
    "Morpho Blue: the highest oracle price at which Morpho.liquidate accepts this account (same units); null without debt."
    liquidationOraclePrice: String
    "Morpho Blue: collateral a liquidator receives per unit of debt repaid, as a decimal (1.05 = 5% incentive)."
    liquidationIncentiveFactor: String
  }

  type ExposureTotals {
    "Sum of |notional| over open positions (USD). Null when any position lacks a usable price."
    grossNotionalUsd: String
    "Long minus short notional per asset symbol; options count delta-adjusted (delta x contracts x spot)."
    netNotional: [AssetExposure!]!
    "Option greeks summed per underlying (Black-Scholes, see Position.option)."
    optionGreeks: [AssetGreeks!]!
    "Sum of position collateral (USD), as each protocol values it: perp margin, lending deposits used as collateral."
    totalCollateralUsd: String
    unrealizedPnlUsd: String
    "Fees the protocols would charge to close everything now (funding, borrowing, closing fees)."
    pendingFeesUsd: String
    "Sum of position equity: perps collateral + unrealised PnL - pending fees; deposits + value; debts - value."
    equityUsd: String
    "Gross notional / equity. Null when equity is zero or negative, or unknown."
    leverage: Float
    "Smallest liquidationDistance over the open positions (isolated margin: the wallet's nearest liquidation)."
    nearestLiquidationDistance: Float
    "False when a figure above is null because a price is missing or stale."
    complete: Boolean!
    positionCount: Int!
    warnings: [String!]!
  }

  type RiskStatistics {
    blocks: [BlockRef!]!
    "Window start and end (unix seconds); the end is the answered block's time."
    from: BigInt!
    to: BigInt!
    interval: Int!
    returnsCount: Int!
    "Assets with a net exposure and a price history covering the window, in the order of the matrix."
    assets: [AssetRisk!]!
    "Pearson correlation of interval log returns; null where an asset's price never moved."
    correlation: [[Float]!]!
    "One-day standard deviation of the portfolio's value (USD, a statistic)."
    oneDayVolatilityUsd: String
    "One-day 99% value at risk (USD, a statistic): 2.3263 x oneDayVolatilityUsd."
    valueAtRisk99Usd: String
    method: String!
    warnings: [String!]!
  }

  type AssetRisk {
    asset: String!
    "Net notional (USD), options delta-adjusted."
    exposureUsd: String
    "Standard deviation of one-day log returns."
    dailyVolatility: Float!
  }

  type AssetGreeks {
    asset: String!
    "Underlying units (contracts x delta); null when an option of this underlying has no usable price."
    delta: Float
    "Per USD of spot move (contracts x gamma)."
    gamma: Float
    "USD per 1.00 of implied volatility (divide by 100 for one vol point)."
    vega: Float
    "USD per year of time decay (divide by 365 for one day)."
    theta: Float
  }

  type OptionTerms {
    expiry: BigInt!
    "USD per whole underlying token."
    strike: String!
    type: String!
    "At or past expiry: out of exposure and greeks, valued at intrinsic until settled."
    expired: Boolean!
    "Implied volatility used (0.6 = 60%)."
    volatility: Float
    "True when volatility is the configured default rather than a protocol vol feed."
    volatilityAssumed: Boolean!
    "Black-Scholes greeks of the position (x signed contracts): delta in underlying units, gamma per USD, vega per 1.00 vol, theta per year."
    delta: Float
    gamma: Float
    vega: Float
    theta: Float
  }

  type AssetExposure {
    asset: String!
    longUsd: String
    shortUsd: String
    netUsd: String
  }

  enum Side {
    LONG
    SHORT
  }

  type Asset {
    chainId: Int!
    address: String!
    "Configured symbol, or null for a token missing from the config."
    symbol: String
    decimals: Int
  }

  type Price {
    "USD per whole token."
    usd: String!
    updatedAt: BigInt!
    feed: String!
    "Older than the feed's heartbeat at the answered block: shown, but not used for any figure."
    stale: Boolean!
  }

  type Collateral {
    token: Asset!
    "In whole tokens. Null without a usable price."
    amount: String
    "Margin value in USD (lending: the deposit's value when used as collateral, else 0)."
    usd: String
  }

  type Position {
    id: ID!
    chainId: Int!
    protocol: String!
    "Contract holding the position (for GMX v1, the Vault)."
    venue: String!
    positionKey: String!
    account: String!
    market: Asset!
    side: Side!
    status: String!
    "Size as the protocol records it (USD); null where it keeps size in tokens (lending)."
    sizeUsd: String
    "Size in whole index tokens."
    sizeInTokens: String
    "Size in tokens at the mark price (USD)."
    notionalUsd: String
    collateral: Collateral!
    "Average entry price (USD per whole index token); null for lending."
    entryPrice: String
    markPrice: Price
    "Leverage as the protocol defines it (GMX v1: size / collateral; GMX v2: size / (collateral + PnL - pending borrowing and funding))."
    leverage: Float
    unrealizedPnlUsd: String
    realisedPnlUsd: String
    pendingFeesUsd: String
    "What closing this position now would leave: perp collateral + PnL - fees; deposit + value; debt - value."
    equityUsd: String
    "Index price at which the protocol's own liquidation check trips (USD per whole token)."
    liquidationPrice: String
    "Fractional index price move from the mark to the liquidation price (0.1 = 10%); 0 or less: liquidatable now."
    liquidationDistance: Float
    liquidatableNow: Boolean
    "Signed contribution to the asset's net notional (USD): +/- notional, or for options delta x contracts x spot."
    netNotionalUsd: String
    "Option terms, implied volatility and greeks; null for other positions."
    option: OptionTerms
    openedBlock: BigInt!
    openedAt: BigInt!
    updatedBlock: BigInt!
    updatedAt: BigInt!
    warnings: [String!]!
  }
`;
