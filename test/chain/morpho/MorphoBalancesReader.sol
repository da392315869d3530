// SPDX-License-Identifier: MIT
pragma solidity 0.8.19;

import {IMorpho, MarketParams} from "morpho-blue/interfaces/IMorpho.sol";
import {MarketParamsLib} from "morpho-blue/libraries/MarketParamsLib.sol";
import {MorphoBalancesLib} from "morpho-blue/libraries/periphery/MorphoBalancesLib.sol";
import {MorphoLib} from "morpho-blue/libraries/periphery/MorphoLib.sol";

/// Test-only: every user's balances on every market as Morpho's own periphery library expects them at
/// this block (interest accrued to block.timestamp), the truth our indexer is compared with.
contract MorphoBalancesReader {
    using MorphoBalancesLib for IMorpho;
    using MorphoLib for IMorpho;
    using MarketParamsLib for MarketParams;

    struct Balances {
        uint256 supplyAssets;
        uint256 borrowAssets;
        uint256 collateral;
    }

    function balances(IMorpho morpho, MarketParams[] calldata markets, address[] calldata users)
        external
        view
        returns (Balances[] memory out)
    {
        out = new Balances[](markets.length * users.length);
        for (uint256 m; m < markets.length; ++m) {
            MarketParams memory p = markets[m];
            for (uint256 u; u < users.length; ++u) {
                out[m * users.length + u] = Balances(
                    morpho.expectedSupplyAssets(p, users[u]),
                    morpho.expectedBorrowAssets(p, users[u]),
                    morpho.collateral(p.id(), users[u])
                );
            }
        }
    }
}
