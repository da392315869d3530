// Freshness of the service, per chain: how far the indexer is behind the chain's head, which price
// feeds are stale at the indexed block, how far the alert engine is behind the indexer. Pure: the
// readings come in, a status goes out (ok, degraded, down), for readiness probes and people.

export type HealthStatus = "ok" | "degraded" | "down";

export type HealthThresholds = {
  /** Behind the chain head by more than this (seconds of chain time, or blocks): degraded. */
  degradedLagSeconds: number;
  degradedLagBlocks: number;
  /** Behind by more than this: down (too old to serve). */
  downLagSeconds: number;
  /** The alert engine behind the indexer by more than this many blocks: degraded. */
  alertLagBlocks: number;
};

export const DEFAULT_THRESHOLDS: HealthThresholds = { degradedLagSeconds: 120, degradedLagBlocks: 20, downLagSeconds: 1_800, alertLagBlocks: 10 };

export type BlockReading = { number: bigint; timestamp: bigint };
export type StaleFeed = { asset: string; symbol: string | null; feed: string; updatedAt: bigint | null };

export type ChainReadings = {
  chainId: number;
  name: string;
  /** Ponder's checkpoint; null before the first block is indexed. */
  indexed: BlockReading | null;
  /** The chain's latest block from its RPC; null when the RPC did not answer. */
  head: BlockReading | null;
  staleFeeds: StaleFeed[];
  /** The alert engine's last evaluated block; undefined when alerts are off, null before its first. */
  alertEvaluated?: bigint | null;
};

export type ChainHealth = ChainReadings & {
  status: HealthStatus;
  lagBlocks: bigint | null;
  lagSeconds: bigint | null;
  alertLagBlocks: bigint | null;
  reasons: string[];
};

export type HealthReport = { status: HealthStatus; checkedAt: bigint; chains: ChainHealth[]; reasons: string[] };

const worse = (a: HealthStatus, b: HealthStatus): HealthStatus => (a === "down" || b === "down" ? "down" : a === "degraded" || b === "degraded" ? "degraded" : "ok");
const positive = (x: bigint) => (x > 0n ? x : 0n);

export function assessChain(r: ChainReadings, t: HealthThresholds = DEFAULT_THRESHOLDS): ChainHealth {
  const reasons: string[] = [];
  let status: HealthStatus = "ok";
  const flag = (level: HealthStatus, reason: string) => {
    status = worse(status, level);
    reasons.push(reason);
  };
  const lagBlocks = r.indexed && r.head ? positive(r.head.number - r.indexed.number) : null;
  const lagSeconds = r.indexed && r.head ? positive(r.head.timestamp - r.indexed.timestamp) : null;
  if (!r.indexed) flag("down", "nothing indexed yet");
  if (!r.head) flag("degraded", "the chain's RPC did not answer: head unknown");
  if (lagSeconds !== null && lagBlocks !== null) {
    if (lagSeconds > BigInt(t.downLagSeconds)) flag("down", `indexed block is ${lagSeconds} s behind the head`);
    else if (lagSeconds > BigInt(t.degradedLagSeconds) || lagBlocks > BigInt(t.degradedLagBlocks)) {
      flag("degraded", `indexed block is ${lagBlocks} blocks (${lagSeconds} s) behind the head`);
    }
  }
  if (r.staleFeeds.length > 0) flag("degraded", `stale price feeds: ${r.staleFeeds.map((f) => f.symbol ?? f.asset).join(", ")}`);
  const alertLagBlocks = r.alertEvaluated === undefined ? null : r.indexed && r.alertEvaluated !== null ? positive(r.indexed.number - r.alertEvaluated) : null;
  if (r.alertEvaluated === null && r.indexed) flag("degraded", "the alert engine has not evaluated a block yet");
  if (alertLagBlocks !== null && alertLagBlocks > BigInt(t.alertLagBlocks)) flag("degraded", `the alert engine is ${alertLagBlocks} blocks behind the indexer`);
  return { ...r, status, lagBlocks, lagSeconds, alertLagBlocks, reasons };
}

export function healthReport(chains: ChainHealth[], checkedAt: bigint, databaseError?: string): HealthReport {
  const reasons = databaseError ? [databaseError] : [];
  const status = databaseError ? "down" : chains.reduce<HealthStatus>((s, c) => worse(s, c.status), "ok");
  return { status, checkedAt, chains, reasons };
}
