import { createServer, type Server } from "node:http";
import { parseUnits, type Address } from "viem";
import { setPrice, type Deployment } from "../chain/deploy";
import type { Indexer } from "./indexer";

// One liquidation-distance rule on one ETH position, the oracle moved across its thresholds, and a
// webhook receiver to count what was delivered: the fault tests' check that no alert is lost or repeated.

export const ADMIN_TOKEN = "fault-tests-admin-token";
const ORACLE_UNIT = 10n ** 22n; // 8-decimal feed answers in 1e30 prices

/** A webhook receiver that records every accepted delivery (event id and body). */
export function webhookReceiver() {
  const accepted: { id: string; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      accepted.push({ id: String(req.headers["x-exposure-event-id"]), body });
      res.writeHead(200).end();
    });
  });
  const port = new Promise<number>((ok) => server.listen(0, "127.0.0.1", () => ok((server.address() as { port: number }).port)));
  /** The config's `alerts` section delivering to this receiver, with short poll and retry times. */
  const alertsConfig = async () => ({
    webhooks: [{ id: "bot", url: `http://127.0.0.1:${await port}/hook`, secret: "s3cret" }],
    allowPrivateWebhooks: true,
    pollMs: 100,
    retryInitialMs: 200,
    retryMaxMs: 1_000,
  });
  /** A rule's events as first delivered (a redelivery repeats an id), in order. */
  const eventsOf = (rule: string) => {
    const seen = new Map<string, any>();
    for (const a of accepted) if (!seen.has(a.id)) seen.set(a.id, JSON.parse(a.body));
    return [...seen.values()].filter((e) => e.rule === rule);
  };
  /** Event ids delivered with more than one body: a repeated delivery must be the same event. */
  const conflictingDeliveries = () => {
    const bodies = new Map<string, Set<string>>();
    for (const a of accepted) bodies.set(a.id, (bodies.get(a.id) ?? new Set()).add(a.body));
    return [...bodies].filter(([, b]) => b.size > 1).map(([id]) => id);
  };
  return { accepted, port, alertsConfig, eventsOf, conflictingDeliveries, close: () => new Promise((r) => server.close(r)) };
}

/** Sets the WETH oracle `distance` (a fraction) from a position's liquidation price (1e30); returns the block. */
export async function moveWethTo(d: Deployment, liquidationPrice: bigint, isLong: boolean, distance: number): Promise<bigint> {
  const ppm = BigInt(Math.round(distance * 1e6));
  const price = isLong ? (liquidationPrice * 1_000_000n) / (1_000_000n - ppm) : (liquidationPrice * 1_000_000n) / (1_000_000n + ppm);
  return (await setPrice(d, "WETH", price / ORACLE_UNIT)).blockNumber;
}

export type Watched = { id: string; account: Address; side: string; liquidationPrice: string | null; market: { symbol: string } };

/**
 * Files rule `id` on the position's liquidation distance (fires under 5%, clears over 8%) and returns
 * `moveTo(distance)`: sets the WETH oracle so the position is that far from its liquidation price,
 * giving the block it did so at.
 */
export async function watchPosition(indexer: Indexer, d: Deployment, watched: Watched, id = "near") {
  const liquidationPrice = parseUnits(watched.liquidationPrice!, 30);
  const moveTo = (distance: number) => moveWethTo(d, liquidationPrice, watched.side === "LONG", distance);
  await moveTo(0.1);
  const created = await fetch(`${indexer.url}/exposure`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({
      query: `mutation ($r: AlertRuleInput!) { createAlertRule(rule: $r) { id } }`,
      variables: { r: { id, wallets: [watched.account], metric: "liquidationDistance", asset: "ETH", fireAt: "0.05", clearAt: "0.08" } },
    }),
  }).then((r) => r.json() as Promise<any>);
  if (created.errors) throw new Error(`createAlertRule: ${JSON.stringify(created.errors)}`);
  return moveTo;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 200 ms until it holds; past `ms`, fails naming `what` with the end of the indexer's log. */
export async function until(indexer: Indexer, check: () => Promise<boolean> | boolean, what: string, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (!(await Promise.resolve(check()).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${indexer.logs().slice(-3000)}`);
    await sleep(200);
  }
}

/** The last block the indexer's alert engine evaluated (-1 before its first). */
export const evaluatedBlock = async (indexer: Indexer) =>
  BigInt((await indexer.query(`{ alertEngine { evaluatedBlock } }`)).data?.alertEngine?.[0]?.evaluatedBlock ?? -1);
