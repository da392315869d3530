// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Storage and read side shared by the mock feeds; subclasses decide how an answer arrives and what it emits.
abstract contract FeedBase {
    uint8 public immutable decimals;

    int256 internal answer_;
    uint256 internal updatedAt_;
    uint256 internal roundId_;
    mapping(uint256 => int256) internal roundAnswers_;

    constructor(uint8 decimals_) {
        decimals = decimals_;
    }

    /// Stores a new answer as the next round and returns that round id.
    function _record(int256 answer) internal returns (uint256) {
        roundId_ += 1;
        answer_ = answer;
        updatedAt_ = block.timestamp;
        roundAnswers_[roundId_] = answer;
        return roundId_;
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

    /// Past answers by round (GMX v1's VaultPriceFeed samples the last few); timestamps are not kept.
    function getRoundData(uint80 roundId)
        external
        view
        returns (uint80, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        return (roundId, roundAnswers_[roundId], 0, 0, roundId);
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
