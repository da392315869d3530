// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "prb-math/contracts/PRBMathUD60x18.sol";

/// Exposes the real PRBMath v2 pow (the library GMX v2 prices impact with) to check our TypeScript mirror.
contract PrbPowProbe {
    function pow(uint256 x, uint256 y) external pure returns (uint256) {
        return PRBMathUD60x18.pow(x, y);
    }
}
