// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "./FeedBase.sol";

/// Chainlink-style price feed whose answer is pushed by the test harness.
/// Emits the classic AggregatorInterface event so indexers can follow it.
contract MockAggregator is FeedBase {
    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

    constructor(uint8 decimals_, int256 initialAnswer) FeedBase(decimals_) {
        setAnswer(initialAnswer); // round 1, visible to indexers from the deploy block
    }

    function setAnswer(int256 answer) public {
        emit AnswerUpdated(answer, _record(answer), block.timestamp);
    }
}
