// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// OCR1-style price feed: updates only through `transmit` and emits only NewTransmission,
/// so indexers must handle feeds that never emit AnswerUpdated.
contract MockOcrAggregator {
    uint8 public immutable decimals;

    int192 private answer_;
    uint256 private updatedAt_;
    uint32 private roundId_;

    event NewTransmission(
        uint32 indexed aggregatorRoundId,
        int192 answer,
        address transmitter,
        int192[] observations,
        bytes observers,
        bytes32 rawReportContext
    );

    // The initial answer is stored silently (round 0 has no event), like a fresh OCR feed.
    constructor(uint8 decimals_, int192 initialAnswer) {
        decimals = decimals_;
        answer_ = initialAnswer;
        updatedAt_ = block.timestamp;
    }

    function transmit(int192 answer) external {
        roundId_ += 1;
        answer_ = answer;
        updatedAt_ = block.timestamp;
        int192[] memory observations = new int192[](1);
        observations[0] = answer;
        emit NewTransmission(roundId_, answer, msg.sender, observations, hex"00", bytes32(0));
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
