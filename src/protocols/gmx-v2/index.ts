import type { ProtocolAdapter } from "../../core/adapter";
import type { Protocol } from "../../core/protocol";
import { assessGmxV2 } from "./assess";
import { claimableFunding } from "./claimable-funding";
import { insolventCloses } from "./insolvent-closes";
import { GMX_V2 } from "./normalise";
import { gmxV2Contracts } from "./contracts";
import * as tables from "./schema";

export const gmxV2Adapter = {
  id: GMX_V2,
  assess: assessGmxV2,
  isolatedPositions: true,
} satisfies ProtocolAdapter;

export const gmxV2Protocol = {
  adapter: gmxV2Adapter,
  contracts: gmxV2Contracts,
  tables,
  graphql: {
    typeDefs: `
      "GMX v2: funding a wallet is owed in one market and pool token (as of the indexed head)."
      type GmxV2ClaimableFunding {
        chainId: Int!
        eventEmitter: String!
        market: String!
        token: String!
        "The token's configured symbol; null when the token is not in the config's assets."
        symbol: String
        "Claimable now (ClaimableFundingUpdated; a claim takes it to zero), in token units."
        amountRaw: BigInt!
        "The same in whole tokens, exact; null when the token's decimals are not configured."
        amount: String
        "Earned by the wallet's open positions since their last order, credited at their next one, in token units, with what the market's next update adds (to the head block's time)."
        earnedRaw: BigInt!
        earned: String
        "Block of the last credit or claim; null when only open positions have earned."
        updatedBlock: BigInt
        "Why a figure leaves something out (e.g. an unknown price leaves the accrual since the market's last update out of earned)."
        warnings: [String!]!
      }
      "GMX v2: a liquidation or ADL that closed a position whose collateral did not cover its costs (InsolventClose)."
      type GmxV2InsolventClose {
        chainId: Int!
        eventEmitter: String!
        orderKey: String!
        positionKey: String
        "The market token."
        market: String
        side: String
        collateralToken: String
        "The position's collateral before the close, in token units."
        collateralAmountRaw: BigInt!
        collateralAmount: String
        "What the collateral could not pay and the pool bore (USD, exact)."
        uncoveredCostUsd: String!
        "Realised PnL of the close before price impact (USD, exact)."
        basePnlUsd: String!
        "Where the collateral ran out: funding, pnl, fees, impact or diff; null before v2.1."
        step: String
        blockNumber: BigInt!
        transactionHash: String!
      }
      extend type Query {
        "Funding the wallet is owed on GMX v2: claimable now, and earned on open positions since their last order."
        gmxV2ClaimableFunding(wallet: String!): [GmxV2ClaimableFunding!]!
        "The wallet's GMX v2 positions closed insolvent, oldest first."
        gmxV2InsolventCloses(wallet: String!): [GmxV2InsolventClose!]!
      }`,
    resolvers: (deps) => ({
      Query: {
        gmxV2ClaimableFunding: (_: unknown, args: { wallet: string }) => claimableFunding(deps, args.wallet),
        gmxV2InsolventCloses: (_: unknown, args: { wallet: string }) => insolventCloses(deps, args.wallet),
      },
    }),
  },
} satisfies Protocol;
