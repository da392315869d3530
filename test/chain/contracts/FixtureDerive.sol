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
    /// Reported as the manager of every account without its own (Derive's risk manager); it never blocks an adjustment.
    address public manager;
    uint256 public lastAccountId;
    /// Highest tradeId used so far, so a keeper in a later process continues the sequence.
    uint256 public lastTradeId;

    mapping(uint256 => address) private accountOwners;
    /// Per-account manager (SubAccounts.manager(accountId)); zero means the global `manager`.
    mapping(uint256 => address) private accountManagers;
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

    /// Puts one account under its own manager (as SubAccounts.changeManager does; no event here, so the
    /// contract's events stay exactly Derive's Transfer and BalanceAdjusted). Zero clears it.
    function setAccountManager(uint256 accountId, address manager_) external onlyOwner {
        accountManagers[accountId] = manager_;
    }

    /// The account's manager: its own if set, else the global one (SubAccounts.manager(accountId)).
    function managerOf(uint256 accountId) public view returns (address) {
        address own = accountManagers[accountId];
        return own == address(0) ? manager : own;
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
        emit BalanceAdjusted(accountId, managerOf(accountId), assetAndSubId, amount, preBalance, postBalance, tradeId);
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
/// realised (PerpAsset.PositionDetail). The perp's price is the index feed. Funding follows PerpAsset:
/// the owner sets the hourly rate (PerpAsset derives it from impact prices), aggregatedFunding accrues
/// rate x elapsed / 1h x index (_updateFunding, emitting AggregatedFundingUpdated), and an account's
/// share is -size x (aggregated - its lastAggregatedFunding) (_getFunding).
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
    address public immutable owner;
    int256 public aggregatedFunding;
    int256 public fundingRate;
    uint256 public lastFundingPaidAt;

    event AggregatedFundingUpdated(int256 aggregatedFundingRate, int256 fundingRate, uint256 lastFundingPaidAt);

    constructor(address underlying_, FixtureDeriveSubAccounts subAccounts_, address feed_, uint8 feedDecimals_) {
        owner = msg.sender;
        underlying = underlying_;
        subAccounts = subAccounts_;
        feed = feed_;
        feedDecimals = feedDecimals_;
        lastFundingPaidAt = block.timestamp;
    }

    /// Accrues funding to now at the old rate, then charges the new one from now on. PerpAsset has no
    /// stored rate (it derives one from impact prices at each update); here the new rate is announced
    /// with the index so that readers of the events know it, as a live update would show it.
    function setFundingRate(int256 rate) external {
        require(msg.sender == owner);
        _updateFunding();
        fundingRate = rate;
        emit AggregatedFundingUpdated(aggregatedFunding, fundingRate, lastFundingPaidAt);
    }

    /// PerpAsset._updateFunding.
    function _updateFunding() private {
        if (block.timestamp == lastFundingPaidAt) return;
        (uint256 price,) = getPerpPrice();
        aggregatedFunding += (fundingRate * int256(block.timestamp - lastFundingPaidAt) / 1 hours) * int256(price) / 1e18;
        lastFundingPaidAt = block.timestamp;
        emit AggregatedFundingUpdated(aggregatedFunding, fundingRate, lastFundingPaidAt);
    }

    /// PerpAsset._getUnrealizedFunding: the account's funding if applied now.
    function unrealizedFunding(uint256 accountId) public view returns (int256) {
        (uint256 price,) = getPerpPrice();
        int256 latest = aggregatedFunding + (fundingRate * int256(block.timestamp - lastFundingPaidAt) / 1 hours) * int256(price) / 1e18;
        int256 size = subAccounts.getBalance(accountId, address(this), 0);
        return -(size * (latest - positions[accountId].lastAggregatedFunding) / 1e18);
    }

    function getPerpPrice() public view returns (uint256 price, uint256 confidence) {
        return (feedPrice18(feed, feedDecimals), 1e18);
    }

    /// Realises PnL on the current balance at the perp price (PerpAsset._realizePNLWithMark); the keeper
    /// calls it for both sides before a perp trade, as PerpAsset.handleAdjustment does.
    function realizeAccountPNL(uint256 accountId) external {
        _updateFunding();
        (uint256 price,) = getPerpPrice();
        PositionDetail storage p = positions[accountId];
        int256 size = subAccounts.getBalance(accountId, address(this), 0);
        // _applyFundingOnAccount, then _realizePNLWithMark
        p.funding += -(size * (aggregatedFunding - p.lastAggregatedFunding) / 1e18);
        p.lastAggregatedFunding = aggregatedFunding;
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
/// forward is the spot feed (or the forward feed's settlement price), and options are valued at expiry
/// only (Black76 at zero vol: the payoff through the truncated moneyness): a live option has no
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

    /// The forward feed whose settlement prices value expired options (every market; zero: the spot).
    FixtureLyraForwardFeed public forwardFeed;

    function setForwardFeed(FixtureLyraForwardFeed feed) external {
        if (msg.sender != owner) revert Unauthorized(msg.sender);
        forwardFeed = feed;
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
            if (first) margin += _expiryMargin(mk.optionParams, opts, n, opts[i].expiry, spot, _forward(opts[i].expiry, spot), isInitial);
        }
    }

    /// _getNetPerpMargin plus PerpAsset.getUnsettledAndUnrealizedCash (perp price = spot feed).
    function _perpMargin(Market storage mk, uint256 accountId, int256 size, bool isInitial) private view returns (int256) {
        (uint256 price,) = FixtureDerivePerpAsset(mk.perp).getPerpPrice();
        (uint256 lastMarkPrice, int256 funding, int256 pnl,,) = FixtureDerivePerpAsset(mk.perp).positions(accountId);
        uint256 notional = _mul(size < 0 ? uint256(-size) : uint256(size), price);
        int256 requirement = -int256(_mul(notional, isInitial ? mk.imPerpReq : mk.mmPerpReq));
        int256 unrealized = FixtureDerivePerpAsset(mk.perp).unrealizedFunding(accountId);
        return requirement + unrealized + _smul(int256(price) - int256(lastMarkPrice), size) + pnl + funding;
    }

    /// An expired option's forward: the forward feed's settlement price once it has one, else the spot.
    function _forward(uint256 expiry, uint256 spot) private view returns (uint256) {
        if (address(forwardFeed) == address(0)) return spot;
        (bool settled, uint256 price) = forwardFeed.getSettlementPrice(uint64(expiry));
        return settled ? price : spot;
    }

    /// _calcNetBasicMarginSingleExpiry with marks at expiry on the forward.
    function _expiryMargin(OptionMarginParams storage p, Opt[] memory opts, uint256 n, uint256 expiry, uint256 spot, uint256 forward, bool isInitial)
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
            uint256 mark = _expiredMark(forward, o.strike, o.isCall);
            int256 mtm = _smul(int256(mark), o.balance);
            if (o.balance < 0) isolated += o.isCall ? _callMargin(p, mtm, o.strike, o.balance, spot, isInitial) : _putMargin(p, mtm, o.strike, o.balance, spot, isInitial);
            int256 atStrike = _maxLoss(opts, n, expiry, o.strike);
            if (atStrike < maxLoss) maxLoss = atStrike;
            if (o.isCall) netCalls += o.balance;
        }
        if (netCalls < 0) maxLoss += _smul(int256(_mul(isInitial ? p.unpairedIMScale : p.unpairedMMScale, forward)), netCalls);
        return isolated > maxLoss ? isolated : maxLoss;
    }

    /// _getMarkToMarket at expiry: lyra-utils Black76.pricesAndDelta at zero total vol, discount 1 (the
    /// payoff through the truncated moneyness m = K / F: (1 - m) x F for a call, (m - 1) x F for a put).
    function _expiredMark(uint256 forward, uint256 strike, bool isCall) private pure returns (uint256) {
        if (strike == 0) return isCall ? forward : 0;
        uint256 m = strike * 1e18 / forward;
        if (m == 0) m = 1;
        if (isCall) return m < 1e18 ? (1e18 - m) * forward / 1e18 : 0;
        uint256 put = m > 1e18 ? (m - 1e18) * forward / 1e18 : 0;
        return put > strike ? strike : put;
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

/// Derive v2's portfolio margin manager (derivexyz/v2-core src/risk-managers/PMRM_2.sol and PMRM_2_1.sol
/// with the rules of PMRMLib_2.sol), written for this fixture from those contracts' formulas for one
/// market (its option, perp and spot feed), for portfolios whose options have all expired. Each rule
/// names the contract function it follows; order of operations and truncation are kept (multiplyDecimal
/// = a * b / 1e18 truncating toward zero, divideDecimal = a * 1e18 / b), so another implementation can
/// match it to the wei. Simplifications of this fixture:
/// - Feeds: spot = feedPrice18(spot feed); stable price = 1e18; every confidence = 1e18, so the
///   confidence contingency (PMRMLib_2._getConfidenceContingency, only below confThreshold <= 1e18) is
///   always zero and is left out; interest rate = 0, so every expiry's discount is lyra-utils'
///   FixedPointMathLib.exp(0), which is 1e18 - 1 (its own test pins it); the forward of every expiry is
///   forwardVariablePortion = spot, forwardFixedPortion = 0.
/// - Options: only expired ones (expiry <= block.timestamp, secToExpiry = 0); a live option reverts
///   LiveOptionNotPriced. Black76.pricesAndDelta at zero total vol (floored at 1 wei, so both normal
///   CDFs saturate away from the money): call = (1 - m) x F x discount in the money, put = (m - 1) x
///   F x discount, m = K / F truncated; exactly at the money both are taken as 0. So vol shocks change no mark: Up and Down scenarios mark like None at their spotShock, Linear and Abs
///   at the unshocked forward. The
///   -abs(expiryPnL) rule of Linear/Abs and the static discount still apply in every scenario.
/// - tau = 0: staticDiscountPos = longBaseStaticDiscount x exp(0), staticDiscountNeg =
///   min(1e18 / discount, shortBaseStaticDiscount / exp(0)); the basis contingency factor is
///   basisContAddFactor. Vol-shock and skew-shock parameters are therefore not needed and not kept.
/// - Views and startAuction only: no handleAdjustment/risk checks, fees, settlement, maxExpiries or
///   per-account lib override. startAuction applies DutchAuction._startAuction's start condition only.
/// - Any asset other than cash, the option, the perp and a configured collateral reverts
///   UnsupportedAsset (PMRM_2 would reject it in handleAdjustment / fail reading its spot feed).
contract FixtureDerivePortfolioManager {
    // ---------------------------------------------------------------- parameters (IPMRM_2, IPMRMLib_2)

    /// volShock: 0 None, 1 Up, 2 Down, 3 Linear, 4 Abs (IPMRM_2.VolShockDirection).
    struct Scenario {
        uint256 spotShock;
        uint8 volShock;
        uint256 dampeningFactor;
    }

    struct BasisContingencyParameters {
        uint256 scenarioSpotUp;
        uint256 scenarioSpotDown;
        uint256 basisContAddFactor;
        uint256 basisContMultFactor;
    }

    struct OtherContingencyParameters {
        uint256 pegLossThreshold;
        uint256 pegLossFactor;
        uint256 confThreshold;
        uint256 confMargin;
        uint256 MMPerpPercent;
        uint256 IMPerpPercent;
        uint256 MMOptionPercent;
        uint256 IMOptionPercent;
    }

    struct MarginParameters {
        uint256 imFactor;
        uint256 mmFactor;
        uint256 shortRateMultScale;
        uint256 longRateMultScale;
        uint256 shortRateAddScale;
        uint256 longRateAddScale;
        uint256 shortBaseStaticDiscount;
        uint256 longBaseStaticDiscount;
    }

    struct CollateralParameters {
        bool isEnabled;
        bool isRiskCancelling;
        uint256 MMHaircut;
        uint256 IMHaircut;
    }

    // ---------------------------------------------------------------- arranged portfolio (IPMRM_2.Portfolio)

    struct StrikeHolding {
        uint256 strike;
        int256 amount;
        bool isCall;
        bool seenInFilter;
    }

    struct ExpiryHoldings {
        uint256 expiry;
        uint256 forwardFixedPortion;
        uint256 forwardVariablePortion;
        uint256 discount;
        uint256 netOptions;
        int256 mtm;
        int256 basisScenarioUpMtM;
        int256 basisScenarioDownMtM;
        uint256 staticDiscountPos;
        uint256 staticDiscountNeg;
        StrikeHolding[] options;
    }

    struct CollateralHolding {
        address asset;
        uint256 value;
    }

    struct Portfolio {
        uint256 spotPrice;
        uint256 perpPrice;
        uint256 stablePrice;
        int256 cash;
        ExpiryHoldings[] expiries;
        CollateralHolding[] collaterals;
        int256 perpPosition;
        int256 totalMtM;
        int256 basisContingency;
        uint256 MMContingency;
        uint256 IMContingency;
        int256 perpValue;
    }

    uint8 private constant VOL_LINEAR = 3;
    uint8 private constant VOL_ABS = 4;
    int256 private constant SUNIT = 1e18;
    uint256 private constant UNIT = 1e18;
    /// lyra-utils FixedPointMathLib.exp(0): one wei short of 1.
    uint256 private constant EXP_ZERO = 1e18 - 1;

    error Unauthorized(address caller);
    error LiveOptionNotPriced(uint96 subId);
    error UnsupportedAsset(address asset);
    error NegativeCollateral(address asset, int256 balance);
    error DA_AccountIsAboveMaintenanceMargin();
    error PMRM_2_InvalidScenarios();
    error PMRM_2_InvalidCollateralAsset();
    error PMRML2_InvalidBasisContingencyParameters();
    error PMRML2_InvalidOtherContingencyParameters();
    error PMRML2_InvalidMarginParameters();
    error PMRML2_InvalidCollateralParameters();
    error PMRML2_InvalidGetMarginState();

    event AuctionStarted(uint256 indexed accountId, int256 maintenanceMargin);

    address public immutable owner;
    FixtureDeriveSubAccounts public immutable subAccounts;
    address public immutable cashAsset;
    address public immutable option;
    address public immutable perp;
    address public immutable spotFeed;
    uint8 public immutable spotFeedDecimals;

    Scenario[] private marginScenarios;
    BasisContingencyParameters private basisContParams;
    OtherContingencyParameters private otherContParams;
    MarginParameters private marginParams;
    mapping(address => CollateralParameters) private collaterals;
    /// PMRM_2.collateralSpotFeeds: a Chainlink-style feed and its decimals per collateral asset.
    mapping(address => address) public collateralSpotFeeds;
    mapping(address => uint8) public collateralFeedDecimals;

    modifier onlyOwner() {
        if (msg.sender != owner) revert Unauthorized(msg.sender);
        _;
    }

    constructor(
        FixtureDeriveSubAccounts subAccounts_,
        address cashAsset_,
        address optionAsset_,
        address perpAsset_,
        address feed_,
        uint8 feedDecimals_
    ) {
        owner = msg.sender;
        subAccounts = subAccounts_;
        cashAsset = cashAsset_;
        option = optionAsset_;
        perp = perpAsset_;
        spotFeed = feed_;
        spotFeedDecimals = feedDecimals_;
    }

    // ---------------------------------------------------------------- owner

    /// PMRM_2.setScenarios: 1..40 scenarios, at most one Linear and one Abs, each at spotShock 1e18
    /// (and, as the enum's ABI decoding does, no volShock beyond Abs).
    function setScenarios(Scenario[] calldata scenarios) external onlyOwner {
        if (scenarios.length == 0 || scenarios.length > 40) revert PMRM_2_InvalidScenarios();
        bool seenLinear;
        bool seenAbs;
        delete marginScenarios;
        for (uint256 i; i < scenarios.length; i++) {
            Scenario calldata s = scenarios[i];
            if (s.volShock > VOL_ABS) revert PMRM_2_InvalidScenarios();
            if (s.volShock == VOL_ABS || s.volShock == VOL_LINEAR) {
                bool seen = s.volShock == VOL_ABS ? seenAbs : seenLinear;
                if (seen || s.spotShock != UNIT) revert PMRM_2_InvalidScenarios();
                if (s.volShock == VOL_ABS) seenAbs = true;
                else seenLinear = true;
            }
            marginScenarios.push(s);
        }
    }

    /// PMRMLib_2.setBasisContingencyParams bounds.
    function setBasisContingencyParams(BasisContingencyParameters calldata p) external onlyOwner {
        bool ok = p.scenarioSpotUp > 1e18 && p.scenarioSpotUp < 3e18 && p.scenarioSpotDown < 1e18
            && p.basisContMultFactor <= 20e18 && p.basisContAddFactor <= 20e18;
        if (!ok) revert PMRML2_InvalidBasisContingencyParameters();
        basisContParams = p;
    }

    /// PMRMLib_2.setOtherContingencyParams bounds.
    function setOtherContingencyParams(OtherContingencyParameters calldata p) external onlyOwner {
        bool ok = p.pegLossThreshold <= 100e18 && p.pegLossFactor <= 10e18 && p.confThreshold <= 1e18
            && p.confMargin <= 20e18 && p.MMPerpPercent <= 3e18 && p.IMPerpPercent <= 3e18
            && p.MMOptionPercent <= 2e18 && p.IMOptionPercent <= 2e18;
        if (!ok) revert PMRML2_InvalidOtherContingencyParameters();
        otherContParams = p;
    }

    /// PMRMLib_2.setMarginParams bounds.
    function setMarginParams(MarginParameters calldata p) external onlyOwner {
        bool ok = p.imFactor >= 0.5e18 && p.imFactor <= 10e18 && p.mmFactor >= 0.1e18 && p.mmFactor <= 10e18
            && p.shortRateMultScale <= 10e18 && p.longRateMultScale <= 10e18 && p.shortRateAddScale <= 10e18
            && p.longRateAddScale <= 10e18 && p.shortBaseStaticDiscount <= 4e18 && p.longBaseStaticDiscount <= 4e18;
        if (!ok) revert PMRML2_InvalidMarginParameters();
        marginParams = p;
    }

    /// PMRM_2.setCollateralSpotFeed (not the option, perp or cash) and PMRMLib_2.setCollateralParameters
    /// (enabled, IMHaircut + MMHaircut <= 1, MMHaircut <= 1) in one call.
    function setCollateral(address asset, address feed, uint8 feedDecimals, CollateralParameters calldata params)
        external
        onlyOwner
    {
        if (asset == option || asset == perp || asset == cashAsset) revert PMRM_2_InvalidCollateralAsset();
        if (!params.isEnabled || params.IMHaircut + params.MMHaircut > 1e18 || params.MMHaircut > 1e18) {
            revert PMRML2_InvalidCollateralParameters();
        }
        collateralSpotFeeds[asset] = feed;
        collateralFeedDecimals[asset] = feedDecimals;
        collaterals[asset] = params;
    }

    // ---------------------------------------------------------------- views

    function getScenarios() external view returns (Scenario[] memory) {
        return marginScenarios;
    }

    function getBasisContingencyParams() external view returns (BasisContingencyParameters memory) {
        return basisContParams;
    }

    function getOtherContingencyParams() external view returns (OtherContingencyParameters memory) {
        return otherContParams;
    }

    function getMarginParams() external view returns (MarginParameters memory) {
        return marginParams;
    }

    function getCollateralParameters(address asset) external view returns (CollateralParameters memory) {
        return collaterals[asset];
    }

    /// PMRM_2_1.getMargin: margin over all scenarios (negative: below the requirement).
    function getMargin(uint256 accountId, bool isInitial) external view returns (int256 margin) {
        (margin,,) = _marginAndMarkToMarket(_arrangePortfolio(accountId), isInitial, marginScenarios);
    }

    /// PMRM_2_1.getMarginAndMtM: margin, mark-to-market and the worst scenario's index (== scenario count
    /// when the basis contingency is the worst).
    function getMarginAndMtM(uint256 accountId, bool isInitial)
        external
        view
        returns (int256 margin, int256 mtm, uint256 worstScenario)
    {
        return _marginAndMarkToMarket(_arrangePortfolio(accountId), isInitial, marginScenarios);
    }

    /// PMRM_2_1.getMarginAndMarkToMarket: margin and mark-to-market under one scenario only.
    function getMarginAndMarkToMarket(uint256 accountId, bool isInitial, uint256 scenarioId)
        public
        view
        returns (int256 margin, int256 mtm)
    {
        Scenario[] memory one = new Scenario[](1);
        one[0] = marginScenarios[scenarioId];
        (margin, mtm,) = _marginAndMarkToMarket(_arrangePortfolio(accountId), isInitial, one);
    }

    /// PMRM_2_1.getScenarioPnL (scenarioId == scenario count: scenario 0, as there).
    function getScenarioPnL(uint256 accountId, uint256 scenarioId) external view returns (int256) {
        Portfolio memory p = _arrangePortfolio(accountId);
        return _scenarioPnL(p, marginScenarios[scenarioId == marginScenarios.length ? 0 : scenarioId]);
    }

    /// DutchAuction._startAuction's condition: only when the scenario's maintenance margin is below zero.
    function startAuction(uint256 accountId, uint256 scenarioId) external {
        (int256 mm,) = getMarginAndMarkToMarket(accountId, false, scenarioId);
        if (mm >= 0) revert DA_AccountIsAboveMaintenanceMargin();
        emit AuctionStarted(accountId, mm);
    }

    // ---------------------------------------------------------------- margin (PMRMLib_2)

    /// PMRMLib_2.getMarginAndMarkToMarket: minSPAN starts at the basis contingency, takes the lowest
    /// scenario PnL, is scaled by im/mmFactor (+ peg loss for IM), less the contingencies.
    function _marginAndMarkToMarket(Portfolio memory p, bool isInitial, Scenario[] memory scenarios)
        private
        view
        returns (int256 margin, int256 markToMarket, uint256 worstScenario)
    {
        if (scenarios.length == 0) revert PMRML2_InvalidGetMarginState();
        int256 minSPAN = p.basisContingency;
        worstScenario = scenarios.length;
        for (uint256 i; i < scenarios.length; i++) {
            int256 pnl = _scenarioPnL(p, scenarios[i]);
            if (pnl < minSPAN) {
                minSPAN = pnl;
                worstScenario = i;
            }
        }
        uint256 mFactor = isInitial ? marginParams.imFactor : marginParams.mmFactor;
        if (isInitial && p.stablePrice < otherContParams.pegLossThreshold) {
            mFactor += _mul(otherContParams.pegLossThreshold - p.stablePrice, otherContParams.pegLossFactor);
        }
        minSPAN = _smul(minSPAN, _int(mFactor));
        if (isInitial) minSPAN -= _int(p.IMContingency);
        minSPAN -= _int(p.MMContingency);
        margin = minSPAN + p.totalMtM + p.cash;
        markToMarket = p.totalMtM + p.cash;
    }

    /// PMRMLib_2.getScenarioPnL: the scenario's difference to the mark-to-market (perp, options per expiry
    /// after static discount, risk-cancelling collateral), each x dampeningFactor.
    function _scenarioPnL(Portfolio memory p, Scenario memory s) private view returns (int256 pnl) {
        int256 damp = _int(s.dampeningFactor);
        pnl += _smul(_shockedPerpPnL(p.perpPosition, p.perpPrice, s.spotShock), damp);
        bool skew = s.volShock == VOL_LINEAR || s.volShock == VOL_ABS;
        for (uint256 j; j < p.expiries.length; j++) {
            ExpiryHoldings memory e = p.expiries[j];
            int256 shocked = _scenarioExpiryMtM(e, s, skew);
            shocked = _smul(shocked, shocked >= 0 ? _int(e.staticDiscountPos) : _int(e.staticDiscountNeg));
            int256 expiryPnL = _smul(shocked - e.mtm, damp);
            // skew scenarios take the worse of +/- each expiry's PnL (-abs)
            pnl += skew && expiryPnL > 0 ? -expiryPnL : expiryPnL;
        }
        for (uint256 j; j < p.collaterals.length; j++) {
            CollateralHolding memory c = p.collaterals[j];
            if (!collaterals[c.asset].isRiskCancelling) continue;
            pnl += _smul(_smul(_int(c.value), _int(s.spotShock) - SUNIT), damp);
        }
    }

    /// PMRMLib_2.getScenarioPnL's choice of mark: the cached mtm / basis marks for None at 1, up or down;
    /// Linear/Abs (_getExpirySkewedShockedMTM) at the unshocked forward; otherwise _getExpiryShockedMTM.
    function _scenarioExpiryMtM(ExpiryHoldings memory e, Scenario memory s, bool skew) private view returns (int256) {
        if (s.volShock == 0 && s.spotShock == UNIT) return e.mtm;
        if (s.volShock == 0 && s.spotShock == basisContParams.scenarioSpotUp) return e.basisScenarioUpMtM;
        if (s.volShock == 0 && s.spotShock == basisContParams.scenarioSpotDown) return e.basisScenarioDownMtM;
        return _expiryShockedMtM(e, skew ? UNIT : s.spotShock);
    }

    /// PMRMLib_2._getExpiryShockedMTM at secToExpiry 0: forward = variable x spotShock + fixed; each
    /// option's price (Black76 at zero vol, discounted) x amount.
    function _expiryShockedMtM(ExpiryHoldings memory e, uint256 spotShock) private pure returns (int256 total) {
        uint256 forward = _mul(e.forwardVariablePortion, spotShock) + e.forwardFixedPortion;
        for (uint256 i; i < e.options.length; i++) {
            StrikeHolding memory o = e.options[i];
            total += _smul(_int(_expiredPrice(forward, o.strike, o.isCall, e.discount)), o.amount);
        }
    }

    /// lyra-utils Black76.pricesAndDelta at zero total vol: standardised prices from moneyness m = K / F,
    /// scaled by the discounted forward, capped at the discounted forward (call) and strike (put).
    function _expiredPrice(uint256 forward, uint256 strike, bool isCall, uint256 discount) private pure returns (uint256) {
        uint256 fwdDiscounted = forward * discount / UNIT;
        if (strike == 0) return isCall ? fwdDiscounted : 0;
        uint256 strikeDiscounted = strike * discount / UNIT;
        if (forward == 0) return isCall ? 0 : strikeDiscounted;
        uint256 m = strike * UNIT / forward;
        if (m == 0) m = 1;
        uint256 stdCall = m < UNIT ? UNIT - m : 0;
        if (isCall) {
            uint256 call = stdCall * fwdDiscounted / UNIT;
            return call > fwdDiscounted ? fwdDiscounted : call;
        }
        uint256 stdPut = stdCall + m >= UNIT ? stdCall + m - UNIT : 0;
        uint256 put = stdPut * fwdDiscounted / UNIT;
        return put > strikeDiscounted ? strikeDiscounted : put;
    }

    /// PMRMLib_2._getShockedPerpPnL: position x ((spotShock - 1) x perpPrice).
    function _shockedPerpPnL(int256 position, uint256 perpPrice, uint256 spotShock) private pure returns (int256) {
        if (position == 0) return 0;
        return _smul(position, _smul(_int(spotShock) - SUNIT, _int(perpPrice)));
    }

    // ---------------------------------------------------------------- precomputes (PMRMLib_2.addPrecomputes)

    /// PMRMLib_2.addPrecomputes: perp value and contingency, per expiry mtm, basis contingency, static
    /// discount and option contingency, then collateral value and haircuts.
    function _addPrecomputes(Portfolio memory p) private view {
        p.totalMtM += p.perpValue;
        uint256 perpNotional = _mul(_abs(p.perpPosition), p.spotPrice);
        p.MMContingency = _mul(perpNotional, otherContParams.MMPerpPercent);
        p.IMContingency = _mul(perpNotional, otherContParams.IMPerpPercent);
        // (+ _getConfidenceContingency: zero, every confidence is 1e18)
        for (uint256 i; i < p.expiries.length; i++) {
            ExpiryHoldings memory e = p.expiries[i];
            e.mtm = _expiryShockedMtM(e, UNIT);
            p.totalMtM += e.mtm;
            _addBasisContingency(p, e);
            _addStaticDiscount(e);
            _addOptionContingency(p, e);
        }
        for (uint256 i; i < p.collaterals.length; i++) {
            CollateralHolding memory c = p.collaterals[i];
            CollateralParameters storage params = collaterals[c.asset];
            p.totalMtM += _int(c.value);
            p.MMContingency += _mul(c.value, params.MMHaircut);
            p.IMContingency += _mul(c.value, params.IMHaircut);
        }
    }

    /// PMRMLib_2._addBasisContingency: min(up - mtm, down - mtm, 0) x (addFactor + multFactor x tau),
    /// tau = 0 here.
    function _addBasisContingency(Portfolio memory p, ExpiryHoldings memory e) private view {
        e.basisScenarioUpMtM = _expiryShockedMtM(e, basisContParams.scenarioSpotUp);
        e.basisScenarioDownMtM = _expiryShockedMtM(e, basisContParams.scenarioSpotDown);
        int256 up = e.basisScenarioUpMtM - e.mtm;
        int256 down = e.basisScenarioDownMtM - e.mtm;
        int256 contingency = up < down ? up : down;
        if (contingency > 0) contingency = 0;
        uint256 factor = basisContParams.basisContAddFactor + _mul(basisContParams.basisContMultFactor, 0);
        p.basisContingency += _smul(contingency, _int(factor));
    }

    /// PMRMLib_2._addStaticDiscount at tau = 0: pos = longBase x exp(0), neg = min(1 / discount, shortBase / exp(0)).
    function _addStaticDiscount(ExpiryHoldings memory e) private view {
        e.staticDiscountPos = _mul(marginParams.longBaseStaticDiscount, EXP_ZERO);
        uint256 neg = _div(marginParams.shortBaseStaticDiscount, EXP_ZERO);
        uint256 cap = _div(UNIT, e.discount);
        e.staticDiscountNeg = cap < neg ? cap : neg;
    }

    /// PMRMLib_2._addOptionContingency: naked shorts per strike (a long at the same strike, call or put,
    /// covers them), x spot x MM/IMOptionPercent.
    function _addOptionContingency(Portfolio memory p, ExpiryHoldings memory e) private view {
        uint256 nakedShorts;
        StrikeHolding[] memory opts = e.options;
        for (uint256 i; i < opts.length; i++) {
            if (opts[i].seenInFilter) continue;
            bool found;
            for (uint256 j = i + 1; j < opts.length; j++) {
                if (opts[i].strike != opts[j].strike) continue;
                opts[j].seenInFilter = true;
                nakedShorts += _pairNakedShorts(opts[i].amount, opts[j].amount);
                found = true;
            }
            if (!found && opts[i].amount < 0) nakedShorts += _abs(opts[i].amount);
        }
        uint256 notionalShorts = _mul(nakedShorts, p.spotPrice);
        p.MMContingency += _mul(notionalShorts, otherContParams.MMOptionPercent);
        p.IMContingency += _mul(notionalShorts, otherContParams.IMOptionPercent);
    }

    /// The naked part of two holdings at one strike (PMRMLib_2._addOptionContingency's inner branch).
    function _pairNakedShorts(int256 a, int256 b) private pure returns (uint256) {
        if (a * b < 0) {
            // a short against a long: the short beyond the long
            return a < 0 ? _abs(a) - _int2uint(-a < b ? -a : b) : _abs(b) - _int2uint(a < -b ? a : -b);
        }
        if (a < 0) return _abs(a) + _abs(b); // both short
        return 0;
    }

    // ---------------------------------------------------------------- arranging (PMRM_2)

    /// PMRM_2._arrangePortfolio: count expiries and collaterals, read spot/stable, initialise expiries,
    /// place the assets, read the perp price when a perp is held, then addPrecomputes.
    function _arrangePortfolio(uint256 accountId) private view returns (Portfolio memory p) {
        (address[] memory assets, uint96[] memory subIds, int256[] memory amounts) = subAccounts.getAccountBalances(accountId);
        (uint256[] memory expiries, uint256[] memory optionCounts, uint256 seen, uint256 collateralCount) =
            _countExpiriesAndAssets(assets, subIds);
        p.expiries = new ExpiryHoldings[](seen);
        p.collaterals = new CollateralHolding[](collateralCount);
        p.spotPrice = feedPrice18(spotFeed, spotFeedDecimals);
        p.stablePrice = UNIT;
        _initialiseExpiries(p, expiries, optionCounts);
        for (uint256 i; i < assets.length; i++) {
            collateralCount = _arrangeAsset(accountId, p, assets[i], subIds[i], amounts[i], optionCounts, collateralCount);
        }
        if (p.perpPosition != 0) (p.perpPrice,) = FixtureDerivePerpAsset(perp).getPerpPrice();
        _addPrecomputes(p);
    }

    /// PMRM_2._countExpiriesAndAssets: distinct expiries in first-seen order with their option counts,
    /// and how many assets have a collateral feed. Live options and unknown assets revert here.
    function _countExpiriesAndAssets(address[] memory assets, uint96[] memory subIds)
        private
        view
        returns (uint256[] memory expiries, uint256[] memory optionCounts, uint256 seen, uint256 collateralCount)
    {
        expiries = new uint256[](assets.length);
        optionCounts = new uint256[](assets.length);
        for (uint256 i; i < assets.length; i++) {
            address asset = assets[i];
            if (asset == option) {
                (uint256 expiry,,) = _decodeSubId(subIds[i]);
                if (expiry > block.timestamp) revert LiveOptionNotPriced(subIds[i]);
                uint256 j;
                while (j < seen && expiries[j] != expiry) j++;
                if (j == seen) expiries[seen++] = expiry;
                optionCounts[j]++;
            } else if (collateralSpotFeeds[asset] != address(0)) {
                collateralCount++;
            } else if (asset != cashAsset && asset != perp) {
                revert UnsupportedAsset(asset);
            }
        }
    }

    /// The forward feed whose settlement prices fix expired options' forwards (zero: the spot).
    FixtureLyraForwardFeed public forwardFeed;

    function setForwardFeed(FixtureLyraForwardFeed feed) external onlyOwner {
        forwardFeed = feed;
    }

    /// PMRM_2._initialiseExpiries with rate 0 (discount exp(0)) and forward = spot (variable portion);
    /// once settled, LyraForwardFeed.getForwardPricePortions gives the settlement price as the fixed
    /// portion and nothing variable (the expiry no longer moves with spot).
    function _initialiseExpiries(Portfolio memory p, uint256[] memory expiries, uint256[] memory optionCounts) private view {
        for (uint256 i; i < p.expiries.length; i++) {
            ExpiryHoldings memory e = p.expiries[i];
            e.expiry = expiries[i];
            e.options = new StrikeHolding[](optionCounts[i]);
            (bool settled, uint256 price) = address(forwardFeed) == address(0) ? (false, 0) : forwardFeed.getSettlementPrice(uint64(expiries[i]));
            e.forwardFixedPortion = settled ? price : 0;
            e.forwardVariablePortion = settled ? 0 : p.spotPrice;
            e.discount = EXP_ZERO;
        }
    }

    /// PMRM_2._arrangeAssets for one balance: options fill their expiry from the back, cash and perp are
    /// taken as held (perp value = PerpAsset.getUnsettledAndUnrealizedCash), a collateral is valued
    /// balance x price / stablePrice. Returns the collateral slots still free.
    function _arrangeAsset(
        uint256 accountId,
        Portfolio memory p,
        address asset,
        uint96 subId,
        int256 amount,
        uint256[] memory optionCounts,
        uint256 collateralCount
    ) private view returns (uint256) {
        if (asset == option) {
            (uint256 expiry, uint256 strike, bool isCall) = _decodeSubId(subId);
            uint256 k;
            while (p.expiries[k].expiry != expiry) k++;
            ExpiryHoldings memory e = p.expiries[k];
            e.netOptions += _abs(amount);
            e.options[--optionCounts[k]] = StrikeHolding(strike, amount, isCall, false);
        } else if (asset == cashAsset) {
            p.cash = amount;
        } else if (asset == perp) {
            p.perpPosition = amount;
            p.perpValue = _perpValue(accountId, amount);
        } else {
            if (amount < 0) revert NegativeCollateral(asset, amount); // SafeCast.toUint256 in PMRM_2
            uint256 price = feedPrice18(collateralSpotFeeds[asset], collateralFeedDecimals[asset]);
            p.collaterals[--collateralCount] = CollateralHolding(asset, uint256(amount) * price / p.stablePrice);
        }
        return collateralCount;
    }

    /// PerpAsset.getUnsettledAndUnrealizedCash: funding since the account's last application, unrealised
    /// PnL at the perp price since the last mark, plus PnL and funding realised but not settled.
    function _perpValue(uint256 accountId, int256 size) private view returns (int256) {
        (uint256 price,) = FixtureDerivePerpAsset(perp).getPerpPrice();
        (uint256 lastMarkPrice, int256 funding, int256 pnl,,) = FixtureDerivePerpAsset(perp).positions(accountId);
        return FixtureDerivePerpAsset(perp).unrealizedFunding(accountId) + _smul(int256(price) - int256(lastMarkPrice), size) + pnl + funding;
    }

    /// OptionEncoding.fromSubId, as FixtureDeriveOptionAsset.getOptionDetails.
    function _decodeSubId(uint96 subId) private pure returns (uint256 expiry, uint256 strike, bool isCall) {
        expiry = subId & type(uint32).max;
        strike = uint256((subId >> 32) & (2 ** 63 - 1)) * 1e10;
        isCall = (subId >> 95) > 0;
    }

    // ---------------------------------------------------------------- decimal math (DecimalMath, SignedDecimalMath)

    function _mul(uint256 x, uint256 y) private pure returns (uint256) {
        return x * y / UNIT;
    }

    function _div(uint256 x, uint256 y) private pure returns (uint256) {
        return x * UNIT / y;
    }

    function _smul(int256 x, int256 y) private pure returns (int256) {
        return x * y / SUNIT;
    }

    function _abs(int256 x) private pure returns (uint256) {
        return x < 0 ? uint256(-x) : uint256(x);
    }

    /// SafeCast.toInt256.
    function _int(uint256 x) private pure returns (int256) {
        require(x <= uint256(type(int256).max), "SafeCast: int256 overflow");
        return int256(x);
    }

    /// SafeCast.toUint256.
    function _int2uint(int256 x) private pure returns (uint256) {
        require(x >= 0, "SafeCast: negative");
        return uint256(x);
    }
}

/// Derive's LyraVolFeed (derivexyz/v2-core src/feeds/LyraVolFeed.sol) as its events show it: the owner
/// publishes an expiry's SVI curve and the feed emits VolDataUpdated. No signed-data checks and no
/// getVol: the indexer prices options from the events.
contract FixtureLyraVolFeed {
    struct VolDetails {
        int256 SVI_a;
        uint256 SVI_b;
        int256 SVI_rho;
        int256 SVI_m;
        uint256 SVI_sigma;
        uint256 SVI_fwd;
        uint64 SVI_refTau;
        uint64 confidence;
        uint64 timestamp;
    }

    event VolDataUpdated(uint64 indexed expiry, VolDetails volDetails);

    error Unauthorized(address caller);

    address public immutable owner;

    constructor() {
        owner = msg.sender;
    }

    function setVolData(uint64 expiry, VolDetails calldata details) external {
        if (msg.sender != owner) revert Unauthorized(msg.sender);
        emit VolDataUpdated(expiry, details);
    }
}

/// Derive's LyraForwardFeed (derivexyz/v2-core src/feeds/LyraForwardFeed.sol) as its events show it:
/// the owner publishes an expiry's forward and settlement data and the feed emits ForwardDataUpdated.
/// getSettlementPrice is the contract's: final data (timestamp = expiry) gives the 30-minute TWAP.
contract FixtureLyraForwardFeed {
    struct ForwardDetails {
        int96 fwdSpotDifference;
        uint64 confidence;
        uint64 timestamp;
    }

    struct SettlementDetails {
        uint256 settlementStartAggregate;
        uint256 currentSpotAggregate;
    }

    event ForwardDataUpdated(uint64 indexed expiry, ForwardDetails fwdDetails, SettlementDetails settlementDetails);

    error Unauthorized(address caller);

    uint64 public constant SETTLEMENT_TWAP_DURATION = 30 minutes;
    address public immutable owner;
    mapping(uint64 => ForwardDetails) private forwardDetails;
    mapping(uint64 => SettlementDetails) private settlementDetails;

    constructor() {
        owner = msg.sender;
    }

    function setForwardData(uint64 expiry, ForwardDetails calldata fwd, SettlementDetails calldata settlement) external {
        if (msg.sender != owner) revert Unauthorized(msg.sender);
        forwardDetails[expiry] = fwd;
        settlementDetails[expiry] = settlement;
        emit ForwardDataUpdated(expiry, fwd, settlement);
    }

    function getSettlementPrice(uint64 expiry) external view returns (bool settled, uint256 price) {
        if (forwardDetails[expiry].timestamp != expiry) return (false, 0);
        SettlementDetails memory s = settlementDetails[expiry];
        return (true, (s.currentSpotAggregate - s.settlementStartAggregate) / SETTLEMENT_TWAP_DURATION);
    }
}
