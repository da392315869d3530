import { encodeAbiParameters, keccak256, type Address, type Hex } from "viem";

// DataStore keys as gmx-synthetics data/Keys.sol builds them: a base key is keccak256(abi.encode(name)),
// a parameterised key is keccak256(abi.encode(baseKey, args...)).

const hashString = (name: string): Hex => keccak256(encodeAbiParameters([{ type: "string" }], [name]));
const withMarket = (name: string) => {
  const base = hashString(name);
  return (market: Address): Hex => keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "address" }], [base, market]));
};
const withMarketFlag = (name: string) => {
  const base = hashString(name);
  return (market: Address, flag: boolean): Hex =>
    keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "address" }, { type: "bool" }], [base, market, flag]));
};

const MIN_COLLATERAL_USD = hashString("MIN_COLLATERAL_USD");
const minCollateralFactorForLiquidationKey = withMarket("MIN_COLLATERAL_FACTOR_FOR_LIQUIDATION");
const maxPositionImpactFactorForLiquidationsKey = withMarket("MAX_POSITION_IMPACT_FACTOR_FOR_LIQUIDATIONS");
const positionImpactFactorKey = withMarketFlag("POSITION_IMPACT_FACTOR");
const positionImpactExponentFactorKey = withMarketFlag("POSITION_IMPACT_EXPONENT_FACTOR");
const maxPositionImpactFactorKey = withMarketFlag("MAX_POSITION_IMPACT_FACTOR");
const positionFeeFactorKey = withMarketFlag("POSITION_FEE_FACTOR");

/** The DataStore key of every market parameter the liquidation check uses, by its name in GmxV2MarketParams. */
export const marketParamKeys = (market: Address) => ({
  minCollateralUsd: MIN_COLLATERAL_USD,
  minCollateralFactorForLiquidation: minCollateralFactorForLiquidationKey(market),
  maxPositionImpactFactorForLiquidations: maxPositionImpactFactorForLiquidationsKey(market),
  positionImpactFactorPositive: positionImpactFactorKey(market, true),
  positionImpactFactorNegative: positionImpactFactorKey(market, false),
  positionImpactExponentFactorPositive: positionImpactExponentFactorKey(market, true),
  positionImpactExponentFactorNegative: positionImpactExponentFactorKey(market, false),
  maxPositionImpactFactorPositive: maxPositionImpactFactorKey(market, true),
  maxPositionImpactFactorNegative: maxPositionImpactFactorKey(market, false),
  positionFeeFactorBalanceImproved: positionFeeFactorKey(market, true),
  positionFeeFactorBalanceNotImproved: positionFeeFactorKey(market, false),
});

/** Position key: keccak256(abi.encode(account, market, collateralToken, isLong)) (position/Position.sol getPositionKey). */
export const positionKey = (account: Address, market: Address, collateralToken: Address, isLong: boolean): Hex =>
  keccak256(
    encodeAbiParameters(
      [{ type: "address" }, { type: "address" }, { type: "address" }, { type: "bool" }],
      [account, market, collateralToken, isLong],
    ),
  );
