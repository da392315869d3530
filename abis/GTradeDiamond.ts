// gTrade v10 GNSMultiCollatDiamond (one diamond per chain): the trading events an indexer follows and the
// views it reads. Facts taken from the ABI @gainsnetwork/sdk 1.8.7 ships (lib/contracts/types/generated/
// factories/GNSMultiCollatDiamond__factory.js); test/unit/gtrade-events.test.ts checks each entry against it.
// Struct names are the SDK's internalTypes (ITradingStorage.Trade, IFundingFees.TradeFeesData, ...).

/** ITradingStorage.Id: a trader's trade or pending order. */
const ID = [
  { name: "user", type: "address" },
  { name: "index", type: "uint32" },
] as const;

/** ITradingStorage.Trade (v10 layout). */
const TRADE = [
  { name: "user", type: "address" },
  { name: "index", type: "uint32" },
  { name: "pairIndex", type: "uint16" },
  { name: "leverage", type: "uint24" },
  { name: "long", type: "bool" },
  { name: "isOpen", type: "bool" },
  { name: "collateralIndex", type: "uint8" },
  { name: "tradeType", type: "uint8" },
  { name: "collateralAmount", type: "uint120" },
  { name: "openPrice", type: "uint64" },
  { name: "tp", type: "uint64" },
  { name: "sl", type: "uint64" },
  { name: "isCounterTrade", type: "bool" },
  { name: "positionSizeToken", type: "uint160" },
  { name: "__placeholder", type: "uint24" },
] as const;

/** ITradingStorage.TradeInfo. */
const TRADE_INFO = [
  { name: "createdBlock", type: "uint32" },
  { name: "tpLastUpdatedBlock", type: "uint32" },
  { name: "slLastUpdatedBlock", type: "uint32" },
  { name: "maxSlippageP", type: "uint16" },
  { name: "lastOiUpdateTs", type: "uint48" },
  { name: "collateralPriceUsd", type: "uint48" },
  { name: "contractsVersion", type: "uint8" },
  { name: "lastPosIncreaseBlock", type: "uint32" },
  { name: "__placeholder", type: "uint8" },
] as const;

/** IPairsStorage.GroupLiquidationParams. */
const LIQUIDATION_PARAMS = [
  { name: "maxLiqSpreadP", type: "uint40" },
  { name: "startLiqThresholdP", type: "uint40" },
  { name: "endLiqThresholdP", type: "uint40" },
  { name: "startLeverage", type: "uint24" },
  { name: "endLeverage", type: "uint24" },
] as const;

/** IPairsStorage.FeeGroup. */
const FEE_GROUP = [
  { name: "totalPositionSizeFeeP", type: "uint40" },
  { name: "totalLiqCollateralFeeP", type: "uint40" },
  { name: "oraclePositionSizeFeeP", type: "uint40" },
  { name: "minPositionSizeUsd", type: "uint32" },
  { name: "__placeholder", type: "uint104" },
] as const;

/** IFundingFees.TradeFeesData. */
const TRADE_FEES_DATA = [
  { name: "realizedTradingFeesCollateral", type: "uint128" },
  { name: "realizedPnlCollateral", type: "int128" },
  { name: "manuallyRealizedNegativePnlCollateral", type: "uint128" },
  { name: "alreadyTransferredNegativePnlCollateral", type: "uint128" },
  { name: "virtualAvailableCollateralInDiamond", type: "uint128" },
  { name: "__placeholder", type: "uint128" },
  { name: "initialAccFundingFeeP", type: "int128" },
  { name: "initialAccBorrowingFeeP", type: "uint128" },
] as const;

/** IFundingFees.TradeHoldingFees. */
const TRADE_HOLDING_FEES = [
  { name: "fundingFeeCollateral", type: "int256" },
  { name: "borrowingFeeCollateral", type: "uint256" },
  { name: "borrowingFeeCollateral_old", type: "uint256" },
  { name: "totalFeeCollateral", type: "int256" },
] as const;

/** IFundingFees.PairBorrowingFeeData (borrowing v2). */
const PAIR_BORROWING_FEE_DATA = [
  { name: "accBorrowingFeeP", type: "uint128" },
  { name: "lastBorrowingUpdateTs", type: "uint32" },
  { name: "__placeholder", type: "uint96" },
] as const;

