// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "prb-math/contracts/PRBMathUD60x18.sol";

/// The ReferralStorage getters GMX v2's ReferralUtils reads (gmx-contracts IReferralStorage).
interface IReferralStorage {
    function traderReferralCodes(address account) external view returns (bytes32);
    function codeOwners(bytes32 code) external view returns (address);
    function referrerTiers(address referrer) external view returns (uint256);
    function referrerDiscountShares(address referrer) external view returns (uint256);
    function tiers(uint256 tierId) external view returns (uint256 totalRebate, uint256 discountShare);
}

// ---------------------------------------------------------------- EventLogData (GMX EventUtils ABI layout)

struct AddressKeyValue { string key; address value; }
struct AddressArrayKeyValue { string key; address[] value; }
struct AddressItems { AddressKeyValue[] items; AddressArrayKeyValue[] arrayItems; }

struct UintKeyValue { string key; uint256 value; }
struct UintArrayKeyValue { string key; uint256[] value; }
struct UintItems { UintKeyValue[] items; UintArrayKeyValue[] arrayItems; }

struct IntKeyValue { string key; int256 value; }
struct IntArrayKeyValue { string key; int256[] value; }
struct IntItems { IntKeyValue[] items; IntArrayKeyValue[] arrayItems; }

struct BoolKeyValue { string key; bool value; }
struct BoolArrayKeyValue { string key; bool[] value; }
struct BoolItems { BoolKeyValue[] items; BoolArrayKeyValue[] arrayItems; }

struct Bytes32KeyValue { string key; bytes32 value; }
struct Bytes32ArrayKeyValue { string key; bytes32[] value; }
struct Bytes32Items { Bytes32KeyValue[] items; Bytes32ArrayKeyValue[] arrayItems; }

struct BytesKeyValue { string key; bytes value; }
struct BytesArrayKeyValue { string key; bytes[] value; }
struct BytesItems { BytesKeyValue[] items; BytesArrayKeyValue[] arrayItems; }

struct StringKeyValue { string key; string value; }
struct StringArrayKeyValue { string key; string[] value; }
struct StringItems { StringKeyValue[] items; StringArrayKeyValue[] arrayItems; }

struct EventLogData {
    AddressItems addressItems;
    UintItems uintItems;
    IntItems intItems;
    BoolItems boolItems;
    Bytes32Items bytes32Items;
    BytesItems bytesItems;
    StringItems stringItems;
}

/// Payload builders: size a group with initX(n), then fill slot i with setX(i, key, value).
/// Groups left uninitialised encode as empty arrays.
library EventData {
    function initAddress(EventLogData memory d, uint256 n) internal pure { d.addressItems.items = new AddressKeyValue[](n); }
    function initUint(EventLogData memory d, uint256 n) internal pure { d.uintItems.items = new UintKeyValue[](n); }
    function initInt(EventLogData memory d, uint256 n) internal pure { d.intItems.items = new IntKeyValue[](n); }
    function initBool(EventLogData memory d, uint256 n) internal pure { d.boolItems.items = new BoolKeyValue[](n); }
    function initBytes32(EventLogData memory d, uint256 n) internal pure { d.bytes32Items.items = new Bytes32KeyValue[](n); }
    function initString(EventLogData memory d, uint256 n) internal pure { d.stringItems.items = new StringKeyValue[](n); }

    function setAddress(EventLogData memory d, uint256 i, string memory key, address value) internal pure {
        d.addressItems.items[i] = AddressKeyValue(key, value);
    }
    function setUint(EventLogData memory d, uint256 i, string memory key, uint256 value) internal pure {
        d.uintItems.items[i] = UintKeyValue(key, value);
    }
    function setInt(EventLogData memory d, uint256 i, string memory key, int256 value) internal pure {
        d.intItems.items[i] = IntKeyValue(key, value);
    }
    function setBool(EventLogData memory d, uint256 i, string memory key, bool value) internal pure {
        d.boolItems.items[i] = BoolKeyValue(key, value);
    }
    function setString(EventLogData memory d, uint256 i, string memory key, string memory value) internal pure {
        d.stringItems.items[i] = StringKeyValue(key, value);
    }
    function setBytes32(EventLogData memory d, uint256 i, string memory key, bytes32 value) internal pure {
        d.bytes32Items.items[i] = Bytes32KeyValue(key, value);
    }
}

