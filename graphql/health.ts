import type { Address } from "viem";
import type { AlertStore } from "../src/alerts/store";
import { assetDirectory } from "../src/core/assets";
import { UnavailableError } from "../src/core/errors";
import { assessChain, DEFAULT_THRESHOLDS, healthReport, type BlockReading, type HealthReport, type HealthThresholds } from "../src/core/health";
import { chainHeads, priceBook, type ExposureDeps } from "../src/exposure/service";

// The health check: readings from ponder's checkpoint, each chain's RPC, the price table and the
// alert store, assessed by src/core/health. Served as the `health` query and as GET
// /exposure/health (200 when ok or degraded, 503 when down: a readiness probe).

export const HEALTH_PATH = "/exposure/health";

export const healthTypeDefs = /* GraphQL */ `
  extend type Query {
    "Freshness per chain: indexed block against the chain's head, stale feeds, the alert engine's lag. Also GET /exposure/health (503 when down)."
    health: Health!
  }

  type Health {
    "ok, degraded (answers are served but something is late or stale) or down (do not route traffic here)."
    status: String!
    "Unix milliseconds of the check (results are reused for up to a second)."
    checkedAt: BigInt!
    chains: [ChainHealth!]!
    reasons: [String!]!
  }

  type ChainHealth {
    chainId: Int!
    name: String!
    status: String!
    "The block answers are as of: ponder's checkpoint."
    indexedBlock: BigInt
    indexedTimestamp: BigInt
    "The chain's latest block from its RPC (null when the RPC did not answer)."
    headBlock: BigInt
    headTimestamp: BigInt
    lagBlocks: BigInt
    "Chain time between the head and the indexed block."
    lagSeconds: BigInt
    "Feeds whose last answer at the indexed block is older than their heartbeat (or that never answered)."
    staleFeeds: [StaleFeed!]!
    "The alert engine's last evaluated block (null when alerts are off or before its first)."
    alertEvaluatedBlock: BigInt
    alertLagBlocks: BigInt
    reasons: [String!]!
  }

  type StaleFeed {
    asset: String!
    symbol: String
    feed: String!
    "Unix seconds of its last answer; null when it never answered."
    updatedAt: BigInt
  }
`;

const RPC_TIMEOUT_MS = 3_000;
const REUSE_MS = 1_000;

const withTimeout = <T>(work: Promise<T>, ms: number) =>
  Promise.race([work, new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`no answer in ${ms} ms`)), ms).unref())]);

async function chainHead(deps: ExposureDeps, name: string): Promise<BlockReading | null> {
  try {
    const block = await withTimeout(deps.publicClients[name]!.getBlock({ blockTag: "latest" }), RPC_TIMEOUT_MS);
    return { number: block.number!, timestamp: block.timestamp };
  } catch {
    return null;
  }
}

async function alertEvaluated(store: AlertStore): Promise<Map<number, bigint>> {
  const rows = await store.query<{ chain_id: number; n: string }>(`SELECT chain_id, max(block_number)::text AS n FROM alert_block GROUP BY chain_id`);
  return new Map(rows.map((r) => [Number(r.chain_id), BigInt(r.n)]));
}

async function check(deps: ExposureDeps, alertStore: AlertStore | null, thresholds: HealthThresholds): Promise<HealthReport> {
  const now = BigInt(Date.now());
  let heads: Awaited<ReturnType<typeof chainHeads>>;
  try {
    heads = await chainHeads(deps);
  } catch (error) {
    // After a revert the head's time comes from the RPC (chainHeads): say which one failed.
    return healthReport([], now, error instanceof UnavailableError ? error.message : "the database did not answer");
  }
  const evaluated = alertStore ? await alertEvaluated(alertStore).catch(() => null) : undefined;
  const assets = assetDirectory(deps.config);
  const chains = await Promise.all(
    Object.entries(deps.config.chains).map(async ([name, settings]) => {
      const indexed = heads.find((h) => h.chainId === settings.id) ?? null;
      const feeds = deps.config.priceFeeds.filter((f) => f.chain === name);
      const marks = indexed && feeds.length > 0 ? await priceBook(deps, feeds.map((f) => ({ chainId: settings.id, asset: f.asset })), [indexed]) : null;
      const staleFeeds = indexed
        ? feeds.flatMap((f) => {
            const mark = marks?.(settings.id, f.asset);
            if (mark && !mark.stale) return [];
            return [{ asset: f.asset, symbol: assets.get(settings.id, f.asset as Address)?.symbol ?? null, feed: f.address, updatedAt: mark?.updatedAt ?? null }];
          })
        : [];
      return assessChain(
        {
          chainId: settings.id,
          name,
          indexed: indexed && { number: indexed.number, timestamp: indexed.timestamp },
          head: await chainHead(deps, name),
          staleFeeds,
          ...(evaluated ? { alertEvaluated: evaluated.get(settings.id) ?? null } : {}),
        },
        thresholds,
      );
    }),
  );
  const report = healthReport(chains, now);
  if (evaluated !== null) return report;
  return { ...report, status: report.status === "ok" ? "degraded" : report.status, reasons: [...report.reasons, "the alert store did not answer"] };
}

/** The check, reused for a second so probes and dashboards cannot multiply RPC and database reads. */
export function healthCheck(deps: ExposureDeps, alertStore: AlertStore | null, thresholds: HealthThresholds = DEFAULT_THRESHOLDS) {
  let last: { at: number; report: Promise<HealthReport> } | null = null;
  return (): Promise<HealthReport> => {
    if (!last || Date.now() - last.at > REUSE_MS) last = { at: Date.now(), report: check(deps, alertStore, thresholds) };
    return last.report;
  };
}

const graphqlChain = (c: HealthReport["chains"][number]) => ({
  chainId: c.chainId,
  name: c.name,
  status: c.status,
  indexedBlock: c.indexed?.number ?? null,
  indexedTimestamp: c.indexed?.timestamp ?? null,
  headBlock: c.head?.number ?? null,
  headTimestamp: c.head?.timestamp ?? null,
  lagBlocks: c.lagBlocks,
  lagSeconds: c.lagSeconds,
  staleFeeds: c.staleFeeds,
  alertEvaluatedBlock: c.alertEvaluated ?? null,
  alertLagBlocks: c.alertLagBlocks,
  reasons: c.reasons,
});

export const graphqlHealth = (report: HealthReport) => ({ ...report, chains: report.chains.map(graphqlChain) });

export const createHealthResolvers = (health: () => Promise<HealthReport>) => ({ Query: { health: async () => graphqlHealth(await health()) } });

/** GET /exposure/health: the same figures as JSON (integers as decimal strings), 503 when down. */
export async function healthResponse(health: () => Promise<HealthReport>): Promise<Response> {
  const report = graphqlHealth(await health());
  const body = JSON.stringify(report, (_, v) => (typeof v === "bigint" ? v.toString() : v));
  return new Response(body, {
    status: report.status === "down" ? 503 : 200,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}
