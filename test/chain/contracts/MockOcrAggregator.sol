// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "./FeedBase.sol";

/// OCR1-style price feed: updates only through `transmit` and emits only NewTransmission,
/// so indexers must handle feeds that never emit AnswerUpdated.
contract MockOcrAggregator is FeedBase {
    event NewTransmission(
        uint32 indexed aggregatorRoundId,
        int192 answer,
        address transmitter,
        int192[] observations,
        bytes observers,
        bytes32 rawReportContext
    );

    // The initial answer is stored silently (round 0 has no event), like a fresh OCR feed.
    constructor(uint8 decimals_, int192 initialAnswer) FeedBase(decimals_) {
        answer_ = initialAnswer;
        updatedAt_ = block.timestamp;
    }

    function transmit(int192 answer) external {
        uint32 round = uint32(_record(answer));
        int192[] memory observations = new int192[](1);
        observations[0] = answer;
        emit NewTransmission(round, answer, msg.sender, observations, hex"00", bytes32(0));
    }
}
