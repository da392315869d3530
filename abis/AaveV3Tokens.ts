import { parseAbi, parseAbiItem } from "viem";

// aave/aave-v3-core (v1.19, Aave v3.0) interfaces/{IAToken,IScaledBalanceToken,IStableDebtToken,IPoolConfigurator}.sol.

/** VariableDebtToken: ScaledBalanceTokenBase's Mint and Burn, which the AToken shares. */
export const AaveV3VariableDebtTokenAbi = parseAbi([
  "event Mint(address indexed caller, address indexed onBehalfOf, uint256 value, uint256 balanceIncrease, uint256 index)",
  "event Burn(address indexed from, address indexed target, uint256 value, uint256 balanceIncrease, uint256 index)",
]);

export const AaveV3ATokenAbi = [
  ...AaveV3VariableDebtTokenAbi,
  ...parseAbi(["event BalanceTransfer(address indexed from, address indexed to, uint256 value, uint256 index)"]),
] as const;

export const AaveV3StableDebtTokenAbi = parseAbi([
  "event Mint(address indexed user, address indexed onBehalfOf, uint256 amount, uint256 currentBalance, uint256 balanceIncrease, uint256 newRate, uint256 avgStableRate, uint256 newTotalSupply)",
  "event Burn(address indexed from, uint256 amount, uint256 currentBalance, uint256 balanceIncrease, uint256 avgStableRate, uint256 newTotalSupply)",
]);

export const AaveV3ReserveInitializedEvent = parseAbiItem(
  "event ReserveInitialized(address indexed asset, address indexed aToken, address stableDebtToken, address variableDebtToken, address interestRateStrategyAddress)",
);

/** PoolConfigurator events that change a reserve's packed configuration, and e-mode categories. */
export const AaveV3PoolConfiguratorAbi = [
  AaveV3ReserveInitializedEvent,
  ...parseAbi([
    "event CollateralConfigurationChanged(address indexed asset, uint256 ltv, uint256 liquidationThreshold, uint256 liquidationBonus)",
    "event ReserveBorrowing(address indexed asset, bool enabled)",
    "event ReserveStableRateBorrowing(address indexed asset, bool enabled)",
    "event ReserveActive(address indexed asset, bool active)",
    "event ReserveFrozen(address indexed asset, bool frozen)",
    "event ReservePaused(address indexed asset, bool paused)",
    "event ReserveFactorChanged(address indexed asset, uint256 oldReserveFactor, uint256 newReserveFactor)",
    "event SupplyCapChanged(address indexed asset, uint256 oldSupplyCap, uint256 newSupplyCap)",
    "event BorrowCapChanged(address indexed asset, uint256 oldBorrowCap, uint256 newBorrowCap)",
    "event DebtCeilingChanged(address indexed asset, uint256 oldDebtCeiling, uint256 newDebtCeiling)",
    "event SiloedBorrowingChanged(address indexed asset, bool oldState, bool newState)",
    "event BorrowableInIsolationChanged(address asset, bool borrowable)",
    "event LiquidationProtocolFeeChanged(address indexed asset, uint256 oldFee, uint256 newFee)",
    "event EModeAssetCategoryChanged(address indexed asset, uint8 oldCategoryId, uint8 newCategoryId)",
    "event EModeCategoryAdded(uint8 indexed categoryId, uint256 ltv, uint256 liquidationThreshold, uint256 liquidationBonus, address oracle, string label)",
  ]),
] as const;
