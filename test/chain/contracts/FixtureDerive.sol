// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Derive (Lyra v2) SubAccounts as its events show it: an ERC-721 of subaccounts, each holding signed
/// balances per (asset, subId), every change emitted as BalanceAdjusted. The keeper (the deployer)
/// moves balances directly: no manager hooks, no margin checks, no tokens move.
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
    /// Reported as every account's manager (Derive's risk manager); nothing calls it.
    address public immutable manager;
    uint256 public lastAccountId;
    /// Highest tradeId used so far, so a keeper in a later process continues the sequence.
    uint256 public lastTradeId;

    mapping(uint256 => address) private accountOwners;
    mapping(uint256 => mapping(address => mapping(uint96 => int256))) private balances;

    modifier onlyOwner() {
        if (msg.sender != owner) revert Unauthorized(msg.sender);
        _;
    }

    constructor(address manager_) {
        owner = msg.sender;
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

/// A Derive perp asset: only its address and underlying matter here; balances live in SubAccounts.
contract FixtureDerivePerpAsset {
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
