// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

interface IFixtureRoundFeed {
    function latestAnswer() external view returns (int256);
    function latestRound() external view returns (uint256);
    function getRoundData(uint80 roundId) external view returns (uint80, int256, uint256, uint256, uint80);
}

interface IFixtureSecondaryPriceFeed {
    function getPrice(address token, uint256 referencePrice, bool maximise) external view returns (uint256);
}

/// Test fixture written from the rules of GMX v1's VaultPriceFeed.getPrice / getPriceV1
/// (gmx-io/gmx-contracts contracts/core/VaultPriceFeed.sol): the primary price is the highest
/// (maximise) or lowest of the last `priceSampleSpace` Chainlink rounds, then the AMM price
/// (a fixed stand-in here), the secondary (fast) price, the strict-stable rule, the per-token
/// spread and the per-token adjustment. useV2Pricing, Chainlink flags and pairs are left out.
contract FixtureGmxV1VaultPriceFeed {
    uint256 public constant PRICE_PRECISION = 1e30;
    uint256 public constant ONE_USD = PRICE_PRECISION;
    uint256 public constant BASIS_POINTS_DIVISOR = 10000;
    uint256 public constant MAX_SPREAD_BASIS_POINTS = 50;

    address public gov;
    bool public isAmmEnabled = true;
    bool public isSecondaryPriceEnabled = true;
    uint256 public priceSampleSpace = 3;
    uint256 public maxStrictPriceDeviation;
    address public secondaryPriceFeed;

    mapping(address => address) public priceFeeds;
    mapping(address => uint256) public priceDecimals;
    mapping(address => uint256) public spreadBasisPoints;
    mapping(address => bool) public strictStableTokens;
    mapping(address => uint256) public adjustmentBasisPoints;
    mapping(address => bool) public isAdjustmentAdditive;
    /// Stand-in for getAmmPrice (PancakeSwap pair reserves in GMX): 0 means no AMM price.
    mapping(address => uint256) public ammPrices;

    modifier onlyGov() {
        require(msg.sender == gov, "VaultPriceFeed: forbidden");
        _;
    }

    constructor() {
        gov = msg.sender;
    }

    function setIsAmmEnabled(bool _isEnabled) external onlyGov {
        isAmmEnabled = _isEnabled;
    }

    function setIsSecondaryPriceEnabled(bool _isEnabled) external onlyGov {
        isSecondaryPriceEnabled = _isEnabled;
    }

    function setSecondaryPriceFeed(address _feed) external onlyGov {
        secondaryPriceFeed = _feed;
    }

    function setSpreadBasisPoints(address _token, uint256 _bps) external onlyGov {
        require(_bps <= MAX_SPREAD_BASIS_POINTS, "VaultPriceFeed: invalid _spreadBasisPoints");
        spreadBasisPoints[_token] = _bps;
    }

    function setPriceSampleSpace(uint256 _space) external onlyGov {
        require(_space > 0, "VaultPriceFeed: invalid _priceSampleSpace");
        priceSampleSpace = _space;
    }

    function setMaxStrictPriceDeviation(uint256 _deviation) external onlyGov {
        maxStrictPriceDeviation = _deviation;
    }

    function setAdjustment(address _token, bool _isAdditive, uint256 _bps) external onlyGov {
        isAdjustmentAdditive[_token] = _isAdditive;
        adjustmentBasisPoints[_token] = _bps;
    }

    function setAmmPrice(address _token, uint256 _price) external onlyGov {
        ammPrices[_token] = _price;
    }

    function setTokenConfig(address _token, address _feed, uint256 _decimals, bool _isStrictStable) external onlyGov {
        priceFeeds[_token] = _feed;
        priceDecimals[_token] = _decimals;
        strictStableTokens[_token] = _isStrictStable;
    }

    function getAmmPrice(address _token) public view returns (uint256) {
        return ammPrices[_token];
    }

    function getPrice(address _token, bool _maximise, bool _includeAmmPrice, bool) public view returns (uint256) {
        uint256 price = getPrimaryPrice(_token, _maximise);

        uint256 amm = getAmmPrice(_token);
        if (_includeAmmPrice && isAmmEnabled && amm > 0) {
            if (_maximise ? amm > price : amm < price) price = amm;
        }

        if (isSecondaryPriceEnabled && secondaryPriceFeed != address(0)) {
            price = IFixtureSecondaryPriceFeed(secondaryPriceFeed).getPrice(_token, price, _maximise);
        }

        if (strictStableTokens[_token]) {
            uint256 gap = price > ONE_USD ? price - ONE_USD : ONE_USD - price;
            if (gap <= maxStrictPriceDeviation) return _adjusted(_token, ONE_USD);
            if (_maximise && price > ONE_USD) return _adjusted(_token, price);
            if (!_maximise && price < ONE_USD) return _adjusted(_token, price);
            return _adjusted(_token, ONE_USD);
        }

        uint256 spread = spreadBasisPoints[_token];
        uint256 factor = _maximise ? BASIS_POINTS_DIVISOR + spread : BASIS_POINTS_DIVISOR - spread;
        return _adjusted(_token, price * factor / BASIS_POINTS_DIVISOR);
    }

    function getPrimaryPrice(address _token, bool _maximise) public view returns (uint256) {
        address feed = priceFeeds[_token];
        require(feed != address(0), "VaultPriceFeed: invalid price feed");
        uint256 latest = IFixtureRoundFeed(feed).latestRound();
        uint256 price;
        for (uint256 i = 0; i < priceSampleSpace && i < latest; i++) {
            int256 answer;
            if (i == 0) {
                answer = IFixtureRoundFeed(feed).latestAnswer();
            } else {
                (, answer,,,) = IFixtureRoundFeed(feed).getRoundData(uint80(latest - i));
            }
            require(answer > 0, "VaultPriceFeed: invalid price");
            uint256 p = uint256(answer);
            if (price == 0 || (_maximise ? p > price : p < price)) price = p;
        }
        require(price > 0, "VaultPriceFeed: could not fetch price");
        return price * PRICE_PRECISION / (10 ** priceDecimals[_token]);
    }

    function _adjusted(address _token, uint256 _price) private view returns (uint256) {
        uint256 bps = adjustmentBasisPoints[_token];
        if (bps == 0) return _price;
        uint256 factor = isAdjustmentAdditive[_token] ? BASIS_POINTS_DIVISOR + bps : BASIS_POINTS_DIVISOR - bps;
        return _price * factor / BASIS_POINTS_DIVISOR;
    }
}

