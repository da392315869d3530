import { createHash } from "node:crypto";
import type { BlockChanges, Holding } from "../exposure/block-changes";
import type { BlockRef, WalletExposure } from "../exposure/service";
import type { AlertRule, AlertSettings } from "./config";
import { deliverDue } from "./deliver";
import { exactReading, measure, transition, type Measurement, type Reading } from "./evaluate";
import type { AlertStore, Sql } from "./store";
import { FiringAlerts, type FiringAlert } from "./firing";
import { WatchList } from "./watch";

// The alert engine: after each block the indexer finishes, the rules are evaluated at that block at
// the wallets it touched (src/alerts/watch.ts), and what fires, resolves or is retracted goes into
// the outbox in the block's own transaction.

export type AlertEvent = {
  id: string;
  alertId: string;
  kind: "fire" | "resolve" | "retract";
  rule: string;
  metric: string;
  wallet: string;
  subject: string;
  chainId: number;
  block: { number: string; hash: string };
  value: string | null;
  fireAt: string;
  clearAt: string;
  /** For a retraction: the event it takes back. */
  retracts?: string;
  figures: Record<string, unknown>;
};

export type EngineDeps = {
  settings: AlertSettings;
  store: AlertStore;
  /** The rules in force: the config's and those created through the API. */
  rules(): Promise<AlertRule[]>;
  /**
   * Indexed head per chain; `reverts`: how many times the indexer has reverted blocks of it (rows
   * gone until it indexes them again: src/exposure/revert-marks.ts).
   */
  heads(): Promise<Head[]>;
  /** The chain's block at a height (hash and time), and its latest height, from its RPC. */
  block(chainName: string, number: bigint): Promise<{ hash: string; timestamp: bigint }>;
  chainTip(chainName: string): Promise<bigint>;
  /**
   * The wallets' answers at that block, in order (read once per block, shared by the rules): those
   * in `fresh` read anew, the others as last read with the new marks of `pricedAssets`.
   */
  exposuresAt(wallets: string[], block: BlockRef, fresh: Set<string>, pricedAssets: string[]): Promise<WalletExposure[]>;
  /** What a block changed: the wallets of its position events, the assets it priced. */
  changesAt(chainId: number, number: bigint): Promise<BlockChanges>;
  /** The assets each wallet has held on the chain. */
  holdingsOf(chainId: number, wallets: string[]): Promise<Holding[]>;
  symbolOf(chainId: number, market: string): string;
  /** Called after each commit with the events it holds (subscriptions). */
  publish(events: AlertEvent[]): void;
  log(message: string): void;
};

/** Blocks kept with their hashes to find a fork point; a reorg deeper than this retracts all later alerts. */
const KEPT_BLOCKS = 256n;
/** The indexer counts as caught up within this many blocks of the chain's tip. */
const CAUGHT_UP_BLOCKS = 2n;
/** Most blocks evaluated per chain per tick, so delivery keeps its turn. */
const BLOCKS_PER_TICK = 50n;

const readingText = (reading: Reading) => {
  const r = exactReading(reading);
  return r.kind === "value" ? r.text : r.kind === "unknown" ? null : r.kind;
};
const digest = (...parts: (string | number | bigint)[]) => createHash("sha256").update(parts.join("|")).digest("hex").slice(0, 32);

async function record(tx: Sql, settings: AlertSettings, event: AlertEvent) {
  // Webhooks listing rules get those; the others get every rule's events (API-created ones too).
  const [row] = await tx.query<{ seq: string }>(
    `INSERT INTO alert_event (id, alert_id, kind, chain_id, block_number, payload) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO NOTHING RETURNING seq`,
    [event.id, event.alertId, event.kind, event.chainId, event.block.number, JSON.stringify(event)],
  );
  if (!row) return false;
  for (const hook of settings.webhooks.filter((h) => h.rules === null || h.rules.includes(event.rule))) {
    await tx.query(
      `INSERT INTO alert_delivery (event_seq, event_id, webhook, status, next_attempt_at) VALUES ($1, $2, $3, 'pending', 0) ON CONFLICT DO NOTHING`,
      [row.seq, event.id, hook.id],
    );
  }
  return true;
}

