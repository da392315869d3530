// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "./AaveMath.sol";

interface IFixtureAavePriceOracle {
    function getAssetPrice(address asset) external view returns (uint256);
}

interface IFixtureAaveUnderlying {
    function balanceOf(address account) external view returns (uint256);
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}

/// Test fixture reproducing an Aave v3.0.x Pool (aave-v3-core v1.19) with variable-rate debt only:
/// the same index accrual, rounding, events and their order, collateral flags, e-mode, account data,
/// health factor and liquidation arithmetic. aTokens and variable debt tokens are not separate
/// contracts: their scaled balances live here and the underlying is held by the pool itself.
/// Left out: stable debt, isolation mode, siloed borrowing, caps, flash loans, bridges, credit
/// delegation, treasury accrual, liquidation protocol fee, price oracle sentinel, e-mode price sources.
/// The interest rate strategy is the fixture's own (linear in utilisation, see _updateInterestRates).
/// Revert reasons are Aave's numeric error codes where Aave has one.
contract FixtureAaveV3Pool {
    using AaveMath for uint256;

    struct ReserveData {
        uint256 configuration; // Aave ReserveConfigurationMap bit layout
        uint128 liquidityIndex;
        uint128 currentLiquidityRate;
        uint128 variableBorrowIndex;
        uint128 currentVariableBorrowRate;
        uint40 lastUpdateTimestamp;
        uint16 id;
        bool initialized;
        uint256 scaledTotalSupply; // aToken scaledTotalSupply
        uint256 scaledTotalVariableDebt; // variable debt token scaledTotalSupply
        uint256 baseVariableBorrowRate; // ray
        uint256 variableRateSlope; // ray, multiplied by the utilisation (ray)
    }

    struct EModeCategory {
        uint16 ltv;
        uint16 liquidationThreshold;
        uint16 liquidationBonus;
        address priceSource;
        string label;
    }

    struct AccountData {
        uint256 totalCollateralBase;
        uint256 totalDebtBase;
        uint256 ltv;
        uint256 liquidationThreshold;
        uint256 healthFactor;
        bool hasZeroLtvCollateral;
    }

    struct LiquidationVars {
        uint256 healthFactor;
        uint256 userTotalDebt;
        uint256 actualDebtToLiquidate;
        uint256 actualCollateralToLiquidate;
        uint256 userCollateralBalance;
        uint256 liquidationBonus;
        uint256 collateralConfig;
        uint256 debtConfig;
    }

    // ---------------------------------------------------------------- constants

    uint256 public constant HEALTH_FACTOR_LIQUIDATION_THRESHOLD = 1e18;
    uint256 public constant CLOSE_FACTOR_HF_THRESHOLD = 0.95e18;
    uint256 public constant DEFAULT_LIQUIDATION_CLOSE_FACTOR = 0.5e4;
    uint256 public constant MAX_LIQUIDATION_CLOSE_FACTOR = 1e4;
    uint256 public constant MAX_RESERVES_COUNT = 128;

    uint256 private constant VARIABLE_RATE_MODE = 2;
    uint256 private constant STABLE_RATE_MODE = 1;

    // ReserveConfigurationMap layout (Aave v3): bit offsets
    uint256 private constant LIQUIDATION_THRESHOLD_START = 16;
    uint256 private constant LIQUIDATION_BONUS_START = 32;
    uint256 private constant DECIMALS_START = 48;
    uint256 private constant ACTIVE_BIT = 56;
    uint256 private constant FROZEN_BIT = 57;
    uint256 private constant BORROWING_ENABLED_BIT = 58;
    uint256 private constant PAUSED_BIT = 60;
    uint256 private constant RESERVE_FACTOR_START = 64;
    uint256 private constant EMODE_CATEGORY_START = 168;

    // ---------------------------------------------------------------- storage

    address public immutable admin;
    address public priceOracle;

    mapping(address => ReserveData) private _reserves;
    mapping(uint256 => address) private _reservesList;
    uint256 private _reservesCount;

    /// Aave UserConfigurationMap: bit 2*id = borrowing, bit 2*id+1 = using as collateral
    mapping(address => uint256) private _usersConfig;
    mapping(address => uint8) private _usersEModeCategory;
    mapping(uint8 => EModeCategory) private _eModeCategories;

    mapping(address => mapping(address => uint256)) private _scaledSupply; // asset => user => scaled aToken
    mapping(address => mapping(address => uint256)) private _scaledDebt; // asset => user => scaled variable debt

    // ---------------------------------------------------------------- events (IPool)

    event Supply(address indexed reserve, address user, address indexed onBehalfOf, uint256 amount, uint16 indexed referralCode);
    event Withdraw(address indexed reserve, address indexed user, address indexed to, uint256 amount);
    event Borrow(
        address indexed reserve,
        address user,
        address indexed onBehalfOf,
        uint256 amount,
        uint8 interestRateMode,
        uint256 borrowRate,
        uint16 indexed referralCode
    );
    event Repay(address indexed reserve, address indexed user, address indexed repayer, uint256 amount, bool useATokens);
    event LiquidationCall(
        address indexed collateralAsset,
        address indexed debtAsset,
        address indexed user,
        uint256 debtToCover,
        uint256 liquidatedCollateralAmount,
        address liquidator,
        bool receiveAToken
    );
    event ReserveDataUpdated(
        address indexed reserve,
        uint256 liquidityRate,
        uint256 stableBorrowRate,
        uint256 variableBorrowRate,
        uint256 liquidityIndex,
        uint256 variableBorrowIndex
    );
    event ReserveUsedAsCollateralEnabled(address indexed reserve, address indexed user);
    event ReserveUsedAsCollateralDisabled(address indexed reserve, address indexed user);
    event UserEModeSet(address indexed user, uint8 categoryId);

    // configuration events: in Aave these come from the PoolConfigurator, here from the pool
    event ReserveInitialized(
        address indexed asset,
        address indexed aToken,
        address stableDebtToken,
        address variableDebtToken,
        address interestRateStrategyAddress
    );
    event CollateralConfigurationChanged(address indexed asset, uint256 ltv, uint256 liquidationThreshold, uint256 liquidationBonus);
    event ReserveFactorChanged(address indexed asset, uint256 oldReserveFactor, uint256 newReserveFactor);
    event ReserveBorrowing(address indexed asset, bool enabled);
    event EModeAssetCategoryChanged(address indexed asset, uint8 oldCategoryId, uint8 newCategoryId);
    event EModeCategoryAdded(
        uint8 indexed categoryId,
        uint256 ltv,
        uint256 liquidationThreshold,
        uint256 liquidationBonus,
        address oracle,
        string label
    );
    event InterestRateParamsSet(address indexed asset, uint256 baseVariableBorrowRate, uint256 variableRateSlope);
    event PriceOracleUpdated(address indexed oldAddress, address indexed newAddress);

    modifier onlyAdmin() {
        require(msg.sender == admin, "1");
        _;
    }

    constructor() {
        admin = msg.sender;
    }

    // ================================================================ admin

    function setPriceOracle(address oracle) external onlyAdmin {
        emit PriceOracleUpdated(priceOracle, oracle);
        priceOracle = oracle;
    }

    function initReserve(address asset, uint8 decimals) external onlyAdmin {
        require(asset != address(0), "77");
        ReserveData storage r = _reserves[asset];
        require(!r.initialized, "61");
        require(_reservesCount < MAX_RESERVES_COUNT, "15");
        r.initialized = true;
        r.id = uint16(_reservesCount);
        r.liquidityIndex = uint128(AaveMath.RAY);
        r.variableBorrowIndex = uint128(AaveMath.RAY);
        r.configuration = (uint256(decimals) << DECIMALS_START) | (1 << ACTIVE_BIT);
        r.baseVariableBorrowRate = 0.04e27;
        r.variableRateSlope = 0.6e27;
        _reservesList[_reservesCount] = asset;
        _reservesCount++;
        emit ReserveInitialized(asset, address(0), address(0), address(0), address(this));
    }

    function configureReserve(
        address asset,
        uint256 ltv,
        uint256 liquidationThreshold,
        uint256 liquidationBonus,
        uint256 reserveFactor,
        uint8 eModeCategory,
        bool borrowingEnabled
    ) external onlyAdmin {
        ReserveData storage r = _reserves[asset];
        require(r.initialized, "82");
        _validateCollateralParams(ltv, liquidationThreshold, liquidationBonus);
        require(reserveFactor <= AaveMath.PERCENTAGE_FACTOR, "67");
        if (eModeCategory != 0) {
            EModeCategory storage category = _eModeCategories[eModeCategory];
            require(category.liquidationThreshold != 0, "71");
            require(category.liquidationThreshold > liquidationThreshold, "17");
        }

        uint256 old = r.configuration;
        uint256 c = old;
        c = _setBits(c, 0, 0xFFFF, ltv);
        c = _setBits(c, LIQUIDATION_THRESHOLD_START, 0xFFFF, liquidationThreshold);
        c = _setBits(c, LIQUIDATION_BONUS_START, 0xFFFF, liquidationBonus);
        c = _setBits(c, RESERVE_FACTOR_START, 0xFFFF, reserveFactor);
        c = _setBits(c, EMODE_CATEGORY_START, 0xFF, eModeCategory);
        c = _setBits(c, BORROWING_ENABLED_BIT, 1, borrowingEnabled ? 1 : 0);
        r.configuration = c;

        emit CollateralConfigurationChanged(asset, ltv, liquidationThreshold, liquidationBonus);
        emit ReserveFactorChanged(asset, _reserveFactor(old), reserveFactor);
        emit EModeAssetCategoryChanged(asset, uint8(_eModeCategoryOf(old)), eModeCategory);
        emit ReserveBorrowing(asset, borrowingEnabled);
    }

    /// Parameters of the fixture's rate strategy: variableRate = base + slope * U, both in ray.
    function setInterestRateParams(address asset, uint256 baseVariableBorrowRate, uint256 variableRateSlope) external onlyAdmin {
        ReserveData storage r = _reserves[asset];
        require(r.initialized, "82");
        r.baseVariableBorrowRate = baseVariableBorrowRate;
        r.variableRateSlope = variableRateSlope;
        emit InterestRateParamsSet(asset, baseVariableBorrowRate, variableRateSlope);
    }

    function configureEModeCategory(uint8 id, uint16 ltv, uint16 liquidationThreshold, uint16 liquidationBonus) external onlyAdmin {
        require(id != 0, "16");
        require(ltv != 0 && liquidationThreshold != 0, "21");
        require(ltv <= liquidationThreshold, "21");
        require(liquidationBonus > AaveMath.PERCENTAGE_FACTOR, "21");
        require(uint256(liquidationThreshold).percentMul(liquidationBonus) <= AaveMath.PERCENTAGE_FACTOR, "21");
        for (uint256 i = 0; i < _reservesCount; i++) {
            uint256 c = _reserves[_reservesList[i]].configuration;
            if (_eModeCategoryOf(c) == id) {
                require(ltv > _ltvOf(c), "21");
                require(liquidationThreshold > _liquidationThresholdOf(c), "21");
            }
        }
        EModeCategory storage category = _eModeCategories[id];
        category.ltv = ltv;
        category.liquidationThreshold = liquidationThreshold;
        category.liquidationBonus = liquidationBonus;
        emit EModeCategoryAdded(id, ltv, liquidationThreshold, liquidationBonus, address(0), category.label);
    }

    function setEModeCategoryLabel(uint8 id, string calldata label) external onlyAdmin {
        require(id != 0, "16");
        EModeCategory storage category = _eModeCategories[id];
        category.label = label;
        emit EModeCategoryAdded(id, category.ltv, category.liquidationThreshold, category.liquidationBonus, address(0), label);
    }

    // ================================================================ user actions

    function supply(address asset, uint256 amount, address onBehalfOf, uint16 referralCode) external {
        ReserveData storage r = _reserves[asset];
        _updateState(r);

        require(amount != 0, "26");
        _requireUsable(r, true);

        _updateInterestRates(r, asset, amount, 0);
        _pull(asset, msg.sender, amount);

        uint256 scaled = amount.rayDiv(r.liquidityIndex);
        require(scaled != 0, "24");
        uint256 scaledBefore = _scaledSupply[asset][onBehalfOf];
        _scaledSupply[asset][onBehalfOf] = scaledBefore + scaled;
        r.scaledTotalSupply += scaled;

        // first supply: use as collateral if the asset can be (LTV != 0; no isolation mode here)
        if (scaledBefore == 0 && _ltvOf(r.configuration) != 0) {
            _setUsingAsCollateral(onBehalfOf, r.id, true);
            emit ReserveUsedAsCollateralEnabled(asset, onBehalfOf);
        }

        emit Supply(asset, msg.sender, onBehalfOf, amount, referralCode);
    }

    function withdraw(address asset, uint256 amount, address to) external returns (uint256) {
        ReserveData storage r = _reserves[asset];
        _updateState(r);

        uint256 scaledBefore = _scaledSupply[asset][msg.sender];
        uint256 userBalance = scaledBefore.rayMul(r.liquidityIndex);
        uint256 amountToWithdraw = amount == type(uint256).max ? userBalance : amount;

        require(amountToWithdraw != 0, "26");
        require(amountToWithdraw <= userBalance, "32");
        _requireUsable(r, false);

        _updateInterestRates(r, asset, 0, amountToWithdraw);

        bool isCollateral = _isUsingAsCollateral(msg.sender, r.id);
        if (isCollateral && amountToWithdraw == userBalance) {
            _setUsingAsCollateral(msg.sender, r.id, false);
            emit ReserveUsedAsCollateralDisabled(asset, msg.sender);
        }

        uint256 scaled = amountToWithdraw.rayDiv(r.liquidityIndex);
        require(scaled != 0, "25");
        _scaledSupply[asset][msg.sender] = scaledBefore - scaled;
        r.scaledTotalSupply -= scaled;
        _push(asset, to, amountToWithdraw);

        if (isCollateral && _isBorrowingAny(msg.sender)) _validateHFAndLtv(asset, msg.sender);

        emit Withdraw(asset, msg.sender, to, amountToWithdraw);
        return amountToWithdraw;
    }

    function borrow(address asset, uint256 amount, uint256 interestRateMode, uint16 referralCode, address onBehalfOf) external {
        require(onBehalfOf == msg.sender, "credit delegation not supported");
        ReserveData storage r = _reserves[asset];
        _updateState(r);

        _validateBorrow(r, asset, amount, interestRateMode, onBehalfOf);

        uint256 scaled = amount.rayDiv(r.variableBorrowIndex);
        require(scaled != 0, "24");
        uint256 scaledBefore = _scaledDebt[asset][onBehalfOf];
        _scaledDebt[asset][onBehalfOf] = scaledBefore + scaled;
        r.scaledTotalVariableDebt += scaled;
        if (scaledBefore == 0) _setBorrowing(onBehalfOf, r.id, true);

        _updateInterestRates(r, asset, 0, amount);
        _push(asset, msg.sender, amount);

        emit Borrow(asset, msg.sender, onBehalfOf, amount, uint8(VARIABLE_RATE_MODE), r.currentVariableBorrowRate, referralCode);
    }

    function repay(address asset, uint256 amount, uint256 interestRateMode, address onBehalfOf) external returns (uint256) {
        ReserveData storage r = _reserves[asset];
        _updateState(r);

        uint256 scaledBefore = _scaledDebt[asset][onBehalfOf];
        uint256 variableDebt = scaledBefore.rayMul(r.variableBorrowIndex);

        require(amount != 0, "26");
        require(amount != type(uint256).max || msg.sender == onBehalfOf, "40");
        _requireUsable(r, false);
        require(interestRateMode == VARIABLE_RATE_MODE && variableDebt != 0, "39");

        uint256 paybackAmount = amount < variableDebt ? amount : variableDebt;

        uint256 scaled = paybackAmount.rayDiv(r.variableBorrowIndex);
        require(scaled != 0, "25");
        _scaledDebt[asset][onBehalfOf] = scaledBefore - scaled;
        r.scaledTotalVariableDebt -= scaled;

        _updateInterestRates(r, asset, paybackAmount, 0);

        if (variableDebt - paybackAmount == 0) _setBorrowing(onBehalfOf, r.id, false);

        _pull(asset, msg.sender, paybackAmount);

        emit Repay(asset, onBehalfOf, msg.sender, paybackAmount, false);
        return paybackAmount;
    }

    function setUserUseReserveAsCollateral(address asset, bool useAsCollateral) external {
        ReserveData storage r = _reserves[asset];
        uint256 userBalance = _scaledSupply[asset][msg.sender].rayMul(_normalizedIncome(r));
        require(userBalance != 0, "43");
        _requireUsable(r, false);

        if (useAsCollateral == _isUsingAsCollateral(msg.sender, r.id)) return;

        if (useAsCollateral) {
            require(_ltvOf(r.configuration) != 0, "62");
            _setUsingAsCollateral(msg.sender, r.id, true);
            emit ReserveUsedAsCollateralEnabled(asset, msg.sender);
        } else {
            _setUsingAsCollateral(msg.sender, r.id, false);
            _validateHFAndLtv(asset, msg.sender);
            emit ReserveUsedAsCollateralDisabled(asset, msg.sender);
        }
    }

    function setUserEMode(uint8 categoryId) external {
        require(categoryId == 0 || _eModeCategories[categoryId].liquidationThreshold != 0, "58");
        uint256 userConfig = _usersConfig[msg.sender];
        if (userConfig != 0 && categoryId != 0) {
            for (uint256 i = 0; i < _reservesCount; i++) {
                if ((userConfig >> (i * 2)) & 1 != 0) {
                    require(_eModeCategoryOf(_reserves[_reservesList[i]].configuration) == categoryId, "58");
                }
            }
        }

        uint8 previous = _usersEModeCategory[msg.sender];
        _usersEModeCategory[msg.sender] = categoryId;
        if (previous != 0) {
            require(_accountData(msg.sender).healthFactor >= HEALTH_FACTOR_LIQUIDATION_THRESHOLD, "35");
        }
        emit UserEModeSet(msg.sender, categoryId);
    }

    function liquidationCall(address collateralAsset, address debtAsset, address user, uint256 debtToCover, bool receiveAToken) external {
        LiquidationVars memory v;
        ReserveData storage collateralReserve = _reserves[collateralAsset];
        ReserveData storage debtReserve = _reserves[debtAsset];
        v.collateralConfig = collateralReserve.configuration;
        v.debtConfig = debtReserve.configuration;

        _updateState(debtReserve);

        v.healthFactor = _accountData(user).healthFactor;

        // debt and close factor
        v.userTotalDebt = _scaledDebt[debtAsset][user].rayMul(debtReserve.variableBorrowIndex);
        uint256 maxLiquidatableDebt = v.userTotalDebt.percentMul(
            v.healthFactor > CLOSE_FACTOR_HF_THRESHOLD ? DEFAULT_LIQUIDATION_CLOSE_FACTOR : MAX_LIQUIDATION_CLOSE_FACTOR
        );
        v.actualDebtToLiquidate = debtToCover > maxLiquidatableDebt ? maxLiquidatableDebt : debtToCover;

        // validation
        require(_isActive(v.collateralConfig) && _isActive(v.debtConfig), "27");
        require(!_isPaused(v.collateralConfig) && !_isPaused(v.debtConfig), "29");
        require(v.healthFactor < HEALTH_FACTOR_LIQUIDATION_THRESHOLD, "45");
        require(_liquidationThresholdOf(v.collateralConfig) != 0 && _isUsingAsCollateral(user, collateralReserve.id), "46");
        require(v.userTotalDebt != 0, "47");

        // bonus: the e-mode one when the collateral is in the user's category
        v.liquidationBonus = _liquidationBonusOf(v.collateralConfig);
        uint8 userCategory = _usersEModeCategory[user];
        if (userCategory != 0 && _eModeCategoryOf(v.collateralConfig) == userCategory) {
            v.liquidationBonus = _eModeCategories[userCategory].liquidationBonus;
        }

        v.userCollateralBalance = _scaledSupply[collateralAsset][user].rayMul(_normalizedIncome(collateralReserve));

        (v.actualCollateralToLiquidate, v.actualDebtToLiquidate) = _availableCollateralToLiquidate(
            collateralAsset,
            debtAsset,
            v.collateralConfig,
            v.debtConfig,
            v.actualDebtToLiquidate,
            v.userCollateralBalance,
            v.liquidationBonus
        );

        if (v.userTotalDebt == v.actualDebtToLiquidate) _setBorrowing(user, debtReserve.id, false);

        if (v.actualCollateralToLiquidate == v.userCollateralBalance) {
            _setUsingAsCollateral(user, collateralReserve.id, false);
            emit ReserveUsedAsCollateralDisabled(collateralAsset, user);
        }

        // burn the debt
        {
            uint256 scaledDebtBurn = v.actualDebtToLiquidate.rayDiv(debtReserve.variableBorrowIndex);
            require(scaledDebtBurn != 0, "25");
            _scaledDebt[debtAsset][user] -= scaledDebtBurn;
            debtReserve.scaledTotalVariableDebt -= scaledDebtBurn;
        }
        _updateInterestRates(debtReserve, debtAsset, v.actualDebtToLiquidate, 0);

        if (receiveAToken) {
            _liquidateATokens(collateralReserve, collateralAsset, user, v.actualCollateralToLiquidate);
        } else {
            _burnCollateral(collateralReserve, collateralAsset, user, v.actualCollateralToLiquidate);
        }

        _pull(debtAsset, msg.sender, v.actualDebtToLiquidate);

        emit LiquidationCall(
            collateralAsset,
            debtAsset,
            user,
            v.actualDebtToLiquidate,
            v.actualCollateralToLiquidate,
            msg.sender,
            receiveAToken
        );
    }

    // ================================================================ views

    function getUserAccountData(address user)
        external
        view
        returns (
            uint256 totalCollateralBase,
            uint256 totalDebtBase,
            uint256 availableBorrowsBase,
            uint256 currentLiquidationThreshold,
            uint256 ltv,
            uint256 healthFactor
        )
    {
        AccountData memory a = _accountData(user);
        uint256 maxBorrow = a.totalCollateralBase.percentMul(a.ltv);
        availableBorrowsBase = maxBorrow < a.totalDebtBase ? 0 : maxBorrow - a.totalDebtBase;
        return (a.totalCollateralBase, a.totalDebtBase, availableBorrowsBase, a.liquidationThreshold, a.ltv, a.healthFactor);
    }

    function getConfiguration(address asset) external view returns (uint256) {
        return _reserves[asset].configuration;
    }

    function getUserConfiguration(address user) external view returns (uint256) {
        return _usersConfig[user];
    }

    function getReservesList() external view returns (address[] memory list) {
        list = new address[](_reservesCount);
        for (uint256 i = 0; i < _reservesCount; i++) list[i] = _reservesList[i];
    }

    function getReserveNormalizedIncome(address asset) external view returns (uint256) {
        return _normalizedIncome(_reserves[asset]);
    }

    function getReserveNormalizedVariableDebt(address asset) external view returns (uint256) {
        return _normalizedDebt(_reserves[asset]);
    }

    function getReserveState(address asset)
        external
        view
        returns (
            uint256 liquidityIndex,
            uint256 variableBorrowIndex,
            uint256 currentLiquidityRate,
            uint256 currentVariableBorrowRate,
            uint40 lastUpdateTimestamp
        )
    {
        ReserveData storage r = _reserves[asset];
        return (r.liquidityIndex, r.variableBorrowIndex, r.currentLiquidityRate, r.currentVariableBorrowRate, r.lastUpdateTimestamp);
    }

    /// Scaled totals of the reserve's aToken and variable debt token, its id and the rate strategy params.
    function getReserveTotals(address asset)
        external
        view
        returns (
            uint256 scaledTotalSupply,
            uint256 scaledTotalVariableDebt,
            uint16 id,
            uint256 baseVariableBorrowRate,
            uint256 variableRateSlope
        )
    {
        ReserveData storage r = _reserves[asset];
        return (r.scaledTotalSupply, r.scaledTotalVariableDebt, r.id, r.baseVariableBorrowRate, r.variableRateSlope);
    }

    function scaledBalanceOf(address asset, address user) external view returns (uint256) {
        return _scaledSupply[asset][user];
    }

    function scaledDebtOf(address asset, address user) external view returns (uint256) {
        return _scaledDebt[asset][user];
    }

    /// aToken balanceOf
    function balanceOf(address asset, address user) external view returns (uint256) {
        return _scaledSupply[asset][user].rayMul(_normalizedIncome(_reserves[asset]));
    }

    /// variable debt token balanceOf
    function debtOf(address asset, address user) external view returns (uint256) {
        uint256 scaled = _scaledDebt[asset][user];
        if (scaled == 0) return 0;
        return scaled.rayMul(_normalizedDebt(_reserves[asset]));
    }

    function getEModeCategoryData(uint8 id) external view returns (EModeCategory memory) {
        return _eModeCategories[id];
    }

    function getUserEMode(address user) external view returns (uint256) {
        return _usersEModeCategory[user];
    }

    // ================================================================ reserve logic

    /// ReserveLogic.updateState: accrue the indexes to now, once per block.
    function _updateState(ReserveData storage r) private {
        uint40 last = r.lastUpdateTimestamp;
        if (last == uint40(block.timestamp)) return;
        if (r.currentLiquidityRate != 0) {
            r.liquidityIndex = _toUint128(AaveMath.linearInterest(r.currentLiquidityRate, last, block.timestamp).rayMul(r.liquidityIndex));
        }
        if (r.scaledTotalVariableDebt != 0) {
            r.variableBorrowIndex = _toUint128(
                AaveMath.compoundedInterest(r.currentVariableBorrowRate, last, block.timestamp).rayMul(r.variableBorrowIndex)
            );
        }
        r.lastUpdateTimestamp = uint40(block.timestamp);
    }

    /// ReserveLogic.updateInterestRates with the fixture's strategy:
    /// U = debt / (available + debt), variableRate = base + slope * U, liquidityRate = variableRate * U * (1 - reserveFactor).
    /// available = the pool's balance of the asset + liquidityAdded - liquidityTaken (called before the transfer, as in Aave).
    function _updateInterestRates(ReserveData storage r, address asset, uint256 liquidityAdded, uint256 liquidityTaken) private {
        uint256 totalDebt = r.scaledTotalVariableDebt.rayMul(r.variableBorrowIndex);
        uint256 usage = 0;
        if (totalDebt != 0) {
            uint256 available = IFixtureAaveUnderlying(asset).balanceOf(address(this)) + liquidityAdded - liquidityTaken;
            usage = totalDebt.rayDiv(available + totalDebt);
        }
        uint256 variableRate = r.baseVariableBorrowRate + r.variableRateSlope.rayMul(usage);
        uint256 liquidityRate = variableRate.rayMul(usage).percentMul(AaveMath.PERCENTAGE_FACTOR - _reserveFactor(r.configuration));

        r.currentLiquidityRate = _toUint128(liquidityRate);
        r.currentVariableBorrowRate = _toUint128(variableRate);

        emit ReserveDataUpdated(asset, liquidityRate, 0, variableRate, r.liquidityIndex, r.variableBorrowIndex);
    }

    function _normalizedIncome(ReserveData storage r) private view returns (uint256) {
        uint40 last = r.lastUpdateTimestamp;
        if (last == uint40(block.timestamp)) return r.liquidityIndex;
        return AaveMath.linearInterest(r.currentLiquidityRate, last, block.timestamp).rayMul(r.liquidityIndex);
    }

    function _normalizedDebt(ReserveData storage r) private view returns (uint256) {
        uint40 last = r.lastUpdateTimestamp;
        if (last == uint40(block.timestamp)) return r.variableBorrowIndex;
        return AaveMath.compoundedInterest(r.currentVariableBorrowRate, last, block.timestamp).rayMul(r.variableBorrowIndex);
    }

    // ================================================================ generic logic

    /// GenericLogic.calculateUserAccountData
    function _accountData(address user) private view returns (AccountData memory a) {
        uint256 userConfig = _usersConfig[user];
        if (userConfig == 0) {
            a.healthFactor = type(uint256).max;
            return a;
        }
        uint256 category = _usersEModeCategory[user];
        uint256 eModeLtv;
        uint256 eModeThreshold;
        if (category != 0) {
            eModeLtv = _eModeCategories[uint8(category)].ltv;
            eModeThreshold = _eModeCategories[uint8(category)].liquidationThreshold;
        }

        for (uint256 i = 0; i < _reservesCount; i++) {
            uint256 flags = (userConfig >> (i * 2)) & 3;
            if (flags == 0) continue;
            address asset = _reservesList[i];
            uint256 c = _reserves[asset].configuration;
            (uint256 balance, uint256 debt) = _userValuesInBase(asset, user, flags, c);

            if (flags & 2 != 0 && _liquidationThresholdOf(c) != 0) {
                a.totalCollateralBase += balance;
                bool inEMode = category != 0 && _eModeCategoryOf(c) == category;
                if (_ltvOf(c) != 0) {
                    a.ltv += balance * (inEMode ? eModeLtv : _ltvOf(c));
                } else {
                    a.hasZeroLtvCollateral = true;
                }
                a.liquidationThreshold += balance * (inEMode ? eModeThreshold : _liquidationThresholdOf(c));
            }
            a.totalDebtBase += debt;
        }

        if (a.totalCollateralBase != 0) {
            a.ltv = a.ltv / a.totalCollateralBase;
            a.liquidationThreshold = a.liquidationThreshold / a.totalCollateralBase;
        } else {
            a.ltv = 0;
            a.liquidationThreshold = 0;
        }
        a.healthFactor = a.totalDebtBase == 0
            ? type(uint256).max
            : a.totalCollateralBase.percentMul(a.liquidationThreshold).wadDiv(a.totalDebtBase);
    }

    /// One reserve's collateral (if flagged and LT != 0) and debt (if flagged) of a user, in base currency.
    function _userValuesInBase(address asset, address user, uint256 flags, uint256 c)
        private
        view
        returns (uint256 balance, uint256 debt)
    {
        ReserveData storage r = _reserves[asset];
        uint256 unit = 10 ** _decimalsOf(c);
        uint256 price = IFixtureAavePriceOracle(priceOracle).getAssetPrice(asset);
        if (flags & 2 != 0 && _liquidationThresholdOf(c) != 0) {
            balance = (_scaledSupply[asset][user].rayMul(_normalizedIncome(r)) * price) / unit;
        }
        if (flags & 1 != 0) {
            debt = _scaledDebt[asset][user];
            if (debt != 0) debt = debt.rayMul(_normalizedDebt(r));
            debt = (debt * price) / unit;
        }
    }

    // ================================================================ validation

    function _requireUsable(ReserveData storage r, bool notFrozen) private view {
        uint256 c = r.configuration;
        require(r.initialized && _isActive(c), "27");
        require(!_isPaused(c), "29");
        if (notFrozen) require((c >> FROZEN_BIT) & 1 == 0, "28");
    }

    /// ValidationLogic.validateBorrow (variable rate; no caps, isolation or siloed borrowing)
    function _validateBorrow(ReserveData storage r, address asset, uint256 amount, uint256 interestRateMode, address user) private view {
        require(amount != 0, "26");
        _requireUsable(r, true);
        uint256 c = r.configuration;
        require((c >> BORROWING_ENABLED_BIT) & 1 != 0, "30");
        require(interestRateMode == VARIABLE_RATE_MODE || interestRateMode == STABLE_RATE_MODE, "33");
        require(interestRateMode == VARIABLE_RATE_MODE, "31");

        uint8 category = _usersEModeCategory[user];
        if (category != 0) require(_eModeCategoryOf(c) == category, "58");

        AccountData memory a = _accountData(user);
        require(a.totalCollateralBase != 0, "34");
        require(a.ltv != 0, "57");
        require(a.healthFactor > HEALTH_FACTOR_LIQUIDATION_THRESHOLD, "35");

        uint256 amountInBase = (IFixtureAavePriceOracle(priceOracle).getAssetPrice(asset) * amount) / (10 ** _decimalsOf(c));
        require((a.totalDebtBase + amountInBase).percentDiv(a.ltv) <= a.totalCollateralBase, "36");
    }

    /// ValidationLogic.validateHFAndLtv
    function _validateHFAndLtv(address asset, address user) private view {
        AccountData memory a = _accountData(user);
        require(a.healthFactor >= HEALTH_FACTOR_LIQUIDATION_THRESHOLD, "35");
        require(!a.hasZeroLtvCollateral || _ltvOf(_reserves[asset].configuration) == 0, "57");
    }

    // ================================================================ liquidation helpers

    /// LiquidationLogic._calculateAvailableCollateralToLiquidate without protocol fee
    function _availableCollateralToLiquidate(
        address collateralAsset,
        address debtAsset,
        uint256 collateralConfig,
        uint256 debtConfig,
        uint256 debtToCover,
        uint256 userCollateralBalance,
        uint256 liquidationBonus
    ) private view returns (uint256 collateralAmount, uint256 debtAmountNeeded) {
        uint256 collateralPrice = IFixtureAavePriceOracle(priceOracle).getAssetPrice(collateralAsset);
        uint256 debtPrice = IFixtureAavePriceOracle(priceOracle).getAssetPrice(debtAsset);
        uint256 collateralUnit = 10 ** _decimalsOf(collateralConfig);
        uint256 debtUnit = 10 ** _decimalsOf(debtConfig);

        uint256 baseCollateral = (debtPrice * debtToCover * collateralUnit) / (collateralPrice * debtUnit);
        uint256 maxCollateral = baseCollateral.percentMul(liquidationBonus);

        if (maxCollateral > userCollateralBalance) {
            collateralAmount = userCollateralBalance;
            debtAmountNeeded = ((collateralPrice * collateralAmount * debtUnit) / (debtPrice * collateralUnit)).percentDiv(liquidationBonus);
        } else {
            collateralAmount = maxCollateral;
            debtAmountNeeded = debtToCover;
        }
    }

    /// LiquidationLogic._liquidateATokens: move scaled collateral to the liquidator at the current normalized income.
    function _liquidateATokens(ReserveData storage r, address asset, address user, uint256 amount) private {
        uint256 index = _normalizedIncome(r);
        uint256 liquidatorScaledBefore = _scaledSupply[asset][msg.sender];
        uint256 scaled = amount.rayDiv(index);
        _scaledSupply[asset][user] -= scaled;
        _scaledSupply[asset][msg.sender] += scaled;
        if (liquidatorScaledBefore.rayMul(index) == 0 && _ltvOf(r.configuration) != 0) {
            _setUsingAsCollateral(msg.sender, r.id, true);
            emit ReserveUsedAsCollateralEnabled(asset, msg.sender);
        }
    }

    /// LiquidationLogic._burnCollateralATokens: update the collateral reserve, burn, pay out the underlying.
    function _burnCollateral(ReserveData storage r, address asset, address user, uint256 amount) private {
        _updateState(r);
        _updateInterestRates(r, asset, 0, amount);
        uint256 scaled = amount.rayDiv(r.liquidityIndex);
        require(scaled != 0, "25");
        _scaledSupply[asset][user] -= scaled;
        r.scaledTotalSupply -= scaled;
        _push(asset, msg.sender, amount);
    }

    // ================================================================ small helpers

    function _pull(address asset, address from, uint256 amount) private {
        require(IFixtureAaveUnderlying(asset).transferFrom(from, address(this), amount), "transferFrom failed");
    }

    function _push(address asset, address to, uint256 amount) private {
        require(IFixtureAaveUnderlying(asset).transfer(to, amount), "transfer failed");
    }

    function _isUsingAsCollateral(address user, uint256 id) private view returns (bool) {
        return (_usersConfig[user] >> (id * 2 + 1)) & 1 != 0;
    }

    function _isBorrowingAny(address user) private view returns (bool) {
        // borrowing bits are the even ones
        return _usersConfig[user] & 0x5555555555555555555555555555555555555555555555555555555555555555 != 0;
    }

    function _setUsingAsCollateral(address user, uint256 id, bool enabled) private {
        uint256 bit = 1 << (id * 2 + 1);
        _usersConfig[user] = enabled ? _usersConfig[user] | bit : _usersConfig[user] & ~bit;
    }

    function _setBorrowing(address user, uint256 id, bool enabled) private {
        uint256 bit = 1 << (id * 2);
        _usersConfig[user] = enabled ? _usersConfig[user] | bit : _usersConfig[user] & ~bit;
    }

    function _validateCollateralParams(uint256 ltv, uint256 liquidationThreshold, uint256 liquidationBonus) private pure {
        require(ltv <= liquidationThreshold, "20");
        if (liquidationThreshold != 0) {
            require(liquidationBonus > AaveMath.PERCENTAGE_FACTOR, "20");
            require(liquidationThreshold.percentMul(liquidationBonus) <= AaveMath.PERCENTAGE_FACTOR, "20");
        } else {
            require(liquidationBonus == 0, "20");
        }
    }

    function _setBits(uint256 word, uint256 start, uint256 mask, uint256 value) private pure returns (uint256) {
        require(value <= mask, "20");
        return (word & ~(mask << start)) | (value << start);
    }

    function _toUint128(uint256 value) private pure returns (uint128) {
        require(value <= type(uint128).max, "SafeCast: value doesn't fit in 128 bits");
        return uint128(value);
    }

    function _ltvOf(uint256 c) private pure returns (uint256) {
        return c & 0xFFFF;
    }

    function _liquidationThresholdOf(uint256 c) private pure returns (uint256) {
        return (c >> LIQUIDATION_THRESHOLD_START) & 0xFFFF;
    }

    function _liquidationBonusOf(uint256 c) private pure returns (uint256) {
        return (c >> LIQUIDATION_BONUS_START) & 0xFFFF;
    }

    function _decimalsOf(uint256 c) private pure returns (uint256) {
        return (c >> DECIMALS_START) & 0xFF;
    }

    function _reserveFactor(uint256 c) private pure returns (uint256) {
        return (c >> RESERVE_FACTOR_START) & 0xFFFF;
    }

    function _eModeCategoryOf(uint256 c) private pure returns (uint256) {
        return (c >> EMODE_CATEGORY_START) & 0xFF;
    }

    function _isActive(uint256 c) private pure returns (bool) {
        return (c >> ACTIVE_BIT) & 1 != 0;
    }

    function _isPaused(uint256 c) private pure returns (bool) {
        return (c >> PAUSED_BIT) & 1 != 0;
    }
}
