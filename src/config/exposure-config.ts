import { readFileSync } from "node:fs";
import { getAddress, isAddress, type Address } from "viem";
import { refusedWebhookUrl } from "../alerts/webhook-guard";
import { ALERT_METRICS, lowIsRisky, NO_ALERTS, type AlertMetric, type AlertRule, type AlertSettings, type Webhook } from "../alerts/config";

/**
 * One EVM chain to index. `rpc` may name an env var as `env:NAME`. `disableCache` turns off ponder's
 * RPC cache, which Postgres shares by chain id: needed for throwaway chains such as anvil's 31337.
 */
export type ChainSettings = { id: number; rpc: string; pollingInterval?: number; disableCache?: boolean };

/** A token the service can price and name. */
export type AssetSettings = { chain: string; address: Address; symbol: string; decimals: number };

/**
 * Where an asset's mark comes from: a Chainlink-style aggregator (the aggregator itself, not the
 * proxy: only it emits events), or GMX v2's OraclePriceUpdate events (address = the EventEmitter).
 */
export type PriceFeedSettings = {
  chain: string;
  asset: Address;
  source: "chainlink" | "gmx-v2";
  address: Address;
  /** Answer decimals (Chainlink); unused for gmx-v2, whose prices are per token unit at 1e30. */
  decimals: number;
  heartbeatSeconds: number;
  startBlock: number;
};

export type ExposureConfig = {
  chains: Record<string, ChainSettings>;
  assets: AssetSettings[];
  priceFeeds: PriceFeedSettings[];
  /** Raw per-protocol sections; each adapter validates its own. */
  protocols: Record<string, unknown>;
  /** Named groups of wallets (a DAO treasury, a fund's wallets), queryable as one. */
  portfolios: Record<string, Address[]>;
  /** Liquidation-risk alert rules and the webhooks they are delivered to. */
  alerts: AlertSettings;
};

