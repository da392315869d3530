import { asc, eq } from "ponder";
import { formatUnits, type Address } from "viem";
import { assetDirectory } from "../../core/assets";
import { parseWallet } from "../../core/errors";
import { formatUsd } from "../../core/fixed";
import type { ProtocolReadDeps } from "../../core/protocol";
import { gmxV2InsolventClose } from "./schema";

/**
 * A wallet's GMX v2 positions that a liquidation or ADL closed with less collateral than their costs
 * (InsolventClose): what the pool bore, oldest first.
 */
export async function insolventCloses({ db, config }: ProtocolReadDeps, wallet: string) {
  const account = parseWallet(wallet);
  const assets = assetDirectory(config);
  const I = gmxV2InsolventClose;
  const rows = await db.select().from(I).where(eq(I.account, account)).orderBy(asc(I.blockNumber));
  return rows.map((r) => {
    const collateral = r.collateralToken ? assets.get(r.chainId, r.collateralToken as Address) : undefined;
    return {
      chainId: r.chainId,
      eventEmitter: r.eventEmitter,
      orderKey: r.orderKey,
      positionKey: r.positionKey,
      market: r.market,
      side: r.isLong === null ? null : r.isLong ? "long" : "short",
      collateralToken: r.collateralToken,
      collateralAmountRaw: r.collateralAmount,
      collateralAmount: collateral ? formatUnits(r.collateralAmount, collateral.decimals) : null,
      uncoveredCostUsd: formatUsd(r.remainingCostUsd),
      basePnlUsd: formatUsd(r.basePnlUsd),
      step: r.step,
      blockNumber: r.blockNumber,
      transactionHash: r.transactionHash,
    };
  });
}
