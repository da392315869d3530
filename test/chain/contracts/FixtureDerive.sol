// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Derive (Lyra v2) SubAccounts as its events show it: an ERC-721 of subaccounts, each holding signed
/// balances per (asset, subId), every change emitted as BalanceAdjusted. The keeper (the deployer)
/// moves balances directly: no manager hooks, no margin checks, no tokens move. The manager reads
/// an account's nonzero balances through getAccountBalances, as Derive's managers do.
contract FixtureDeriveSubAccounts {
    event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);
    event BalanceAdjusted(
        uint256 indexed accountId,
        address indexed manager,
        bytes32 indexed assetAndSubId,
        int256 amount,
        int256 preBalance,
        int256 postBalance,
        uint256 tradeId
    );

    error Unauthorized(address caller);
    error UnknownAccount(uint256 accountId);
    error NotAccountOwner(uint256 accountId, address from);
    error InvalidRecipient();
    error SelfTrade(uint256 accountId);
    error SubIdTooLarge(uint256 subId);

    address public immutable owner;
    /// Reported as every account's manager (Derive's risk manager); it never blocks an adjustment.
    address public manager;
    uint256 public lastAccountId;
    /// Highest tradeId used so far, so a keeper in a later process continues the sequence.
    uint256 public lastTradeId;

    mapping(uint256 => address) private accountOwners;
    mapping(uint256 => mapping(address => mapping(uint96 => int256))) private balances;
    /// Every (asset, subId) an account ever held, in first-seen order.
    mapping(uint256 => address[]) private heldAssets;
    mapping(uint256 => uint96[]) private heldSubIds;
    mapping(uint256 => mapping(address => mapping(uint96 => bool))) private seen;

    modifier onlyOwner() {
        if (msg.sender != owner) revert Unauthorized(msg.sender);
        _;
    }

    constructor(address manager_) {
        owner = msg.sender;
        manager = manager_;
    }

    function setManager(address manager_) external onlyOwner {
        manager = manager_;
    }

    // ---------------------------------------------------------------- ERC-721 subset

    /// Open to anyone, as in Derive: ids count up from 1.
    function createAccount(address accountOwner) external returns (uint256 accountId) {
        if (accountOwner == address(0)) revert InvalidRecipient();
        accountId = ++lastAccountId;
        accountOwners[accountId] = accountOwner;
        emit Transfer(address(0), accountOwner, accountId);
    }

    function ownerOf(uint256 accountId) public view returns (address accountOwner) {
        accountOwner = accountOwners[accountId];
        if (accountOwner == address(0)) revert UnknownAccount(accountId);
    }

    /// By the account's owner, or by the keeper so the simulator needs no wallet gas.
    function transferFrom(address from, address to, uint256 accountId) external {
        if (msg.sender != from && msg.sender != owner) revert Unauthorized(msg.sender);
        if (ownerOf(accountId) != from) revert NotAccountOwner(accountId, from);
        if (to == address(0)) revert InvalidRecipient();
        accountOwners[accountId] = to;
        emit Transfer(from, to, accountId);
    }

    // ---------------------------------------------------------------- balances

    function getBalance(uint256 accountId, address asset, uint256 subId) external view returns (int256) {
        if (subId > type(uint96).max) revert SubIdTooLarge(subId);
        return balances[accountId][asset][uint96(subId)];
    }

    /// The account's nonzero balances (ISubAccounts.getAccountBalances, as parallel arrays).
    function getAccountBalances(uint256 accountId)
        external
        view
        returns (address[] memory assets, uint96[] memory subIds, int256[] memory amounts)
    {
        address[] storage all = heldAssets[accountId];
        uint256 n;
        for (uint256 i; i < all.length; i++) if (balances[accountId][all[i]][heldSubIds[accountId][i]] != 0) n++;
        assets = new address[](n);
        subIds = new uint96[](n);
        amounts = new int256[](n);
        uint256 j;
        for (uint256 i; i < all.length; i++) {
            int256 b = balances[accountId][all[i]][heldSubIds[accountId][i]];
            if (b == 0) continue;
            (assets[j], subIds[j], amounts[j]) = (all[i], heldSubIds[accountId][i], b);
            j++;
        }
    }

    function adjustBalance(uint256 accountId, address asset, uint96 subId, int256 amount, uint256 tradeId) external onlyOwner {
        _adjust(accountId, asset, subId, amount, tradeId);
    }

    /// Buyer gains `amount` of (asset, subId) from the seller and pays `premium` of cash (subId 0) for it;
    /// either cash balance may go negative (a borrow). A zero premium moves no cash (perp trades).
    function trade(
        uint256 buyer,
        uint256 seller,
        address asset,
        uint96 subId,
        int256 amount,
        address cashAsset,
        int256 premium,
        uint256 tradeId
    ) external onlyOwner {
        if (buyer == seller) revert SelfTrade(buyer);
        _adjust(buyer, asset, subId, amount, tradeId);
        _adjust(seller, asset, subId, -amount, tradeId);
        if (premium != 0) {
            _adjust(buyer, cashAsset, 0, -premium, tradeId);
            _adjust(seller, cashAsset, 0, premium, tradeId);
        }
    }

    function _adjust(uint256 accountId, address asset, uint96 subId, int256 amount, uint256 tradeId) private {
        ownerOf(accountId); // reverts for an account that was never created
        int256 preBalance = balances[accountId][asset][subId];
        int256 postBalance = preBalance + amount;
        balances[accountId][asset][subId] = postBalance;
        if (!seen[accountId][asset][subId]) {
            seen[accountId][asset][subId] = true;
            heldAssets[accountId].push(asset);
            heldSubIds[accountId].push(subId);
        }
        if (tradeId > lastTradeId) lastTradeId = tradeId;
        bytes32 assetAndSubId = bytes32((uint256(uint160(asset)) << 96) | subId);
        emit BalanceAdjusted(accountId, manager, assetAndSubId, amount, preBalance, postBalance, tradeId);
    }
}