type Head = { chainId: number; name: string; number: bigint; reverts?: number };

/** What the engine keeps of one chain: its watch list, its firing alerts and the indexer's reverts it has seen. */
type ChainState = { watch: WatchList; firing: FiringAlerts; reverts: number | undefined };

/** Evaluates the rules at one block, at the wallets the watch list plans, and commits the outcome with the block. */
async function evaluateBlock(
  deps: EngineDeps,
  { watch, firing: firingAlerts }: ChainState,
  rules: AlertRule[],
  chain: Head,
  number: bigint,
): Promise<AlertEvent[]> {
  const [{ hash, timestamp }, changes] = await Promise.all([deps.block(chain.name, number), deps.changesAt(chain.chainId, number)]);
  const at: BlockRef = { chainId: chain.chainId, name: chain.name, number, timestamp };
  const plan = await watch.plan(rules, changes, timestamp);
  const evaluated = [...new Set([...plan.wallets.values()].flat())];
  const answers = await deps.exposuresAt(evaluated, at, plan.fresh, changes.pricedAssets);
  // Reads a revert of the indexer overtook are dropped: the block is evaluated again once the tables hold it.
  const now = (await deps.heads()).find((h) => h.chainId === chain.chainId);
  if (!now || now.number < number || now.reverts !== chain.reverts) {
    throw new Error(`chain ${chain.chainId}'s indexer reverted blocks while block ${number} was read; evaluating it again`);
  }
  const exposure = new Map(evaluated.map((w, i) => [w, answers[i]!]));
  const readings = new Map<AlertRule, Measurement[]>();
  for (const [rule, wallets] of plan.wallets) readings.set(rule, wallets.flatMap((w) => measure(rule, exposure.get(w)!, deps.symbolOf)));
  const block = { number: number.toString(), hash };
  const open = await firingAlerts.all();
  const fired: FiringAlert[] = [];
  const resolved: string[] = [];
  const events = await deps.store.transaction(async (tx) => {
    const events: AlertEvent[] = [];
    const emit = async (event: AlertEvent) => {
      if (await record(tx, deps.settings, event)) events.push(event);
    };
    const resolveAlert = async (base: EventBase, alertId: string) => {
      await resolve(tx, emit, base, alertId, number);
      resolved.push(alertId);
    };
    const openByRule = new Map<string, FiringAlert[]>();
    for (const a of open) {
      const ofRule = openByRule.get(a.rule_id);
      if (ofRule) ofRule.push(a);
      else openByRule.set(a.rule_id, [a]);
    }
    for (const [rule, measured] of readings) {
      // The rule's alerts on the wallets evaluated here (all, when it was evaluated at all its wallets); the others wait for their wallets' turn.
      const wallets = new Set(plan.wallets.get(rule));
      const mine = (a: FiringAlert) => plan.complete.has(rule) || wallets.has(a.wallet);
      const firing = new Map((openByRule.get(rule.id) ?? []).filter(mine).map((a) => [a.subject, a]));
      const base = { rule: rule.id, metric: rule.metric, chainId: chain.chainId, block, fireAt: rule.fireAt, clearAt: rule.clearAt };
      for (const m of measured) {
        const current = firing.get(m.subject);
        const change = transition(rule.metric, rule.fireAt, rule.clearAt, current !== undefined, m.reading);
        if (change === "fire") {
          const alertId = digest(rule.id, m.subject, chain.chainId, number, hash);
          const event: AlertEvent = { ...base, id: `${alertId}:fire`, alertId, kind: "fire", wallet: m.wallet, subject: m.subject, value: readingText(m.reading), figures: m.figures() };
          await tx.query(
            `INSERT INTO alert (id, rule_id, subject, wallet, chain_id, status, fired_block, fired_event, reading, figures)
             VALUES ($1, $2, $3, $4, $5, 'firing', $6, $7, $8, $9)`,
            [alertId, rule.id, m.subject, m.wallet, chain.chainId, number.toString(), event.id, event.value, JSON.stringify(event.figures)],
          );
          await emit(event);
          fired.push({ id: alertId, rule_id: rule.id, subject: m.subject, wallet: m.wallet, fired_event: event.id });
        } else if (change === "resolve" && current) {
          await resolveAlert({ ...base, wallet: current.wallet, subject: m.subject, value: readingText(m.reading), figures: m.figures() }, current.id);
        }
        firing.delete(m.subject);
      }
      // Still firing but no longer measured (the position closed, the account emptied): resolved.
      for (const gone of firing.values()) {
        await resolveAlert({ ...base, wallet: gone.wallet, subject: gone.subject, value: null, figures: { gone: true } }, gone.id);
      }
    }
    // Alerts of a rule deleted since: resolved, saying so.
    const ruleIds = new Set(rules.map((r) => r.id));
    for (const o of open.filter((a) => !ruleIds.has(a.rule_id))) {
      const base = { rule: o.rule_id, metric: "", chainId: chain.chainId, block, fireAt: "", clearAt: "", wallet: o.wallet, subject: o.subject };
      await resolveAlert({ ...base, value: null, figures: { ruleDeleted: true } }, o.id);
    }
    await tx.query(`INSERT INTO alert_block (chain_id, block_number, block_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
      chain.chainId,
      number.toString(),
      hash,
    ]);
    await tx.query(`DELETE FROM alert_block WHERE chain_id = $1 AND block_number < $2`, [chain.chainId, (number - KEPT_BLOCKS).toString()]);
    return events;
  });
  plan.commit();
  firingAlerts.committed(fired, resolved);
  return events;
}

type EventBase = Omit<AlertEvent, "id" | "alertId" | "kind">;

async function resolve(tx: Sql, emit: (e: AlertEvent) => Promise<void>, base: EventBase, alertId: string, number: bigint) {
  const id = `${alertId}:resolve`;
  await tx.query(`UPDATE alert SET status = 'resolved', resolved_block = $2, resolved_event = $3, reading = $4 WHERE id = $1`, [
    alertId,
    number.toString(),
    id,
    base.value,
  ]);
  await emit({ ...base, id, alertId, kind: "resolve" });
}

/**
 * After a reorg below `fork`+1: alerts fired on orphaned blocks are retracted, resolutions on them
 * are taken back (the alert fires again), and evaluation resumes from the fork on the new chain.
 */
async function rewind(deps: EngineDeps, rules: AlertRule[], chainId: number, fork: bigint, hash: string): Promise<AlertEvent[]> {
  return deps.store.transaction(async (tx) => {
    const events: AlertEvent[] = [];
    const retract = async (alertId: string, eventId: string, row: { rule_id: string; subject: string; wallet: string }) => {
      const rule = rules.find((r) => r.id === row.rule_id);
      const event: AlertEvent = {
        id: `${eventId}:retract`,
        alertId,
        kind: "retract",
        rule: row.rule_id,
        metric: rule?.metric ?? "",
        wallet: row.wallet,
        subject: row.subject,
        chainId,
        block: { number: fork.toString(), hash },
        value: null,
        fireAt: rule?.fireAt ?? "",
        clearAt: rule?.clearAt ?? "",
        retracts: eventId,
        figures: {},
      };
      if (await record(tx, deps.settings, event)) events.push(event);
    };
    type Row = { id: string; rule_id: string; subject: string; wallet: string; fired_event: string; resolved_event: string | null };
    const orphaned = await tx.query<Row>(
      `SELECT id, rule_id, subject, wallet, fired_event, resolved_event FROM alert WHERE chain_id = $1 AND fired_block > $2 AND status <> 'retracted' ORDER BY fired_block, id`,
      [chainId, fork.toString()],
    );
    for (const a of orphaned) {
      await tx.query(`UPDATE alert SET status = 'retracted' WHERE id = $1`, [a.id]);
      await retract(a.id, a.fired_event, a);
    }
    const reopened = await tx.query<Row>(
      `SELECT id, rule_id, subject, wallet, fired_event, resolved_event FROM alert WHERE chain_id = $1 AND resolved_block > $2 AND status = 'resolved' ORDER BY resolved_block, id`,
      [chainId, fork.toString()],
    );
    for (const a of reopened) {
      await tx.query(`UPDATE alert SET status = 'firing', resolved_block = NULL, resolved_event = NULL WHERE id = $1`, [a.id]);
      await retract(a.id, a.resolved_event!, a);
    }
    await tx.query(`DELETE FROM alert_block WHERE chain_id = $1 AND block_number > $2`, [chainId, fork.toString()]);
    return events;
  });
}

/** The highest evaluated block still on the chain; null when none of the kept ones is. */
async function forkPoint(deps: EngineDeps, chain: { chainId: number; name: string }): Promise<{ number: bigint; hash: string } | null> {
  const kept = await deps.store.query<{ n: string; hash: string }>(
    `SELECT block_number::text AS n, block_hash AS hash FROM alert_block WHERE chain_id = $1 ORDER BY block_number DESC`,
    [chain.chainId],
  );
  for (const b of kept) {
    if ((await deps.block(chain.name, BigInt(b.n))).hash === b.hash) return { number: BigInt(b.n), hash: b.hash };
  }
  return null;
}

/** The engine's state in this process: a watch list per chain. `tick` evaluates the blocks indexed since the last one evaluated. */
export function alertEngine(deps: EngineDeps) {
  const chains = new Map<number, ChainState>();
  const stateOf = (chainId: number) => {
    let state = chains.get(chainId);
    if (!state) {
      const watch = new WatchList(deps.settings.sweepSeconds, (wallets) => deps.holdingsOf(chainId, wallets));
      chains.set(chainId, (state = { watch, firing: new FiringAlerts(deps.store, chainId), reverts: undefined }));
    }
    return state;
  };
  async function tick() {
    const rules = await deps.rules();
    for (const head of await deps.heads()) {
      const state = stateOf(head.chainId);
      if (state.reverts !== head.reverts) {
        // Wallets kept from reads during a revert may lack rows: every wallet is read anew.
        if (state.reverts !== undefined) state.watch.reset();
        state.reverts = head.reverts;
      }
      const [last] = await deps.store.query<{ n: string; hash: string }>(
        `SELECT block_number::text AS n, block_hash AS hash FROM alert_block WHERE chain_id = $1 ORDER BY block_number DESC LIMIT 1`,
        [head.chainId],
      );
      if (!last) {
        // A new store starts at the indexed head once the backfill is done: alerts are about now, not history.
        if (head.number + CAUGHT_UP_BLOCKS >= (await deps.chainTip(head.name))) deps.publish(await evaluateBlock(deps, state, rules, head, head.number));
        continue;
      }
      const from = BigInt(last.n);
      if ((await deps.block(head.name, from)).hash !== last.hash) {
        const fork = await forkPoint(deps, head);
        const base = fork ?? { number: from - KEPT_BLOCKS, hash: "" };
        deps.log(`reorg on chain ${head.chainId}: evaluated blocks after ${base.number} are gone; retracting what they raised`);
        deps.publish(await rewind(deps, rules, head.chainId, base.number, base.hash));
        state.watch.reset();
        state.firing.reset();
        continue; // the indexer handles the same reorg; evaluate the new blocks once it has (next tick)
      }
      const to = head.number < from + BLOCKS_PER_TICK ? head.number : from + BLOCKS_PER_TICK;
      for (let n = from + 1n; n <= to; n++) deps.publish(await evaluateBlock(deps, state, rules, head, n));
    }
  }
  return { tick };
}

/** Runs evaluation and delivery until stopped; only in the store's writer process. */
export function startAlertEngine(deps: EngineDeps): { stop(): Promise<void> } {
  let stopped = false;
  const engine = alertEngine(deps);
  const loop = async () => {
    while (!stopped) {
      try {
        await engine.tick();
        await deliverDue(deps.store, deps.settings);
      } catch (error) {
        deps.log(`alert engine: ${(error as Error).message.split("\n")[0]} (retrying)`);
      }
      await new Promise((r) => setTimeout(r, deps.settings.pollMs));
    }
  };
  const running = loop();
  return {
    stop: async () => {
      stopped = true;
      await running;
    },
  };
}