/// Test fixture standing in for a GMX v2 (gmx-synthetics) deployment: EventEmitter, DataStore and
/// Reader in one contract. A keeper (the owner) executes orders directly: no tokens move, no
/// order book, no swaps, no virtual inventory, no referral discounts, no claimable funding.
/// What it keeps exact is what an indexer and a liquidation monitor see: DataStore keys and units,
/// position post-state in PositionIncrease/PositionDecrease, and PositionUtils.isPositionLiquidatable.
contract FixtureGmxV2 {
    using EventData for EventLogData;

    struct MarketProps {
        address marketToken;
        address indexToken;
        address longToken;
        address shortToken;
    }

    struct Position {
        address account;
        address market;
        address collateralToken;
        bool isLong;
        uint256 sizeInUsd;
        uint256 sizeInTokens;
        uint256 collateralAmount;
        int256 pendingImpactAmount;
        uint256 borrowingFactor;
        uint256 fundingFeeAmountPerSize;
        uint256 increasedAtTime;
        uint256 decreasedAtTime;
        uint256 longTokenClaimableFundingAmountPerSize;
        uint256 shortTokenClaimableFundingAmountPerSize;
    }

    struct Price {
        uint256 min;
        uint256 max;
    }

    /// One keeper-executed order, shared by increase, decrease and liquidation.
    struct Order {
        address account;
        address market;
        address collateralToken;
        bool isLong;
        uint256 sizeDeltaUsd;
        uint256 collateralDeltaAmount;
        int256 pendingPriceImpactAmount; // increase only
        uint256 orderType;
        uint256 secondaryOrderType;
        bytes32 orderKey;
    }

    /// PositionPricingUtils.PositionFees, the parts the fixture charges (collateral-token amounts).
    struct Fees {
        uint256 positionFeeFactor;
        uint256 positionFeeAmount;
        bytes32 referralCode;
        address affiliate;
        uint256 totalRebateFactor;
        uint256 traderDiscountFactor;
        uint256 traderDiscountAmount;
        uint256 borrowingFeeUsd;
        uint256 borrowingFeeAmount;
        uint256 fundingFeeAmount;
        uint256 totalCostAmount;
        uint256 claimableLongTokenAmount;
        uint256 claimableShortTokenAmount;
    }

    /// What an executed order changed, for the position event.
    struct Execution {
        bytes32 positionKey;
        Price index;
        Price collateral;
        uint256 executionPrice;
        uint256 sizeDeltaInTokens;
    }

    // EventEmitter's three events
    event EventLog(address msgSender, string eventName, string indexed eventNameHash, EventLogData eventData);
    event EventLog1(address msgSender, string eventName, string indexed eventNameHash, bytes32 indexed topic1, EventLogData eventData);
    event EventLog2(
        address msgSender,
        string eventName,
        string indexed eventNameHash,
        bytes32 indexed topic1,
        bytes32 indexed topic2,
        EventLogData eventData
    );

    error Unauthorized(address sender);
    error MarketAlreadyExists(address marketToken);
    error MarketNotFound(address marketToken);
    error InvalidCollateralToken(address market, address collateralToken);
    error InvalidPrice(address token, uint256 minPrice, uint256 maxPrice);
    error PriceNotSet(address token);
    error DecreasingAccumulator(bytes32 key, uint256 current, uint256 value);
    error PositionNotFound(bytes32 key);
    error EmptyPosition(bytes32 key);
    error EmptySizeDeltaInTokens(uint256 sizeDeltaUsd);
    error SizeDeltaTooLarge(uint256 sizeDeltaUsd, uint256 sizeInUsd);
    error InsufficientCollateral(int256 remainingAmount, uint256 collateralDeltaAmount);
    error LiquidatablePosition(int256 remaining, int256 minCollateralUsdForLeverage);
    error NotLiquidatable(int256 remaining, int256 minCollateralUsdForLeverage);
    error InvalidSecondaryOrderType(uint256 secondaryOrderType);
    error EmptyPool(address market);

    uint256 private constant FLOAT_PRECISION = 1e30;
    uint256 private constant FUNDING_PRECISION = 1e45; // FLOAT_PRECISION * FLOAT_PRECISION_SQRT
    uint256 private constant FLOAT_TO_WEI_DIVISOR = 1e12;

    uint256 public constant ORDER_TYPE_MARKET_INCREASE = 2;
    uint256 public constant ORDER_TYPE_MARKET_DECREASE = 4;
    uint256 public constant ORDER_TYPE_LIQUIDATION = 7;
    uint256 public constant SECONDARY_ORDER_TYPE_ADL = 1;

    // data/Keys.sol base keys: keccak256(abi.encode(name))
    bytes32 public constant MIN_COLLATERAL_USD = keccak256(abi.encode("MIN_COLLATERAL_USD"));
    bytes32 private constant MIN_COLLATERAL_FACTOR_FOR_LIQUIDATION = keccak256(abi.encode("MIN_COLLATERAL_FACTOR_FOR_LIQUIDATION"));
    bytes32 private constant MAX_POSITION_IMPACT_FACTOR_FOR_LIQUIDATIONS =
        keccak256(abi.encode("MAX_POSITION_IMPACT_FACTOR_FOR_LIQUIDATIONS"));
    bytes32 private constant POSITION_IMPACT_FACTOR = keccak256(abi.encode("POSITION_IMPACT_FACTOR"));
    bytes32 private constant POSITION_IMPACT_EXPONENT_FACTOR = keccak256(abi.encode("POSITION_IMPACT_EXPONENT_FACTOR"));
    bytes32 private constant MAX_POSITION_IMPACT_FACTOR = keccak256(abi.encode("MAX_POSITION_IMPACT_FACTOR"));
    bytes32 private constant POSITION_FEE_FACTOR = keccak256(abi.encode("POSITION_FEE_FACTOR"));
    bytes32 private constant OPEN_INTEREST = keccak256(abi.encode("OPEN_INTEREST"));
    bytes32 private constant CUMULATIVE_BORROWING_FACTOR = keccak256(abi.encode("CUMULATIVE_BORROWING_FACTOR"));
    bytes32 private constant FUNDING_FEE_AMOUNT_PER_SIZE = keccak256(abi.encode("FUNDING_FEE_AMOUNT_PER_SIZE"));
    bytes32 private constant CLAIMABLE_FUNDING_AMOUNT_PER_SIZE = keccak256(abi.encode("CLAIMABLE_FUNDING_AMOUNT_PER_SIZE"));
    bytes32 private constant CLAIMABLE_FUNDING_AMOUNT = keccak256(abi.encode("CLAIMABLE_FUNDING_AMOUNT"));
    bytes32 private constant MIN_COLLATERAL_FACTOR = keccak256(abi.encode("MIN_COLLATERAL_FACTOR"));
    bytes32 private constant OPEN_INTEREST_IN_TOKENS = keccak256(abi.encode("OPEN_INTEREST_IN_TOKENS"));
    bytes32 private constant POOL_AMOUNT = keccak256(abi.encode("POOL_AMOUNT"));
    bytes32 private constant MAX_PNL_FACTOR = keccak256(abi.encode("MAX_PNL_FACTOR"));
    bytes32 private constant MAX_PNL_FACTOR_FOR_TRADERS = keccak256(abi.encode("MAX_PNL_FACTOR_FOR_TRADERS"));
    bytes32 public constant USE_OPEN_INTEREST_IN_TOKENS_FOR_BALANCE = keccak256(abi.encode("USE_OPEN_INTEREST_IN_TOKENS_FOR_BALANCE"));
    bytes32 private constant VIRTUAL_TOKEN_ID = keccak256(abi.encode("VIRTUAL_TOKEN_ID"));
    bytes32 private constant VIRTUAL_INVENTORY_FOR_POSITIONS = keccak256(abi.encode("VIRTUAL_INVENTORY_FOR_POSITIONS"));
    bytes32 private constant VIRTUAL_INVENTORY_FOR_POSITIONS_IN_TOKENS = keccak256(abi.encode("VIRTUAL_INVENTORY_FOR_POSITIONS_IN_TOKENS"));

    address public immutable owner;

    mapping(bytes32 => uint256) private uints;
    /// Off: a decrease settles only the released pending impact (the tests written before close impact was modelled).
    /// On: the close's own impact too, floored and capped as processCollateral does, through the impact pool.
    bool public settlesCloseImpact;
    /// On: funding and OrderExecuted as gmx-synthetics v2.0 has them (MarketUtils.getFundingFactorPerSecond:
    /// STABLE_FUNDING_FACTOR or the uncapped skew rate, on the larger side's size; OrderExecuted with EventLog1).
    bool public v20Rules;
    /// What the last full close left the account, in collateral tokens (GMX sends it; the fixture moves no tokens).
    uint256 public lastCloseOutputAmount;
    mapping(bytes32 => int256) private ints;
    mapping(bytes32 => bool) private bools;
    mapping(bytes32 => bytes32) private bytes32s;
    mapping(address => MarketProps) private markets;
    mapping(address => Price) private prices;
    mapping(bytes32 => Position) private positions;
    /// A trader's referral discount (ReferralUtils.getReferralInfo's traderDiscountFactor, 1e30), as ReferralStorage would give it.
    mapping(address => uint256) public traderDiscountFactor;
    /// When set, the discount comes from this ReferralStorage instead (ReferralUtils.getReferralInfo, 2024-10 on).
    IReferralStorage public referralStorage;

    modifier onlyOwner() {
        if (msg.sender != owner) revert Unauthorized(msg.sender);
        _;
    }

    constructor() {
        owner = msg.sender;
    }

    // ---------------------------------------------------------------- DataStore

    function getUint(bytes32 key) external view returns (uint256) {
        return uints[key];
    }

    function setUint(bytes32 key, uint256 value) external onlyOwner {
        uints[key] = value;
    }

    function getInt(bytes32 key) external view returns (int256) {
        return ints[key];
    }

    /// A value set before indexing starts (no event), like a virtual inventory older than the start block.
    function setInt(bytes32 key, int256 value) external onlyOwner {
        ints[key] = value;
    }

    function getBool(bytes32 key) external view returns (bool) {
        return bools[key];
    }

    function setBool(bytes32 key, bool value) external onlyOwner {
        bools[key] = value;
    }

    function getBytes32(bytes32 key) external view returns (bytes32) {
        return bytes32s[key];
    }

    function setBytes32(bytes32 key, bytes32 value) external onlyOwner {
        bytes32s[key] = value;
    }

    function virtualTokenIdKey(address token) public pure returns (bytes32) {
        return keccak256(abi.encode(VIRTUAL_TOKEN_ID, token));
    }

    function virtualInventoryForPositionsKey(bytes32 virtualTokenId, bool inTokens) public pure returns (bytes32) {
        return keccak256(abi.encode(inTokens ? VIRTUAL_INVENTORY_FOR_POSITIONS_IN_TOKENS : VIRTUAL_INVENTORY_FOR_POSITIONS, virtualTokenId));
    }

    function minCollateralFactorForLiquidationKey(address market) public pure returns (bytes32) {
        return keccak256(abi.encode(MIN_COLLATERAL_FACTOR_FOR_LIQUIDATION, market));
    }

    function maxPositionImpactFactorForLiquidationsKey(address market) public pure returns (bytes32) {
        return keccak256(abi.encode(MAX_POSITION_IMPACT_FACTOR_FOR_LIQUIDATIONS, market));
    }

    function positionImpactFactorKey(address market, bool isPositive) public pure returns (bytes32) {
        return keccak256(abi.encode(POSITION_IMPACT_FACTOR, market, isPositive));
    }

    function positionImpactExponentFactorKey(address market, bool isPositive) public pure returns (bytes32) {
        return keccak256(abi.encode(POSITION_IMPACT_EXPONENT_FACTOR, market, isPositive));
    }

    /// Keys.positionImpactExponentFactorKey through v2.2: one exponent per market for both sides.
    function positionImpactExponentFactorKeyV22(address market) public pure returns (bytes32) {
        return keccak256(abi.encode(POSITION_IMPACT_EXPONENT_FACTOR, market));
    }

    /// Keys.minCollateralFactorKey: what isPositionLiquidatable used before v2.2's MIN_COLLATERAL_FACTOR_FOR_LIQUIDATION.
    function minCollateralFactorKey(address market) public pure returns (bytes32) {
        return keccak256(abi.encode(MIN_COLLATERAL_FACTOR, market));
    }

    function maxPositionImpactFactorKey(address market, bool isPositive) public pure returns (bytes32) {
        return keccak256(abi.encode(MAX_POSITION_IMPACT_FACTOR, market, isPositive));
    }

    function positionFeeFactorKey(address market, bool balanceWasImproved) public pure returns (bytes32) {
        return keccak256(abi.encode(POSITION_FEE_FACTOR, market, balanceWasImproved));
    }

    function openInterestKey(address market, address collateralToken, bool isLong) public pure returns (bytes32) {
        return keccak256(abi.encode(OPEN_INTEREST, market, collateralToken, isLong));
    }

    function openInterestInTokensKey(address market, address collateralToken, bool isLong) public pure returns (bytes32) {
        return keccak256(abi.encode(OPEN_INTEREST_IN_TOKENS, market, collateralToken, isLong));
    }

    function poolAmountKey(address market, address token) public pure returns (bytes32) {
        return keccak256(abi.encode(POOL_AMOUNT, market, token));
    }

    /// Keys.maxPnlFactorKey(MAX_PNL_FACTOR_FOR_TRADERS, market, isLong).
    function maxPnlFactorForTradersKey(address market, bool isLong) public pure returns (bytes32) {
        return keccak256(abi.encode(MAX_PNL_FACTOR, MAX_PNL_FACTOR_FOR_TRADERS, market, isLong));
    }

    function cumulativeBorrowingFactorKey(address market, bool isLong) public pure returns (bytes32) {
        return keccak256(abi.encode(CUMULATIVE_BORROWING_FACTOR, market, isLong));
    }

    function claimableFundingAmountPerSizeKey(address market, address collateralToken, bool isLong) public pure returns (bytes32) {
        return keccak256(abi.encode(CLAIMABLE_FUNDING_AMOUNT_PER_SIZE, market, collateralToken, isLong));
    }

    function claimableFundingAmountKey(address market, address token, address account) public pure returns (bytes32) {
        return keccak256(abi.encode(CLAIMABLE_FUNDING_AMOUNT, market, token, account));
    }

    function fundingFeeAmountPerSizeKey(address market, address collateralToken, bool isLong) public pure returns (bytes32) {
        return keccak256(abi.encode(FUNDING_FEE_AMOUNT_PER_SIZE, market, collateralToken, isLong));
    }

    // ---------------------------------------------------------------- Reader and markets

    function getMarket(address, address key) external view returns (MarketProps memory) {
        return markets[key];
    }

    function createMarket(address marketToken, address indexToken, address longToken, address shortToken) external onlyOwner {
        if (markets[marketToken].marketToken != address(0)) revert MarketAlreadyExists(marketToken);
        markets[marketToken] = MarketProps(marketToken, indexToken, longToken, shortToken);

        EventLogData memory d;
        d.initAddress(4);
        d.setAddress(0, "marketToken", marketToken);
        d.setAddress(1, "indexToken", indexToken);
        d.setAddress(2, "longToken", longToken);
        d.setAddress(3, "shortToken", shortToken);
        d.initBytes32(1);
        d.setBytes32(0, "salt", keccak256(abi.encode(indexToken, longToken, shortToken)));
        emit EventLog1(msg.sender, "MarketCreated", "MarketCreated", _topic(marketToken), d);
    }

    // ---------------------------------------------------------------- oracle and market accumulators

    function getPrice(address token) external view returns (Price memory) {
        return prices[token];
    }

    function setPrice(address token, uint256 minPrice, uint256 maxPrice) external onlyOwner {
        if (minPrice == 0 || minPrice > maxPrice) revert InvalidPrice(token, minPrice, maxPrice);
        prices[token] = Price(minPrice, maxPrice);

        EventLogData memory d;
        d.initAddress(2);
        d.setAddress(0, "token", token);
        d.setAddress(1, "provider", address(this));
        d.initUint(3);
        d.setUint(0, "minPrice", minPrice);
        d.setUint(1, "maxPrice", maxPrice);
        d.setUint(2, "timestamp", block.timestamp);
        d.initBool(1);
        d.setBool(0, "isPriceFeed", false);
        emit EventLog1(msg.sender, "OraclePriceUpdate", "OraclePriceUpdate", _topic(token), d);
    }

    function setCumulativeBorrowingFactor(address market, bool isLong, uint256 value) external onlyOwner {
        _market(market);
        _setCumulativeBorrowingFactor(market, isLong, value);
    }

    /// MarketUtils.incrementCumulativeBorrowingFactor's event (emitted even for a zero delta).
    function _setCumulativeBorrowingFactor(address market, bool isLong, uint256 value) internal {
        uint256 delta = _raise(cumulativeBorrowingFactorKey(market, isLong), value);

        EventLogData memory d;
        d.initAddress(1);
        d.setAddress(0, "market", market);
        d.initBool(1);
        d.setBool(0, "isLong", isLong);
        d.initUint(2);
        d.setUint(0, "delta", delta);
        d.setUint(1, "nextValue", value);
        emit EventLog1(msg.sender, "CumulativeBorrowingFactorUpdated", "CumulativeBorrowingFactorUpdated", _topic(market), d);
    }

    function setFundingFeeAmountPerSize(address market, address collateralToken, bool isLong, uint256 value) external onlyOwner {
        _raisePerSize("FundingFeeAmountPerSizeUpdated", fundingFeeAmountPerSizeKey(market, collateralToken, isLong), market, collateralToken, isLong, value);
    }

    /// Deposits, withdrawals and settled PnL move the pool; the keeper sets the result (MarketEventUtils.emitPoolAmountUpdated).
    function setPoolAmount(address market, address token, uint256 value) external onlyOwner {
        _validateCollateral(_market(market), token);
        bytes32 key = poolAmountKey(market, token);
        int256 delta = int256(value) - int256(uints[key]);
        uints[key] = value;

        EventLogData memory d;
        d.initAddress(2);
        d.setAddress(0, "market", market);
        d.setAddress(1, "token", token);
        d.initInt(1);
        d.setInt(0, "delta", delta);
        d.initUint(1);
        d.setUint(0, "nextValue", value);
        emit EventLog1(msg.sender, "PoolAmountUpdated", "PoolAmountUpdated", _topic(market), d);
    }

    function setTraderDiscountFactor(address account, uint256 factor) external onlyOwner {
        traderDiscountFactor[account] = factor;
    }

    function setReferralStorage(IReferralStorage storage_) external onlyOwner {
        referralStorage = storage_;
    }

    /// ReferralUtils.getReferralInfo (2024-10 on): code, its owner, and the owner's tier (its own discount share
    /// replacing the tier's when set); traderDiscountFactor = basisPointsToFloat(totalRebate x discountShare / 10000).
    function _referralInfo(address account) internal view returns (bytes32 code, address affiliate, uint256 totalRebateFactor, uint256 discountFactor) {
        if (address(referralStorage) == address(0)) {
            discountFactor = traderDiscountFactor[account];
            return (discountFactor > 0 ? keccak256("fixture referral") : bytes32(0), address(0), discountFactor, discountFactor);
        }
        code = referralStorage.traderReferralCodes(account);
        if (code == bytes32(0)) return (code, address(0), 0, 0);
        affiliate = referralStorage.codeOwners(code);
        (uint256 totalRebate, uint256 discountShare) = referralStorage.tiers(referralStorage.referrerTiers(affiliate));
        uint256 ownShare = referralStorage.referrerDiscountShares(affiliate);
        if (ownShare != 0) discountShare = ownShare;
        return (code, affiliate, totalRebate * 1e26, (totalRebate * discountShare / 10000) * 1e26);
    }

    /// What the receiving side earns per size, in each pool token (MarketEventUtils.emitClaimableFundingAmountPerSizeUpdated).
    function setClaimableFundingAmountPerSize(address market, address collateralToken, bool isLong, uint256 value) external onlyOwner {
        _raisePerSize("ClaimableFundingAmountPerSizeUpdated", claimableFundingAmountPerSizeKey(market, collateralToken, isLong), market, collateralToken, isLong, value);
    }

    /// Raises a per-size accumulator of one collateral token and side, reported as MarketEventUtils does (delta, value).
    function _raisePerSize(string memory name, bytes32 key, address market, address collateralToken, bool isLong, uint256 value) internal {
        _validateCollateral(_market(market), collateralToken);
        uint256 delta = _raise(key, value);

        EventLogData memory d = _marketSideItems(market, collateralToken, isLong);
        d.initUint(2);
        d.setUint(0, "delta", delta);
        d.setUint(1, "value", value);
        emit EventLog1(msg.sender, name, name, _topic(market), d);
    }

    /// The items every per-collateral-token-and-side market event starts with.
    function _marketSideItems(address market, address collateralToken, bool isLong) internal pure returns (EventLogData memory d) {
        d.initAddress(2);
        d.setAddress(0, "market", market);
        d.setAddress(1, "collateralToken", collateralToken);
        d.initBool(1);
        d.setBool(0, "isLong", isLong);
    }

    /// ExchangeRouter.claimFundingFees for one market and token (MarketUtils.claimFundingFees): all of it, to the account.
    function claimFundingFees(address market, address token, address account) external onlyOwner {
        bytes32 key = claimableFundingAmountKey(market, token, account);
        uint256 amount = uints[key];
        uints[key] = 0;

        EventLogData memory d;
        d.initAddress(4);
        d.setAddress(0, "market", market);
        d.setAddress(1, "token", token);
        d.setAddress(2, "account", account);
        d.setAddress(3, "receiver", account);
        d.initUint(2);
        d.setUint(0, "amount", amount);
        d.setUint(1, "nextPoolValue", 0);
        emit EventLog1(msg.sender, "FundingFeesClaimed", "FundingFeesClaimed", _topic(account), d);
    }

    // ---------------------------------------------------------------- positions

    function positionKey(address account, address market, address collateralToken, bool isLong) public pure returns (bytes32) {
        return keccak256(abi.encode(account, market, collateralToken, isLong));
    }

    function getPosition(bytes32 key) external view returns (Position memory) {
        return positions[key];
    }

    /// Keeper executes a MarketIncrease; the price impact is the keeper's to choose (index tokens, any sign).
    function increasePosition(
        address account,
        address market,
        address collateralToken,
        bool isLong,
        uint256 collateralDeltaAmount,
        uint256 sizeDeltaUsd,
        int256 pendingPriceImpactAmount,
        bytes32 orderKey
    ) external onlyOwner {
        _increase(
            Order(
                account,
                market,
                collateralToken,
                isLong,
                sizeDeltaUsd,
                collateralDeltaAmount,
                pendingPriceImpactAmount,
                ORDER_TYPE_MARKET_INCREASE,
                0,
                orderKey
            )
        );
    }

    /// Keeper executes a MarketDecrease; secondaryOrderType 1 marks it as an ADL.
    function decreasePosition(
        address account,
        address market,
        address collateralToken,
        bool isLong,
        uint256 sizeDeltaUsd,
        uint256 collateralDeltaAmount,
        uint256 secondaryOrderType,
        bytes32 orderKey
    ) external onlyOwner {
        if (secondaryOrderType > SECONDARY_ORDER_TYPE_ADL) revert InvalidSecondaryOrderType(secondaryOrderType);
        _decrease(
            Order(
                account,
                market,
                collateralToken,
                isLong,
                sizeDeltaUsd,
                collateralDeltaAmount,
                0,
                ORDER_TYPE_MARKET_DECREASE,
                secondaryOrderType,
                orderKey
            )
        );
    }

    function liquidate(address account, address market, address collateralToken, bool isLong, bytes32 orderKey) external onlyOwner {
        bytes32 key = positionKey(account, market, collateralToken, isLong);
        (bool liquidatable, int256 remaining, int256 minCollateralUsdForLeverage) = isPositionLiquidatable(key);
        if (!liquidatable) revert NotLiquidatable(remaining, minCollateralUsdForLeverage);
        uint256 size = positions[key].sizeInUsd;
        _decrease(Order(account, market, collateralToken, isLong, size, 0, 0, ORDER_TYPE_LIQUIDATION, 0, orderKey));
    }

    /// PositionUtils.isPositionLiquidatable (shouldValidateMinCollateralUsd, forLiquidation) at the stored prices.
    function isPositionLiquidatable(bytes32 key)
        public
        view
        returns (bool liquidatable, int256 remainingCollateralUsd, int256 minCollateralUsdForLeverage)
    {
        Position memory p = positions[key];
        if (p.sizeInUsd == 0) revert PositionNotFound(key);
        return _liquidationCheck(p);
    }

    /// PositionUtils.getPositionPnlUsd for the whole position at the stored prices (the traders' cap applied).
    function getPositionPnlUsd(bytes32 key) external view returns (int256) {
        Position memory p = positions[key];
        if (p.sizeInUsd == 0) revert PositionNotFound(key);
        return _pnlUsd(p, _price(markets[p.market].indexToken));
    }

    /// What the position has earned in funding since its last order, to block.timestamp, in the long and short
    /// token (Reader.getPositionInfo's fees.funding.claimableLong/ShortTokenAmount: the next update's per size).
    function getClaimableFundingAmounts(bytes32 key) external view returns (uint256 longTokenAmount, uint256 shortTokenAmount) {
        Position memory p = positions[key];
        if (p.sizeInUsd == 0) revert PositionNotFound(key);
        Fees memory f = _fees(p, 0, 1, false);
        return (f.claimableLongTokenAmount, f.claimableShortTokenAmount);
    }

    // ---------------------------------------------------------------- order execution

    function _increase(Order memory o) internal {
        _updateFundingAndBorrowingState(o.market);
        (bytes32 key, Position memory p) = _loadPosition(o);
        Execution memory e = _execution(key, p);

        e.executionPrice = o.isLong ? e.index.max : e.index.min;
        e.sizeDeltaInTokens = o.isLong ? o.sizeDeltaUsd / e.index.max : _ceilDiv(o.sizeDeltaUsd, e.index.min);
        if (o.sizeDeltaUsd > 0 && e.sizeDeltaInTokens == 0) revert EmptySizeDeltaInTokens(o.sizeDeltaUsd);
        // fees accrued since the last update and the opening fee are paid before the position changes
        Fees memory f = _chargeFees(p, o, e, int256(e.sizeDeltaInTokens), true);
        uint256 collateral = p.collateralAmount + o.collateralDeltaAmount;
        if (collateral < f.totalCostAmount) revert InsufficientCollateral(int256(collateral) - int256(f.totalCostAmount), 0);
        p.collateralAmount = collateral - f.totalCostAmount;

        p.sizeInUsd += o.sizeDeltaUsd;
        p.sizeInTokens += e.sizeDeltaInTokens;
        p.pendingImpactAmount += o.pendingPriceImpactAmount;
        _snapshotAccumulators(p);
        p.increasedAtTime = block.timestamp;
        if (p.sizeInUsd == 0) revert EmptyPosition(key);
        positions[key] = p;
        _applyOpenInterestDelta(o.market, o.collateralToken, o.isLong, int256(o.sizeDeltaUsd), int256(e.sizeDeltaInTokens));
        _validatePosition(p); // its close impact needs the open interest including this position

        EventLogData memory d = _positionEventData(p, o, e, 16);
        d.setUint(14, "orderType", o.orderType);
        d.setUint(15, "increasedAtTime", p.increasedAtTime);
        d.initInt(3);
        d.setInt(0, "collateralDeltaAmount", int256(o.collateralDeltaAmount));
        d.setInt(1, "pendingPriceImpactUsd", _impactUsd(o.pendingPriceImpactAmount, e.index));
        d.setInt(2, "pendingPriceImpactAmount", o.pendingPriceImpactAmount);
        emit EventLog1(msg.sender, "PositionIncrease", "PositionIncrease", _topic(o.account), d);

        _emitOrderExecuted(o);
    }

    function _decrease(Order memory o) internal {
        _updateFundingAndBorrowingState(o.market);
        (bytes32 key, Position memory p) = _loadPosition(o);
        if (p.sizeInUsd == 0) revert PositionNotFound(key);
        if (o.sizeDeltaUsd > p.sizeInUsd) revert SizeDeltaTooLarge(o.sizeDeltaUsd, p.sizeInUsd);
        Execution memory e = _execution(key, p);
        e.executionPrice = o.isLong ? e.index.min : e.index.max;

        bool isFullClose = o.sizeDeltaUsd == p.sizeInUsd;
        e.sizeDeltaInTokens = isFullClose ? p.sizeInTokens : _mulDiv(p.sizeInTokens, o.sizeDeltaUsd, p.sizeInUsd, !o.isLong);
        int256 basePnlUsd = (_pnlUsd(p, e.index) * int256(e.sizeDeltaInTokens)) / int256(p.sizeInTokens);
        int256 uncappedBasePnlUsd = (_uncappedPnlUsd(p, e.index) * int256(e.sizeDeltaInTokens)) / int256(p.sizeInTokens);

        int256 proportionalImpactAmount = _proportionalPendingImpact(p.pendingImpactAmount, o.sizeDeltaUsd, p.sizeInUsd);
        p.pendingImpactAmount -= proportionalImpactAmount;
        CloseImpact memory c = _closeImpact(o, e, _impactUsd(proportionalImpactAmount, e.index));

        p.collateralAmount = _settleDecrease(p, o, e, basePnlUsd + c.totalImpactUsd, c.priceImpactDiffUsd, isFullClose);
        _settleImpactPool(o.market, e, c.totalImpactUsd);
        p.sizeInUsd -= o.sizeDeltaUsd;
        p.sizeInTokens -= e.sizeDeltaInTokens;
        _snapshotAccumulators(p);
        p.decreasedAtTime = block.timestamp;
        _applyOpenInterestDelta(o.market, o.collateralToken, o.isLong, -int256(o.sizeDeltaUsd), -int256(e.sizeDeltaInTokens));

        if (p.sizeInUsd == 0) {
            delete positions[key];
            // the event reports the removed position: identity kept, every amount zero (as GMX)
            p = Position(o.account, o.market, o.collateralToken, o.isLong, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        } else {
            positions[key] = p;
            if (o.orderType != ORDER_TYPE_LIQUIDATION) _validatePosition(p);
        }

        EventLogData memory d = _positionEventData(p, o, e, 18);
        d.setUint(14, "collateralDeltaAmount", o.collateralDeltaAmount);
        d.setUint(15, "values.priceImpactDiffUsd", c.priceImpactDiffUsd);
        d.setUint(16, "orderType", o.orderType);
        d.setUint(17, "decreasedAtTime", p.decreasedAtTime);
        d.initInt(5);
        d.setInt(0, "priceImpactUsd", c.priceImpactUsd);
        d.setInt(1, "basePnlUsd", basePnlUsd);
        d.setInt(2, "uncappedBasePnlUsd", uncappedBasePnlUsd);
        d.setInt(3, "proportionalPendingImpactUsd", c.proportionalPendingImpactUsd);
        d.setInt(4, "totalImpactUsd", c.totalImpactUsd);
        emit EventLog1(msg.sender, "PositionDecrease", "PositionDecrease", _topic(o.account), d);

        _emitOrderExecuted(o);
    }

    /// Collateral left after fees, realised pnl and impact, the impact diff (moved to claimable collateral) and the withdrawal.
    function _settleDecrease(Position memory p, Order memory o, Execution memory e, int256 pnlUsd, uint256 priceImpactDiffUsd, bool isFullClose)
        internal
        returns (uint256)
    {
        Price memory collateral = e.collateral;
        uint256 fees = _chargeFees(p, o, e, -int256(e.sizeDeltaInTokens), false).totalCostAmount + _ceilDiv(priceImpactDiffUsd, collateral.min);
        // profit is paid at the max collateral price, a loss charged at the min one, each rounded for the pool
        int256 pnlAmount = pnlUsd > 0
            ? int256(uint256(pnlUsd) / collateral.max)
            : -int256(_ceilDiv(uint256(-pnlUsd), collateral.min));
        int256 remaining = int256(p.collateralAmount) + pnlAmount - int256(fees);
        if (remaining < 0) {
            if (o.orderType != ORDER_TYPE_LIQUIDATION) revert InsufficientCollateral(remaining, o.collateralDeltaAmount);
            _emitInsolventClose(o, p.collateralAmount, remaining, collateral.min, pnlUsd, pnlAmount);
            remaining = 0;
        }
        if (isFullClose) {
            lastCloseOutputAmount = uint256(remaining); // whatever is left goes to the account
            return 0;
        }
        if (uint256(remaining) < o.collateralDeltaAmount) revert InsufficientCollateral(remaining, o.collateralDeltaAmount);
        return uint256(remaining) - o.collateralDeltaAmount;
    }

    /// What DecreasePositionCollateralUtils.processCollateral settles as impact (v2.2 on).
    struct CloseImpact {
        int256 priceImpactUsd;
        int256 proportionalPendingImpactUsd;
        int256 totalImpactUsd;
        uint256 priceImpactDiffUsd;
    }

    /// The close impact (positive part capped at min(max positive, max negative) factor) plus the released pending impact;
    /// a negative total floors at -sizeDelta x MAX_POSITION_IMPACT_FACTOR(negative), the excess becoming claimable
    /// collateral; a positive one is capped by the factor again and by the impact pool at the index min price (the
    /// fixture lends nothing: MarketUtils.capPositiveImpactUsdByPositionImpactPool with MAX_LENDABLE_IMPACT_* unset).
    function _closeImpact(Order memory o, Execution memory e, int256 proportionalPendingImpactUsd) internal view returns (CloseImpact memory c) {
        c.proportionalPendingImpactUsd = proportionalPendingImpactUsd;
        if (!settlesCloseImpact) {
            c.totalImpactUsd = proportionalPendingImpactUsd;
            return c;
        }
        (int256 impact,) = _priceImpactUsd(o.market, o.isLong, -int256(o.sizeDeltaUsd), -int256(e.sizeDeltaInTokens));
        int256 positiveCap = _maxPositiveImpactUsd(o.market, o.sizeDeltaUsd);
        c.priceImpactUsd = impact > positiveCap ? positiveCap : impact;
        int256 total = c.priceImpactUsd + proportionalPendingImpactUsd;
        int256 floor = -int256(_applyFactor(o.sizeDeltaUsd, uints[maxPositionImpactFactorKey(o.market, false)]));
        if (total < floor) {
            c.priceImpactDiffUsd = uint256(floor - total);
            total = floor;
        }
        if (total > positiveCap) total = positiveCap;
        int256 poolUsd = int256(uints[marketKey("POSITION_IMPACT_POOL_AMOUNT", o.market)] * e.index.min);
        c.totalImpactUsd = total > poolUsd ? poolUsd : total;
    }

    /// MarketUtils.capPositiveImpactUsdByMaxPositionImpact: a gain is at most size x min(max positive, max negative) factor.
    function _maxPositiveImpactUsd(address market, uint256 sizeUsd) internal view returns (int256) {
        uint256 positive = uints[maxPositionImpactFactorKey(market, true)];
        uint256 negative = uints[maxPositionImpactFactorKey(market, false)];
        return int256(_applyFactor(sizeUsd, positive < negative ? positive : negative));
    }

    /// MarketUtils.applyDeltaToPositionImpactPool: a gain is paid from the pool (rounded up, bounded at zero), a cost
    /// paid into it at the index max price (GMX converts the collateral actually paid; the fixture the USD cost).
    function _settleImpactPool(address market, Execution memory e, int256 totalImpactUsd) internal {
        if (!settlesCloseImpact || totalImpactUsd == 0) return;
        uint256 pool = uints[marketKey("POSITION_IMPACT_POOL_AMOUNT", market)];
        if (totalImpactUsd > 0) {
            uint256 paid = _ceilDiv(uint256(totalImpactUsd), e.index.min);
            _setPositionImpactPoolAmount(market, paid > pool ? 0 : pool - paid);
        } else {
            _setPositionImpactPoolAmount(market, pool + uint256(-totalImpactUsd) / e.index.max);
        }
    }

    function setSettlesCloseImpact(bool on) external onlyOwner {
        settlesCloseImpact = on;
    }

    function setV20Rules(bool on) external onlyOwner {
        v20Rules = on;
    }

    /// Deposits, withdrawals and distributions move the pool too; the keeper sets the result.
    function setPositionImpactPoolAmount(address market, uint256 value) external onlyOwner {
        _setPositionImpactPoolAmount(market, value);
    }

    /// MarketEventUtils.emitPositionImpactPoolAmountUpdated.
    function _setPositionImpactPoolAmount(address market, uint256 next) internal {
        bytes32 key = marketKey("POSITION_IMPACT_POOL_AMOUNT", market);
        int256 delta = int256(next) - int256(uints[key]);
        uints[key] = next;
        EventLogData memory d;
        d.initAddress(1);
        d.setAddress(0, "market", market);
        d.initInt(1);
        d.setInt(0, "delta", delta);
        d.initUint(1);
        d.setUint(0, "nextValue", next);
        emit EventLog1(msg.sender, "PositionImpactPoolAmountUpdated", "PositionImpactPoolAmountUpdated", _topic(market), d);
    }

    /// DecreasePositionCollateralUtils.handleEarlyReturn: a liquidation the collateral cannot pay for (EventLog, no topics).
    /// The fixture settles in one step: it ran out on "pnl" when the loss alone passed the collateral, else on "fees".
    function _emitInsolventClose(Order memory o, uint256 collateralAmount, int256 remaining, uint256 collateralMin, int256 pnlUsd, int256 pnlAmount)
        internal
    {
        EventLogData memory d;
        d.initBytes32(1);
        d.setBytes32(0, "orderKey", o.orderKey);
        d.initUint(2);
        d.setUint(0, "positionCollateralAmount", collateralAmount);
        d.setUint(1, "remainingCostUsd", uint256(-remaining) * collateralMin);
        d.initInt(1);
        d.setInt(0, "basePnlUsd", pnlUsd);
        d.initString(1);
        d.setString(0, "step", int256(collateralAmount) + pnlAmount < 0 ? "pnl" : "fees");
        emit EventLog(msg.sender, "InsolventClose", "InsolventClose", d);
    }

    /// The stored position, or a fresh one for this account/market/collateral/side.
    function _loadPosition(Order memory o) internal view returns (bytes32 key, Position memory p) {
        _validateCollateral(_market(o.market), o.collateralToken);
        key = positionKey(o.account, o.market, o.collateralToken, o.isLong);
        p = positions[key];
        if (p.account == address(0)) {
            p.account = o.account;
            p.market = o.market;
            p.collateralToken = o.collateralToken;
            p.isLong = o.isLong;
        }
    }

    function _execution(bytes32 key, Position memory p) internal view returns (Execution memory e) {
        e.positionKey = key;
        e.index = _price(markets[p.market].indexToken);
        e.collateral = _price(p.collateralToken);
    }

    function _snapshotAccumulators(Position memory p) internal view {
        MarketProps memory m = markets[p.market];
        p.borrowingFactor = uints[cumulativeBorrowingFactorKey(p.market, p.isLong)];
        p.fundingFeeAmountPerSize = uints[fundingFeeAmountPerSizeKey(p.market, p.collateralToken, p.isLong)];
        p.longTokenClaimableFundingAmountPerSize = uints[claimableFundingAmountPerSizeKey(p.market, m.longToken, p.isLong)];
        p.shortTokenClaimableFundingAmountPerSize = uints[claimableFundingAmountPerSizeKey(p.market, m.shortToken, p.isLong)];
    }

    /// GMX refuses orders that leave a position liquidatable.
    function _validatePosition(Position memory p) internal view {
        (bool liquidatable, int256 remaining, int256 minCollateralUsdForLeverage) = _liquidationCheck(p);
        if (liquidatable) revert LiquidatablePosition(remaining, minCollateralUsdForLeverage);
    }

    /// MarketUtils.applyDeltaToOpenInterest: open interest in USD and in index tokens, each with its event.
    /// and the index token's virtual inventory in the unit the market balances in: longs buy from the pool (inventory down), shorts sell to it.
    function _applyOpenInterestDelta(address market, address collateralToken, bool isLong, int256 deltaUsd, int256 deltaInTokens) internal {
        bool inTokens = bools[USE_OPEN_INTEREST_IN_TOKENS_FOR_BALANCE];
        if (deltaUsd != 0 && !inTokens) _applyVirtualInventoryDelta(markets[market].indexToken, false, isLong ? -deltaUsd : deltaUsd);
        _applyOpenInterestValueDelta("OpenInterestUpdated", openInterestKey(market, collateralToken, isLong), market, collateralToken, isLong, deltaUsd);
        if (deltaInTokens != 0 && inTokens) _applyVirtualInventoryDelta(markets[market].indexToken, true, isLong ? -deltaInTokens : deltaInTokens);
        _applyOpenInterestValueDelta(
            "OpenInterestInTokensUpdated", openInterestInTokensKey(market, collateralToken, isLong), market, collateralToken, isLong, deltaInTokens
        );
    }

    /// MarketUtils.applyDeltaToVirtualInventoryForPositions(InTokens): only for a token with a virtual id.
    function _applyVirtualInventoryDelta(address token, bool inTokens, int256 delta) internal {
        bytes32 virtualTokenId = bytes32s[virtualTokenIdKey(token)];
        if (virtualTokenId == bytes32(0)) return;
        bytes32 key = virtualInventoryForPositionsKey(virtualTokenId, inTokens);
        int256 next = ints[key] + delta;
        ints[key] = next;

        EventLogData memory d;
        d.initAddress(1);
        d.setAddress(0, "token", token);
        d.initBytes32(1);
        d.setBytes32(0, "virtualTokenId", virtualTokenId);
        d.initInt(2);
        d.setInt(0, "delta", delta);
        d.setInt(1, "nextValue", next);
        emit EventLog2(msg.sender, "VirtualPositionInventoryUpdated", "VirtualPositionInventoryUpdated", _topic(token), virtualTokenId, d);
    }

    function _applyOpenInterestValueDelta(string memory name, bytes32 key, address market, address collateralToken, bool isLong, int256 delta)
        internal
    {
        if (delta == 0) return;
        uint256 next = delta > 0 ? uints[key] + uint256(delta) : uints[key] - uint256(-delta);
        uints[key] = next;

        EventLogData memory d = _marketSideItems(market, collateralToken, isLong);
        d.initInt(1);
        d.setInt(0, "delta", delta);
        d.initUint(1);
        d.setUint(0, "nextValue", next);
        emit EventLog1(msg.sender, name, name, _topic(market), d);
    }

    /// Items PositionIncrease and PositionDecrease share; uint slots from 14 on are the caller's.
    function _positionEventData(Position memory p, Order memory o, Execution memory e, uint256 uintCount)
        internal
        pure
        returns (EventLogData memory d)
    {
        d.initAddress(3);
        d.setAddress(0, "account", p.account);
        d.setAddress(1, "market", p.market);
        d.setAddress(2, "collateralToken", p.collateralToken);
        d.initUint(uintCount);
        d.setUint(0, "sizeInUsd", p.sizeInUsd);
        d.setUint(1, "sizeInTokens", p.sizeInTokens);
        d.setUint(2, "collateralAmount", p.collateralAmount);
        d.setUint(3, "borrowingFactor", p.borrowingFactor);
        d.setUint(4, "fundingFeeAmountPerSize", p.fundingFeeAmountPerSize);
        d.setUint(5, "longTokenClaimableFundingAmountPerSize", p.longTokenClaimableFundingAmountPerSize);
        d.setUint(6, "shortTokenClaimableFundingAmountPerSize", p.shortTokenClaimableFundingAmountPerSize);
        d.setUint(7, "executionPrice", e.executionPrice);
        d.setUint(8, "indexTokenPrice.max", e.index.max);
        d.setUint(9, "indexTokenPrice.min", e.index.min);
        d.setUint(10, "collateralTokenPrice.max", e.collateral.max);
        d.setUint(11, "collateralTokenPrice.min", e.collateral.min);
        d.setUint(12, "sizeDeltaUsd", o.sizeDeltaUsd);
        d.setUint(13, "sizeDeltaInTokens", e.sizeDeltaInTokens);
        d.initBool(1);
        d.setBool(0, "isLong", p.isLong);
        d.initBytes32(2);
        d.setBytes32(0, "orderKey", o.orderKey);
        d.setBytes32(1, "positionKey", e.positionKey);
    }

    function _emitOrderExecuted(Order memory o) internal {
        EventLogData memory d;
        d.initBytes32(1);
        d.setBytes32(0, "key", o.orderKey);
        d.initUint(1);
        d.setUint(0, "secondaryOrderType", o.secondaryOrderType);
        // v2.0's OrderEventUtils.emitOrderExecuted: EventLog1 (topic1 the key), no account item
        if (v20Rules) {
            emit EventLog1(msg.sender, "OrderExecuted", "OrderExecuted", o.orderKey, d);
            return;
        }
        d.initAddress(1);
        d.setAddress(0, "account", o.account);
        emit EventLog2(msg.sender, "OrderExecuted", "OrderExecuted", o.orderKey, _topic(o.account), d);
    }

    // ---------------------------------------------------------------- liquidation check

    function _liquidationCheck(Position memory p)
        internal
        view
        returns (bool liquidatable, int256 remaining, int256 minCollateralUsdForLeverage)
    {
        Price memory index = _price(markets[p.market].indexToken);
        Price memory collateral = _price(p.collateralToken);
        (int256 closeImpactUsd, bool balanceWasImproved) = _priceImpactUsd(p.market, p.isLong, -int256(p.sizeInUsd), -int256(p.sizeInTokens));
        // v2.2 on: the closing fee factor is the close's balanceWasImproved
        uint256 costAmount = _fees(p, p.sizeInUsd, collateral.min, balanceWasImproved).totalCostAmount;
        remaining = int256(p.collateralAmount * collateral.min) + _pnlUsd(p, index) + _liquidationImpactUsd(p, index, closeImpactUsd)
            - int256(costAmount * collateral.min);
        minCollateralUsdForLeverage = int256(_applyFactor(p.sizeInUsd, uints[minCollateralFactorForLiquidationKey(p.market)]));
        liquidatable = remaining < int256(uints[MIN_COLLATERAL_USD]) || remaining <= 0 || remaining < minCollateralUsdForLeverage;
    }

    /// Pnl of the whole position before the traders' cap: longs at the min index price, shorts at the max.
    function _uncappedPnlUsd(Position memory p, Price memory index) internal pure returns (int256) {
        int256 value = int256(p.sizeInTokens * (p.isLong ? index.min : index.max));
        return p.isLong ? value - int256(p.sizeInUsd) : int256(p.sizeInUsd) - value;
    }

    /// PositionUtils.getPositionPnlUsd: a profit scaled by cappedPoolPnl / poolPnl when the side's pool PnL
    /// passes MAX_PNL_FACTOR_FOR_TRADERS of the PnL token's pool value (MarketUtils.getCappedPnl).
    function _pnlUsd(Position memory p, Price memory index) internal view returns (int256 pnl) {
        pnl = _uncappedPnlUsd(p, index);
        if (pnl <= 0) return pnl;
        MarketProps memory m = markets[p.market];
        address pnlToken = p.isLong ? m.longToken : m.shortToken;
        uint256 divisor = m.longToken == m.shortToken ? 2 : 1;
        uint256 poolUsd = (uints[poolAmountKey(p.market, pnlToken)] / divisor) * _price(pnlToken).min;
        int256 poolPnl = _poolPnlUsd(m, p.isLong, index);
        int256 maxPnl = int256(_applyFactor(poolUsd, uints[maxPnlFactorForTradersKey(p.market, p.isLong)]));
        int256 cappedPoolPnl = poolPnl > maxPnl ? maxPnl : poolPnl;
        if (cappedPoolPnl != poolPnl && cappedPoolPnl > 0 && poolPnl > 0) {
            pnl = int256(PRBMath.mulDiv(uint256(pnl), uint256(cappedPoolPnl), uint256(poolPnl)));
        }
    }

    /// MarketUtils.getPnl(maximize = true) for one side: its open interest valued at the price that maximizes its PnL.
    function _poolPnlUsd(MarketProps memory m, bool isLong, Price memory index) internal view returns (int256) {
        (uint256 longOi, uint256 shortOi) = _openInterests(m);
        uint256 openInterest = isLong ? longOi : shortOi;
        uint256 divisor = m.longToken == m.shortToken ? 2 : 1;
        uint256 inTokens = uints[openInterestInTokensKey(m.marketToken, m.longToken, isLong)] / divisor
            + uints[openInterestInTokensKey(m.marketToken, m.shortToken, isLong)] / divisor;
        if (openInterest == 0 || inTokens == 0) return 0;
        int256 value = int256(inTokens * (isLong ? index.max : index.min));
        return isLong ? value - int256(openInterest) : int256(openInterest) - value;
    }

    /// Close impact (positive part capped) plus the pending impact, counted only as a cost and at most the liquidation cap.
    function _liquidationImpactUsd(Position memory p, Price memory index, int256 closeImpactUsd) internal view returns (int256 impact) {
        int256 cap = _maxPositiveImpactUsd(p.market, p.sizeInUsd);
        impact = (closeImpactUsd > cap ? cap : closeImpactUsd) + _impactUsd(p.pendingImpactAmount, index);
        if (impact >= 0) return 0;
        int256 floor = -int256(_applyFactor(p.sizeInUsd, uints[maxPositionImpactFactorForLiquidationsKey(p.market)]));
        return impact < floor ? floor : impact;
    }

    /// PositionPricingUtils.getPriceImpactUsd: the impact on open interest (in USD, or index tokens at the mid price with
    /// usdDelta = tokenDelta x mid when USE_OPEN_INTEREST_IN_TOKENS_FOR_BALANCE), a negative one the worse of that and the
    /// impact on the index token's virtual inventory (getNextOpenInterestForVirtualInventory).
    function _priceImpactUsd(address market, bool isLong, int256 usdDelta, int256 tokenDelta) internal view returns (int256, bool) {
        bool inTokens = bools[USE_OPEN_INTEREST_IN_TOKENS_FOR_BALANCE];
        uint256 mid = inTokens ? _midPrice(markets[market].indexToken) : 1;
        if (inTokens) usdDelta = tokenDelta * int256(mid);
        (int256 impact, bool improved) = _openInterestImpact(market, inTokens, mid, isLong, usdDelta);
        if (impact >= 0) return (impact, improved);
        (bool hasVirtual, int256 virtualImpact, bool virtualImproved) = _virtualInventoryImpact(market, inTokens, mid, isLong, usdDelta);
        return hasVirtual && virtualImpact < impact ? (virtualImpact, virtualImproved) : (impact, improved);
    }

    function _openInterestImpact(address market, bool inTokens, uint256 mid, bool isLong, int256 usdDelta) internal view returns (int256, bool) {
        (uint256 longOi, uint256 shortOi) = inTokens ? _openInterestsInTokens(markets[market]) : _openInterests(markets[market]);
        return _impactOf(market, longOi * mid, shortOi * mid, isLong, usdDelta);
    }

    /// getNextOpenInterestForVirtualInventory: the inventory as one side (sold to the pool: short), both offset by a decrease.
    function _virtualInventoryImpact(address market, bool inTokens, uint256 mid, bool isLong, int256 usdDelta)
        internal
        view
        returns (bool, int256, bool)
    {
        bytes32 virtualTokenId = bytes32s[virtualTokenIdKey(markets[market].indexToken)];
        if (virtualTokenId == bytes32(0)) return (false, 0, false);
        int256 inventory = ints[virtualInventoryForPositionsKey(virtualTokenId, inTokens)] * int256(mid);
        uint256 offset = usdDelta < 0 ? uint256(-usdDelta) : 0;
        (int256 impact, bool improved) = _impactOf(
            market, (inventory < 0 ? uint256(-inventory) : 0) + offset, (inventory > 0 ? uint256(inventory) : 0) + offset, isLong, usdDelta
        );
        return (true, impact, improved);
    }

    function _midPrice(address token) internal view returns (uint256) {
        Price memory price = _price(token);
        return (price.min + price.max) / 2;
    }

    /// PositionPricingUtils._getPriceImpactUsd on getNextOpenInterestParams(longOi, shortOi).
    function _impactOf(address market, uint256 longOi, uint256 shortOi, bool isLong, int256 usdDelta) internal view returns (int256, bool) {
        // PositionPricingUtils.getNextOpenInterestParams: a decrease past the side's interest leaves it at 0.
        uint256 nextLongOi = isLong ? _moved(longOi, usdDelta) : longOi;
        uint256 nextShortOi = isLong ? shortOi : _moved(shortOi, usdDelta);
        uint256 initialDiff = _absDiff(longOi, shortOi);
        uint256 nextDiff = _absDiff(nextLongOi, nextShortOi);
        bool balanceWasImproved = nextDiff < initialDiff;

        if ((longOi <= shortOi) == (nextLongOi <= nextShortOi)) {
            uint256 delta = _absDiff(
                _applyImpactFactor(market, initialDiff, balanceWasImproved), _applyImpactFactor(market, nextDiff, balanceWasImproved)
            );
            return (balanceWasImproved ? int256(delta) : -int256(delta), balanceWasImproved);
        }
        // crossover: the improvement up to balance at the positive factor, the overshoot at the negative one
        return (int256(_applyImpactFactor(market, initialDiff, true)) - int256(_applyImpactFactor(market, nextDiff, false)), balanceWasImproved);
    }

    function _moved(uint256 side, int256 delta) internal pure returns (uint256) {
        if (delta >= 0) return side + uint256(delta);
        return uint256(-delta) > side ? 0 : side - uint256(-delta);
    }

    function _openInterestsInTokens(MarketProps memory m) internal view returns (uint256 longOi, uint256 shortOi) {
        uint256 divisor = m.longToken == m.shortToken ? 2 : 1;
        longOi = uints[openInterestInTokensKey(m.marketToken, m.longToken, true)] / divisor
            + uints[openInterestInTokensKey(m.marketToken, m.shortToken, true)] / divisor;
        shortOi = uints[openInterestInTokensKey(m.marketToken, m.longToken, false)] / divisor
            + uints[openInterestInTokensKey(m.marketToken, m.shortToken, false)] / divisor;
    }

    function _openInterests(MarketProps memory m) internal view returns (uint256 longOi, uint256 shortOi) {
        // a single-token market stores the same interest under both collateral keys
        uint256 divisor = m.longToken == m.shortToken ? 2 : 1;
        longOi = uints[openInterestKey(m.marketToken, m.longToken, true)] / divisor
            + uints[openInterestKey(m.marketToken, m.shortToken, true)] / divisor;
        shortOi = uints[openInterestKey(m.marketToken, m.longToken, false)] / divisor
            + uints[openInterestKey(m.marketToken, m.shortToken, false)] / divisor;
    }

    /// MarketUtils.getAdjustedPositionImpactFactors / ...ExponentFactors: the positive side is never above the negative.
    function _adjustedImpact(address market, bool isPositive) internal view returns (uint256 factor, uint256 exponent) {
        uint256 negativeFactor = uints[positionImpactFactorKey(market, false)];
        uint256 negativeExponent = uints[positionImpactExponentFactorKey(market, false)];
        if (!isPositive) return (negativeFactor, negativeExponent);
        factor = uints[positionImpactFactorKey(market, true)];
        exponent = uints[positionImpactExponentFactorKey(market, true)];
        if (factor > negativeFactor) factor = negativeFactor;
        if (exponent > negativeExponent) exponent = negativeExponent;
    }

    /// PricingUtils.applyImpactFactor (v2.0 on, no "/ 2"): Precision.applyExponentFactor, then applyFactor.
    function _applyImpactFactor(address market, uint256 diffUsd, bool isPositive) internal view returns (uint256) {
        (uint256 factor, uint256 exponent) = _adjustedImpact(market, isPositive);
        return _applyFactor(_applyExponentFactor(diffUsd, exponent), factor);
    }

    /// Precision.applyExponentFactor: 0 under $1, the value itself for an exponent of 1, else PRBMath's pow in 18 decimals.
    function _applyExponentFactor(uint256 value, uint256 exponent) internal pure returns (uint256) {
        if (value < FLOAT_PRECISION) return 0;
        if (exponent == FLOAT_PRECISION) return value;
        return PRBMathUD60x18.pow(value / FLOAT_TO_WEI_DIVISOR, exponent / FLOAT_TO_WEI_DIVISOR) * FLOAT_TO_WEI_DIVISOR;
    }

    // ---------------------------------------------------------------- borrowing and funding accrual (main)

    /// Keys.sol (market, isLong) and (market) keys by name.
    function sideKey(string memory name, address market, bool isLong) public pure returns (bytes32) {
        return keccak256(abi.encode(keccak256(abi.encode(name)), market, isLong));
    }

    function marketKey(string memory name, address market) public pure returns (bytes32) {
        return keccak256(abi.encode(keccak256(abi.encode(name)), market));
    }

    /// MarketUtils.getNextFundingAmountPerSize's result: deltas per [side: 0 long, 1 short][slot: 0 long token, 1 short token].
    struct FundingNext {
        uint256 factorPerSecond;
        bool longsPayShorts;
        int256 nextSavedFactorPerSecond;
        uint256[2][2] feeDelta;
        uint256[2][2] claimableDelta;
    }

    /// PositionUtils.updateFundingAndBorrowingState: funding, then borrowing for longs and shorts, each to block.timestamp.
    function _updateFundingAndBorrowingState(address market) internal {
        MarketProps memory m = markets[market];
        FundingNext memory r = _nextFunding(market);
        address[2] memory tokens = [m.longToken, m.shortToken];
        for (uint256 slot = 0; slot < 2; slot++) {
            for (uint256 side = 0; side < 2; side++) {
                bytes32 key = fundingFeeAmountPerSizeKey(market, tokens[slot], side == 0);
                uint256 delta = r.feeDelta[side][slot];
                if (delta != 0) _raisePerSize("FundingFeeAmountPerSizeUpdated", key, market, tokens[slot], side == 0, uints[key] + delta);
            }
        }
        for (uint256 slot = 0; slot < 2; slot++) {
            for (uint256 side = 0; side < 2; side++) {
                bytes32 key = claimableFundingAmountPerSizeKey(market, tokens[slot], side == 0);
                uint256 delta = r.claimableDelta[side][slot];
                if (delta != 0) _raisePerSize("ClaimableFundingAmountPerSizeUpdated", key, market, tokens[slot], side == 0, uints[key] + delta);
            }
        }
        ints[marketKey("SAVED_FUNDING_FACTOR_PER_SECOND", market)] = r.nextSavedFactorPerSecond;
        uints[marketKey("FUNDING_UPDATED_AT", market)] = block.timestamp;
        for (uint256 side = 0; side < 2; side++) {
            _setCumulativeBorrowingFactor(market, side == 0, _nextCumulativeBorrowingFactor(market, side == 0));
            uints[sideKey("CUMULATIVE_BORROWING_FACTOR_UPDATED_AT", market, side == 0)] = block.timestamp;
        }
    }

    /// A per-size accumulator (funding fee or claimable) as the next update would leave it; a single-token market adds both slots.
    function _nextPerSize(address market, address token, bool isLong, bool isFee) internal view returns (uint256 value) {
        MarketProps memory m = markets[market];
        value = uints[isFee ? fundingFeeAmountPerSizeKey(market, token, isLong) : claimableFundingAmountPerSizeKey(market, token, isLong)];
        FundingNext memory r = _nextFunding(market);
        uint256 side = isLong ? 0 : 1;
        if (token == m.longToken) value += isFee ? r.feeDelta[side][0] : r.claimableDelta[side][0];
        if (token == m.shortToken) value += isFee ? r.feeDelta[side][1] : r.claimableDelta[side][1];
    }

    function _secondsSince(bytes32 updatedAtKey) internal view returns (uint256) {
        uint256 updatedAt = uints[updatedAtKey];
        return updatedAt == 0 ? 0 : block.timestamp - updatedAt;
    }

    /// MarketUtils.getNextCumulativeBorrowingFactor: the stored factor plus seconds x the rate at the current state and prices.
    function _nextCumulativeBorrowingFactor(address market, bool isLong) internal view returns (uint256) {
        uint256 current = uints[cumulativeBorrowingFactorKey(market, isLong)];
        uint256 secs = _secondsSince(sideKey("CUMULATIVE_BORROWING_FACTOR_UPDATED_AT", market, isLong));
        return secs == 0 ? current : current + secs * _borrowingFactorPerSecond(markets[market], isLong);
    }

    /// MarketUtils.getBorrowingFactorPerSecond: reserved USD against the side's pool, by the kink or the exponent model.
    function _borrowingFactorPerSecond(MarketProps memory m, bool isLong) internal view returns (uint256) {
        uint256 reservedUsd;
        if (isLong) {
            (uint256 longTokens, ) = _openInterestsInTokens(m);
            reservedUsd = longTokens * _price(m.indexToken).max;
        } else {
            (, reservedUsd) = _openInterests(m);
        }
        if (reservedUsd == 0) return 0;
        if (bools[keccak256(abi.encode("SKIP_BORROWING_FEE_FOR_SMALLER_SIDE"))]) {
            (uint256 longOi, uint256 shortOi) = _balanceOpenInterests(m);
            if (isLong ? longOi < shortOi : shortOi < longOi) return 0;
        }
        address poolToken = isLong ? m.longToken : m.shortToken;
        uint256 poolUsd = (uints[poolAmountKey(m.marketToken, poolToken)] / (m.longToken == m.shortToken ? 2 : 1)) * _price(poolToken).min;
        if (poolUsd == 0) revert EmptyPool(m.marketToken);
        uint256 optimal = uints[sideKey("OPTIMAL_USAGE_FACTOR", m.marketToken, isLong)];
        if (optimal != 0) {
            // getKinkBorrowingFactor with getUsageFactor (reserve usage only, v2.2 on)
            uint256 usage = _toFactor(reservedUsd, _applyFactor(poolUsd, uints[sideKey("OPEN_INTEREST_RESERVE_FACTOR", m.marketToken, isLong)]));
            uint256 base = uints[sideKey("BASE_BORROWING_FACTOR", m.marketToken, isLong)];
            uint256 factor = _applyFactor(usage, base);
            if (usage > optimal && FLOAT_PRECISION > optimal) {
                uint256 above = uints[sideKey("ABOVE_OPTIMAL_USAGE_BORROWING_FACTOR", m.marketToken, isLong)];
                factor += (above > base ? above - base : 0) * (usage - optimal) / (FLOAT_PRECISION - optimal);
            }
            return factor;
        }
        uint256 reservedToPool = _toFactor(_applyExponentFactor(reservedUsd, uints[sideKey("BORROWING_EXPONENT_FACTOR", m.marketToken, isLong)]), poolUsd);
        return _applyFactor(reservedToPool, uints[sideKey("BORROWING_FACTOR", m.marketToken, isLong)]);
    }

    /// MarketUtils.getOpenInterestForBalance: USD, or index tokens at the mid price when the market balances in tokens.
    function _balanceOpenInterests(MarketProps memory m) internal view returns (uint256, uint256) {
        if (!bools[USE_OPEN_INTEREST_IN_TOKENS_FOR_BALANCE]) return _openInterests(m);
        (uint256 longTokens, uint256 shortTokens) = _openInterestsInTokens(m);
        uint256 mid = _midPrice(m.indexToken);
        return (longTokens * mid, shortTokens * mid);
    }

    /// MarketUtils.getNextFundingAmountPerSize: the paying side's size x seconds x rate, split by its collateral, per size.
    function _nextFunding(address market) internal view returns (FundingNext memory r) {
        MarketProps memory m = markets[market];
        uint256 divisor = m.longToken == m.shortToken ? 2 : 1;
        uint256[2][2] memory oi;
        for (uint256 side = 0; side < 2; side++) {
            oi[side][0] = uints[openInterestKey(market, m.longToken, side == 0)] / divisor;
            oi[side][1] = uints[openInterestKey(market, m.shortToken, side == 0)] / divisor;
        }
        uint256 longOi = oi[0][0] + oi[0][1];
        uint256 shortOi = oi[1][0] + oi[1][1];
        if (longOi == 0 || shortOi == 0) return r;
        uint256 secs = _secondsSince(marketKey("FUNDING_UPDATED_AT", market));
        (r.factorPerSecond, r.longsPayShorts, r.nextSavedFactorPerSecond) = _nextFundingFactorPerSecond(m, secs);
        uint256 payingSize = r.longsPayShorts ? longOi : shortOi;
        if (v20Rules) payingSize = longOi > shortOi ? longOi : shortOi; // v2.0: sizeOfLargerSide
        uint256 fundingUsd = _applyFactor(payingSize, secs * r.factorPerSecond) / divisor;
        uint256 payer = r.longsPayShorts ? 0 : 1;
        for (uint256 slot = 0; slot < 2; slot++) {
            uint256 share = _mulDiv(fundingUsd, oi[payer][slot], r.longsPayShorts ? longOi : shortOi, false);
            uint256 priceMax = _price(slot == 0 ? m.longToken : m.shortToken).max;
            r.feeDelta[payer][slot] = _fundingPerSize(share, oi[payer][slot], priceMax, true);
            r.claimableDelta[1 - payer][slot] = _fundingPerSize(share, r.longsPayShorts ? shortOi : longOi, priceMax, false);
        }
    }

    /// MarketUtils.getFundingAmountPerSizeDelta.
    function _fundingPerSize(uint256 fundingUsd, uint256 openInterest, uint256 tokenPrice, bool roundUp) internal pure returns (uint256) {
        if (fundingUsd == 0 || openInterest == 0) return 0;
        uint256 perSizeUsd = _mulDiv(fundingUsd, FUNDING_PRECISION, openInterest, roundUp);
        return roundUp ? _ceilDiv(perSizeUsd, tokenPrice) : perSizeUsd / tokenPrice;
    }

    /// MarketUtils.getNextFundingFactorPerSecond (main): skew factor, then fixed (capped) or adaptive from the saved factor.
    function _nextFundingFactorPerSecond(MarketProps memory m, uint256 secs) internal view returns (uint256, bool, int256) {
        (uint256 longOi, uint256 shortOi) = _balanceOpenInterests(m);
        address market = m.marketToken;
        if (v20Rules) return _v20FundingFactorPerSecond(market, longOi, shortOi);
        uint256 increaseFactor = uints[marketKey("FUNDING_INCREASE_FACTOR_PER_SECOND", market)];
        uint256 diffUsd = _absDiff(longOi, shortOi);
        if (diffUsd == 0 && increaseFactor == 0) return (0, true, 0);
        uint256 skew = _toFactor(_applyExponentFactor(diffUsd, uints[marketKey("FUNDING_EXPONENT_FACTOR", market)]), longOi + shortOi);
        uint256 maxFactor = uints[marketKey("MAX_FUNDING_FACTOR_PER_SECOND", market)];
        if (increaseFactor == 0) {
            uint256 factor = _applyFactor(skew, uints[marketKey("FUNDING_FACTOR", market)]);
            return (factor > maxFactor ? maxFactor : factor, longOi > shortOi, 0);
        }
        int256 saved = ints[marketKey("SAVED_FUNDING_FACTOR_PER_SECOND", market)];
        int256 next = saved;
        bool sameDirection = (saved > 0 && longOi > shortOi) || (saved < 0 && shortOi > longOi);
        if (!sameDirection || skew > uints[marketKey("THRESHOLD_FOR_STABLE_FUNDING", market)]) {
            int256 increase = int256(_applyFactor(skew, increaseFactor) * secs);
            next = saved + (longOi < shortOi ? -increase : increase);
        } else if (skew < uints[marketKey("THRESHOLD_FOR_DECREASE_FUNDING", market)] && saved != 0) {
            uint256 magnitude = uint256(saved > 0 ? saved : -saved);
            uint256 decrease = uints[marketKey("FUNDING_DECREASE_FACTOR_PER_SECOND", market)] * secs;
            int256 sign = saved > 0 ? int256(1) : int256(-1);
            next = magnitude <= decrease ? sign : int256(magnitude - decrease) * sign;
        }
        next = _boundMagnitude(next, 0, maxFactor);
        int256 withMin = _boundMagnitude(next, uints[marketKey("MIN_FUNDING_FACTOR_PER_SECOND", market)], maxFactor);
        return (uint256(withMin > 0 ? withMin : -withMin), withMin > 0, next);
    }

    /// v2.0's MarketUtils.getFundingFactorPerSecond; longs pay when larger (getNextFundingAmountPerSize).
    function _v20FundingFactorPerSecond(address market, uint256 longOi, uint256 shortOi) internal view returns (uint256, bool, int256) {
        uint256 stable = uints[marketKey("STABLE_FUNDING_FACTOR", market)];
        if (stable > 0) return (stable, longOi > shortOi, 0);
        uint256 diffUsd = _absDiff(longOi, shortOi);
        if (diffUsd == 0) return (0, false, 0);
        uint256 skew = _toFactor(_applyExponentFactor(diffUsd, uints[marketKey("FUNDING_EXPONENT_FACTOR", market)]), longOi + shortOi);
        return (_applyFactor(skew, uints[marketKey("FUNDING_FACTOR", market)]), longOi > shortOi, 0);
    }

    /// Calc.boundMagnitude: |value| clamped to [min, max], sign kept (0 counts as positive).
    function _boundMagnitude(int256 value, uint256 min, uint256 max) internal pure returns (int256) {
        uint256 magnitude = uint256(value > 0 ? value : -value);
        if (magnitude < min) magnitude = min;
        if (magnitude > max) magnitude = max;
        return value < 0 ? -int256(magnitude) : int256(magnitude);
    }

    /// Precision.toFactor: 0 for a zero value; reverts on a zero divisor otherwise.
    function _toFactor(uint256 value, uint256 divisor) internal pure returns (uint256) {
        return value == 0 ? 0 : PRBMath.mulDiv(value, FLOAT_PRECISION, divisor);
    }

    // ---------------------------------------------------------------- fees (collateral token amounts)

    /// The funding a position owes is rounded up.
    function _fundingFeeAmount(Position memory p) internal view returns (uint256) {
        uint256 perSize = _nextPerSize(p.market, p.collateralToken, p.isLong, true);
        return _mulDiv(p.sizeInUsd, perSize - p.fundingFeeAmountPerSize, FUNDING_PRECISION, true);
    }

    /// PositionPricingUtils.getPositionFees: the position fee at POSITION_FEE_FACTOR(market, balanceWasImproved) less the
    /// trader's referral discount (getPositionFeesAfterReferral), borrowing and funding since the position's snapshots.
    function _fees(Position memory p, uint256 sizeDeltaUsd, uint256 collateralMinPrice, bool balanceWasImproved)
        internal
        view
        returns (Fees memory f)
    {
        f.positionFeeFactor = uints[positionFeeFactorKey(p.market, balanceWasImproved)];
        f.positionFeeAmount = _applyFactor(sizeDeltaUsd, f.positionFeeFactor) / collateralMinPrice;
        (f.referralCode, f.affiliate, f.totalRebateFactor, f.traderDiscountFactor) = _referralInfo(p.account);
        f.traderDiscountAmount = _applyFactor(f.positionFeeAmount, f.traderDiscountFactor);
        f.borrowingFeeUsd = _applyFactor(p.sizeInUsd, _nextCumulativeBorrowingFactor(p.market, p.isLong) - p.borrowingFactor);
        f.borrowingFeeAmount = f.borrowingFeeUsd / collateralMinPrice;
        f.fundingFeeAmount = _fundingFeeAmount(p);
        // MarketUtils.getFundingAmount(roundUp = false): what the position earned since its snapshots
        MarketProps memory m = markets[p.market];
        f.claimableLongTokenAmount = _mulDiv(
            p.sizeInUsd, _nextPerSize(p.market, m.longToken, p.isLong, false) - p.longTokenClaimableFundingAmountPerSize, FUNDING_PRECISION, false
        );
        f.claimableShortTokenAmount = _mulDiv(
            p.sizeInUsd, _nextPerSize(p.market, m.shortToken, p.isLong, false) - p.shortTokenClaimableFundingAmountPerSize, FUNDING_PRECISION, false
        );
        f.totalCostAmount = f.positionFeeAmount - f.traderDiscountAmount + f.borrowingFeeAmount + f.fundingFeeAmount;
    }

    /// An order's fees, with PositionFeesCollected (PositionEventUtils.emitPositionFeesCollected) before its position event.
    function _chargeFees(Position memory p, Order memory o, Execution memory e, int256 tokenDelta, bool isIncrease)
        internal
        returns (Fees memory f)
    {
        int256 usdDelta = isIncrease ? int256(o.sizeDeltaUsd) : -int256(o.sizeDeltaUsd);
        (, bool balanceWasImproved) = _priceImpactUsd(o.market, o.isLong, usdDelta, tokenDelta);
        f = _fees(p, o.sizeDeltaUsd, e.collateral.min, balanceWasImproved);
        _emitPositionFees(o, e, f, isIncrease);
        MarketProps memory m = markets[o.market];
        _creditClaimableFunding(o.market, m.longToken, o.account, f.claimableLongTokenAmount);
        _creditClaimableFunding(o.market, m.shortToken, o.account, f.claimableShortTokenAmount);
    }

    /// PositionUtils.incrementClaimableFundingAmount, with ClaimableFundingUpdated (MarketEventUtils).
    function _creditClaimableFunding(address market, address token, address account, uint256 delta) internal {
        if (delta == 0) return;
        bytes32 key = claimableFundingAmountKey(market, token, account);
        uint256 next = uints[key] + delta;
        uints[key] = next;

        EventLogData memory d;
        d.initAddress(3);
        d.setAddress(0, "market", market);
        d.setAddress(1, "token", token);
        d.setAddress(2, "account", account);
        d.initUint(3);
        d.setUint(0, "delta", delta);
        d.setUint(1, "nextValue", next);
        d.setUint(2, "nextPoolValue", 0);
        emit EventLog1(msg.sender, "ClaimableFundingUpdated", "ClaimableFundingUpdated", _topic(account), d);
    }

    function _emitPositionFees(Order memory o, Execution memory e, Fees memory f, bool isIncrease) internal {
        EventLogData memory d;
        d.initBytes32(3);
        d.setBytes32(0, "orderKey", o.orderKey);
        d.setBytes32(1, "positionKey", e.positionKey);
        d.setBytes32(2, "referralCode", f.referralCode);
        d.initAddress(5);
        d.setAddress(0, "market", o.market);
        d.setAddress(1, "collateralToken", o.collateralToken);
        d.setAddress(2, "affiliate", f.affiliate);
        d.setAddress(3, "trader", o.account);
        d.setAddress(4, "uiFeeReceiver", address(0));
        // the 23 items every release emits, then the referral ones when there is a rebate (liquidation and pro-tier parts: none here)
        d.initUint(f.totalRebateFactor > 0 ? 29 : 23);
        d.setUint(0, "collateralTokenPrice.min", e.collateral.min);
        d.setUint(1, "collateralTokenPrice.max", e.collateral.max);
        d.setUint(2, "tradeSizeUsd", o.sizeDeltaUsd);
        d.setUint(3, "fundingFeeAmount", f.fundingFeeAmount);
        d.setUint(4, "claimableLongTokenAmount", f.claimableLongTokenAmount);
        d.setUint(5, "claimableShortTokenAmount", f.claimableShortTokenAmount);
        d.setUint(6, "latestFundingFeeAmountPerSize", 0);
        d.setUint(7, "latestLongTokenClaimableFundingAmountPerSize", 0);
        d.setUint(8, "latestShortTokenClaimableFundingAmountPerSize", 0);
        d.setUint(9, "borrowingFeeUsd", f.borrowingFeeUsd);
        d.setUint(10, "borrowingFeeAmount", f.borrowingFeeAmount);
        d.setUint(11, "borrowingFeeReceiverFactor", 0);
        d.setUint(12, "borrowingFeeAmountForFeeReceiver", 0);
        d.setUint(13, "positionFeeFactor", f.positionFeeFactor);
        d.setUint(14, "protocolFeeAmount", f.positionFeeAmount - f.traderDiscountAmount);
        d.setUint(15, "positionFeeReceiverFactor", 0);
        d.setUint(16, "feeReceiverAmount", 0);
        d.setUint(17, "feeAmountForPool", f.positionFeeAmount - f.traderDiscountAmount + f.borrowingFeeAmount);
        d.setUint(18, "positionFeeAmountForPool", f.positionFeeAmount - f.traderDiscountAmount);
        d.setUint(19, "positionFeeAmount", f.positionFeeAmount);
        d.setUint(20, "totalCostAmount", f.totalCostAmount);
        d.setUint(21, "uiFeeReceiverFactor", 0);
        d.setUint(22, "uiFeeAmount", 0);
        if (f.totalRebateFactor > 0) {
            d.setUint(23, "referral.totalRebateFactor", f.totalRebateFactor);
            d.setUint(24, "referral.adjustedAffiliateRewardFactor", 0);
            d.setUint(25, "referral.traderDiscountFactor", f.traderDiscountFactor);
            d.setUint(26, "referral.totalRebateAmount", f.traderDiscountAmount);
            d.setUint(27, "referral.traderDiscountAmount", f.traderDiscountAmount);
            d.setUint(28, "referral.affiliateRewardAmount", 0);
        }
        d.initBool(1);
        d.setBool(0, "isIncrease", isIncrease);
        emit EventLog1(msg.sender, "PositionFeesCollected", "PositionFeesCollected", _topic(o.market), d);
    }

    // ---------------------------------------------------------------- helpers

    function _market(address market) internal view returns (MarketProps memory m) {
        m = markets[market];
        if (m.marketToken == address(0)) revert MarketNotFound(market);
    }

    function _validateCollateral(MarketProps memory m, address collateralToken) internal pure {
        if (collateralToken != m.longToken && collateralToken != m.shortToken) {
            revert InvalidCollateralToken(m.marketToken, collateralToken);
        }
    }

    function _price(address token) internal view returns (Price memory price) {
        price = prices[token];
        if (price.min == 0) revert PriceNotSet(token);
    }

    /// Stores an accumulator that may only grow; returns the increase.
    function _raise(bytes32 key, uint256 value) internal returns (uint256) {
        uint256 current = uints[key];
        if (value < current) revert DecreasingAccumulator(key, current, value);
        uints[key] = value;
        return value - current;
    }

    /// Index-token impact in USD: a gain valued at the min price, a cost at the max.
    function _impactUsd(int256 amount, Price memory index) internal pure returns (int256) {
        return amount * int256(amount > 0 ? index.min : index.max);
    }

    /// The pending impact released by closing sizeDelta of size; a negative one rounds away from zero.
    function _proportionalPendingImpact(int256 pending, uint256 sizeDelta, uint256 size) internal pure returns (int256) {
        if (pending >= 0) return int256(_mulDiv(uint256(pending), sizeDelta, size, false));
        return -int256(_mulDiv(uint256(-pending), sizeDelta, size, true));
    }

    function _applyFactor(uint256 value, uint256 factor) internal pure returns (uint256) {
        return PRBMath.mulDiv(value, factor, FLOAT_PRECISION);
    }

    function _mulDiv(uint256 x, uint256 y, uint256 denominator, bool roundUp) internal pure returns (uint256 result) {
        result = PRBMath.mulDiv(x, y, denominator);
        if (roundUp && mulmod(x, y, denominator) != 0) result += 1;
    }

    function _ceilDiv(uint256 a, uint256 b) internal pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }

    function _absDiff(uint256 a, uint256 b) internal pure returns (uint256) {
        return a > b ? a - b : b - a;
    }

    function _topic(address value) internal pure returns (bytes32) {
        return bytes32(uint256(uint160(value)));
    }
}
