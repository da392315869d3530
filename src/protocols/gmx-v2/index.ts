import { and, eq, gt } from "ponder";
import { formatUnits, type Address } from "viem";
import type { ProtocolAdapter } from "../../core/adapter";
import { assetDirectory } from "../../core/assets";
import { parseWallet } from "../../core/errors";
import type { Protocol } from "../../core/protocol";
import { assessGmxV2 } from "./assess";
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
      "GMX v2: funding a wallet has earned and not yet claimed, per market and pool token (as of the indexed head)."
      type GmxV2ClaimableFunding {
        chainId: Int!
        eventEmitter: String!
        market: String!
        token: String!
        "The token's configured symbol; null when the token is not in the config's assets."
        symbol: String
        "Token units (the raw integer the contract holds)."
        amountRaw: BigInt!
        "Whole tokens, exact; null when the token's decimals are not configured."
        amount: String
        updatedBlock: BigInt!
      }
      extend type Query {
        "Funding the wallet can claim on GMX v2 (ClaimableFundingUpdated; a claim takes it to zero). Earned on open positions since their last order is not included."
        gmxV2ClaimableFunding(wallet: String!): [GmxV2ClaimableFunding!]!
      }`,
    resolvers: ({ db, config }) => ({
      Query: {
        gmxV2ClaimableFunding: async (_: unknown, args: { wallet: string }) => {
          const C = tables.gmxV2ClaimableFunding;
          const assets = assetDirectory(config);
          const rows = await db
            .select()
            .from(C)
            .where(and(eq(C.account, parseWallet(args.wallet)), gt(C.amount, 0n)));
          return rows.map((r) => {
            const asset = assets.get(r.chainId, r.token as Address);
            return {
              chainId: r.chainId,
              eventEmitter: r.eventEmitter,
              market: r.market,
              token: r.token,
              symbol: asset?.symbol ?? null,
              amountRaw: r.amount,
              amount: asset ? formatUnits(r.amount, asset.decimals) : null,
              updatedBlock: r.updatedBlock,
            };
          });
        },
      },
    }),
  },
} satisfies Protocol;