/** Builds a lookup once per parsed config (configs are never mutated), so hot paths can ask freely. */
export function perConfig<T>(build: (config: ExposureConfig) => T): (config: ExposureConfig) => T {
  const cache = new WeakMap<ExposureConfig, T>();
  return (config) => {
    let value = cache.get(config);
    if (value === undefined) cache.set(config, (value = build(config)));
    return value;
  };
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

const fail = (where: string, what: string): never => {
  throw new ConfigError(`config ${where}: ${what}`);
};

export const address = (value: unknown, where: string): Address =>
  typeof value === "string" && isAddress(value, { strict: false })
    ? getAddress(value)
    : fail(where, `expected a 20-byte hex address, got ${JSON.stringify(value)}`);

export const nonNegativeInt = (value: unknown, where: string): number =>
  Number.isSafeInteger(value) && (value as number) >= 0
    ? (value as number)
    : fail(where, `expected a non-negative integer, got ${JSON.stringify(value)}`);

const positiveInt = (value: unknown, where: string): number =>
  nonNegativeInt(value, where) > 0 ? (value as number) : fail(where, `expected a positive integer, got ${JSON.stringify(value)}`);

const text = (value: unknown, where: string): string =>
  typeof value === "string" && value.length > 0 ? value : fail(where, "expected a non-empty string");

export const chainName = (value: unknown, chains: Record<string, ChainSettings>, where: string): string => {
  const name = text(value, where);
  return name in chains ? name : fail(where, `unknown chain '${name}' (configured: ${Object.keys(chains).join(", ")})`);
};

const list = (value: unknown, where: string): unknown[] =>
  value === undefined ? [] : Array.isArray(value) ? value : fail(where, "expected an array");

const object = (value: unknown, where: string): Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : fail(where, "expected an object");

/** `env:NAME` reads the value from the environment so secrets (RPC URLs, webhook keys) stay out of the file. */
const fromEnv = (value: string, where: string): string => {
  if (!value.startsWith("env:")) return value;
  const name = value.slice(4);
  return process.env[name] ?? fail(where, `environment variable ${name} is not set`);
};

export function parseExposureConfig(raw: unknown): ExposureConfig {
  const root = object(raw, "root");
  const chains: Record<string, ChainSettings> = {};
  for (const [name, value] of Object.entries(object(root.chains, "chains"))) {
    const c = object(value, `chains.${name}`);
    chains[name] = {
      id: nonNegativeInt(c.id, `chains.${name}.id`),
      rpc: fromEnv(text(c.rpc, `chains.${name}.rpc`), `chains.${name}.rpc`),
      pollingInterval: c.pollingInterval === undefined ? undefined : nonNegativeInt(c.pollingInterval, `chains.${name}.pollingInterval`),
      disableCache: c.disableCache === undefined ? undefined : c.disableCache === true,
    };
  }
  if (Object.keys(chains).length === 0) fail("chains", "configure at least one chain");

  const assets = list(root.assets, "assets").map((value, i) => {
    const a = object(value, `assets[${i}]`);
    return {
      chain: chainName(a.chain, chains, `assets[${i}].chain`),
      address: address(a.address, `assets[${i}].address`),
      symbol: text(a.symbol, `assets[${i}].symbol`),
      decimals: nonNegativeInt(a.decimals, `assets[${i}].decimals`),
    };
  });

  const seenFeeds = new Set<string>();
  const priceFeeds = list(root.priceFeeds, "priceFeeds").map((value, i) => {
    const f = object(value, `priceFeeds[${i}]`);
    const source = (f.source ?? "chainlink") as PriceFeedSettings["source"];
    if (source !== "chainlink" && source !== "gmx-v2") fail(`priceFeeds[${i}].source`, `expected "chainlink" or "gmx-v2", got ${JSON.stringify(source)}`);
    const feed: PriceFeedSettings = {
      chain: chainName(f.chain, chains, `priceFeeds[${i}].chain`),
      asset: address(f.asset, `priceFeeds[${i}].asset`),
      source,
      address: address(f.address, `priceFeeds[${i}].address`),
      decimals: source === "chainlink" ? nonNegativeInt(f.decimals, `priceFeeds[${i}].decimals`) : 30,
      heartbeatSeconds: nonNegativeInt(f.heartbeatSeconds, `priceFeeds[${i}].heartbeatSeconds`),
      startBlock: nonNegativeInt(f.startBlock ?? 0, `priceFeeds[${i}].startBlock`),
    };
    if (!assets.some((a) => a.chain === feed.chain && a.address === feed.asset)) {
      fail(`priceFeeds[${i}].asset`, `${feed.asset} is not listed in assets for chain ${feed.chain}`);
    }
    if (seenFeeds.has(`${feed.chain}:${feed.asset}`)) fail(`priceFeeds[${i}].asset`, `a second feed for ${feed.asset} on ${feed.chain}`);
    seenFeeds.add(`${feed.chain}:${feed.asset}`);
    return feed;
  });

  const portfolios: Record<string, Address[]> = {};
  for (const [name, value] of Object.entries(root.portfolios === undefined ? {} : object(root.portfolios, "portfolios"))) {
    const wallets = list(object(value, `portfolios.${name}`).wallets, `portfolios.${name}.wallets`).map((w, i) =>
      address(w, `portfolios.${name}.wallets[${i}]`),
    );
    if (wallets.length === 0) fail(`portfolios.${name}.wallets`, "list at least one wallet");
    portfolios[name] = [...new Set(wallets)];
  }

  return {
    chains,
    assets,
    priceFeeds,
    protocols: root.protocols === undefined ? {} : object(root.protocols, "protocols"),
    portfolios,
    alerts: root.alerts === undefined ? NO_ALERTS : parseAlerts(object(root.alerts, "alerts"), portfolios),
  };
}

// A number is taken as the decimal it prints as; one printed with an exponent (1e-7) is refused as text would be.
const decimal = (value: unknown, where: string): string =>
  (typeof value === "number" || typeof value === "string") && /^-?\d{1,40}(\.\d{1,30})?$/.test(String(value))
    ? String(value)
    : fail(where, `expected a decimal number, got ${JSON.stringify(value)}`);

/** One alert rule, from the config file or the API (`where` names it in errors). */
export function parseAlertRule(value: unknown, where: string, portfolios: Record<string, Address[]>): AlertRule {
  const r = object(value, where);
  const id = text(r.id, `${where}.id`);
  if (!/^[\w.:-]{1,64}$/.test(id)) fail(`${where}.id`, "use 1 to 64 letters, digits, '.', ':', '_' or '-'");
  const metric = text(r.metric, `${where}.metric`) as AlertMetric;
  if (!ALERT_METRICS.includes(metric)) fail(`${where}.metric`, `expected one of ${ALERT_METRICS.join(", ")}`);
  let wallets: Address[];
  if (r.portfolio !== undefined && r.portfolio !== null) {
    const name = text(r.portfolio, `${where}.portfolio`);
    wallets = portfolios[name] ?? fail(`${where}.portfolio`, `unknown portfolio '${name}'`);
  } else {
    wallets = list(r.wallets ?? undefined, `${where}.wallets`).map((w, j) => address(w, `${where}.wallets[${j}]`));
  }
  if (wallets.length === 0) fail(where, "give wallets or a portfolio");
  if (wallets.length > 500) fail(`${where}.wallets`, "at most 500 wallets per rule");
  const fireAt = decimal(r.fireAt, `${where}.fireAt`);
  const clearAt = decimal(r.clearAt ?? r.fireAt, `${where}.clearAt`);
  // Hysteresis: the value must move back past clearAt, on the safe side of fireAt.
  if (lowIsRisky(metric) ? Number(clearAt) < Number(fireAt) : Number(clearAt) > Number(fireAt)) {
    fail(`${where}.clearAt`, `must be on the safe side of fireAt (${lowIsRisky(metric) ? ">=" : "<="} ${fireAt})`);
  }
  return {
    id,
    wallets: [...new Set(wallets)],
    metric,
    fireAt,
    clearAt,
    ...(r.asset === undefined || r.asset === null ? {} : { asset: text(r.asset, `${where}.asset`) }),
    ...(r.protocol === undefined || r.protocol === null ? {} : { protocol: text(r.protocol, `${where}.protocol`) }),
  };
}

function parseAlerts(a: Record<string, unknown>, portfolios: Record<string, Address[]>): AlertSettings {
  const allowPrivateWebhooks = a.allowPrivateWebhooks === true;
  const ids = new Set<string>();
  const rules = list(a.rules, "alerts.rules").map((value, i): AlertRule => {
    const rule = parseAlertRule(value, `alerts.rules[${i}]`, portfolios);
    if (ids.has(rule.id)) fail(`alerts.rules[${i}].id`, `a second rule '${rule.id}'`);
    ids.add(rule.id);
    return rule;
  });
  const webhooks = list(a.webhooks, "alerts.webhooks").map((value, i): Webhook => {
    const w = object(value, `alerts.webhooks[${i}]`);
    const where = `alerts.webhooks[${i}]`;
    const url = text(w.url, `${where}.url`);
    const refused = refusedWebhookUrl(url, allowPrivateWebhooks);
    if (refused) fail(`${where}.url`, refused);
    const only = w.rules === undefined ? null : list(w.rules, `${where}.rules`).map((x, j) => text(x, `${where}.rules[${j}]`));
    for (const rule of only ?? []) if (!ids.has(rule)) fail(`${where}.rules`, `unknown rule '${rule}'`);
    return { id: text(w.id, `${where}.id`), url, secret: fromEnv(text(w.secret, `${where}.secret`), `${where}.secret`), rules: only };
  });
  const ms = (key: string, fallback: number) => (a[key] === undefined ? fallback : nonNegativeInt(a[key], `alerts.${key}`));
  return {
    rules,
    webhooks,
    pollMs: ms("pollMs", NO_ALERTS.pollMs),
    sweepSeconds: a.sweepSeconds === undefined ? NO_ALERTS.sweepSeconds : positiveInt(a.sweepSeconds, "alerts.sweepSeconds"),
    retryInitialMs: ms("retryInitialMs", NO_ALERTS.retryInitialMs),
    retryMaxMs: ms("retryMaxMs", NO_ALERTS.retryMaxMs),
    allowPrivateWebhooks,
  };
}

/** Path from EXPOSURE_CONFIG, else ./exposure.config.json. */
export function exposureConfigPath(): string {
  return process.env.EXPOSURE_CONFIG ?? "exposure.config.json";
}

export function loadExposureConfig(path = exposureConfigPath()): ExposureConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new ConfigError(
      `cannot read the exposure config at '${path}': set EXPOSURE_CONFIG to a JSON file (see README, "Configuration"), or run 'npm start' for the local demo`,
    );
  }
  try {
    return parseExposureConfig(JSON.parse(text));
  } catch (error) {
    if (error instanceof SyntaxError) throw new ConfigError(`config file '${path}' is not valid JSON: ${error.message}`);
    throw error;
  }
}