/// A Derive option asset: balances live in SubAccounts; the subId encodes (expiry, strike, isCall)
/// as Derive's OptionEncoding does.
contract FixtureDeriveOptionAsset {
    error InvalidExpiry(uint256 expiry);
    error InvalidStrike(uint256 strike);

    /// Strikes are 18-decimal but stored in 8 decimals.
    uint256 private constant STRIKE_UNIT = 1e10;
    uint256 private constant MAX_STRIKE_UNITS = 2 ** 63 - 1;

    address public immutable underlying;

    constructor(address underlying_) {
        underlying = underlying_;
    }

    /// Bits 0-31 expiry, 32-94 strike / 1e10, 95 isCall.
    function toSubId(uint256 expiry, uint256 strike, bool isCall) external pure returns (uint96) {
        if (expiry > type(uint32).max) revert InvalidExpiry(expiry);
        if (strike % STRIKE_UNIT != 0 || strike / STRIKE_UNIT > MAX_STRIKE_UNITS) revert InvalidStrike(strike);
        return uint96(expiry | ((strike / STRIKE_UNIT) << 32) | ((isCall ? uint256(1) : 0) << 95));
    }

    function getOptionDetails(uint96 subId) external pure returns (uint256 expiry, uint256 strike, bool isCall) {
        expiry = subId & type(uint32).max;
        strike = ((subId >> 32) & MAX_STRIKE_UNITS) * STRIKE_UNIT;
        isCall = (subId >> 95) > 0;
    }
}

interface IFixtureFeed {
    function latestAnswer() external view returns (int256);
}

/// An 18-decimal price from a Chainlink-style feed.
function feedPrice18(address feed, uint8 feedDecimals) view returns (uint256) {
    return uint256(IFixtureFeed(feed).latestAnswer()) * 10 ** (18 - feedDecimals);
}

/// A Derive perp asset: balances live in SubAccounts; per account the price at which its PnL was last
/// realised (PerpAsset.PositionDetail). The perp's price is the index feed; funding stays zero.
contract FixtureDerivePerpAsset {
    struct PositionDetail {
        uint256 lastMarkPrice;
        int256 funding;
        int256 pnl;
        int256 lastAggregatedFunding;
        uint256 lastFundingPaid;
    }

    address public immutable underlying;
    FixtureDeriveSubAccounts public immutable subAccounts;
    address public immutable feed;
    uint8 public immutable feedDecimals;
    mapping(uint256 => PositionDetail) public positions;

    constructor(address underlying_, FixtureDeriveSubAccounts subAccounts_, address feed_, uint8 feedDecimals_) {
        underlying = underlying_;
        subAccounts = subAccounts_;
        feed = feed_;
        feedDecimals = feedDecimals_;
    }

    function getPerpPrice() public view returns (uint256 price, uint256 confidence) {
        return (feedPrice18(feed, feedDecimals), 1e18);
    }

    /// Realises PnL on the current balance at the perp price (PerpAsset._realizePNLWithMark); the keeper
    /// calls it for both sides before a perp trade, as PerpAsset.handleAdjustment does.
    function realizeAccountPNL(uint256 accountId) external {
        (uint256 price,) = getPerpPrice();
        PositionDetail storage p = positions[accountId];
        int256 size = subAccounts.getBalance(accountId, address(this), 0);
        p.pnl += (int256(price) - int256(p.lastMarkPrice)) * size / 1e18;
        p.lastMarkPrice = price;
        p.lastFundingPaid = block.timestamp;
    }
}

