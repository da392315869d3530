// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Benchmark source: emits GMX-v1-Vault-shaped position events in bulk (many per transaction), so an
/// indexing benchmark can feed hundreds of thousands of protocol events quickly. Not a vault, but it
/// answers every read the indexer makes of one at each block (fixed values), as a deployed Vault does:
/// calls that revert are never kept in ponder's RPC cache, so they would reach the node at every run.
contract BenchGmxV1Vault {
    event IncreasePosition(bytes32 key, address account, address collateralToken, address indexToken, uint256 collateralDelta, uint256 sizeDelta, bool isLong, uint256 price, uint256 fee);
    event UpdatePosition(bytes32 key, uint256 size, uint256 collateral, uint256 averagePrice, uint256 entryFundingRate, uint256 reserveAmount, int256 realisedPnl, uint256 markPrice);

    uint256 public constant maxLeverage = 1_000_000;
    uint256 public constant liquidationFeeUsd = 5e30;
    uint256 public constant marginFeeBasisPoints = 10;
    uint256 public constant minProfitTime = 0;
    address public constant vaultUtils = address(0);
    address public constant priceFeed = address(0);
    bool public constant includeAmmPrice = false;

    function getMinPrice(address) external pure returns (uint256) { return 2_000e30; }
    function getMaxPrice(address) external pure returns (uint256) { return 2_001e30; }
    function minProfitBasisPoints(address) external pure returns (uint256) { return 0; }

    /// Position i (of `positions`) belongs to wallet i % wallets, on index token i % tokens.length.
    function emitBatch(uint256 start, uint256 count, uint256 positions, uint256 wallets, address[] calldata tokens, address collateral) external {
        for (uint256 i = start; i < start + count; i++) {
            uint256 p = i % positions;
            address account = address(uint160(0x10000 + (p % wallets)));
            address index = tokens[p % tokens.length];
            bool isLong = p % 2 == 0;
            bytes32 key = keccak256(abi.encodePacked(account, collateral, index, isLong));
            uint256 round = i / positions + 1;
            uint256 price = (2_000 + (i % 1_000)) * 1e30;
            emit IncreasePosition(key, account, collateral, index, 100e30, 1_000e30, isLong, price, 1e30);
            emit UpdatePosition(key, round * 1_000e30, round * 100e30, price, 0, 0, 0, price);
        }
    }
}
