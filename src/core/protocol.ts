import type { ContractConfig } from "ponder";
import type { ExposureConfig } from "../config/exposure-config";
import type { Address } from "viem";
import type { AssessContext, ProtocolAdapter } from "./adapter";
import type { PonderSchema, ReadonlyDb } from "./db";

/**
 * What a protocol's GraphQL extension resolves over: the indexed tables, read only, the config, and the
 * context `assess` gets, at the indexed head with marks for the given assets (supplied by the read model).
 */
export type ProtocolReadDeps = {
  db: ReadonlyDb;
  schema: PonderSchema;
  config: ExposureConfig;
  contextAtHead: (assets: { chainId: number; asset: Address }[]) => Promise<AssessContext>;
};

/** GraphQL types and fields a protocol adds to the exposure schema (`extend type Query { ... }`). */
export type ProtocolGraphql = {
  typeDefs: string;
  resolvers: (deps: ProtocolReadDeps) => Record<string, Record<string, unknown>>;
};

/**
 * Everything the rest of the app takes from one protocol folder (src/protocols/<id>/, exported by its
 * index.ts and listed once in src/protocols/index.ts). Its handlers.ts registers itself: ponder loads
 * every file under src/.
 */
export type Protocol = {
  /** Risk figures of its positions; `adapter.id` is the folder's name. */
  adapter: ProtocolAdapter;
  /** ponder contracts of its deployments in the config (ponder.config.ts spreads them). */
  contracts: (config: ExposureConfig) => Record<string, ContractConfig>;
  /** ponder block intervals its handlers run on (`ponder.on("<Name>:block", ...)`), if any. */
  blocks?: (config: ExposureConfig) => Record<string, { chain: Record<string, { startBlock?: number; interval?: number }> }>;
  /** Its onchain tables (its schema.ts module), re-exported by ponder.schema.ts (npm run generate:schema). */
  tables: Record<string, unknown>;
  graphql?: ProtocolGraphql;
};
