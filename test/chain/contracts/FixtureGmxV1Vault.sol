// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

interface IFixtureToken {
    function balanceOf(address account) external view returns (uint256);
    function transfer(address to, uint256 amount) external returns (bool);
    function decimals() external view returns (uint8);
}

interface IFixtureVaultPriceFeed {
    function getPrice(address token, bool maximise, bool includeAmmPrice, bool useSwapPricing) external view returns (uint256);
}

interface IFixtureVaultUtils {
    function validateLiquidation(address, address, address, bool, bool) external view returns (uint256, uint256);
    function getPositionFee(uint256 sizeDelta) external view returns (uint256);
    function getFundingFee(address collateralToken, uint256 size, uint256 entryFundingRate) external view returns (uint256);
}

/// Test fixture reproducing the position accounting, events and liquidation rule of the
/// GMX v1 Vault (Vault.sol). Prices come from a VaultPriceFeed (getMaxPrice/getMinPrice), the
/// liquidation rule and fees from a VaultUtils (see FixtureGmxV1PriceFeed.sol and
/// FixtureGmxV1VaultUtils.sol). Swaps, USDG, GLP, dynamic fees, guaranteedUsd and global short
/// tracking are left out: they never change a position.
/// Funding is pushed by gov (accrueFunding) instead of accruing from utilisation over time.
contract FixtureGmxV1Vault {
    struct Position {
        uint256 size;
        uint256 collateral;
        uint256 averagePrice;
        uint256 entryFundingRate;
        uint256 reserveAmount;
        int256 realisedPnl;
        uint256 lastIncreasedTime;
    }

    uint256 public constant BASIS_POINTS_DIVISOR = 10000;
    uint256 public constant FUNDING_RATE_PRECISION = 1e6;
    uint256 public constant PRICE_PRECISION = 1e30;
    uint256 public constant MIN_LEVERAGE = 10000; // 1x
    uint256 public constant MAX_FEE_BASIS_POINTS = 500; // 5%
    uint256 public constant MAX_LIQUIDATION_FEE_USD = 100 * PRICE_PRECISION;

    address public gov;

    uint256 public maxLeverage = 50 * 10000; // 50x, GMX default
    uint256 public liquidationFeeUsd;
    uint256 public marginFeeBasisPoints = 10; // 0.1%
    uint256 public minProfitTime;

    mapping(address => bool) public whitelistedTokens;
    mapping(address => uint256) public tokenDecimals;
    address public priceFeed;
    address public vaultUtils;
    bool public includeAmmPrice = true;
    mapping(address => uint256) public minProfitBasisPoints;
    mapping(address => uint256) public cumulativeFundingRates;

    // tokenBalances only exists to measure transfers in (balance diff), as in GMX.
    mapping(address => uint256) public tokenBalances;
    mapping(address => uint256) public poolAmounts;
    mapping(address => uint256) public reservedAmounts;
    mapping(address => uint256) public feeReserves;

    mapping(bytes32 => Position) public positions;

    bool private entered;

    event IncreasePosition(
        bytes32 key,
        address account,
        address collateralToken,
        address indexToken,
        uint256 collateralDelta,
        uint256 sizeDelta,
        bool isLong,
        uint256 price,
        uint256 fee
    );
    event DecreasePosition(
        bytes32 key,
        address account,
        address collateralToken,
        address indexToken,
        uint256 collateralDelta,
        uint256 sizeDelta,
        bool isLong,
        uint256 price,
        uint256 fee
    );
    event LiquidatePosition(
        bytes32 key,
        address account,
        address collateralToken,
        address indexToken,
        bool isLong,
        uint256 size,
        uint256 collateral,
        uint256 reserveAmount,
        int256 realisedPnl,
        uint256 markPrice
    );
    event UpdatePosition(
        bytes32 key,
        uint256 size,
        uint256 collateral,
        uint256 averagePrice,
        uint256 entryFundingRate,
        uint256 reserveAmount,
        int256 realisedPnl,
        uint256 markPrice
    );
    event ClosePosition(
        bytes32 key,
        uint256 size,
        uint256 collateral,
        uint256 averagePrice,
        uint256 entryFundingRate,
        uint256 reserveAmount,
        int256 realisedPnl
    );
    event UpdateFundingRate(address token, uint256 fundingRate);
    event UpdatePnl(bytes32 key, bool hasProfit, uint256 delta);
    event CollectMarginFees(address token, uint256 feeUsd, uint256 feeTokens);
    event DirectPoolDeposit(address token, uint256 amount);

    modifier nonReentrant() {
        require(!entered, "Vault: reentrant call");
        entered = true;
        _;
        entered = false;
    }

    modifier onlyGov() {
        require(msg.sender == gov, "Vault: forbidden");
        _;
    }

    constructor() {
        gov = msg.sender;
    }

    // ---------------------------------------------------------------- governance

    function setGov(address _gov) external onlyGov {
        gov = _gov;
    }

    function setFees(uint256 _marginFeeBasisPoints, uint256 _liquidationFeeUsd, uint256 _maxLeverage) external onlyGov {
        require(_marginFeeBasisPoints <= MAX_FEE_BASIS_POINTS, "Vault: invalid marginFeeBasisPoints");
        require(_liquidationFeeUsd <= MAX_LIQUIDATION_FEE_USD, "Vault: invalid liquidationFeeUsd");
        require(_maxLeverage > MIN_LEVERAGE, "Vault: invalid maxLeverage");
        marginFeeBasisPoints = _marginFeeBasisPoints;
        liquidationFeeUsd = _liquidationFeeUsd;
        maxLeverage = _maxLeverage;
    }

    function setPriceFeed(address _priceFeed) external onlyGov {
        priceFeed = _priceFeed;
    }

    function setVaultUtils(address _vaultUtils) external onlyGov {
        vaultUtils = _vaultUtils;
    }

    function setMaxLeverage(uint256 _maxLeverage) external onlyGov {
        require(_maxLeverage > MIN_LEVERAGE, "Vault: invalid maxLeverage");
        maxLeverage = _maxLeverage;
    }

    function setIncludeAmmPrice(bool _include) external onlyGov {
        includeAmmPrice = _include;
    }

    function setMinProfit(address _token, uint256 _minProfitBps, uint256 _minProfitTime) external onlyGov {
        minProfitBasisPoints[_token] = _minProfitBps;
        minProfitTime = _minProfitTime;
    }

    /// The token's price feed is configured on the VaultPriceFeed, as in GMX.
    function setTokenConfig(address _token) external onlyGov {
        whitelistedTokens[_token] = true;
        tokenDecimals[_token] = IFixtureToken(_token).decimals();
    }

    /// Manual stand-in for GMX's time-based updateCumulativeFundingRate.
    function accrueFunding(address _token, uint256 _rateDelta) external onlyGov {
        cumulativeFundingRates[_token] += _rateDelta;
        emit UpdateFundingRate(_token, cumulativeFundingRates[_token]);
    }

    function directPoolDeposit(address _token) external nonReentrant {
        require(whitelistedTokens[_token], "Vault: token not whitelisted");
        uint256 tokenAmount = _transferIn(_token);
        require(tokenAmount > 0, "Vault: invalid tokenAmount");
        _increasePoolAmount(_token, tokenAmount);
        emit DirectPoolDeposit(_token, tokenAmount);
    }

    // ---------------------------------------------------------------- positions

    function increasePosition(
        address _account,
        address _collateralToken,
        address _indexToken,
        uint256 _sizeDelta,
        bool _isLong
    ) external nonReentrant {
        require(msg.sender == _account, "Vault: invalid msg.sender");
        _validateTokens(_collateralToken, _indexToken, _isLong);

        bytes32 key = getPositionKey(_account, _collateralToken, _indexToken, _isLong);
        Position storage position = positions[key];

        uint256 price = _isLong ? getMaxPrice(_indexToken) : getMinPrice(_indexToken);

        if (position.size == 0) {
            position.averagePrice = price;
        }
        if (position.size > 0 && _sizeDelta > 0) {
            position.averagePrice = getNextAveragePrice(
                _indexToken, position.size, position.averagePrice, _isLong, price, _sizeDelta, position.lastIncreasedTime
            );
        }

        uint256 fee = _collectMarginFees(_collateralToken, _sizeDelta, position.size, position.entryFundingRate);
        uint256 collateralDelta = _transferIn(_collateralToken);
        uint256 collateralDeltaUsd = tokenToUsdMin(_collateralToken, collateralDelta);

        position.collateral += collateralDeltaUsd;
        require(position.collateral >= fee, "Vault: insufficient collateral for fees");
        position.collateral -= fee;
        position.entryFundingRate = cumulativeFundingRates[_collateralToken];
        position.size += _sizeDelta;
        position.lastIncreasedTime = block.timestamp;

        require(position.size > 0, "Vault: invalid position.size");
        _validatePosition(position.size, position.collateral);
        validateLiquidation(_account, _collateralToken, _indexToken, _isLong, true);

        // reserve tokens to pay profits on the position
        uint256 reserveDelta = usdToTokenMax(_collateralToken, _sizeDelta);
        position.reserveAmount += reserveDelta;
        _increaseReservedAmount(_collateralToken, reserveDelta);

        if (_isLong) {
            // long collateral is part of the pool; the fee taken from it leaves the pool
            _increasePoolAmount(_collateralToken, collateralDelta);
            _decreasePoolAmount(_collateralToken, usdToTokenMin(_collateralToken, fee));
        }

        emit IncreasePosition(key, _account, _collateralToken, _indexToken, collateralDeltaUsd, _sizeDelta, _isLong, price, fee);
        emit UpdatePosition(
            key,
            position.size,
            position.collateral,
            position.averagePrice,
            position.entryFundingRate,
            position.reserveAmount,
            position.realisedPnl,
            price
        );
    }

    function decreasePosition(
        address _account,
        address _collateralToken,
        address _indexToken,
        uint256 _collateralDelta,
        uint256 _sizeDelta,
        bool _isLong,
        address _receiver
    ) external nonReentrant returns (uint256) {
        require(msg.sender == _account, "Vault: invalid msg.sender");
        return _decreasePosition(_account, _collateralToken, _indexToken, _collateralDelta, _sizeDelta, _isLong, _receiver);
    }

    function liquidatePosition(
        address _account,
        address _collateralToken,
        address _indexToken,
        bool _isLong,
        address _feeReceiver
    ) external nonReentrant {
        bytes32 key = getPositionKey(_account, _collateralToken, _indexToken, _isLong);
        Position memory position = positions[key];
        require(position.size > 0, "Vault: empty position");

        (uint256 liquidationState, uint256 marginFees) =
            validateLiquidation(_account, _collateralToken, _indexToken, _isLong, false);
        require(liquidationState != 0, "Vault: position cannot be liquidated");
        if (liquidationState == 2) {
            // leverage too high but collateral is left after losses: close it for the owner instead
            _decreasePosition(_account, _collateralToken, _indexToken, 0, position.size, _isLong, _account);
            return;
        }

        uint256 feeTokens = usdToTokenMin(_collateralToken, marginFees);
        feeReserves[_collateralToken] += feeTokens;
        emit CollectMarginFees(_collateralToken, marginFees, feeTokens);

        _decreaseReservedAmount(_collateralToken, position.reserveAmount);
        if (_isLong) {
            _decreasePoolAmount(_collateralToken, usdToTokenMin(_collateralToken, marginFees));
        }

        uint256 markPrice = _isLong ? getMinPrice(_indexToken) : getMaxPrice(_indexToken);
        emit LiquidatePosition(
            key,
            _account,
            _collateralToken,
            _indexToken,
            _isLong,
            position.size,
            position.collateral,
            position.reserveAmount,
            position.realisedPnl,
            markPrice
        );

        if (!_isLong && marginFees < position.collateral) {
            _increasePoolAmount(_collateralToken, usdToTokenMin(_collateralToken, position.collateral - marginFees));
        }

        delete positions[key];

        // the liquidator is paid from the pool
        uint256 liquidationFeeTokens = usdToTokenMin(_collateralToken, liquidationFeeUsd);
        _decreasePoolAmount(_collateralToken, liquidationFeeTokens);
        _transferOut(_collateralToken, liquidationFeeTokens, _feeReceiver);
    }

    /// Vault.validateLiquidation hands the check to VaultUtils.
    /// state 0: healthy, 1: liquidate (losses/fees eat the collateral), 2: over max leverage, close.
    function validateLiquidation(
        address _account,
        address _collateralToken,
        address _indexToken,
        bool _isLong,
        bool _raise
    ) public view returns (uint256, uint256) {
        return IFixtureVaultUtils(vaultUtils).validateLiquidation(_account, _collateralToken, _indexToken, _isLong, _raise);
    }

    // ---------------------------------------------------------------- views

    function getPositionKey(address _account, address _collateralToken, address _indexToken, bool _isLong)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encodePacked(_account, _collateralToken, _indexToken, _isLong));
    }

    function getPosition(address _account, address _collateralToken, address _indexToken, bool _isLong)
        public
        view
        returns (uint256, uint256, uint256, uint256, uint256, uint256, bool, uint256)
    {
        Position memory position = positions[getPositionKey(_account, _collateralToken, _indexToken, _isLong)];
        uint256 realisedPnl =
            position.realisedPnl > 0 ? uint256(position.realisedPnl) : uint256(-position.realisedPnl);
        return (
            position.size,
            position.collateral,
            position.averagePrice,
            position.entryFundingRate,
            position.reserveAmount,
            realisedPnl,
            position.realisedPnl >= 0,
            position.lastIncreasedTime
        );
    }

    function getPositionDelta(address _account, address _collateralToken, address _indexToken, bool _isLong)
        public
        view
        returns (bool, uint256)
    {
        Position memory position = positions[getPositionKey(_account, _collateralToken, _indexToken, _isLong)];
        return getDelta(_indexToken, position.size, position.averagePrice, _isLong, position.lastIncreasedTime);
    }

    function getPositionLeverage(address _account, address _collateralToken, address _indexToken, bool _isLong)
        public
        view
        returns (uint256)
    {
        Position memory position = positions[getPositionKey(_account, _collateralToken, _indexToken, _isLong)];
        require(position.collateral > 0, "Vault: invalid position");
        return position.size * BASIS_POINTS_DIVISOR / position.collateral;
    }

    function getMaxPrice(address _token) public view returns (uint256) {
        return IFixtureVaultPriceFeed(priceFeed).getPrice(_token, true, includeAmmPrice, false);
    }

    function getMinPrice(address _token) public view returns (uint256) {
        return IFixtureVaultPriceFeed(priceFeed).getPrice(_token, false, includeAmmPrice, false);
    }

    function tokenToUsdMin(address _token, uint256 _tokenAmount) public view returns (uint256) {
        if (_tokenAmount == 0) return 0;
        return _tokenAmount * getMinPrice(_token) / (10 ** tokenDecimals[_token]);
    }

    function usdToTokenMax(address _token, uint256 _usdAmount) public view returns (uint256) {
        if (_usdAmount == 0) return 0;
        return usdToToken(_token, _usdAmount, getMinPrice(_token));
    }

    function usdToTokenMin(address _token, uint256 _usdAmount) public view returns (uint256) {
        if (_usdAmount == 0) return 0;
        return usdToToken(_token, _usdAmount, getMaxPrice(_token));
    }

    function usdToToken(address _token, uint256 _usdAmount, uint256 _price) public view returns (uint256) {
        if (_usdAmount == 0) return 0;
        return _usdAmount * (10 ** tokenDecimals[_token]) / _price;
    }

    // for longs: nextAveragePrice = (nextPrice * nextSize) / (nextSize + delta)
    // for shorts: nextAveragePrice = (nextPrice * nextSize) / (nextSize - delta)
    function getNextAveragePrice(
        address _indexToken,
        uint256 _size,
        uint256 _averagePrice,
        bool _isLong,
        uint256 _nextPrice,
        uint256 _sizeDelta,
        uint256 _lastIncreasedTime
    ) public view returns (uint256) {
        (bool hasProfit, uint256 delta) = getDelta(_indexToken, _size, _averagePrice, _isLong, _lastIncreasedTime);
        uint256 nextSize = _size + _sizeDelta;
        uint256 divisor;
        if (_isLong) {
            divisor = hasProfit ? nextSize + delta : nextSize - delta;
        } else {
            divisor = hasProfit ? nextSize - delta : nextSize + delta;
        }
        return _nextPrice * nextSize / divisor;
    }

    function getDelta(
        address _indexToken,
        uint256 _size,
        uint256 _averagePrice,
        bool _isLong,
        uint256 _lastIncreasedTime
    ) public view returns (bool, uint256) {
        require(_averagePrice > 0, "Vault: invalid averagePrice");
        uint256 price = _isLong ? getMinPrice(_indexToken) : getMaxPrice(_indexToken);
        uint256 priceDelta = _averagePrice > price ? _averagePrice - price : price - _averagePrice;
        uint256 delta = _size * priceDelta / _averagePrice;

        bool hasProfit = _isLong ? price > _averagePrice : _averagePrice > price;

        // small profits are ignored until minProfitTime has passed (front-running guard)
        uint256 minBps = block.timestamp > _lastIncreasedTime + minProfitTime ? 0 : minProfitBasisPoints[_indexToken];
        if (hasProfit && delta * BASIS_POINTS_DIVISOR <= _size * minBps) {
            delta = 0;
        }
        return (hasProfit, delta);
    }

    function getEntryFundingRate(address _collateralToken, address, bool) public view returns (uint256) {
        return cumulativeFundingRates[_collateralToken];
    }

    function getFundingFee(address _collateralToken, address, bool, uint256 _size, uint256 _entryFundingRate)
        public
        view
        returns (uint256)
    {
        return IFixtureVaultUtils(vaultUtils).getFundingFee(_collateralToken, _size, _entryFundingRate);
    }

    function getPositionFee(uint256 _sizeDelta) public view returns (uint256) {
        return IFixtureVaultUtils(vaultUtils).getPositionFee(_sizeDelta);
    }

    // ---------------------------------------------------------------- internals

    function _decreasePosition(
        address _account,
        address _collateralToken,
        address _indexToken,
        uint256 _collateralDelta,
        uint256 _sizeDelta,
        bool _isLong,
        address _receiver
    ) private returns (uint256) {
        bytes32 key = getPositionKey(_account, _collateralToken, _indexToken, _isLong);
        Position storage position = positions[key];
        require(position.size > 0, "Vault: empty position");
        require(position.size >= _sizeDelta, "Vault: position size exceeded");
        require(position.collateral >= _collateralDelta, "Vault: position collateral exceeded");

        {
            uint256 reserveDelta = position.reserveAmount * _sizeDelta / position.size;
            position.reserveAmount -= reserveDelta;
            _decreaseReservedAmount(_collateralToken, reserveDelta);
        }

        (uint256 usdOut, uint256 usdOutAfterFee) =
            _reduceCollateral(key, _collateralToken, _indexToken, _collateralDelta, _sizeDelta, _isLong);

        uint256 price = _isLong ? getMinPrice(_indexToken) : getMaxPrice(_indexToken);
        if (position.size != _sizeDelta) {
            position.entryFundingRate = cumulativeFundingRates[_collateralToken];
            position.size -= _sizeDelta;

            _validatePosition(position.size, position.collateral);
            validateLiquidation(_account, _collateralToken, _indexToken, _isLong, true);

            emit DecreasePosition(
                key, _account, _collateralToken, _indexToken, _collateralDelta, _sizeDelta, _isLong, price, usdOut - usdOutAfterFee
            );
            emit UpdatePosition(
                key,
                position.size,
                position.collateral,
                position.averagePrice,
                position.entryFundingRate,
                position.reserveAmount,
                position.realisedPnl,
                price
            );
        } else {
            emit DecreasePosition(
                key, _account, _collateralToken, _indexToken, _collateralDelta, _sizeDelta, _isLong, price, usdOut - usdOutAfterFee
            );
            emit ClosePosition(
                key,
                position.size,
                position.collateral,
                position.averagePrice,
                position.entryFundingRate,
                position.reserveAmount,
                position.realisedPnl
            );
            delete positions[key];
        }

        if (usdOut > 0) {
            if (_isLong) {
                _decreasePoolAmount(_collateralToken, usdToTokenMin(_collateralToken, usdOut));
            }
            uint256 amountOutAfterFees = usdToTokenMin(_collateralToken, usdOutAfterFee);
            _transferOut(_collateralToken, amountOutAfterFees, _receiver);
            return amountOutAfterFees;
        }
        return 0;
    }

    function _reduceCollateral(
        bytes32 key,
        address _collateralToken,
        address _indexToken,
        uint256 _collateralDelta,
        uint256 _sizeDelta,
        bool _isLong
    ) private returns (uint256, uint256) {
        Position storage position = positions[key];

        uint256 fee = _collectMarginFees(_collateralToken, _sizeDelta, position.size, position.entryFundingRate);
        bool hasProfit;
        uint256 adjustedDelta;
        {
            (bool _hasProfit, uint256 delta) =
                getDelta(_indexToken, position.size, position.averagePrice, _isLong, position.lastIncreasedTime);
            hasProfit = _hasProfit;
            // realise the share of pnl that matches the share of size being closed
            adjustedDelta = _sizeDelta * delta / position.size;
        }

        uint256 usdOut;
        if (hasProfit && adjustedDelta > 0) {
            usdOut = adjustedDelta;
            position.realisedPnl = position.realisedPnl + int256(adjustedDelta);
            // short profits are paid by the pool; long profits are already pool-owned collateral tokens
            if (!_isLong) {
                _decreasePoolAmount(_collateralToken, usdToTokenMin(_collateralToken, adjustedDelta));
            }
        }

        if (!hasProfit && adjustedDelta > 0) {
            position.collateral = position.collateral - adjustedDelta;
            // short losses go to the pool; long collateral was already counted in the pool
            if (!_isLong) {
                _increasePoolAmount(_collateralToken, usdToTokenMin(_collateralToken, adjustedDelta));
            }
            position.realisedPnl = position.realisedPnl - int256(adjustedDelta);
        }

        if (_collateralDelta > 0) {
            usdOut += _collateralDelta;
            position.collateral -= _collateralDelta;
        }

        // a full close pays out everything that is left
        if (position.size == _sizeDelta) {
            usdOut += position.collateral;
            position.collateral = 0;
        }

        // take the fee from the payout when it covers it, otherwise from the collateral
        uint256 usdOutAfterFee = usdOut;
        if (usdOut > fee) {
            usdOutAfterFee = usdOut - fee;
        } else {
            position.collateral -= fee;
            if (_isLong) {
                _decreasePoolAmount(_collateralToken, usdToTokenMin(_collateralToken, fee));
            }
        }

        emit UpdatePnl(key, hasProfit, adjustedDelta);
        return (usdOut, usdOutAfterFee);
    }

    function _collectMarginFees(address _collateralToken, uint256 _sizeDelta, uint256 _size, uint256 _entryFundingRate)
        private
        returns (uint256)
    {
        uint256 feeUsd = getPositionFee(_sizeDelta);
        feeUsd += getFundingFee(_collateralToken, address(0), false, _size, _entryFundingRate);

        uint256 feeTokens = usdToTokenMin(_collateralToken, feeUsd);
        feeReserves[_collateralToken] += feeTokens;
        emit CollectMarginFees(_collateralToken, feeUsd, feeTokens);
        return feeUsd;
    }

    function _validatePosition(uint256 _size, uint256 _collateral) private pure {
        if (_size == 0) {
            require(_collateral == 0, "Vault: collateral without size");
            return;
        }
        require(_size >= _collateral, "Vault: collateral exceeds size");
    }

    function _validateTokens(address _collateralToken, address _indexToken, bool _isLong) private view {
        require(whitelistedTokens[_collateralToken], "Vault: collateral not whitelisted");
        require(whitelistedTokens[_indexToken], "Vault: index not whitelisted");
        if (_isLong) {
            require(_collateralToken == _indexToken, "Vault: long collateral must be the index token");
        }
    }

    function _transferIn(address _token) private returns (uint256) {
        uint256 prevBalance = tokenBalances[_token];
        uint256 nextBalance = IFixtureToken(_token).balanceOf(address(this));
        tokenBalances[_token] = nextBalance;
        return nextBalance - prevBalance;
    }

    function _transferOut(address _token, uint256 _amount, address _receiver) private {
        require(IFixtureToken(_token).transfer(_receiver, _amount), "Vault: transfer failed");
        tokenBalances[_token] = IFixtureToken(_token).balanceOf(address(this));
    }

    function _increasePoolAmount(address _token, uint256 _amount) private {
        poolAmounts[_token] += _amount;
        require(poolAmounts[_token] <= IFixtureToken(_token).balanceOf(address(this)), "Vault: poolAmount exceeds balance");
    }

    function _decreasePoolAmount(address _token, uint256 _amount) private {
        require(poolAmounts[_token] >= _amount, "Vault: poolAmount exceeded");
        poolAmounts[_token] -= _amount;
        require(reservedAmounts[_token] <= poolAmounts[_token], "Vault: reserve exceeds pool");
    }

    function _increaseReservedAmount(address _token, uint256 _amount) private {
        reservedAmounts[_token] += _amount;
        require(reservedAmounts[_token] <= poolAmounts[_token], "Vault: reserve exceeds pool");
    }

    function _decreaseReservedAmount(address _token, uint256 _amount) private {
        require(reservedAmounts[_token] >= _amount, "Vault: insufficient reserve");
        reservedAmounts[_token] -= _amount;
    }
}