/** IFundingFees.BorrowingFeeParams (borrowing v2). */
const BORROWING_FEE_PARAMS = [
  { name: "borrowingRatePerSecondP", type: "uint24" },
  { name: "__placeholder", type: "uint232" },
] as const;

/** IFundingFees.PairFundingFeeData. */
const PAIR_FUNDING_FEE_DATA = [
  { name: "accFundingFeeLongP", type: "int128" },
  { name: "accFundingFeeShortP", type: "int128" },
  { name: "lastFundingRatePerSecondP", type: "int56" },
  { name: "lastFundingUpdateTs", type: "uint32" },
  { name: "__placeholder", type: "uint168" },
] as const;

/** IFundingFees.FundingFeeParams. */
const FUNDING_FEE_PARAMS = [
  { name: "skewCoefficientPerYear", type: "uint112" },
  { name: "absoluteVelocityPerYearCap", type: "uint24" },
  { name: "absoluteRatePerSecondCap", type: "uint24" },
  { name: "thetaThresholdUsd", type: "uint32" },
  { name: "fundingFeesEnabled", type: "bool" },
  { name: "aprMultiplierEnabled", type: "bool" },
  { name: "__placeholder", type: "uint48" },
] as const;

/** ITradingCommonUtils.TradePriceImpact. */
const PRICE_IMPACT = [
  { name: "positionSizeToken", type: "uint256" },
  { name: "fixedSpreadP", type: "int256" },
  { name: "cumulVolPriceImpactP", type: "int256" },
  { name: "skewPriceImpactP", type: "int256" },
  { name: "totalPriceImpactP", type: "int256" },
  { name: "priceAfterImpact", type: "uint64" },
] as const;

/** IPriceImpact.PairOiCollateral and PairOiToken. */
const PAIR_OI_COLLATERAL = [
  { name: "oiLongCollateral", type: "uint128" },
  { name: "oiShortCollateral", type: "uint128" },
] as const;
const PAIR_OI_TOKEN = [
  { name: "oiLongToken", type: "uint128" },
  { name: "oiShortToken", type: "uint128" },
] as const;

/** IUpdatePositionSize.IncreasePositionSizeValues. */
const INCREASE_VALUES = [
  { name: "positionSizeCollateralDelta", type: "uint256" },
  { name: "existingPositionSizeCollateral", type: "uint256" },
  { name: "newPositionSizeCollateral", type: "uint256" },
  { name: "newCollateralAmount", type: "uint256" },
  { name: "newLeverage", type: "uint256" },
  { name: "priceImpact", type: "tuple", components: PRICE_IMPACT },
  { name: "existingPnlCollateral", type: "int256" },
  { name: "oldPosSizePlusPnlCollateral", type: "uint256" },
  { name: "newOpenPrice", type: "uint256" },
  { name: "openingFeesCollateral", type: "uint256" },
  { name: "existingLiqPrice", type: "uint256" },
  { name: "newLiqPrice", type: "uint256" },
  { name: "isCounterTradeValidated", type: "bool" },
  { name: "exceedingPositionSizeCollateral", type: "uint256" },
  { name: "counterTradeCollateralToReturn", type: "uint256" },
  { name: "newEffectiveLeverage", type: "uint256" },
] as const;

/** IUpdatePositionSize.DecreasePositionSizeValues. */
const DECREASE_VALUES = [
  { name: "isLeverageUpdate", type: "bool" },
  { name: "positionSizeCollateralDelta", type: "uint256" },
  { name: "existingPositionSizeCollateral", type: "uint256" },
  { name: "existingLiqPrice", type: "uint256" },
  { name: "newLiqPrice", type: "uint256" },
  { name: "priceImpact", type: "tuple", components: PRICE_IMPACT },
  { name: "existingPnlPercent", type: "int256" },
  { name: "partialRawPnlCollateral", type: "int256" },
  { name: "partialNetPnlCollateral", type: "int256" },
  { name: "pnlToRealizeCollateral", type: "int256" },
  { name: "closingFeeCollateral", type: "uint256" },
  { name: "totalAvailableCollateralInDiamond", type: "uint256" },
  { name: "availableCollateralInDiamond", type: "int256" },
  { name: "collateralSentToTrader", type: "int256" },
  { name: "newCollateralAmount", type: "uint120" },
  { name: "newLeverage", type: "uint24" },
] as const;

