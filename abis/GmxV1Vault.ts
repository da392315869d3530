import { parseAbi } from "viem";

// gmx-io/gmx-contracts contracts/core/Vault.sol (events carry no indexed params).
export const GmxV1VaultAbi = parseAbi([
  "event IncreasePosition(bytes32 key, address account, address collateralToken, address indexToken, uint256 collateralDelta, uint256 sizeDelta, bool isLong, uint256 price, uint256 fee)",
  "event DecreasePosition(bytes32 key, address account, address collateralToken, address indexToken, uint256 collateralDelta, uint256 sizeDelta, bool isLong, uint256 price, uint256 fee)",
  "event LiquidatePosition(bytes32 key, address account, address collateralToken, address indexToken, bool isLong, uint256 size, uint256 collateral, uint256 reserveAmount, int256 realisedPnl, uint256 markPrice)",
  "event UpdatePosition(bytes32 key, uint256 size, uint256 collateral, uint256 averagePrice, uint256 entryFundingRate, uint256 reserveAmount, int256 realisedPnl, uint256 markPrice)",
  "event ClosePosition(bytes32 key, uint256 size, uint256 collateral, uint256 averagePrice, uint256 entryFundingRate, uint256 reserveAmount, int256 realisedPnl)",
  "event UpdateFundingRate(address token, uint256 fundingRate)",
  "function maxLeverage() view returns (uint256)",
  "function liquidationFeeUsd() view returns (uint256)",
  "function marginFeeBasisPoints() view returns (uint256)",
  "function cumulativeFundingRates(address token) view returns (uint256)",
  "function getPosition(address account, address collateralToken, address indexToken, bool isLong) view returns (uint256, uint256, uint256, uint256, uint256, uint256, bool, uint256)",
  "function validateLiquidation(address account, address collateralToken, address indexToken, bool isLong, bool raise) view returns (uint256, uint256)",
  "function liquidatePosition(address account, address collateralToken, address indexToken, bool isLong, address feeReceiver)",
]);
