// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

interface IERC20Decimals {
    function decimals() external view returns (uint8);
}

// gTrade v10's GNSMultiCollatDiamond as an indexer sees it, operated by its owner (the deployer): it stores
// trades, collaterals, pairs, fee groups, group liquidation params, borrowing v2 and funding state, emits
// the real v10 events for each change (names, parameter types and struct layouts of the ABI shipped in
// @gainsnetwork/sdk 1.8.7, so topic0 and data match) and serves the real views an indexer reads.
//
// The v10 contracts are not public. Execution is not modelled: the owner passes each order's outcome
// (new collateral, leverage and open price), with no price impact, no payouts and no fee charging; order
// ids are the trade's own (user, index). What the indexer's math depends on is modelled, integer for
// integer as src/protocols/gtrade/math.ts computes it (SDK rules, v9.2 contract rounding):
// - the liquidation price: SDK lib/trade/liquidation/index.js getLiquidationPrice (opened trade, no fee
//   tiers), threshold getLiqPnlThresholdP, closing fee lib/trade/fees/trading getTotalTradeFeesCollateral,
//   closing spread lib/trade/priceImpact/cumulVol getSpreadP with the pair's spread;
// - holding fees: borrowing v2 (lib/trade/fees/borrowingV2 getPairPendingAccBorrowingFees,
//   getTradeBorrowingFeesCollateral) and funding (lib/trade/fees/fundingFees getPairPendingAccFundingFees,
//   getTradeFundingFeesCollateral) for v10 trades; no v1 borrowing;
// - the liquidation check: a long at or below its liquidation price, a short at or above it (the SDK
//   only gives the price; the comparison is the v9.2 contracts' trigger rule).
// Funding is modelled with a constant rate only: where the SDK's rate velocity would be non-zero
// (skew above theta with a non-zero skew coefficient and velocity cap) the fixture reverts with
// FundingVelocityNotModelled rather than give a number our math would not.
contract FixtureGTrade {
    // ── Structs: the v10 layouts (SDK ABI internalTypes) ──────────────────────────────────────────
    struct Id {
        address user;
        uint32 index;
    }
    struct Trade {
        address user;
        uint32 index;
        uint16 pairIndex;
        uint24 leverage;
        bool long;
        bool isOpen;
        uint8 collateralIndex;
        uint8 tradeType;
        uint120 collateralAmount;
        uint64 openPrice;
        uint64 tp;
        uint64 sl;
        bool isCounterTrade;
        uint160 positionSizeToken;
        uint24 __placeholder;
    }
    struct TradeInfo {
        uint32 createdBlock;
        uint32 tpLastUpdatedBlock;
        uint32 slLastUpdatedBlock;
        uint16 maxSlippageP;
        uint48 lastOiUpdateTs;
        uint48 collateralPriceUsd;
        uint8 contractsVersion;
        uint32 lastPosIncreaseBlock;
        uint8 __placeholder;
    }
    struct GroupLiquidationParams {
        uint40 maxLiqSpreadP;
        uint40 startLiqThresholdP;
        uint40 endLiqThresholdP;
        uint24 startLeverage;
        uint24 endLeverage;
    }
    struct FeeGroup {
        uint40 totalPositionSizeFeeP;
        uint40 totalLiqCollateralFeeP;
        uint40 oraclePositionSizeFeeP;
        uint32 minPositionSizeUsd;
        uint104 __placeholder;
    }
    struct TradeFeesData {
        uint128 realizedTradingFeesCollateral;
        int128 realizedPnlCollateral;
        uint128 manuallyRealizedNegativePnlCollateral;
        uint128 alreadyTransferredNegativePnlCollateral;
        uint128 virtualAvailableCollateralInDiamond;
        uint128 __placeholder;
        int128 initialAccFundingFeeP;
        uint128 initialAccBorrowingFeeP;
    }
    struct TradeHoldingFees {
        int256 fundingFeeCollateral;
        uint256 borrowingFeeCollateral;
        uint256 borrowingFeeCollateral_old;
        int256 totalFeeCollateral;
    }
    struct PairBorrowingFeeData {
        uint128 accBorrowingFeeP;
        uint32 lastBorrowingUpdateTs;
        uint96 __placeholder;
    }
    struct BorrowingFeeParams {
        uint24 borrowingRatePerSecondP;
        uint232 __placeholder;
    }
    struct PairFundingFeeData {
        int128 accFundingFeeLongP;
        int128 accFundingFeeShortP;
        int56 lastFundingRatePerSecondP;
        uint32 lastFundingUpdateTs;
        uint168 __placeholder;
    }
    struct FundingFeeParams {
        uint112 skewCoefficientPerYear;
        uint24 absoluteVelocityPerYearCap;
        uint24 absoluteRatePerSecondCap;
        uint32 thetaThresholdUsd;
        bool fundingFeesEnabled;
        bool aprMultiplierEnabled;
        uint48 __placeholder;
    }
    struct TradePriceImpact {
        uint256 positionSizeToken;
        int256 fixedSpreadP;
        int256 cumulVolPriceImpactP;
        int256 skewPriceImpactP;
        int256 totalPriceImpactP;
        uint64 priceAfterImpact;
    }
    struct PairOiCollateral {
        uint128 oiLongCollateral;
        uint128 oiShortCollateral;
    }
    struct PairOiToken {
        uint128 oiLongToken;
        uint128 oiShortToken;
    }
    struct IncreasePositionSizeValues {
        uint256 positionSizeCollateralDelta;
        uint256 existingPositionSizeCollateral;
        uint256 newPositionSizeCollateral;
        uint256 newCollateralAmount;
        uint256 newLeverage;
        TradePriceImpact priceImpact;
        int256 existingPnlCollateral;
        uint256 oldPosSizePlusPnlCollateral;
        uint256 newOpenPrice;
        uint256 openingFeesCollateral;
        uint256 existingLiqPrice;
        uint256 newLiqPrice;
        bool isCounterTradeValidated;
        uint256 exceedingPositionSizeCollateral;
        uint256 counterTradeCollateralToReturn;
        uint256 newEffectiveLeverage;
    }
    struct DecreasePositionSizeValues {
        bool isLeverageUpdate;
        uint256 positionSizeCollateralDelta;
        uint256 existingPositionSizeCollateral;
        uint256 existingLiqPrice;
        uint256 newLiqPrice;
        TradePriceImpact priceImpact;
        int256 existingPnlPercent;
        int256 partialRawPnlCollateral;
        int256 partialNetPnlCollateral;
        int256 pnlToRealizeCollateral;
        uint256 closingFeeCollateral;
        uint256 totalAvailableCollateralInDiamond;
        int256 availableCollateralInDiamond;
        int256 collateralSentToTrader;
        uint120 newCollateralAmount;
        uint24 newLeverage;
    }
    struct UpdateLeverageValues {
        uint256 newLeverage;
        uint256 newCollateralAmount;
        uint256 existingLiqPrice;
        uint256 newLiqPrice;
        uint256 govFeeCollateral;
        uint256 newEffectiveLeverage;
        uint256 totalTradeAvailableCollateralInDiamond;
        uint256 availableCollateralInDiamond;
    }
    struct Feed {
        address feed1;
        address feed2;
        uint8 feedCalculation;
        uint256 maxDeviationP;
    }
    struct Pair {
        string from;
        string to;
        Feed feed;
        uint256 spreadP;
        uint256 groupIndex;
        uint256 feeIndex;
    }
    struct Collateral {
        address collateral;
        bool isActive;
        uint88 __placeholder;
        uint128 precision;
        uint128 precisionDelta;
    }
    /// Fixture input: a market order's outcome.
    struct OpenTradeInput {
        address user;
        uint16 pairIndex;
        uint8 collateralIndex;
        bool long;
        uint120 collateralAmount;
        uint24 leverage;
        uint64 openPrice;
        bool isCounterTrade;
    }
    /// Fixture: a position update before and after, for its executed event.
    struct Resized {
        Trade before;
        Trade updated;
        uint256 existingLiqPrice;
        uint64 oraclePrice;
    }

    // ── Events: the v10 signatures ────────────────────────────────────────────────────────────────
    event TradeStored(address indexed user, uint32 indexed index, Trade trade, TradeInfo tradeInfo, GroupLiquidationParams liquidationParams);
    event TradePositionUpdated(
        address indexed user,
        uint32 indexed index,
        uint120 collateralAmount,
        uint24 leverage,
        uint64 openPrice,
        uint64 newSl,
        uint160 newPositionSizeToken,
        uint8 pendingOrderType,
        bool isPnlPositive
    );
    event TradeCollateralUpdated(address indexed user, uint32 indexed index, uint120 collateralAmount);
    event TradeClosed(address indexed user, uint32 indexed index, bool isPnlPositive);
    event CollateralAdded(address collateral, uint8 index, address gToken);
    event MarketExecuted(
        Id orderId,
        address indexed user,
        uint32 indexed index,
        Trade t,
        bool open,
        uint256 oraclePrice,
        uint256 marketPrice,
        uint256 liqPrice,
        TradePriceImpact priceImpact,
        int256 percentProfit,
        uint256 amountSentToTrader,
        uint256 collateralPriceUsd
    );
    event LimitExecuted(
        Id orderId,
        address indexed user,
        uint32 indexed index,
        uint32 indexed limitIndex,
        Trade t,
        address triggerCaller,
        uint8 orderType,
        uint256 oraclePrice,
        uint256 marketPrice,
        uint256 liqPrice,
        TradePriceImpact priceImpact,
        int256 percentProfit,
        uint256 amountSentToTrader,
        uint256 collateralPriceUsd,
        bool exactExecution
    );
    event PositionSizeIncreaseExecuted(
        Id orderId,
        uint8 cancelReason,
        uint8 indexed collateralIndex,
        address indexed trader,
        uint256 pairIndex,
        uint256 indexed index,
        bool long,
        uint256 oraclePrice,
        uint256 collateralPriceUsd,
        uint256 collateralDelta,
        uint256 leverageDelta,
        IncreasePositionSizeValues values
    );
    event PositionSizeDecreaseExecuted(
        Id orderId,
        uint8 cancelReason,
        uint8 indexed collateralIndex,
        address indexed trader,
        uint256 pairIndex,
        uint256 indexed index,
        bool long,
        uint256 oraclePrice,
        uint256 collateralPriceUsd,
        uint256 collateralDelta,
        uint256 leverageDelta,
        DecreasePositionSizeValues values
    );
    event LeverageUpdateExecuted(
        Id orderId,
        bool isIncrease,
        uint8 cancelReason,
        uint8 indexed collateralIndex,
        address indexed trader,
        uint256 pairIndex,
        uint256 indexed index,
        uint256 oraclePrice,
        uint256 collateralDelta,
        UpdateLeverageValues values
    );
    event TradeInitialAccFeesStored(
        address indexed trader,
        uint32 indexed index,
        uint8 collateralIndex,
        uint16 pairIndex,
        bool long,
        uint64 currentPairPrice,
        int128 newInitialAccFundingFeeP,
        uint128 newInitialAccBorrowingFeeP
    );
    event TradingFeesRealized(
        uint8 indexed collateralIndex,
        address indexed trader,
        uint32 indexed index,
        uint256 tradingFeesCollateral,
        uint256 finalTradingFeesCollateral,
        uint256 newRealizedFeesCollateral,
        int256 newRealizedPnlCollateral,
        uint256 amountSentFromVaultCollateral
    );
    event PnlRealizedOnOpenTrade(address indexed trader, uint32 indexed index, int256 pnlCollateral, int256 newRealizedPnlCollateral);
    event HoldingFeesRealizedOnTrade(
        uint8 indexed collateralIndex,
        address indexed trader,
        uint32 indexed index,
        uint64 currentPairPrice,
        TradeHoldingFees tradeHoldingFees,
        int256 newRealizedPnlCollateral
    );
    event TradeFeesDataDownscaled(
        address indexed trader,
        uint32 indexed index,
        uint256 positionSizeCollateralDelta,
        uint256 existingPositionSizeCollateral,
        uint256 newCollateralAmount,
        TradeFeesData newTradeFeesData
    );
    event BorrowingRatePerSecondPUpdated(uint8 indexed collateralIndex, uint16 indexed pairIndex, uint24 borrowingRatePerSecondP);
    event PendingAccBorrowingFeesStored(uint8 indexed collateralIndex, uint16 indexed pairIndex, PairBorrowingFeeData data);
    event SkewCoefficientPerYearUpdated(uint8 indexed collateralIndex, uint16 indexed pairIndex, uint112 skewCoefficientPerYear);
    event AbsoluteVelocityPerYearCapUpdated(uint8 indexed collateralIndex, uint16 indexed pairIndex, uint24 absoluteVelocityPerYearCap);
    event AbsoluteRatePerSecondCapUpdated(uint8 indexed collateralIndex, uint16 indexed pairIndex, uint24 absoluteRatePerSecondCap);
    event ThetaThresholdUsdUpdated(uint8 indexed collateralIndex, uint16 indexed pairIndex, uint32 thetaThresholdUsd);
    event FundingFeesEnabledUpdated(uint8 indexed collateralIndex, uint16 indexed pairIndex, bool fundingFeesEnabled);
    event AprMultiplierEnabledUpdated(uint8 indexed collateralIndex, uint16 indexed pairIndex, bool aprMultiplierEnabled);
    event PendingAccFundingFeesStored(uint8 indexed collateralIndex, uint16 indexed pairIndex, PairFundingFeeData data);
    event PairOiAfterV10Updated(
        uint8 indexed collateralIndex,
        uint16 indexed pairIndex,
        uint256 oiDeltaCollateral,
        uint256 oiDeltaToken,
        bool open,
        bool long,
        PairOiCollateral newOiCollateral,
        PairOiToken newOiToken
    );
    event PairAdded(uint256 index, string from, string to);
    event PairUpdated(uint256 index);
    event GroupLiquidationParamsUpdated(uint256 index, GroupLiquidationParams params);
    event FeeAdded(uint256 index, FeeGroup feeGroup);
    event FeeUpdated(uint256 index, FeeGroup feeGroup);
    event CounterTradeFeeRateMultiplierUpdated(uint16 indexed pairIndex, uint16 newValue);

    error Unauthorized(address caller);
    error UnknownCollateral(uint8 collateralIndex);
    error UnknownPair(uint16 pairIndex);
    error NotOpen(address user, uint32 index);
    error EmptyTrade(address user, uint32 index);
    error NotACloseOrder(uint8 orderType);
    error NotLiquidatable(address user, uint32 index, uint64 price, uint256 liqPrice);
    error RisingLiqThreshold(uint256 startLiqThresholdP, uint256 endLiqThresholdP);
    error FundingVelocityNotModelled(uint8 collateralIndex, uint16 pairIndex);
    error LengthMismatch();
    error DoesNotFit(int256 value);

    /// ConstantsUtils.P_10: prices and percentages.
    uint256 private constant P_10 = 1e10;
    /// A 1e10 percentage applied to an amount: × p / (100 × 1e10).
    uint256 private constant PERCENT_P_10 = 100 * P_10;
    uint256 private constant LEVERAGE_PRECISION = 1e3;
    /// ConstantsUtils.LEGACY_LIQ_THRESHOLD_P: 90%.
    uint256 private constant LEGACY_LIQ_THRESHOLD_P = 90 * P_10;
    /// ITradingStorage.ContractsVersion.
    uint8 private constant V9_2 = 1;
    uint8 private constant V10 = 2;
    /// ITradingStorage.PendingOrderType: 0–6 as the SDK lists them; 7–9 as the v9.2 contracts number
    /// UPDATE_LEVERAGE, MARKET_PARTIAL_OPEN and MARKET_PARTIAL_CLOSE (TradePositionUpdated only).
    uint8 private constant MARKET_CLOSE = 1;
    uint8 private constant TP_CLOSE = 4;
    uint8 private constant SL_CLOSE = 5;
    uint8 private constant LIQ_CLOSE = 6;
    uint8 private constant UPDATE_LEVERAGE = 7;
    uint8 private constant MARKET_PARTIAL_OPEN = 8;
    uint8 private constant MARKET_PARTIAL_CLOSE = 9;
    /// SDK FUNDING_APR_MULTIPLIER_CAP: the earning side earns at most 100× the paying side's rate.
    uint256 private constant APR_MULTIPLIER_CAP = 100;

    address public immutable owner;

    mapping(address => uint32) private tradeCounts;
    mapping(address => mapping(uint32 => Trade)) private trades;
    mapping(address => mapping(uint32 => TradeInfo)) private tradeInfos;
    mapping(address => mapping(uint32 => GroupLiquidationParams)) private tradeLiquidationParams;
    mapping(address => mapping(uint32 => TradeFeesData)) private tradeFeesData;

    uint8 private collateralsCount;
    mapping(uint8 => Collateral) private collaterals;
    mapping(uint8 => uint256) private collateralPricesUsd;
    mapping(uint256 => Pair) private pairsByIndex;
    mapping(uint256 => bool) private pairListed;
    mapping(uint256 => FeeGroup) private feeGroups;
    mapping(uint256 => bool) private feeGroupListed;
    mapping(uint256 => GroupLiquidationParams) private groupLiquidationParams;
    mapping(uint16 => uint16) private counterTradeFeeRateMultipliers;

    mapping(uint8 => mapping(uint16 => BorrowingFeeParams)) private borrowingParams;
    mapping(uint8 => mapping(uint16 => PairBorrowingFeeData)) private borrowingData;
    mapping(uint8 => mapping(uint16 => FundingFeeParams)) private fundingParams;
    mapping(uint8 => mapping(uint16 => PairFundingFeeData)) private fundingData;
    mapping(uint8 => mapping(uint16 => PairOiCollateral)) private oiCollateral;
    mapping(uint8 => mapping(uint16 => PairOiToken)) private oiToken;

    constructor() {
        owner = msg.sender;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert Unauthorized(msg.sender);
        _;
    }

    // ── Owner: collaterals, pairs, fee groups, liquidation params ─────────────────────────────────

    /// Lists a collateral at the next 1-based index (the SDK reads collaterals[collateralIndex - 1]).
    function addCollateral(address token, uint256 priceUsd) external onlyOwner returns (uint8 index) {
        uint8 decimals = IERC20Decimals(token).decimals();
        index = ++collateralsCount;
        collaterals[index] = Collateral(token, true, 0, uint128(10 ** decimals), uint128(10 ** (18 - decimals)));
        collateralPricesUsd[index] = priceUsd;
        emit CollateralAdded(token, index, address(0));
    }

    /// The collateral's USD price (1e8), which the real diamond reads from a feed.
    function setCollateralPriceUsd(uint8 collateralIndex, uint256 priceUsd) external onlyOwner {
        _collateral(collateralIndex);
        collateralPricesUsd[collateralIndex] = priceUsd;
    }

    function setPair(uint16 index, string calldata from, string calldata to, uint256 spreadP, uint16 groupIndex, uint16 feeIndex) external onlyOwner {
        Pair storage pair = pairsByIndex[index];
        pair.from = from;
        pair.to = to;
        pair.spreadP = spreadP;
        pair.groupIndex = groupIndex;
        pair.feeIndex = feeIndex;
        if (pairListed[index]) {
            emit PairUpdated(index);
        } else {
            pairListed[index] = true;
            emit PairAdded(index, from, to);
        }
    }

    function setFeeGroup(uint16 index, FeeGroup calldata feeGroup) external onlyOwner {
        feeGroups[index] = feeGroup;
        if (feeGroupListed[index]) {
            emit FeeUpdated(index, feeGroup);
        } else {
            feeGroupListed[index] = true;
            emit FeeAdded(index, feeGroup);
        }
    }

    function setGroupLiquidationParams(uint16 groupIndex, GroupLiquidationParams calldata params) external onlyOwner {
        groupLiquidationParams[groupIndex] = params;
        emit GroupLiquidationParamsUpdated(groupIndex, params);
    }

    function setCounterTradeFeeRateMultiplier(uint16 pairIndex, uint16 multiplier) external onlyOwner {
        counterTradeFeeRateMultipliers[pairIndex] = multiplier;
        emit CounterTradeFeeRateMultiplierUpdated(pairIndex, multiplier);
    }

    // ── Owner: borrowing v2 and funding (accrued to now at the given pair price first) ────────────

    function setBorrowingRate(uint8 collateralIndex, uint16 pairIndex, uint24 borrowingRatePerSecondP, uint64 currentPairPrice) external onlyOwner {
        _storePendingAccFees(collateralIndex, pairIndex, currentPairPrice);
        borrowingParams[collateralIndex][pairIndex].borrowingRatePerSecondP = borrowingRatePerSecondP;
        emit BorrowingRatePerSecondPUpdated(collateralIndex, pairIndex, borrowingRatePerSecondP);
    }

    function setFundingParams(uint8 collateralIndex, uint16 pairIndex, FundingFeeParams calldata params, uint64 currentPairPrice) external onlyOwner {
        _storePendingAccFees(collateralIndex, pairIndex, currentPairPrice);
        fundingParams[collateralIndex][pairIndex] = params;
        emit SkewCoefficientPerYearUpdated(collateralIndex, pairIndex, params.skewCoefficientPerYear);
        emit AbsoluteVelocityPerYearCapUpdated(collateralIndex, pairIndex, params.absoluteVelocityPerYearCap);
        emit AbsoluteRatePerSecondCapUpdated(collateralIndex, pairIndex, params.absoluteRatePerSecondCap);
        emit ThetaThresholdUsdUpdated(collateralIndex, pairIndex, params.thetaThresholdUsd);
        emit FundingFeesEnabledUpdated(collateralIndex, pairIndex, params.fundingFeesEnabled);
        emit AprMultiplierEnabledUpdated(collateralIndex, pairIndex, params.aprMultiplierEnabled);
    }

    /// Sets the funding rate (1e18 % per second; positive: longs pay), which the real diamond moves itself.
    function setFundingRate(uint8 collateralIndex, uint16 pairIndex, int56 ratePerSecondP, uint64 currentPairPrice) external onlyOwner {
        _storePendingBorrowing(collateralIndex, pairIndex, currentPairPrice);
        _storePendingFunding(collateralIndex, pairIndex, currentPairPrice, ratePerSecondP);
    }

    // ── Owner: trade lifecycle ────────────────────────────────────────────────────────────────────

    function openTrade(OpenTradeInput calldata input) external onlyOwner returns (uint32 index) {
        Collateral memory collateral = _collateral(input.collateralIndex);
        if (!pairListed[input.pairIndex]) revert UnknownPair(input.pairIndex);
        _storePendingAccFees(input.collateralIndex, input.pairIndex, input.openPrice);

        index = tradeCounts[input.user]++;
        Trade storage t = trades[input.user][index];
        t.user = input.user;
        t.index = index;
        t.pairIndex = input.pairIndex;
        t.leverage = input.leverage;
        t.long = input.long;
        t.isOpen = true;
        t.collateralIndex = input.collateralIndex;
        t.collateralAmount = input.collateralAmount;
        t.openPrice = input.openPrice;
        t.isCounterTrade = input.isCounterTrade;
        t.positionSizeToken = _positionSizeToken(_positionSizeCollateral(t), collateral.precisionDelta, input.openPrice);

        TradeInfo storage info = tradeInfos[input.user][index];
        info.createdBlock = uint32(block.number);
        info.lastOiUpdateTs = uint48(block.timestamp);
        info.collateralPriceUsd = uint48(_collateralPriceUsd(input.collateralIndex));
        info.contractsVersion = V10;
        info.lastPosIncreaseBlock = uint32(block.number);
        // A trade keeps its group's liquidation params from the time it opened (getTradeLiquidationParams).
        GroupLiquidationParams memory liq = groupLiquidationParams[pairsByIndex[input.pairIndex].groupIndex];
        tradeLiquidationParams[input.user][index] = liq;
        emit TradeStored(input.user, index, t, info, liq);

        _moveOi(t, true, _positionSizeCollateral(t), t.positionSizeToken);
        _storeInitialAccFees(t, input.openPrice);
        _emitMarketExecuted(t, true, input.openPrice, tradeLiquidationPrice(input.user, index, input.openPrice));
    }

    function increasePositionSize(address user, uint32 index, uint120 newCollateralAmount, uint24 newLeverage, uint64 newOpenPrice, uint64 oraclePrice) external onlyOwner {
        Resized memory r = _resize(user, index, newCollateralAmount, newLeverage, newOpenPrice, oraclePrice, MARKET_PARTIAL_OPEN);
        tradeInfos[user][index].lastPosIncreaseBlock = uint32(block.number);
        IncreasePositionSizeValues memory v;
        v.existingPositionSizeCollateral = _positionSizeCollateral(r.before);
        v.newPositionSizeCollateral = _positionSizeCollateral(r.updated);
        v.positionSizeCollateralDelta = v.newPositionSizeCollateral - v.existingPositionSizeCollateral;
        v.newCollateralAmount = newCollateralAmount;
        v.newLeverage = newLeverage;
        v.priceImpact = _noPriceImpact(r.updated.positionSizeToken - r.before.positionSizeToken, oraclePrice);
        v.newOpenPrice = newOpenPrice;
        v.existingLiqPrice = r.existingLiqPrice;
        v.newLiqPrice = tradeLiquidationPrice(user, index, oraclePrice);
        _emitIncrease(r, v);
    }

    function decreasePositionSize(address user, uint32 index, uint120 newCollateralAmount, uint24 newLeverage, uint64 oraclePrice) external onlyOwner {
        Resized memory r = _resize(user, index, newCollateralAmount, newLeverage, 0, oraclePrice, MARKET_PARTIAL_CLOSE);
        DecreasePositionSizeValues memory v;
        v.existingPositionSizeCollateral = _positionSizeCollateral(r.before);
        v.positionSizeCollateralDelta = v.existingPositionSizeCollateral - _positionSizeCollateral(r.updated);
        _downscaleTradeFeesData(user, index, v.positionSizeCollateralDelta, v.existingPositionSizeCollateral, newCollateralAmount);
        v.existingLiqPrice = r.existingLiqPrice;
        v.newLiqPrice = tradeLiquidationPrice(user, index, oraclePrice);
        v.priceImpact = _noPriceImpact(r.before.positionSizeToken - r.updated.positionSizeToken, oraclePrice);
        v.newCollateralAmount = newCollateralAmount;
        v.newLeverage = newLeverage;
        _emitDecrease(r, v);
    }

    function updateLeverage(address user, uint32 index, uint120 newCollateralAmount, uint24 newLeverage, uint64 oraclePrice) external onlyOwner {
        Resized memory r = _resize(user, index, newCollateralAmount, newLeverage, 0, oraclePrice, UPDATE_LEVERAGE);
        UpdateLeverageValues memory v;
        v.newLeverage = newLeverage;
        v.newCollateralAmount = newCollateralAmount;
        v.existingLiqPrice = r.existingLiqPrice;
        v.newLiqPrice = tradeLiquidationPrice(user, index, oraclePrice);
        emit LeverageUpdateExecuted(
            Id(user, index),
            newLeverage > r.before.leverage,
            0,
            r.before.collateralIndex,
            user,
            r.before.pairIndex,
            index,
            oraclePrice,
            _absDiff(newCollateralAmount, r.before.collateralAmount),
            v
        );
    }

    /// A storage-level collateral change (TradingStorage updateTradeCollateralAmount): no fees realized, no OI moved.
    function updateTradeCollateral(address user, uint32 index, uint120 collateralAmount) external onlyOwner {
        _openTrade(user, index).collateralAmount = collateralAmount;
        emit TradeCollateralUpdated(user, index, collateralAmount);
    }

    function realizeTradingFees(address user, uint32 index, uint128 feesCollateral) external onlyOwner {
        Trade storage t = _openTrade(user, index);
        TradeFeesData storage d = tradeFeesData[user][index];
        d.realizedTradingFeesCollateral += feesCollateral;
        emit TradingFeesRealized(t.collateralIndex, user, index, feesCollateral, feesCollateral, d.realizedTradingFeesCollateral, d.realizedPnlCollateral, 0);
    }

    function realizePnl(address user, uint32 index, int128 pnlCollateral) external onlyOwner {
        _openTrade(user, index);
        TradeFeesData storage d = tradeFeesData[user][index];
        d.realizedPnlCollateral += pnlCollateral;
        emit PnlRealizedOnOpenTrade(user, index, pnlCollateral, d.realizedPnlCollateral);
    }

    /// Closes at `price` by a market close (MarketExecuted) or a TP/SL trigger (LimitExecuted).
    function closeTrade(address user, uint32 index, uint64 price, uint8 orderType) external onlyOwner {
        if (orderType != MARKET_CLOSE && orderType != TP_CLOSE && orderType != SL_CLOSE) revert NotACloseOrder(orderType);
        uint256 liqPrice = tradeLiquidationPrice(user, index, price);
        Trade memory t = _close(user, index, price);
        if (orderType == MARKET_CLOSE) _emitMarketExecuted(t, false, price, liqPrice);
        else _emitLimitExecuted(t, orderType, price, liqPrice);
    }

    /// Liquidates at `price` if isLiquidatable: LimitExecuted with LIQ_CLOSE.
    function liquidate(address user, uint32 index, uint64 price) external onlyOwner {
        uint256 liqPrice = tradeLiquidationPrice(user, index, price);
        if (!_liquidationHit(trades[user][index].long, price, liqPrice)) revert NotLiquidatable(user, index, price, liqPrice);
        Trade memory t = _close(user, index, price);
        _emitLimitExecuted(t, LIQ_CLOSE, price, liqPrice);
    }

    // ── The liquidation check ─────────────────────────────────────────────────────────────────────

    /// True when the trade is liquidated at `price`, its holding fees accrued to this block at that price.
    function isLiquidatable(address user, uint32 index, uint64 price) external view returns (bool) {
        return _liquidationHit(_openTrade(user, index).long, price, tradeLiquidationPrice(user, index, price));
    }

    /**
     * The liquidation price (1e10) with holding fees accrued to this block at `currentPairPrice`, as
     * math.ts liquidationPrice: distance = open × (C × threshold − (closing fee + holding fees − realized
     * PnL)) / C / L, less open × min(pairSpreadP / 2, maxLiqSpreadP) for v9.2+ trades with params; long:
     * open − distance, short: open + distance, floored at 0. Integer steps as v9.2
     * BorrowingFeesUtils._getTradeLiquidationPrice: the loss at the threshold at 1e18 × 1e3 per collateral
     * unit rounded down, each division toward zero. (SDK getLiquidationPrice.)
     */
    function tradeLiquidationPrice(address user, uint32 index, uint64 currentPairPrice) public view returns (uint256) {
        Trade memory t = _openTrade(user, index);
        if (t.collateralAmount == 0 || t.leverage == 0 || t.openPrice == 0) revert EmptyTrade(user, index);
        TradeFeesData memory d = tradeFeesData[user][index];
        // closing fee + holding fees − (realized PnL − realized trading fees): SDK getLiquidationPrice step 3.
        int256 feesCollateral = int256(_closingFeeCollateral(t)) + _holdingFees(t, currentPairPrice).totalFeeCollateral - (int256(d.realizedPnlCollateral) - int256(uint256(d.realizedTradingFeesCollateral)));
        return _liquidationPriceFrom(t, feesCollateral, tradeLiquidationParams[user][index], tradeInfos[user][index].contractsVersion);
    }

    function _liquidationPriceFrom(Trade memory t, int256 feesCollateral, GroupLiquidationParams memory params, uint8 contractsVersion) private view returns (uint256) {
        uint256 pd = collaterals[t.collateralIndex].precisionDelta;
        int256 openPrice = int256(uint256(t.openPrice));
        int256 lossAtThreshold = int256((uint256(t.collateralAmount) * _liqPnlThresholdP(params, t.leverage) * pd * LEVERAGE_PRECISION) / PERCENT_P_10);
        int256 distance = (openPrice * (lossAtThreshold - feesCollateral * int256(pd * LEVERAGE_PRECISION))) / int256(uint256(t.collateralAmount) * t.leverage * pd);
        if (contractsVersion >= V9_2 && params.maxLiqSpreadP > 0) {
            // The closing spread: half the pair spread, capped at maxLiqSpreadP (SDK getSpreadP, isLiquidation).
            uint256 halfSpreadP = pairsByIndex[t.pairIndex].spreadP / 2;
            uint256 spreadP = halfSpreadP > params.maxLiqSpreadP ? params.maxLiqSpreadP : halfSpreadP;
            distance -= int256((uint256(t.openPrice) * spreadP) / PERCENT_P_10);
        }
        int256 price = t.long ? openPrice - distance : openPrice + distance;
        return price > 0 ? uint256(price) : 0;
    }

    /// Long at or below its liquidation price, short at or above it (v9.2 trigger rule).
    function _liquidationHit(bool long, uint64 price, uint256 liqPrice) private pure returns (bool) {
        return long ? price <= liqPrice : price >= liqPrice;
    }

    /**
     * The loss (1e10 %) that liquidates: legacy 90% without params (maxLiqSpreadP = 0); the start / end
     * threshold outside [startLeverage, endLeverage], linear between, the subtracted part rounded down.
     * SDK getLiqPnlThresholdP; v9.2 TradingCommonUtils.getLiqPnlThresholdP (with `<=` / `>=`).
     */
    function _liqPnlThresholdP(GroupLiquidationParams memory p, uint256 leverage) private pure returns (uint256) {
        if (p.maxLiqSpreadP == 0) return LEGACY_LIQ_THRESHOLD_P;
        if (leverage <= p.startLeverage) return p.startLiqThresholdP;
        if (leverage >= p.endLeverage) return p.endLiqThresholdP;
        if (p.startLiqThresholdP < p.endLiqThresholdP) revert RisingLiqThreshold(p.startLiqThresholdP, p.endLiqThresholdP);
        return p.startLiqThresholdP - ((leverage - p.startLeverage) * (p.startLiqThresholdP - p.endLiqThresholdP)) / (p.endLeverage - p.startLeverage);
    }

    /**
     * totalPositionSizeFeeP of max(position size × counter-trade multiplier, the pair's min position size
     * in collateral), no fee tiers. Min size: $ (1e3) → 1e18 → ÷ collateral price (1e8) ÷ precisionDelta,
     * down. SDK getTotalTradeFeesCollateral; getCollateralFromUsdNormalizedValue.
     */
    function _closingFeeCollateral(Trade memory t) private view returns (uint256) {
        uint256 size = _positionSizeCollateral(t);
        if (t.isCounterTrade) size = (size * counterTradeFeeRateMultipliers[t.pairIndex]) / LEVERAGE_PRECISION;
        FeeGroup memory fee = feeGroups[pairsByIndex[t.pairIndex].feeIndex];
        uint256 minSize = (uint256(fee.minPositionSizeUsd) * 1e15 * 1e8) / (_collateralPriceUsd(t.collateralIndex) * collaterals[t.collateralIndex].precisionDelta);
        return ((size > minSize ? size : minSize) * fee.totalPositionSizeFeeP) / PERCENT_P_10;
    }

    // ── Holding fees (every fixture trade is a v10 trade; no v1 borrowing) ────────────────────────

    /**
     * Borrowing v2: size × (acc − initial) / (openPrice × 1e12), SDK getTradeBorrowingFeesCollateral;
     * funding (0 while disabled): size × (acc of its side − initial) / (openPrice × 1e12), toward zero,
     * SDK getTradeFundingFeesCollateral; accumulators pending to this block at `currentPairPrice`.
     */
    function _holdingFees(Trade memory t, uint64 currentPairPrice) private view returns (TradeHoldingFees memory h) {
        uint256 size = _positionSizeCollateral(t);
        TradeFeesData memory d = tradeFeesData[t.user][t.index];
        uint256 denominator = uint256(t.openPrice) * PERCENT_P_10;
        h.borrowingFeeCollateral = (size * (_pendingAccBorrowingFeeP(t.collateralIndex, t.pairIndex, currentPairPrice) - d.initialAccBorrowingFeeP)) / denominator;
        if (fundingParams[t.collateralIndex][t.pairIndex].fundingFeesEnabled) {
            (int256 accLong, int256 accShort) = _pendingAccFundingFeeP(t.collateralIndex, t.pairIndex, currentPairPrice);
            h.fundingFeeCollateral = (int256(size) * ((t.long ? accLong : accShort) - d.initialAccFundingFeeP)) / int256(denominator);
        }
        h.totalFeeCollateral = h.fundingFeeCollateral + int256(h.borrowingFeeCollateral);
    }

    /// acc + rate (1e10) × elapsed × price (1e10), exact: SDK getPairPendingAccBorrowingFees.
    function _pendingAccBorrowingFeeP(uint8 c, uint16 p, uint64 currentPairPrice) private view returns (uint256) {
        PairBorrowingFeeData memory d = borrowingData[c][p];
        uint256 elapsed = block.timestamp > d.lastBorrowingUpdateTs ? block.timestamp - d.lastBorrowingUpdateTs : 0;
        return d.accBorrowingFeeP + uint256(borrowingParams[c][p].borrowingRatePerSecondP) * elapsed * currentPairPrice;
    }

    /**
     * Funding accumulators at a constant rate r (1e18): each grows by r × elapsed × price × 1e20 / (1e18 ×
     * 1e10), longs by +, shorts by −, the earning side scaled by the APR multiplier (paying side's OI over
     * its own, at most 100×) when enabled; one division toward zero per side. SDK getPairPendingAccFundingFees,
     * getLongShortAprMultiplier. No accrual while disabled or with a zero rate cap.
     */
    function _pendingAccFundingFeeP(uint8 c, uint16 p, uint64 currentPairPrice) private view returns (int256 accLong, int256 accShort) {
        PairFundingFeeData memory d = fundingData[c][p];
        FundingFeeParams memory f = fundingParams[c][p];
        accLong = d.accFundingFeeLongP;
        accShort = d.accFundingFeeShortP;
        uint256 elapsed = block.timestamp > d.lastFundingUpdateTs ? block.timestamp - d.lastFundingUpdateTs : 0;
        if (!f.fundingFeesEnabled || f.absoluteRatePerSecondCap == 0 || elapsed == 0) return (accLong, accShort);
        PairOiToken memory oi = oiToken[c][p];
        if (_fundingVelocityNonZero(f, oi, currentPairPrice)) revert FundingVelocityNotModelled(c, p);

        int256 r = d.lastFundingRatePerSecondP;
        int256 delta = r * int256(elapsed) * int256(uint256(currentPairPrice));
        (uint256 longN, uint256 longD) = (1, 1);
        (uint256 shortN, uint256 shortD) = (1, 1);
        if (f.aprMultiplierEnabled && r < 0 && oi.oiLongToken > 0) (longN, longD) = _cappedRatio(oi.oiShortToken, oi.oiLongToken);
        if (f.aprMultiplierEnabled && r > 0 && oi.oiShortToken > 0) (shortN, shortD) = _cappedRatio(oi.oiLongToken, oi.oiShortToken);
        accLong += (delta * int256(longN)) / int256(1e8 * longD);
        accShort -= (delta * int256(shortN)) / int256(1e8 * shortD);
    }

    /// SDK getCurrentFundingVelocityPerYear is non-zero: net OI, a skew coefficient and a velocity cap, |net| × price ≥ theta.
    function _fundingVelocityNonZero(FundingFeeParams memory f, PairOiToken memory oi, uint64 price) private pure returns (bool) {
        uint256 net = oi.oiLongToken > oi.oiShortToken ? oi.oiLongToken - oi.oiShortToken : oi.oiShortToken - oi.oiLongToken;
        if (net == 0 || f.skewCoefficientPerYear == 0 || f.absoluteVelocityPerYearCap == 0) return false;
        return net * price >= uint256(f.thetaThresholdUsd) * 1e28;
    }

    function _cappedRatio(uint256 n, uint256 d) private pure returns (uint256, uint256) {
        return n > APR_MULTIPLIER_CAP * d ? (APR_MULTIPLIER_CAP, 1) : (n, d);
    }

    // ── State changes shared by the lifecycle ─────────────────────────────────────────────────────

    function _storePendingAccFees(uint8 c, uint16 p, uint64 currentPairPrice) private {
        _storePendingBorrowing(c, p, currentPairPrice);
        _storePendingFunding(c, p, currentPairPrice, fundingData[c][p].lastFundingRatePerSecondP);
    }

    function _storePendingBorrowing(uint8 c, uint16 p, uint64 currentPairPrice) private {
        PairBorrowingFeeData memory d = PairBorrowingFeeData(_u128(_pendingAccBorrowingFeeP(c, p, currentPairPrice)), uint32(block.timestamp), 0);
        borrowingData[c][p] = d;
        emit PendingAccBorrowingFeesStored(c, p, d);
    }

    function _storePendingFunding(uint8 c, uint16 p, uint64 currentPairPrice, int56 ratePerSecondP) private {
        (int256 accLong, int256 accShort) = _pendingAccFundingFeeP(c, p, currentPairPrice);
        PairFundingFeeData memory d = PairFundingFeeData(_i128(accLong), _i128(accShort), ratePerSecondP, uint32(block.timestamp), 0);
        fundingData[c][p] = d;
        emit PendingAccFundingFeesStored(c, p, d);
    }

    /// The trade's initial accumulators set to the pair's current ones (stored just before).
    function _storeInitialAccFees(Trade memory t, uint64 currentPairPrice) private {
        TradeFeesData storage d = tradeFeesData[t.user][t.index];
        d.initialAccBorrowingFeeP = borrowingData[t.collateralIndex][t.pairIndex].accBorrowingFeeP;
        d.initialAccFundingFeeP = t.long ? fundingData[t.collateralIndex][t.pairIndex].accFundingFeeLongP : fundingData[t.collateralIndex][t.pairIndex].accFundingFeeShortP;
        emit TradeInitialAccFeesStored(t.user, t.index, t.collateralIndex, t.pairIndex, t.long, currentPairPrice, d.initialAccFundingFeeP, d.initialAccBorrowingFeeP);
    }

    /// Holding fees so far moved into realized PnL, so the trade can restart from the current accumulators.
    function _realizeHoldingFees(Trade memory t, uint64 currentPairPrice) private {
        TradeHoldingFees memory h = _holdingFees(t, currentPairPrice);
        TradeFeesData storage d = tradeFeesData[t.user][t.index];
        d.realizedPnlCollateral = _i128(int256(d.realizedPnlCollateral) - h.totalFeeCollateral);
        emit HoldingFeesRealizedOnTrade(t.collateralIndex, t.user, t.index, currentPairPrice, h, d.realizedPnlCollateral);
    }

    /// A partial close keeps the realized part of the remaining size only (the SDK's partialCloseMultiplier), toward zero.
    function _downscaleTradeFeesData(address user, uint32 index, uint256 sizeDelta, uint256 existingSize, uint120 newCollateralAmount) private {
        TradeFeesData storage d = tradeFeesData[user][index];
        uint256 remaining = existingSize - sizeDelta;
        d.realizedPnlCollateral = _i128((int256(d.realizedPnlCollateral) * int256(remaining)) / int256(existingSize));
        d.realizedTradingFeesCollateral = _u128((uint256(d.realizedTradingFeesCollateral) * remaining) / existingSize);
        emit TradeFeesDataDownscaled(user, index, sizeDelta, existingSize, newCollateralAmount, d);
    }

    /// A position update: fees accrued and realized, the new size stored, OI moved, accumulators restarted.
    function _resize(address user, uint32 index, uint120 newCollateralAmount, uint24 newLeverage, uint64 newOpenPrice, uint64 oraclePrice, uint8 orderType)
        private
        returns (Resized memory r)
    {
        Trade storage t = _openTrade(user, index);
        r.before = t;
        r.oraclePrice = oraclePrice;
        r.existingLiqPrice = tradeLiquidationPrice(user, index, oraclePrice);
        _storePendingAccFees(t.collateralIndex, t.pairIndex, oraclePrice);
        _realizeHoldingFees(r.before, oraclePrice);

        t.collateralAmount = newCollateralAmount;
        t.leverage = newLeverage;
        if (newOpenPrice != 0) t.openPrice = newOpenPrice;
        uint256 newSize = _positionSizeCollateral(t);
        t.positionSizeToken = _positionSizeToken(newSize, collaterals[t.collateralIndex].precisionDelta, t.openPrice);
        r.updated = t;
        uint256 oldSize = _positionSizeCollateral(r.before);
        if (newSize != oldSize) {
            bool grows = newSize > oldSize;
            _moveOi(r.updated, grows, _absDiff(newSize, oldSize), _absDiff(r.updated.positionSizeToken, r.before.positionSizeToken));
        }
        emit TradePositionUpdated(user, index, newCollateralAmount, newLeverage, t.openPrice, t.sl, t.positionSizeToken, orderType, false);
        _storeInitialAccFees(r.updated, oraclePrice);
    }

    function _close(address user, uint32 index, uint64 price) private returns (Trade memory t) {
        Trade storage stored = _openTrade(user, index);
        t = stored;
        _storePendingAccFees(t.collateralIndex, t.pairIndex, price);
        _moveOi(t, false, _positionSizeCollateral(t), t.positionSizeToken);
        stored.isOpen = false;
        emit TradeClosed(user, index, t.long ? price > t.openPrice : price < t.openPrice);
    }

    function _moveOi(Trade memory t, bool open, uint256 deltaCollateral, uint256 deltaToken) private {
        PairOiCollateral storage c = oiCollateral[t.collateralIndex][t.pairIndex];
        PairOiToken storage k = oiToken[t.collateralIndex][t.pairIndex];
        if (t.long) {
            c.oiLongCollateral = _u128(open ? c.oiLongCollateral + deltaCollateral : c.oiLongCollateral - deltaCollateral);
            k.oiLongToken = _u128(open ? k.oiLongToken + deltaToken : k.oiLongToken - deltaToken);
        } else {
            c.oiShortCollateral = _u128(open ? c.oiShortCollateral + deltaCollateral : c.oiShortCollateral - deltaCollateral);
            k.oiShortToken = _u128(open ? k.oiShortToken + deltaToken : k.oiShortToken - deltaToken);
        }
        emit PairOiAfterV10Updated(t.collateralIndex, t.pairIndex, deltaCollateral, deltaToken, open, t.long, c, k);
    }

    // The executed events carry more values than the legacy code generator holds on the stack, so they
    // are logged from their encoding in parts: every value is static, so the parts concatenate to the
    // event's ABI encoding (checked by decoding each log with the real ABI in gtrade-fixture.test.ts).

    function _emitMarketExecuted(Trade memory t, bool open, uint64 price, uint256 liqPrice) private {
        bytes memory data = bytes.concat(
            abi.encode(Id(t.user, t.index), t, open, uint256(price), uint256(price), liqPrice),
            abi.encode(_noPriceImpact(t.positionSizeToken, price), int256(0), uint256(0), _collateralPriceUsd(t.collateralIndex))
        );
        _log(MarketExecuted.selector, _topic(t.user), bytes32(uint256(t.index)), 0, 2, data);
    }

    function _emitLimitExecuted(Trade memory t, uint8 orderType, uint64 price, uint256 liqPrice) private {
        bytes memory data = bytes.concat(
            abi.encode(Id(t.user, t.index), t, msg.sender, orderType, uint256(price), uint256(price), liqPrice),
            abi.encode(_noPriceImpact(t.positionSizeToken, price), int256(0), uint256(0), _collateralPriceUsd(t.collateralIndex), true)
        );
        // limitIndex: a close order's is the trade's own index.
        _log(LimitExecuted.selector, _topic(t.user), bytes32(uint256(t.index)), bytes32(uint256(t.index)), 3, data);
    }

    function _emitIncrease(Resized memory r, IncreasePositionSizeValues memory v) private {
        _log(PositionSizeIncreaseExecuted.selector, bytes32(uint256(r.before.collateralIndex)), _topic(r.before.user), bytes32(uint256(r.before.index)), 3, bytes.concat(_resizeHead(r), abi.encode(v)));
    }

    function _emitDecrease(Resized memory r, DecreasePositionSizeValues memory v) private {
        _log(PositionSizeDecreaseExecuted.selector, bytes32(uint256(r.before.collateralIndex)), _topic(r.before.user), bytes32(uint256(r.before.index)), 3, bytes.concat(_resizeHead(r), abi.encode(v)));
    }

    /// PositionSizeIncrease/DecreaseExecuted's values before `values`: orderId, cancelReason (NONE), pairIndex, long, prices, deltas.
    function _resizeHead(Resized memory r) private view returns (bytes memory) {
        Trade memory b = r.before;
        return bytes.concat(
            abi.encode(Id(b.user, b.index), uint8(0), uint256(b.pairIndex), b.long, uint256(r.oraclePrice)),
            abi.encode(_collateralPriceUsd(b.collateralIndex), _absDiff(r.updated.collateralAmount, b.collateralAmount), _absDiff(r.updated.leverage, b.leverage))
        );
    }

    function _topic(address a) private pure returns (bytes32) {
        return bytes32(uint256(uint160(a)));
    }

    function _log(bytes32 selector, bytes32 topic1, bytes32 topic2, bytes32 topic3, uint256 indexedCount, bytes memory data) private {
        assembly {
            let start := add(data, 32)
            let size := mload(data)
            switch indexedCount
            case 2 {
                log3(start, size, selector, topic1, topic2)
            }
            default {
                log4(start, size, selector, topic1, topic2, topic3)
            }
        }
    }

    // ── Views (the v10 signatures) ────────────────────────────────────────────────────────────────

    function getTrade(address trader, uint32 index) external view returns (Trade memory) {
        return trades[trader][index];
    }

    /// The trader's open trades, by index.
    function getTrades(address trader) external view returns (Trade[] memory open) {
        uint32 count = tradeCounts[trader];
        uint256 n;
        for (uint32 i; i < count; ++i) if (trades[trader][i].isOpen) ++n;
        open = new Trade[](n);
        n = 0;
        for (uint32 i; i < count; ++i) if (trades[trader][i].isOpen) open[n++] = trades[trader][i];
    }

    function getTradeInfo(address trader, uint32 index) external view returns (TradeInfo memory) {
        return tradeInfos[trader][index];
    }

    function getTradeLiquidationParams(address trader, uint32 index) external view returns (GroupLiquidationParams memory) {
        return tradeLiquidationParams[trader][index];
    }

    function getTradeFeesData(address trader, uint32 index) external view returns (TradeFeesData memory) {
        return tradeFeesData[trader][index];
    }

    function getTradePendingHoldingFeesCollateral(address trader, uint32 index, uint64 currentPairPrice) external view returns (TradeHoldingFees memory) {
        return _holdingFees(_openTrade(trader, index), currentPairPrice);
    }

    function getCollateral(uint8 index) external view returns (Collateral memory) {
        return collaterals[index];
    }

    function getCollateralPriceUsd(uint8 collateralIndex) external view returns (uint256) {
        return _collateralPriceUsd(collateralIndex);
    }

    function pairs(uint256 index) external view returns (Pair memory) {
        return pairsByIndex[index];
    }

    /// The pair's spread for every trader (no per-trader fixed spread in the fixture).
    function pairSpreadP(address, uint256 pairIndex) external view returns (uint256) {
        return pairsByIndex[pairIndex].spreadP;
    }

    function fees(uint256 index) external view returns (FeeGroup memory) {
        return feeGroups[index];
    }

    function getGroupLiquidationParams(uint256 groupIndex) external view returns (GroupLiquidationParams memory) {
        return groupLiquidationParams[groupIndex];
    }

    function getPairCounterTradeFeeRateMultiplier(uint16 pairIndex) external view returns (uint16) {
        return counterTradeFeeRateMultipliers[pairIndex];
    }

    function getPairBorrowingFeeParams(uint8[] calldata collateralIndex, uint16[] calldata pairIndex) external view returns (BorrowingFeeParams[] memory out) {
        if (collateralIndex.length != pairIndex.length) revert LengthMismatch();
        out = new BorrowingFeeParams[](pairIndex.length);
        for (uint256 i; i < out.length; ++i) out[i] = borrowingParams[collateralIndex[i]][pairIndex[i]];
    }

    function getPairBorrowingFeeData(uint8[] calldata collateralIndex, uint16[] calldata pairIndex) external view returns (PairBorrowingFeeData[] memory out) {
        if (collateralIndex.length != pairIndex.length) revert LengthMismatch();
        out = new PairBorrowingFeeData[](pairIndex.length);
        for (uint256 i; i < out.length; ++i) out[i] = borrowingData[collateralIndex[i]][pairIndex[i]];
    }

    function getPairFundingFeeParams(uint8[] calldata collateralIndex, uint16[] calldata pairIndex) external view returns (FundingFeeParams[] memory out) {
        if (collateralIndex.length != pairIndex.length) revert LengthMismatch();
        out = new FundingFeeParams[](pairIndex.length);
        for (uint256 i; i < out.length; ++i) out[i] = fundingParams[collateralIndex[i]][pairIndex[i]];
    }

    function getPairFundingFeeData(uint8[] calldata collateralIndex, uint16[] calldata pairIndex) external view returns (PairFundingFeeData[] memory out) {
        if (collateralIndex.length != pairIndex.length) revert LengthMismatch();
        out = new PairFundingFeeData[](pairIndex.length);
        for (uint256 i; i < out.length; ++i) out[i] = fundingData[collateralIndex[i]][pairIndex[i]];
    }

    function getPairPendingAccBorrowingFees(uint8 collateralIndex, uint16 pairIndex, uint64 currentPairPrice) external view returns (uint128) {
        return _u128(_pendingAccBorrowingFeeP(collateralIndex, pairIndex, currentPairPrice));
    }

    /// The fixture's rate is constant: the current rate is the last one.
    function getPairPendingAccFundingFees(uint8 collateralIndex, uint16 pairIndex, uint64 currentPairPrice) external view returns (int128, int128, int56) {
        (int256 accLong, int256 accShort) = _pendingAccFundingFeeP(collateralIndex, pairIndex, currentPairPrice);
        return (_i128(accLong), _i128(accShort), fundingData[collateralIndex][pairIndex].lastFundingRatePerSecondP);
    }

    function getPairOiAfterV10Token(uint8 collateralIndex, uint16 pairIndex) external view returns (PairOiToken memory) {
        return oiToken[collateralIndex][pairIndex];
    }

    // ── Helpers ───────────────────────────────────────────────────────────────────────────────────

    function _openTrade(address user, uint32 index) private view returns (Trade storage t) {
        t = trades[user][index];
        if (!t.isOpen) revert NotOpen(user, index);
    }

    function _collateral(uint8 index) private view returns (Collateral memory c) {
        c = collaterals[index];
        if (c.collateral == address(0)) revert UnknownCollateral(index);
    }

    function _collateralPriceUsd(uint8 index) private view returns (uint256) {
        return collateralPricesUsd[index];
    }

    /// TradingCommonUtils.getPositionSizeCollateral: collateral × leverage / 1e3, down.
    function _positionSizeCollateral(Trade memory t) private pure returns (uint256) {
        return (uint256(t.collateralAmount) * t.leverage) / LEVERAGE_PRECISION;
    }

    /// Position size in tokens (1e18): size in collateral at 1e18 over the price (SDK priceImpact/open: positionSizeCollateral / price).
    function _positionSizeToken(uint256 sizeCollateral, uint256 precisionDelta, uint64 price) private pure returns (uint160) {
        uint256 tokens = (sizeCollateral * precisionDelta * P_10) / price;
        if (tokens > type(uint160).max) revert DoesNotFit(int256(tokens));
        return uint160(tokens);
    }

    function _noPriceImpact(uint256 positionSizeToken, uint64 price) private pure returns (TradePriceImpact memory) {
        return TradePriceImpact(positionSizeToken, 0, 0, 0, 0, price);
    }

    function _absDiff(uint256 a, uint256 b) private pure returns (uint256) {
        return a > b ? a - b : b - a;
    }

    function _u128(uint256 x) private pure returns (uint128) {
        if (x > type(uint128).max) revert DoesNotFit(int256(x));
        return uint128(x);
    }

    function _i128(int256 x) private pure returns (int128) {
        if (x > type(int128).max || x < type(int128).min) revert DoesNotFit(x);
        return int128(x);
    }
}
