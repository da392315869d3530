// What each Aave v3 release changes for the events and rules this adapter follows
// (docs/protocols/aave-v3.md has the sources).

export const AAVE_RELEASES = ["3.0", "3.1", "3.2", "3.3"] as const;
export type AaveRelease = (typeof AAVE_RELEASES)[number];

export type ReleaseRules = {
  /** StableDebtToken exists and its debt counts (removed in 3.2). */
  stableDebt: boolean;
  /** An e-mode category may name its own price source (removed in 3.2). */
  eModePriceSource: boolean;
  /**
   * E-mode membership from the reserve configuration's category bits (3.0, 3.1); 3.2's liquid
   * e-modes keep per-category collateral and borrowable bitmaps instead.
   */
  eModeFromReserveConfig: boolean;
};

const RULES: Record<AaveRelease, ReleaseRules> = {
  "3.0": { stableDebt: true, eModePriceSource: true, eModeFromReserveConfig: true },
  "3.1": { stableDebt: true, eModePriceSource: true, eModeFromReserveConfig: true },
  "3.2": { stableDebt: false, eModePriceSource: false, eModeFromReserveConfig: false },
  "3.3": { stableDebt: false, eModePriceSource: false, eModeFromReserveConfig: false },
};

export const releaseRules = (release: AaveRelease): ReleaseRules => RULES[release];
