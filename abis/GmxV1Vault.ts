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
  "function minProfitTime() view returns (uint256)",
  "function minProfitBasisPoints(address token) view returns (uint256)",
  "function vaultUtils() view returns (address)",
  "function priceFeed() view returns (address)",
  "function includeAmmPrice() view returns (bool)",
  "function getMinPrice(address token) view returns (uint256)",
  "function getMaxPrice(address token) view returns (uint256)",
]);

// contracts/core/VaultPriceFeed.sol: the settings and inputs of getPrice (none of its setters emit).
export const GmxV1VaultPriceFeedAbi = parseAbi([
  "function isAmmEnabled() view returns (bool)",
  "function isSecondaryPriceEnabled() view returns (bool)",
  "function secondaryPriceFeed() view returns (address)",
  "function maxStrictPriceDeviation() view returns (uint256)",
  "function priceSampleSpace() view returns (uint256)",
  "function spreadBasisPoints(address token) view returns (uint256)",
  "function strictStableTokens(address token) view returns (bool)",
  "function adjustmentBasisPoints(address token) view returns (uint256)",
  "function isAdjustmentAdditive(address token) view returns (bool)",
  "function getPrimaryPrice(address token, bool maximise) view returns (uint256)",
  "function getAmmPrice(address token) view returns (uint256)",
]);

// contracts/oracle/FastPriceFeed.sol: the state its getPrice reads.
export const GmxV1FastPriceFeedAbi = parseAbi([
  "function prices(address token) view returns (uint256)",
  "function lastUpdatedAt() view returns (uint256)",
  "function priceDuration() view returns (uint256)",
  "function maxPriceUpdateDelay() view returns (uint256)",
  "function spreadBasisPointsIfInactive() view returns (uint256)",
  "function spreadBasisPointsIfChainError() view returns (uint256)",
  "function maxDeviationBasisPoints() view returns (uint256)",
  "function favorFastPrice(address token) view returns (bool)",
]);