/// Test fixture written from the rules of GMX v1's FastPriceFeed.getPrice / favorFastPrice
/// (gmx-io/gmx-contracts contracts/oracle/FastPriceFeed.sol). Keepers push 1e30 prices with
/// setPrices; watchers' disable votes are one flag here and the cumulative-delta check is left out.
contract FixtureGmxV1FastPriceFeed {
    uint256 public constant BASIS_POINTS_DIVISOR = 10000;

    address public gov;
    bool public isSpreadEnabled;
    bool public isFastPriceDisabled;
    uint256 public lastUpdatedAt;
    uint256 public priceDuration = 5 minutes;
    uint256 public maxPriceUpdateDelay = 1 hours;
    uint256 public spreadBasisPointsIfInactive;
    uint256 public spreadBasisPointsIfChainError;
    uint256 public maxDeviationBasisPoints;

    mapping(address => uint256) public prices;

    event PriceUpdate(address token, uint256 price, address priceFeed);

    modifier onlyGov() {
        require(msg.sender == gov, "FastPriceFeed: forbidden");
        _;
    }

    constructor() {
        gov = msg.sender;
    }

    function setSettings(
        uint256 _priceDuration,
        uint256 _maxPriceUpdateDelay,
        uint256 _spreadIfInactive,
        uint256 _spreadIfChainError,
        uint256 _maxDeviationBasisPoints
    ) external onlyGov {
        priceDuration = _priceDuration;
        maxPriceUpdateDelay = _maxPriceUpdateDelay;
        spreadBasisPointsIfInactive = _spreadIfInactive;
        spreadBasisPointsIfChainError = _spreadIfChainError;
        maxDeviationBasisPoints = _maxDeviationBasisPoints;
    }

    function setIsSpreadEnabled(bool _enabled) external onlyGov {
        isSpreadEnabled = _enabled;
    }

    function setFastPriceDisabled(bool _disabled) external onlyGov {
        isFastPriceDisabled = _disabled;
    }

    function setPrices(address[] calldata _tokens, uint256[] calldata _prices) external onlyGov {
        lastUpdatedAt = block.timestamp;
        for (uint256 i = 0; i < _tokens.length; i++) {
            prices[_tokens[i]] = _prices[i];
            emit PriceUpdate(_tokens[i], _prices[i], address(this));
        }
    }

    function favorFastPrice(address) public view returns (bool) {
        return !isSpreadEnabled && !isFastPriceDisabled;
    }

    function getPrice(address _token, uint256 _refPrice, bool _maximise) external view returns (uint256) {
        if (block.timestamp > lastUpdatedAt + maxPriceUpdateDelay) return _spread(_refPrice, spreadBasisPointsIfChainError, _maximise);
        if (block.timestamp > lastUpdatedAt + priceDuration) return _spread(_refPrice, spreadBasisPointsIfInactive, _maximise);

        uint256 fastPrice = prices[_token];
        if (fastPrice == 0) return _refPrice;

        uint256 gap = _refPrice > fastPrice ? _refPrice - fastPrice : fastPrice - _refPrice;
        uint256 gapBasisPoints = gap * BASIS_POINTS_DIVISOR / _refPrice;
        if (!favorFastPrice(_token) || gapBasisPoints > maxDeviationBasisPoints) {
            if (_maximise) return _refPrice > fastPrice ? _refPrice : fastPrice;
            return _refPrice < fastPrice ? _refPrice : fastPrice;
        }
        return fastPrice;
    }

    function _spread(uint256 _price, uint256 _bps, bool _maximise) private pure returns (uint256) {
        uint256 factor = _maximise ? BASIS_POINTS_DIVISOR + _bps : BASIS_POINTS_DIVISOR - _bps;
        return _price * factor / BASIS_POINTS_DIVISOR;
    }
}

/// Stand-in for Multicall3.aggregate3 (the indexer reads the Vault's parameters in one call).
contract FixtureMulticall {
    struct Call3 {
        address target;
        bool allowFailure;
        bytes callData;
    }

    struct Result {
        bool success;
        bytes returnData;
    }

    function aggregate3(Call3[] calldata calls) external payable returns (Result[] memory results) {
        results = new Result[](calls.length);
        for (uint256 i = 0; i < calls.length; i++) {
            (bool ok, bytes memory data) = calls[i].target.call(calls[i].callData);
            require(ok || calls[i].allowFailure, "Multicall3: call failed");
            results[i] = Result(ok, data);
        }
    }
}
