import { and, eq } from "ponder";
import type { ProtocolAdapter } from "../../core/adapter";
import { parseWallet } from "../../core/errors";
import type { Protocol } from "../../core/protocol";
import { assessMorphoBlue } from "./assess";
import { morphoBlueBlocks, morphoBlueContracts } from "./contracts";
import { MORPHO_BLUE } from "./normalise";
import * as tables from "./schema";

export const morphoBlueAdapter = {
  id: MORPHO_BLUE,
  assess: assessMorphoBlue,
} satisfies ProtocolAdapter;

export const morphoBlueProtocol = {
  adapter: morphoBlueAdapter,
  contracts: morphoBlueContracts,
  blocks: morphoBlueBlocks,
  tables,
  graphql: {
    typeDefs: `
      "Morpho Blue: who may manage a wallet's positions (SetAuthorization): withdraw its supply and collateral, borrow against it."
      type MorphoBlueAuthorization { morpho: String! authorized: String! sinceBlock: BigInt! }
      extend type Query {
        "Accounts the wallet has authorized on Morpho Blue (currently authorized only)."
        morphoBlueAuthorizations(wallet: String!): [MorphoBlueAuthorization!]!
      }`,
    resolvers: ({ db }) => ({
      Query: {
        morphoBlueAuthorizations: async (_: unknown, args: { wallet: string }) => {
          const A = tables.morphoBlueAuthorization;
          const rows = await db
            .select()
            .from(A)
            .where(and(eq(A.authorizer, parseWallet(args.wallet)), eq(A.isAuthorized, true)));
          return rows.map((r) => ({ morpho: r.morpho, authorized: r.authorized, sinceBlock: r.blockNumber }));
        },
      },
    }),
  },
} satisfies Protocol;