/** IUpdateLeverage.UpdateLeverageValues. */
const UPDATE_LEVERAGE_VALUES = [
  { name: "newLeverage", type: "uint256" },
  { name: "newCollateralAmount", type: "uint256" },
  { name: "existingLiqPrice", type: "uint256" },
  { name: "newLiqPrice", type: "uint256" },
  { name: "govFeeCollateral", type: "uint256" },
  { name: "newEffectiveLeverage", type: "uint256" },
  { name: "totalTradeAvailableCollateralInDiamond", type: "uint256" },
  { name: "availableCollateralInDiamond", type: "uint256" },
] as const;

/** IBorrowingFees.LiqPriceInput. */
const LIQ_PRICE_INPUT = [
  { name: "collateralIndex", type: "uint8" },
  { name: "trader", type: "address" },
  { name: "pairIndex", type: "uint16" },
  { name: "index", type: "uint32" },
  { name: "openPrice", type: "uint64" },
  { name: "long", type: "bool" },
  { name: "collateral", type: "uint256" },
  { name: "leverage", type: "uint256" },
  { name: "additionalFeeCollateral", type: "int256" },
  { name: "liquidationParams", type: "tuple", components: LIQUIDATION_PARAMS },
  { name: "currentPairPrice", type: "uint64" },
  { name: "isCounterTrade", type: "bool" },
  { name: "partialCloseMultiplier", type: "uint256" },
  { name: "beforeOpened", type: "bool" },
] as const;

/** IPairsStorage.Feed (inside IPairsStorage.Pair, which pairs() returns). */
const FEED = [
  { name: "feed1", type: "address" },
  { name: "feed2", type: "address" },
  { name: "feedCalculation", type: "uint8" },
  { name: "maxDeviationP", type: "uint256" },
] as const;

/** ITradingStorage.Collateral. */
const COLLATERAL = [
  { name: "collateral", type: "address" },
  { name: "isActive", type: "bool" },
  { name: "__placeholder", type: "uint88" },
  { name: "precision", type: "uint128" },
  { name: "precisionDelta", type: "uint128" },
] as const;

// Per (collateral, pair) events of the holding-fee facets share this head.
const COLLATERAL_PAIR = [
  { indexed: true, name: "collateralIndex", type: "uint8" },
  { indexed: true, name: "pairIndex", type: "uint16" },
] as const;

const view = <const I, const O>(name: string, inputs: I, outputs: O) => ({ type: "function", stateMutability: "view", name, inputs, outputs }) as const;