/// A Derive WrappedERC20Asset: base collateral (subId 0, 18 decimals); balances live in SubAccounts.
contract FixtureDeriveBaseAsset {
    address public immutable underlying;

    constructor(address underlying_) {
        underlying = underlying_;
    }
}

/// Derive's cash asset (subId 0): balances live in SubAccounts; negative cash is a borrow.
contract FixtureDeriveCashAsset {
    address public immutable underlying;

    constructor(address underlying_) {
        underlying = underlying_;
    }
}

/// Derive's StandardManager margin rule (derivexyz/v2-core src/risk-managers/StandardManager.sol
/// getMargin), written for this fixture from the contract's formulas: cash, and per market perps
/// (notional x mm/imPerpReq, plus PnL not yet settled), wrapped base (spot x marginFactor, x IMScale
/// for IM) and options per expiry (isolated margins against max loss with unpaired calls). The
/// forward is the spot feed, and options are valued at expiry only (intrinsic): a live option has no
/// Black76 here and getMargin reverts. startAuction applies DutchAuction's start condition, MM < 0.
contract FixtureDeriveStandardManager {
    struct OptionMarginParams {
        uint256 maxSpotReq;
        uint256 minSpotReq;
        uint256 mmCallSpotReq;
        uint256 mmPutSpotReq;
        uint256 MMPutMtMReq;
        uint256 unpairedMMScale;
        uint256 unpairedIMScale;
        uint256 mmOffsetScale;
    }

    struct Market {
        address option;
        address perp;
        address base;
        address feed;
        uint8 feedDecimals;
        OptionMarginParams optionParams;
        uint256 mmPerpReq;
        uint256 imPerpReq;
        uint256 marginFactor;
        uint256 IMScale;
    }

    struct Opt {
        uint256 expiry;
        uint256 strike;
        bool isCall;
        int256 balance;
    }

    error Unauthorized(address caller);
    error LiveOptionNotPriced(uint96 subId);
    error DA_AccountIsAboveMaintenanceMargin();

    event AuctionStarted(uint256 indexed accountId, int256 maintenanceMargin);

    address public immutable owner;
    FixtureDeriveSubAccounts public immutable subAccounts;
    address public immutable cashAsset;
    Market[] private markets;

    constructor(FixtureDeriveSubAccounts subAccounts_, address cashAsset_) {
        owner = msg.sender;
        subAccounts = subAccounts_;
        cashAsset = cashAsset_;
    }

    function addMarket(Market calldata market) external {
        if (msg.sender != owner) revert Unauthorized(msg.sender);
        markets.push(market);
    }

    /// Starts (here: records) an auction only when maintenance margin is below zero.
    function startAuction(uint256 accountId) external {
        int256 mm = getMargin(accountId, false);
        if (mm >= 0) revert DA_AccountIsAboveMaintenanceMargin();
        emit AuctionStarted(accountId, mm);
    }

    function getMargin(uint256 accountId, bool isInitial) public view returns (int256 margin) {
        (address[] memory assets, uint96[] memory subIds, int256[] memory amounts) = subAccounts.getAccountBalances(accountId);
        for (uint256 i; i < assets.length; i++) if (assets[i] == cashAsset) margin += amounts[i];
        for (uint256 m; m < markets.length; m++) margin += _marketMargin(markets[m], accountId, assets, subIds, amounts, isInitial);
    }

    function _marketMargin(
        Market storage mk,
        uint256 accountId,
        address[] memory assets,
        uint96[] memory subIds,
        int256[] memory amounts,
        bool isInitial
    ) private view returns (int256 margin) {
        uint256 spot = feedPrice18(mk.feed, mk.feedDecimals);
        Opt[] memory opts = new Opt[](assets.length);
        uint256 n;
        for (uint256 i; i < assets.length; i++) {
            if (assets[i] == mk.perp) {
                margin += _perpMargin(mk, accountId, amounts[i], isInitial);
            } else if (assets[i] == mk.base) {
                int256 baseMargin = int256(_mul(_mul(uint256(amounts[i]), spot), mk.marginFactor));
                margin += isInitial ? _smul(baseMargin, int256(mk.IMScale)) : baseMargin;
            } else if (assets[i] == mk.option) {
                uint96 subId = subIds[i];
                opts[n++] = Opt(uint256(subId & type(uint32).max), uint256((subId >> 32) & (2 ** 63 - 1)) * 1e10, (subId >> 95) > 0, amounts[i]);
                if (opts[n - 1].expiry > block.timestamp) revert LiveOptionNotPriced(subId);
            }
        }
        for (uint256 i; i < n; i++) {
            bool first = true;
            for (uint256 j; j < i; j++) if (opts[j].expiry == opts[i].expiry) first = false;
            if (first) margin += _expiryMargin(mk.optionParams, opts, n, opts[i].expiry, spot, isInitial);
        }
    }

    /// _getNetPerpMargin plus PerpAsset.getUnsettledAndUnrealizedCash (perp price = spot feed).
    function _perpMargin(Market storage mk, uint256 accountId, int256 size, bool isInitial) private view returns (int256) {
        (uint256 price,) = FixtureDerivePerpAsset(mk.perp).getPerpPrice();
        (uint256 lastMarkPrice, int256 funding, int256 pnl,,) = FixtureDerivePerpAsset(mk.perp).positions(accountId);
        uint256 notional = _mul(size < 0 ? uint256(-size) : uint256(size), price);
        int256 requirement = -int256(_mul(notional, isInitial ? mk.imPerpReq : mk.mmPerpReq));
        return requirement + _smul(int256(price) - int256(lastMarkPrice), size) + pnl + funding;
    }

    /// _calcNetBasicMarginSingleExpiry with marks at intrinsic on the forward (= spot).
    function _expiryMargin(OptionMarginParams storage p, Opt[] memory opts, uint256 n, uint256 expiry, uint256 spot, bool isInitial)
        private
        view
        returns (int256)
    {
        int256 maxLoss = _maxLoss(opts, n, expiry, 0);
        int256 isolated;
        int256 netCalls;
        for (uint256 i; i < n; i++) {
            Opt memory o = opts[i];
            if (o.expiry != expiry) continue;
            uint256 mark = o.isCall ? (spot > o.strike ? spot - o.strike : 0) : (o.strike > spot ? o.strike - spot : 0);
            int256 mtm = _smul(int256(mark), o.balance);
            if (o.balance < 0) isolated += o.isCall ? _callMargin(p, mtm, o.strike, o.balance, spot, isInitial) : _putMargin(p, mtm, o.strike, o.balance, spot, isInitial);
            int256 atStrike = _maxLoss(opts, n, expiry, o.strike);
            if (atStrike < maxLoss) maxLoss = atStrike;
            if (o.isCall) netCalls += o.balance;
        }
        if (netCalls < 0) maxLoss += _smul(int256(_mul(isInitial ? p.unpairedIMScale : p.unpairedMMScale, spot)), netCalls);
        return isolated > maxLoss ? isolated : maxLoss;
    }

    function _maxLoss(Opt[] memory opts, uint256 n, uint256 expiry, uint256 price) private pure returns (int256 payoff) {
        for (uint256 i; i < n; i++) {
            Opt memory o = opts[i];
            if (o.expiry != expiry) continue;
            int256 diff = int256(price) - int256(o.strike);
            if (o.isCall && diff > 0) payoff += _smul(diff, o.balance);
            else if (!o.isCall && diff < 0) payoff -= _smul(diff, o.balance);
        }
        if (payoff > 0) payoff = 0;
    }

    function _putMargin(OptionMarginParams storage p, int256 mtm, uint256 strike, int256 amount, uint256 spot, bool isInitial)
        private
        view
        returns (int256)
    {
        int256 bySpot = _smul(int256(_mul(p.mmPutSpotReq, spot)), amount);
        int256 byMtm = _smul(int256(p.MMPutMtMReq), mtm);
        int256 mm = (bySpot < byMtm ? bySpot : byMtm) + mtm;
        if (!isInitial) return mm;
        uint256 otm = spot > strike ? (spot - strike) * 1e18 / spot : 0;
        int256 im = _smul(int256(_mul(_imMultiplier(p, otm), spot)), amount) + mtm;
        int256 offset = _smul(mm, int256(p.mmOffsetScale));
        return im < offset ? im : offset;
    }

    function _callMargin(OptionMarginParams storage p, int256 mtm, uint256 strike, int256 amount, uint256 spot, bool isInitial)
        private
        view
        returns (int256)
    {
        if (!isInitial) return mtm + _smul(int256(_mul(p.mmCallSpotReq, spot)), amount);
        uint256 otm = strike > spot ? (strike - spot) * 1e18 / spot : 0;
        return _smul(int256(_mul(_imMultiplier(p, otm), spot)), amount) + mtm;
    }

    function _imMultiplier(OptionMarginParams storage p, uint256 otm) private view returns (uint256) {
        return p.maxSpotReq > otm && p.maxSpotReq - otm > p.minSpotReq ? p.maxSpotReq - otm : p.minSpotReq;
    }

    function _mul(uint256 x, uint256 y) private pure returns (uint256) {
        return x * y / 1e18;
    }

    function _smul(int256 x, int256 y) private pure returns (int256) {
        return x * y / 1e18;
    }
}
