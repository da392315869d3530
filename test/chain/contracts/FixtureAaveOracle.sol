// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

interface IFixtureAnswerSource {
    function latestAnswer() external view returns (int256);
}

/// Price oracle shaped like Aave v3's AaveOracle for a USD market: prices in the base currency unit
/// (1e8 = 1 USD), read from a Chainlink-style source's latestAnswer(). There is no fallback oracle:
/// an asset without a source, or a non-positive answer, reverts.
contract FixtureAaveOracle {
    address public immutable owner;
    address public constant BASE_CURRENCY = address(0);
    uint256 public constant BASE_CURRENCY_UNIT = 1e8;

    mapping(address => address) private sources;

    event BaseCurrencySet(address indexed baseCurrency, uint256 baseCurrencyUnit);
    event AssetSourceUpdated(address indexed asset, address indexed source);

    constructor() {
        owner = msg.sender;
        emit BaseCurrencySet(BASE_CURRENCY, BASE_CURRENCY_UNIT);
    }

    function setAssetSource(address asset, address source) external {
        require(msg.sender == owner, "1");
        sources[asset] = source;
        emit AssetSourceUpdated(asset, source);
    }

    function getSourceOfAsset(address asset) external view returns (address) {
        return sources[asset];
    }

    function getAssetPrice(address asset) public view returns (uint256) {
        if (asset == BASE_CURRENCY) return BASE_CURRENCY_UNIT;
        address source = sources[asset];
        require(source != address(0), "oracle: no source");
        int256 answer = IFixtureAnswerSource(source).latestAnswer();
        require(answer > 0, "oracle: bad answer");
        return uint256(answer);
    }

    function getAssetsPrices(address[] calldata assets) external view returns (uint256[] memory prices) {
        prices = new uint256[](assets.length);
        for (uint256 i = 0; i < assets.length; i++) prices[i] = getAssetPrice(assets[i]);
    }
}
