// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Fixed-point helpers with the rounding rules of Aave v3 (WadRayMath, PercentageMath, MathUtils):
/// every mul/div rounds half up; the interest formulas are Aave's linear and 3-term binomial ones.
/// Overflow reverts (checked arithmetic) where Aave reverts with empty data.
library AaveMath {
    uint256 internal constant WAD = 1e18;
    uint256 internal constant HALF_WAD = 0.5e18;
    uint256 internal constant RAY = 1e27;
    uint256 internal constant HALF_RAY = 0.5e27;
    uint256 internal constant PERCENTAGE_FACTOR = 1e4;
    uint256 internal constant HALF_PERCENTAGE_FACTOR = 0.5e4;
    uint256 internal constant SECONDS_PER_YEAR = 365 days;

    /// round(a * b / WAD), halves rounded up
    function wadMul(uint256 a, uint256 b) internal pure returns (uint256) {
        if (a == 0 || b == 0) return 0;
        return (a * b + HALF_WAD) / WAD;
    }

    /// round(a * WAD / b), halves rounded up
    function wadDiv(uint256 a, uint256 b) internal pure returns (uint256) {
        require(b != 0, "division by zero");
        return (a * WAD + b / 2) / b;
    }

    /// round(a * b / RAY), halves rounded up
    function rayMul(uint256 a, uint256 b) internal pure returns (uint256) {
        if (b == 0) return 0;
        return (a * b + HALF_RAY) / RAY;
    }

    /// round(a * RAY / b), halves rounded up
    function rayDiv(uint256 a, uint256 b) internal pure returns (uint256) {
        require(b != 0, "division by zero");
        return (a * RAY + b / 2) / b;
    }

    /// round(value * bps / 10000), halves rounded up
    function percentMul(uint256 value, uint256 bps) internal pure returns (uint256) {
        if (bps == 0) return 0;
        return (value * bps + HALF_PERCENTAGE_FACTOR) / PERCENTAGE_FACTOR;
    }

    /// round(value * 10000 / bps), halves rounded up
    function percentDiv(uint256 value, uint256 bps) internal pure returns (uint256) {
        require(bps != 0, "division by zero");
        return (value * PERCENTAGE_FACTOR + bps / 2) / bps;
    }

    /// RAY + rate * elapsed / year (integer division), the supply-side accrual factor.
    function linearInterest(uint256 rate, uint40 since, uint256 nowTs) internal pure returns (uint256) {
        return RAY + (rate * (nowTs - uint256(since))) / SECONDS_PER_YEAR;
    }

    /// Binomial approximation of (1 + rate/year)^elapsed to the cubic term, the borrow-side accrual factor:
    /// RAY + r*n/Y + n(n-1)*x2/2 + n(n-1)(n-2)*x3/6 with x2 = rayMul(r, r) / Y^2 and x3 = rayMul(x2, r) / Y,
    /// where n - 2 is floored at 0.
    function compoundedInterest(uint256 rate, uint40 since, uint256 nowTs) internal pure returns (uint256) {
        uint256 n = nowTs - uint256(since);
        if (n == 0) return RAY;
        uint256 nMinusOne = n - 1;
        uint256 nMinusTwo = n > 2 ? n - 2 : 0;
        uint256 x2 = rayMul(rate, rate) / (SECONDS_PER_YEAR * SECONDS_PER_YEAR);
        uint256 x3 = rayMul(x2, rate) / SECONDS_PER_YEAR;
        uint256 second = (n * nMinusOne * x2) / 2;
        uint256 third = (n * nMinusOne * nMinusTwo * x3) / 6;
        return RAY + (rate * n) / SECONDS_PER_YEAR + second + third;
    }
}