export const GTradeDiamondAbi = [
  // ── Trade storage (TradingStorage facet) ──────────────────────────────────────────────────────
  {
    type: "event",
    name: "TradeStored",
    inputs: [
      { indexed: true, name: "user", type: "address" },
      { indexed: true, name: "index", type: "uint32" },
      { indexed: false, name: "trade", type: "tuple", components: TRADE },
      { indexed: false, name: "tradeInfo", type: "tuple", components: TRADE_INFO },
      { indexed: false, name: "liquidationParams", type: "tuple", components: LIQUIDATION_PARAMS },
    ],
  },
  {
    type: "event",
    name: "TradePositionUpdated",
    inputs: [
      { indexed: true, name: "user", type: "address" },
      { indexed: true, name: "index", type: "uint32" },
      { indexed: false, name: "collateralAmount", type: "uint120" },
      { indexed: false, name: "leverage", type: "uint24" },
      { indexed: false, name: "openPrice", type: "uint64" },
      { indexed: false, name: "newSl", type: "uint64" },
      { indexed: false, name: "newPositionSizeToken", type: "uint160" },
      { indexed: false, name: "pendingOrderType", type: "uint8" },
      { indexed: false, name: "isPnlPositive", type: "bool" },
    ],
  },
  {
    type: "event",
    name: "TradeCollateralUpdated",
    inputs: [
      { indexed: true, name: "user", type: "address" },
      { indexed: true, name: "index", type: "uint32" },
      { indexed: false, name: "collateralAmount", type: "uint120" },
    ],
  },
  {
    type: "event",
    name: "TradeClosed",
    inputs: [
      { indexed: true, name: "user", type: "address" },
      { indexed: true, name: "index", type: "uint32" },
      { indexed: false, name: "isPnlPositive", type: "bool" },
    ],
  },
  {
    type: "event",
    name: "CollateralAdded",
    inputs: [
      { indexed: false, name: "collateral", type: "address" },
      { indexed: false, name: "index", type: "uint8" },
      { indexed: false, name: "gToken", type: "address" },
    ],
  },

  // ── Order execution (TradingCallbacks / UpdatePositionSize / UpdateLeverage) ─────────────────
  {
    type: "event",
    name: "MarketExecuted",
    inputs: [
      { indexed: false, name: "orderId", type: "tuple", components: ID },
      { indexed: true, name: "user", type: "address" },
      { indexed: true, name: "index", type: "uint32" },
      { indexed: false, name: "t", type: "tuple", components: TRADE },
      { indexed: false, name: "open", type: "bool" },
      { indexed: false, name: "oraclePrice", type: "uint256" },
      { indexed: false, name: "marketPrice", type: "uint256" },
      { indexed: false, name: "liqPrice", type: "uint256" },
      { indexed: false, name: "priceImpact", type: "tuple", components: PRICE_IMPACT },
      { indexed: false, name: "percentProfit", type: "int256" },
      { indexed: false, name: "amountSentToTrader", type: "uint256" },
      { indexed: false, name: "collateralPriceUsd", type: "uint256" },
    ],
  },
  {
    type: "event",
    name: "LimitExecuted",
    inputs: [
      { indexed: false, name: "orderId", type: "tuple", components: ID },
      { indexed: true, name: "user", type: "address" },
      { indexed: true, name: "index", type: "uint32" },
      { indexed: true, name: "limitIndex", type: "uint32" },
      { indexed: false, name: "t", type: "tuple", components: TRADE },
      { indexed: false, name: "triggerCaller", type: "address" },
      { indexed: false, name: "orderType", type: "uint8" },
      { indexed: false, name: "oraclePrice", type: "uint256" },
      { indexed: false, name: "marketPrice", type: "uint256" },
      { indexed: false, name: "liqPrice", type: "uint256" },
      { indexed: false, name: "priceImpact", type: "tuple", components: PRICE_IMPACT },
      { indexed: false, name: "percentProfit", type: "int256" },
      { indexed: false, name: "amountSentToTrader", type: "uint256" },
      { indexed: false, name: "collateralPriceUsd", type: "uint256" },
      { indexed: false, name: "exactExecution", type: "bool" },
    ],
  },
  {
    type: "event",
    name: "PositionSizeIncreaseExecuted",
    inputs: [
      { indexed: false, name: "orderId", type: "tuple", components: ID },
      { indexed: false, name: "cancelReason", type: "uint8" },
      { indexed: true, name: "collateralIndex", type: "uint8" },
      { indexed: true, name: "trader", type: "address" },
      { indexed: false, name: "pairIndex", type: "uint256" },
      { indexed: true, name: "index", type: "uint256" },
      { indexed: false, name: "long", type: "bool" },
      { indexed: false, name: "oraclePrice", type: "uint256" },
      { indexed: false, name: "collateralPriceUsd", type: "uint256" },
      { indexed: false, name: "collateralDelta", type: "uint256" },
      { indexed: false, name: "leverageDelta", type: "uint256" },
      { indexed: false, name: "values", type: "tuple", components: INCREASE_VALUES },
    ],
  },
  {
    type: "event",
    name: "PositionSizeDecreaseExecuted",
    inputs: [
      { indexed: false, name: "orderId", type: "tuple", components: ID },
      { indexed: false, name: "cancelReason", type: "uint8" },
      { indexed: true, name: "collateralIndex", type: "uint8" },
      { indexed: true, name: "trader", type: "address" },
      { indexed: false, name: "pairIndex", type: "uint256" },
      { indexed: true, name: "index", type: "uint256" },
      { indexed: false, name: "long", type: "bool" },
      { indexed: false, name: "oraclePrice", type: "uint256" },
      { indexed: false, name: "collateralPriceUsd", type: "uint256" },
      { indexed: false, name: "collateralDelta", type: "uint256" },
      { indexed: false, name: "leverageDelta", type: "uint256" },
      { indexed: false, name: "values", type: "tuple", components: DECREASE_VALUES },
    ],
  },
  {
    type: "event",
    name: "LeverageUpdateExecuted",
    inputs: [
      { indexed: false, name: "orderId", type: "tuple", components: ID },
      { indexed: false, name: "isIncrease", type: "bool" },
      { indexed: false, name: "cancelReason", type: "uint8" },
      { indexed: true, name: "collateralIndex", type: "uint8" },
      { indexed: true, name: "trader", type: "address" },
      { indexed: false, name: "pairIndex", type: "uint256" },
      { indexed: true, name: "index", type: "uint256" },
      { indexed: false, name: "oraclePrice", type: "uint256" },
      { indexed: false, name: "collateralDelta", type: "uint256" },
      { indexed: false, name: "values", type: "tuple", components: UPDATE_LEVERAGE_VALUES },
    ],
  },

  // ── A trade's fee data (FundingFees facet) ───────────────────────────────────────────────────
  {
    type: "event",
    name: "TradeInitialAccFeesStored",
    inputs: [
      { indexed: true, name: "trader", type: "address" },
      { indexed: true, name: "index", type: "uint32" },
      { indexed: false, name: "collateralIndex", type: "uint8" },
      { indexed: false, name: "pairIndex", type: "uint16" },
      { indexed: false, name: "long", type: "bool" },
      { indexed: false, name: "currentPairPrice", type: "uint64" },
      { indexed: false, name: "newInitialAccFundingFeeP", type: "int128" },
      { indexed: false, name: "newInitialAccBorrowingFeeP", type: "uint128" },
    ],
  },
  {
    type: "event",
    name: "TradingFeesRealized",
    inputs: [
      { indexed: true, name: "collateralIndex", type: "uint8" },
      { indexed: true, name: "trader", type: "address" },
      { indexed: true, name: "index", type: "uint32" },
      { indexed: false, name: "tradingFeesCollateral", type: "uint256" },
      { indexed: false, name: "finalTradingFeesCollateral", type: "uint256" },
      { indexed: false, name: "newRealizedFeesCollateral", type: "uint256" },
      { indexed: false, name: "newRealizedPnlCollateral", type: "int256" },
      { indexed: false, name: "amountSentFromVaultCollateral", type: "uint256" },
    ],
  },
  {
    type: "event",
    name: "PnlRealizedOnOpenTrade",
    inputs: [
      { indexed: true, name: "trader", type: "address" },
      { indexed: true, name: "index", type: "uint32" },
      { indexed: false, name: "pnlCollateral", type: "int256" },
      { indexed: false, name: "newRealizedPnlCollateral", type: "int256" },
    ],
  },
  {
    type: "event",
    name: "HoldingFeesChargedOnTrade",
    inputs: [
      { indexed: true, name: "collateralIndex", type: "uint8" },
      { indexed: true, name: "trader", type: "address" },
      { indexed: true, name: "index", type: "uint32" },
      { indexed: false, name: "currentPairPrice", type: "uint64" },
      { indexed: false, name: "tradeHoldingFees", type: "tuple", components: TRADE_HOLDING_FEES },
      { indexed: false, name: "availableCollateralInDiamond", type: "uint256" },
      { indexed: false, name: "amountSentToVaultCollateral", type: "uint256" },
      { indexed: false, name: "newRealizedTradingFeesCollateral", type: "uint256" },
      { indexed: false, name: "newRealizedPnlCollateral", type: "int256" },
    ],
  },
  {
    type: "event",
    name: "HoldingFeesRealizedOnTrade",
    inputs: [
      { indexed: true, name: "collateralIndex", type: "uint8" },
      { indexed: true, name: "trader", type: "address" },
      { indexed: true, name: "index", type: "uint32" },
      { indexed: false, name: "currentPairPrice", type: "uint64" },
      { indexed: false, name: "tradeHoldingFees", type: "tuple", components: TRADE_HOLDING_FEES },
      { indexed: false, name: "newRealizedPnlCollateral", type: "int256" },
    ],
  },
  {
    type: "event",
    name: "TradeFeesDataDownscaled",
    inputs: [
      { indexed: true, name: "trader", type: "address" },
      { indexed: true, name: "index", type: "uint32" },
      { indexed: false, name: "positionSizeCollateralDelta", type: "uint256" },
      { indexed: false, name: "existingPositionSizeCollateral", type: "uint256" },
      { indexed: false, name: "newCollateralAmount", type: "uint256" },
      { indexed: false, name: "newTradeFeesData", type: "tuple", components: TRADE_FEES_DATA },
    ],
  },

  // ── Pair state the math needs: borrowing v2, funding, open interest (FundingFees / PriceImpact) ─
  {
    type: "event",
    name: "BorrowingRatePerSecondPUpdated",
    inputs: [...COLLATERAL_PAIR, { indexed: false, name: "borrowingRatePerSecondP", type: "uint24" }],
  },
  {
    type: "event",
    name: "PendingAccBorrowingFeesStored",
    inputs: [...COLLATERAL_PAIR, { indexed: false, name: "data", type: "tuple", components: PAIR_BORROWING_FEE_DATA }],
  },
  {
    type: "event",
    name: "SkewCoefficientPerYearUpdated",
    inputs: [...COLLATERAL_PAIR, { indexed: false, name: "skewCoefficientPerYear", type: "uint112" }],
  },
  {
    type: "event",
    name: "AbsoluteVelocityPerYearCapUpdated",
    inputs: [...COLLATERAL_PAIR, { indexed: false, name: "absoluteVelocityPerYearCap", type: "uint24" }],
  },
  {
    type: "event",
    name: "AbsoluteRatePerSecondCapUpdated",
    inputs: [...COLLATERAL_PAIR, { indexed: false, name: "absoluteRatePerSecondCap", type: "uint24" }],
  },
  {
    type: "event",
    name: "ThetaThresholdUsdUpdated",
    inputs: [...COLLATERAL_PAIR, { indexed: false, name: "thetaThresholdUsd", type: "uint32" }],
  },
  {
    type: "event",
    name: "FundingFeesEnabledUpdated",
    inputs: [...COLLATERAL_PAIR, { indexed: false, name: "fundingFeesEnabled", type: "bool" }],
  },
  {
    type: "event",
    name: "AprMultiplierEnabledUpdated",
    inputs: [...COLLATERAL_PAIR, { indexed: false, name: "aprMultiplierEnabled", type: "bool" }],
  },
  {
    type: "event",
    name: "PendingAccFundingFeesStored",
    inputs: [...COLLATERAL_PAIR, { indexed: false, name: "data", type: "tuple", components: PAIR_FUNDING_FEE_DATA }],
  },
  {
    type: "event",
    name: "PairOiAfterV10Updated",
    inputs: [
      ...COLLATERAL_PAIR,
      { indexed: false, name: "oiDeltaCollateral", type: "uint256" },
      { indexed: false, name: "oiDeltaToken", type: "uint256" },
      { indexed: false, name: "open", type: "bool" },
      { indexed: false, name: "long", type: "bool" },
      { indexed: false, name: "newOiCollateral", type: "tuple", components: PAIR_OI_COLLATERAL },
      { indexed: false, name: "newOiToken", type: "tuple", components: PAIR_OI_TOKEN },
    ],
  },

  // ── Pairs, groups and fee groups (PairsStorage facet) ───────────────────────────────────────
  {
    type: "event",
    name: "PairAdded",
    inputs: [
      { indexed: false, name: "index", type: "uint256" },
      { indexed: false, name: "from", type: "string" },
      { indexed: false, name: "to", type: "string" },
    ],
  },
  { type: "event", name: "PairUpdated", inputs: [{ indexed: false, name: "index", type: "uint256" }] },
  {
    type: "event",
    name: "GroupLiquidationParamsUpdated",
    inputs: [
      { indexed: false, name: "index", type: "uint256" },
      { indexed: false, name: "params", type: "tuple", components: LIQUIDATION_PARAMS },
    ],
  },
  {
    type: "event",
    name: "FeeAdded",
    inputs: [
      { indexed: false, name: "index", type: "uint256" },
      { indexed: false, name: "feeGroup", type: "tuple", components: FEE_GROUP },
    ],
  },
  {
    type: "event",
    name: "FeeUpdated",
    inputs: [
      { indexed: false, name: "index", type: "uint256" },
      { indexed: false, name: "feeGroup", type: "tuple", components: FEE_GROUP },
    ],
  },
  {
    type: "event",
    name: "CounterTradeFeeRateMultiplierUpdated",
    inputs: [
      { indexed: true, name: "pairIndex", type: "uint16" },
      { indexed: false, name: "newValue", type: "uint16" },
    ],
  },

  // ── Views ─────────────────────────────────────────────────────────────────────────────────────
  view("getTrade", [{ name: "_trader", type: "address" }, { name: "_index", type: "uint32" }], [{ name: "", type: "tuple", components: TRADE }]),
  view("getTrades", [{ name: "_trader", type: "address" }], [{ name: "", type: "tuple[]", components: TRADE }]),
  view("getTradeInfo", [{ name: "_trader", type: "address" }, { name: "_index", type: "uint32" }], [{ name: "", type: "tuple", components: TRADE_INFO }]),
  view("getTradeLiquidationParams", [{ name: "_trader", type: "address" }, { name: "_index", type: "uint32" }], [{ name: "", type: "tuple", components: LIQUIDATION_PARAMS }]),
  view("getTradeFeesData", [{ name: "_trader", type: "address" }, { name: "_index", type: "uint32" }], [{ name: "", type: "tuple", components: TRADE_FEES_DATA }]),
  view(
    "getTradeLiquidationPrice",
    [{ name: "_input", type: "tuple", components: LIQ_PRICE_INPUT }],
    [{ name: "", type: "uint256" }],
  ),
  view("getCollateral", [{ name: "_index", type: "uint8" }], [{ name: "", type: "tuple", components: COLLATERAL }]),
  view("getCollateralPriceUsd", [{ name: "_collateralIndex", type: "uint8" }], [{ name: "", type: "uint256" }]),
  view(
    "pairs",
    [{ name: "_index", type: "uint256" }],
    [
      {
        name: "",
        type: "tuple",
        components: [
          { name: "from", type: "string" },
          { name: "to", type: "string" },
          { name: "feed", type: "tuple", components: FEED },
          { name: "spreadP", type: "uint256" },
          { name: "groupIndex", type: "uint256" },
          { name: "feeIndex", type: "uint256" },
        ],
      },
    ],
  ),
  view("pairSpreadP", [{ name: "_trader", type: "address" }, { name: "_pairIndex", type: "uint256" }], [{ name: "", type: "uint256" }]),
  view("fees", [{ name: "_index", type: "uint256" }], [{ name: "", type: "tuple", components: FEE_GROUP }]),
  view("getGroupLiquidationParams", [{ name: "_groupIndex", type: "uint256" }], [{ name: "", type: "tuple", components: LIQUIDATION_PARAMS }]),
  view("getPairCounterTradeFeeRateMultiplier", [{ name: "_pairIndex", type: "uint16" }], [{ name: "", type: "uint16" }]),
  view(
    "getPairBorrowingFeeParams",
    [{ name: "_collateralIndex", type: "uint8[]" }, { name: "_pairIndex", type: "uint16[]" }],
    [{ name: "", type: "tuple[]", components: BORROWING_FEE_PARAMS }],
  ),
  view(
    "getPairBorrowingFeeData",
    [{ name: "_collateralIndex", type: "uint8[]" }, { name: "_pairIndex", type: "uint16[]" }],
    [{ name: "", type: "tuple[]", components: PAIR_BORROWING_FEE_DATA }],
  ),
  view(
    "getPairFundingFeeParams",
    [{ name: "_collateralIndex", type: "uint8[]" }, { name: "_pairIndex", type: "uint16[]" }],
    [{ name: "", type: "tuple[]", components: FUNDING_FEE_PARAMS }],
  ),
  view(
    "getPairFundingFeeData",
    [{ name: "_collateralIndex", type: "uint8[]" }, { name: "_pairIndex", type: "uint16[]" }],
    [{ name: "", type: "tuple[]", components: PAIR_FUNDING_FEE_DATA }],
  ),
  view(
    "getTradePendingHoldingFeesCollateral",
    [{ name: "_trader", type: "address" }, { name: "_index", type: "uint32" }, { name: "_currentPairPrice", type: "uint64" }],
    [{ name: "tradeHoldingFees", type: "tuple", components: TRADE_HOLDING_FEES }],
  ),
  view(
    "getPairPendingAccBorrowingFees",
    [{ name: "_collateralIndex", type: "uint8" }, { name: "_pairIndex", type: "uint16" }, { name: "_currentPairPrice", type: "uint64" }],
    [{ name: "accBorrowingFeeP", type: "uint128" }],
  ),
  view(
    "getPairPendingAccFundingFees",
    [{ name: "_collateralIndex", type: "uint8" }, { name: "_pairIndex", type: "uint16" }, { name: "_currentPairPrice", type: "uint64" }],
    [
      { name: "accFundingFeeLongP", type: "int128" },
      { name: "accFundingFeeShortP", type: "int128" },
      { name: "currentFundingRatePerSecondP", type: "int56" },
    ],
  ),
  view("getPairOiAfterV10Token", [{ name: "_collateralIndex", type: "uint8" }, { name: "_pairIndex", type: "uint16" }], [{ name: "", type: "tuple", components: PAIR_OI_TOKEN }]),
] as const;
