import type { Address } from "viem";

// The `alerts` section of the exposure config: rules, webhooks, delivery pacing.

/**
 * What a rule watches. `liquidationDistance` is per position, `healthFactor` per lending account:
 * low is risky (fire at or below `fireAt`). `leverage` and `grossNotionalUsd` are per wallet
 * (over the positions the filters keep): high is risky (fire at or above).
 */
export type AlertMetric = "liquidationDistance" | "healthFactor" | "leverage" | "grossNotionalUsd";
export const ALERT_METRICS: readonly AlertMetric[] = ["liquidationDistance", "healthFactor", "leverage", "grossNotionalUsd"];
export const lowIsRisky = (metric: AlertMetric) => metric === "liquidationDistance" || metric === "healthFactor";

export type AlertRule = {
  id: string;
  /** The wallets watched: listed, or a configured portfolio's. */
  wallets: Address[];
  metric: AlertMetric;
  /** Decimal strings, compared exactly: fire when the value reaches `fireAt`, resolve once it is past `clearAt`. */
  fireAt: string;
  clearAt: string;
  asset?: string;
  protocol?: string;
};

export type Webhook = { id: string; url: string; secret: string; rules: string[] | null };

export type AlertSettings = {
  rules: AlertRule[];
  webhooks: Webhook[];
  /** How often the engine looks for newly indexed blocks and due deliveries. */
  pollMs: number;
  /**
   * Every watched wallet is read anew at least once in this many seconds of chain time, besides the
   * blocks that touch it (a position event, a new price of an asset it holds): what moves without an
   * event of ours (interest and funding accruing, parameters) fires within about that long.
   */
  sweepSeconds: number;
  /** Delivery retries: the wait doubles from `retryInitialMs` up to `retryMaxMs`. */
  retryInitialMs: number;
  retryMaxMs: number;
  /** Webhooks may point to loopback or private addresses (off by default: SSRF; see webhook-guard). */
  allowPrivateWebhooks: boolean;
};

export const NO_ALERTS: AlertSettings = { rules: [], webhooks: [], pollMs: 500, sweepSeconds: 60, retryInitialMs: 500, retryMaxMs: 60_000, allowPrivateWebhooks: false };
