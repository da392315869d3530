// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// GMX ReferralStorage's state, getters and events (gmx-contracts contracts/referrals/ReferralStorage.sol:
/// the same names and signatures), with every setter open to the fixture's owner.
contract FixtureReferralStorage {
    struct Tier {
        uint256 totalRebate; // basis points
        uint256 discountShare; // basis points of the rebate
    }

    uint256 public constant BASIS_POINTS = 10000;
    address public immutable owner;

    mapping(address => uint256) public referrerDiscountShares;
    mapping(address => uint256) public referrerTiers;
    mapping(uint256 => Tier) public tiers;
    mapping(bytes32 => address) public codeOwners;
    mapping(address => bytes32) public traderReferralCodes;

    event SetTraderReferralCode(address account, bytes32 code);
    event SetTier(uint256 tierId, uint256 totalRebate, uint256 discountShare);
    event SetReferrerTier(address referrer, uint256 tierId);
    event SetReferrerDiscountShare(address referrer, uint256 discountShare);
    event RegisterCode(address account, bytes32 code);
    event SetCodeOwner(address account, address newAccount, bytes32 code);
    event GovSetCodeOwner(bytes32 code, address newAccount);

    error NotOwner();
    error InvalidBasisPoints(uint256 value);

    constructor() {
        owner = msg.sender;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    function setTier(uint256 tierId, uint256 totalRebate, uint256 discountShare) external onlyOwner {
        if (totalRebate > BASIS_POINTS) revert InvalidBasisPoints(totalRebate);
        if (discountShare > BASIS_POINTS) revert InvalidBasisPoints(discountShare);
        tiers[tierId] = Tier(totalRebate, discountShare);
        emit SetTier(tierId, totalRebate, discountShare);
    }

    function setReferrerTier(address referrer, uint256 tierId) external onlyOwner {
        referrerTiers[referrer] = tierId;
        emit SetReferrerTier(referrer, tierId);
    }

    function setReferrerDiscountShare(address referrer, uint256 discountShare) external onlyOwner {
        if (discountShare > BASIS_POINTS) revert InvalidBasisPoints(discountShare);
        referrerDiscountShares[referrer] = discountShare;
        emit SetReferrerDiscountShare(referrer, discountShare);
    }

    function registerCode(address account, bytes32 code) external onlyOwner {
        codeOwners[code] = account;
        emit RegisterCode(account, code);
    }

    function govSetCodeOwner(bytes32 code, address newAccount) external onlyOwner {
        codeOwners[code] = newAccount;
        emit GovSetCodeOwner(code, newAccount);
    }

    function setTraderReferralCode(address account, bytes32 code) external onlyOwner {
        traderReferralCodes[account] = code;
        emit SetTraderReferralCode(account, code);
    }
}
