// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

interface IFixtureGmxV1Vault {
    function getPosition(address, address, address, bool)
        external
        view
        returns (uint256, uint256, uint256, uint256, uint256, uint256, bool, uint256);
    function getDelta(address, uint256, uint256, bool, uint256) external view returns (bool, uint256);
    function cumulativeFundingRates(address) external view returns (uint256);
    function marginFeeBasisPoints() external view returns (uint256);
    function liquidationFeeUsd() external view returns (uint256);
    function maxLeverage() external view returns (uint256);
}

/// Test fixture written from GMX v1's VaultUtils.validateLiquidation, getPositionFee and
/// getFundingFee (gmx-io/gmx-contracts contracts/core/VaultUtils.sol). `addsProfitOnLiquidation`
/// picks the release: false is the rule before 2025-02-26, true the current one, which counts
/// unrealised profit in the remaining collateral when `_raise` is false (liquidatePosition).
contract FixtureGmxV1VaultUtils {
    uint256 public constant BASIS_POINTS_DIVISOR = 10000;
    uint256 public constant FUNDING_RATE_PRECISION = 1e6;

    IFixtureGmxV1Vault public immutable vault;
    bool public immutable addsProfitOnLiquidation;

    constructor(IFixtureGmxV1Vault _vault, bool _addsProfitOnLiquidation) {
        vault = _vault;
        addsProfitOnLiquidation = _addsProfitOnLiquidation;
    }

    function validateLiquidation(address _account, address _collateralToken, address _indexToken, bool _isLong, bool _raise)
        public
        view
        returns (uint256, uint256)
    {
        (uint256 size, uint256 collateral, uint256 averagePrice, uint256 entryFundingRate,,,, uint256 lastIncreasedTime) =
            vault.getPosition(_account, _collateralToken, _indexToken, _isLong);
        (bool hasProfit, uint256 delta) = vault.getDelta(_indexToken, size, averagePrice, _isLong, lastIncreasedTime);
        uint256 marginFees = getFundingFee(_collateralToken, size, entryFundingRate) + getPositionFee(size);

        if (!hasProfit && collateral < delta) {
            if (_raise) revert("Vault: losses exceed collateral");
            return (1, marginFees);
        }

        uint256 remaining = collateral;
        if (!hasProfit) remaining = collateral - delta;
        if (addsProfitOnLiquidation && !_raise && hasProfit) remaining = collateral + delta;

        if (remaining < marginFees) {
            if (_raise) revert("Vault: fees exceed collateral");
            return (1, remaining);
        }
        if (remaining < marginFees + vault.liquidationFeeUsd()) {
            if (_raise) revert("Vault: liquidation fees exceed collateral");
            return (1, marginFees);
        }
        if (remaining * vault.maxLeverage() < size * BASIS_POINTS_DIVISOR) {
            if (_raise) revert("Vault: maxLeverage exceeded");
            return (2, marginFees);
        }
        return (0, marginFees);
    }

    function getPositionFee(uint256 _sizeDelta) public view returns (uint256) {
        if (_sizeDelta == 0) return 0;
        return _sizeDelta - _sizeDelta * (BASIS_POINTS_DIVISOR - vault.marginFeeBasisPoints()) / BASIS_POINTS_DIVISOR;
    }

    function getFundingFee(address _collateralToken, uint256 _size, uint256 _entryFundingRate) public view returns (uint256) {
        if (_size == 0) return 0;
        uint256 rate = vault.cumulativeFundingRates(_collateralToken) - _entryFundingRate;
        return rate == 0 ? 0 : _size * rate / FUNDING_RATE_PRECISION;
    }
}
