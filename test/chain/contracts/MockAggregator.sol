// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Chainlink-style price feed whose answer is pushed by the test harness.
/// Emits the classic AggregatorInterface event so indexers can follow it.
contract MockAggregator {
    uint8 public immutable decimals;

    int256 private answer_;
    uint256 private updatedAt_;
    uint256 private roundId_;

    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

    constructor(uint8 decimals_, int256 initialAnswer) {
        decimals = decimals_;
        _store(initialAnswer); // round 1, visible to indexers from the deploy block
    }

    function setAnswer(int256 answer) external {
        _store(answer);
    }

    function _store(int256 answer) private {
        roundId_ += 1;
        answer_ = answer;
        updatedAt_ = block.timestamp;
        emit AnswerUpdated(answer, roundId_, block.timestamp);
    }

    function latestAnswer() external view returns (int256) {
        return answer_;
    }

    function latestTimestamp() external view returns (uint256) {
        return updatedAt_;
    }

    function latestRound() external view returns (uint256) {
        return roundId_;
    }

    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        roundId = uint80(roundId_);
        return (roundId, answer_, updatedAt_, updatedAt_, roundId);
    }
}
