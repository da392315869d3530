import { parseAbi } from "viem";

// Chainlink AggregatorInterface (AnswerUpdated) and OCR1 OffchainAggregator (NewTransmission).
export const ChainlinkAggregatorAbi = parseAbi([
  "event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt)",
  "event NewTransmission(uint32 indexed aggregatorRoundId, int192 answer, address transmitter, int192[] observations, bytes observers, bytes32 rawReportContext)",
]);
