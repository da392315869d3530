import type { ProtocolAdapter } from "../../core/adapter";
import type { Protocol } from "../../core/protocol";
import { assessGmxV2 } from "./assess";
import { claimableFunding } from "./claimable-funding";
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
        "Earned by the wallet's open positions since their last order, credited at their next one, in token units."
        earnedRaw: BigInt!
        earned: String
        "Block of the last credit or claim; null when only open positions have earned."
        updatedBlock: BigInt
      }
      extend type Query {
        "Funding the wallet is owed on GMX v2: claimable now, and earned on open positions since their last order."
        gmxV2ClaimableFunding(wallet: String!): [GmxV2ClaimableFunding!]!
      }`,
    resolvers: (deps) => ({
      Query: { gmxV2ClaimableFunding: (_: unknown, args: { wallet: string }) => claimableFunding(deps, args.wallet) },
    }),
  },
} satisfies Protocol;
