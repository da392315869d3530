import { createHmac } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseUnits, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAnvil, type AnvilHandle } from "../chain/anvil";
import { chainClients } from "../chain/clients";
import { deployFixtures, type Deployment } from "../chain/deploy";
import { fixtureExposureConfig, writeExposureConfig } from "../chain/exposure-config";
import { simulate } from "../chain/simulate";
import { moveWethTo } from "../support/alert-watch";
import { DATABASES } from "../support/databases";
import { dropSchema, startIndexer, type Indexer } from "../support/indexer";

const SECRET = "receiver-secret";
const ADMIN_TOKEN = "admin-token-for-tests";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Received = { id: string; signature: string; body: string; accepted: boolean };

/** A webhook receiver on a real port: records every request; can fail, or hold its answer. */
function receiver() {
  const received: Received[] = [];
  const state = { failing: false, holdMs: 0, onRequest: () => {} };
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", async () => {
      state.onRequest();
      const accepted = !state.failing;
      if (state.holdMs > 0) await sleep(state.holdMs);
      received.push({ id: String(req.headers["x-exposure-event-id"]), signature: String(req.headers["x-exposure-signature"]), body, accepted });
      res.writeHead(accepted ? 200 : 500).end();
    });
  });
  const listening = new Promise<number>((ok) => server.listen(0, "127.0.0.1", () => ok((server.address() as { port: number }).port)));
  /** Events accepted (2xx), first arrival of each id. */
  const events = () => {
    const seen = new Map<string, any>();
    for (const r of received.filter((x) => x.accepted)) if (!seen.has(r.id)) seen.set(r.id, JSON.parse(r.body));
    return [...seen.values()];
  };
  return { received, state, listening, events, close: () => new Promise((r) => server.close(r)) };
}

describe.each(DATABASES)("liquidation-risk alerts on %s", (database) => {
  let anvil: AnvilHandle;
  let d: Deployment;
  let indexer: Indexer;
  let configPath: string;
  let hook: ReturnType<typeof receiver>;
  let watched: { wallet: Address; positionId: string; isLong: boolean; liquidationPrice: bigint };
  const rpc = () => chainClients(d.rpcUrl).publicClient;
  const head = () => rpc().getBlockNumber({ cacheTime: 0 });

  /** Moves WETH so the watched position is `distance` (a fraction) from liquidation; returns the block. */
  const moveTo = (distance: number) => moveWethTo(d, watched.liquidationPrice, watched.isLong, distance);
  const ours = () => hook.events().filter((e) => e.subject === watched.positionId);
  const until = async (check: () => boolean | Promise<boolean>, what: string, ms = 60_000) => {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${indexer.logs().slice(-2000)}`);
      await sleep(100);
    }
  };

  beforeAll(async () => {
    anvil = await startAnvil();
    d = await deployFixtures(anvil.rpcUrl);
    const { wallets } = await simulate(d, { wallets: 6, steps: 40, seed: 5 });
    // The watched position: the only ETH position of its wallet, so one subject carries the sequence.
    const probe = await (async () => {
      const cfg = join(mkdtempSync(join(tmpdir(), "exposure-cfg-")), "exposure.config.json");
      writeExposureConfig(cfg, fixtureExposureConfig(d));
      const p = await startIndexer({ configPath: cfg, database });
      await p.waitForBlock(await head(), 120_000);
      const r = await p.query(`query ($w: [String!]) { portfolio(wallets: $w) { positions { id account side liquidationPrice market { symbol } } } }`, { w: wallets });
      await p.stop();
      await dropSchema(database, p.schema);
      return r.data.portfolio.positions as { id: string; account: Address; side: string; liquidationPrice: string | null; market: { symbol: string } }[];
    })();
    const eth = probe.filter((p) => p.market.symbol === "ETH");
    const single = eth.find((p) => p.liquidationPrice !== null && eth.filter((q) => q.account === p.account).length === 1)!;
    expect(single).toBeDefined();
    watched = { wallet: single.account, positionId: single.id, isLong: single.side === "LONG", liquidationPrice: parseUnits(single.liquidationPrice!, 30) };

    hook = receiver();
    const port = await hook.listening;
    configPath = join(mkdtempSync(join(tmpdir(), "exposure-cfg-")), "exposure.config.json");
    writeExposureConfig(configPath, {
      ...fixtureExposureConfig(d),
      alerts: {
        rules: [{ id: "eth-near-liquidation", wallets: [watched.wallet], metric: "liquidationDistance", asset: "ETH", fireAt: "0.05", clearAt: "0.08" }],
        webhooks: [{ id: "bot", url: `http://127.0.0.1:${port}/hook`, secret: SECRET }],
        allowPrivateWebhooks: true, // the receiver is on loopback
        pollMs: 100,
        retryInitialMs: 200,
        retryMaxMs: 1_000,
      },
    });
    await moveTo(0.1);
    process.env.ALERTS_ADMIN_TOKEN = ADMIN_TOKEN; // the indexer's environment: API rules allowed
    indexer = await startIndexer({ configPath, database });
    const start = await head();
    await indexer.waitForBlock(start, 120_000);
    // The engine starts on the indexed head once the backfill is done; the path begins after that.
    await until(async () => {
      const r = await indexer.query(`{ alertEngine { evaluatedBlock } }`);
      return BigInt(r.data?.alertEngine?.[0]?.evaluatedBlock ?? -1) >= start;
    }, "the alert engine's first block");
  }, 300_000);

  afterAll(async () => {
    delete process.env.ALERTS_ADMIN_TOKEN;
    await indexer?.stop();
    await dropSchema(database, indexer?.schema);
    await hook?.close();
    await anvil?.stop();
  });

  it("fires and resolves exactly on the scripted price path, with hysteresis, each event signed with the webhook's secret", async () => {
    // 10% (start) -> 4% fire -> 6% and 4.5% inside the band: nothing -> 9% resolve -> 3% fire -> 20% resolve.
    const blocks: bigint[] = [];
    for (const distance of [0.04, 0.06, 0.045, 0.09, 0.03, 0.2]) blocks.push(await moveTo(distance));
    await indexer.waitForBlock(blocks.at(-1)!);
    await until(() => ours().length >= 4, "four alert events");
    await sleep(1_000); // nothing more may follow
    const events = ours();
    expect(events.map((e) => [e.kind, BigInt(e.block.number)])).toEqual([
      ["fire", blocks[0]],
      ["resolve", blocks[3]],
      ["fire", blocks[4]],
      ["resolve", blocks[5]],
    ]);
    expect(events[0].figures.positionId).toBe(watched.positionId);
    expect(events[0].alertId).toBe(events[1].alertId);
    expect(events[2].alertId).not.toBe(events[0].alertId);

    for (const r of hook.received) {
      expect(r.signature).toBe(`sha256=${createHmac("sha256", SECRET).update(r.body).digest("hex")}`);
      expect(r.signature).not.toBe(`sha256=${createHmac("sha256", "wrong-secret").update(r.body).digest("hex")}`);
    }
    const listed = await indexer.query(`{ alerts(status: "resolved") { items { id rule subject status firedBlock resolvedBlock } } }`);
    expect(listed.errors).toBeUndefined();
    expect(listed.data.alerts.items.map((a: any) => a.id).sort()).toEqual([events[0].alertId, events[2].alertId].sort());
  }, 120_000);

  it("delivers every event once the failing receiver recovers, in order", async () => {
    hook.state.failing = true;
    const fired = await moveTo(0.02);
    const resolved = await moveTo(0.3);
    await indexer.waitForBlock(resolved);
    await until(async () => {
      const r = await indexer.query(`{ alertDeliveries(webhook: "bot", status: "pending") { eventId attempts lastError } }`);
      return r.data.alertDeliveries.some((x: any) => x.attempts >= 2 && x.lastError === "HTTP 500");
    }, "failed attempts");
    expect(ours().filter((e) => BigInt(e.block.number) >= fired)).toEqual([]);
    hook.state.failing = false;
    await until(() => ours().filter((e) => BigInt(e.block.number) >= fired).length === 2, "the held-back events");
    const late = ours().filter((e) => BigInt(e.block.number) >= fired);
    expect(late.map((e) => [e.kind, BigInt(e.block.number)])).toEqual([
      ["fire", fired],
      ["resolve", resolved],
    ]);
    const accepted = hook.received.filter((r) => r.accepted).map((r) => r.id);
    expect(new Set(accepted).size).toBe(accepted.length);
  }, 120_000);

  it("loses and repeats nothing across kill -9 in mid-delivery and a restart, including blocks mined while down", async () => {
    // The receiver takes the request, and the service dies before the answer.
    hook.state.holdMs = 3_000;
    let inFlight = false;
    hook.state.onRequest = () => (inFlight = true);
    const fired = await moveTo(0.01);
    await until(() => inFlight, "a delivery in flight");
    await indexer.kill();
    hook.state.holdMs = 0;
    hook.state.onRequest = () => {};
    const resolvedWhileDown = await moveTo(0.5);

    indexer = await startIndexer({ configPath, database, schema: indexer.schema, pgliteDir: indexer.pgliteDir });
    await indexer.waitForBlock(resolvedWhileDown, 120_000);
    await until(() => ours().filter((e) => BigInt(e.block.number) >= fired).length === 2, "the events of the crash window");
    expect(ours().filter((e) => BigInt(e.block.number) >= fired).map((e) => [e.kind, BigInt(e.block.number)])).toEqual([
      ["fire", fired],
      ["resolve", resolvedWhileDown],
    ]);
    // The in-flight delivery was never acknowledged, so it came again: same id, same body (receivers dedupe on the id).
    const crashed = ours().find((e) => BigInt(e.block.number) === fired)!;
    expect(hook.received.filter((r) => r.id === crashed.id).length).toBeGreaterThanOrEqual(2);
    const byId = new Map<string, Set<string>>();
    for (const r of hook.received) byId.set(r.id, (byId.get(r.id) ?? new Set()).add(r.body));
    for (const bodies of byId.values()) expect(bodies.size).toBe(1);
    // Everything in the outbox was delivered.
    const pending = await indexer.query(`{ alertDeliveries(webhook: "bot", status: "pending") { eventId } }`);
    expect(pending.data.alertDeliveries).toEqual([]);
  }, 240_000);

  it("retracts an alert raised on a block that a reorg drops", async () => {
    const safe = await moveTo(0.3);
    await indexer.waitForBlock(safe);
    const snapshot = await rpc().request({ method: "evm_snapshot" as any, params: [] as any });
    const fired = await moveTo(0.02);
    await until(() => ours().some((e) => e.kind === "fire" && BigInt(e.block.number) === fired), "the alert on the doomed block");
    const fire = ours().find((e) => e.kind === "fire" && BigInt(e.block.number) === fired);

    expect(await rpc().request({ method: "evm_revert" as any, params: [snapshot] as any })).toBe(true);
    // A longer branch that stays safe.
    let last = 0n;
    for (let i = 0; i < 4; i++) last = await moveTo(0.3 + i * 0.01);
    await indexer.waitForBlock(last);
    await until(() => ours().some((e) => e.kind === "retract"), "the retraction");
    const retract = ours().find((e) => e.kind === "retract");
    expect(retract.retracts).toBe(fire.id);
    expect(retract.alertId).toBe(fire.alertId);
    const listed = await indexer.query(`{ alerts(status: "retracted") { items { id } } }`);
    expect(listed.data.alerts.items.map((a: any) => a.id)).toEqual([fire.alertId]);
  }, 120_000);

  it("takes rules through the API with the admin token only, and streams their events over SSE", async () => {
    const create = `mutation ($rule: AlertRuleInput!) { createAlertRule(rule: $rule) { id source metric fireAt clearAt } }`;
    const rule = { id: "api-rule", wallets: [watched.wallet], metric: "liquidationDistance", asset: "ETH", fireAt: "0.07", clearAt: "0.1" };
    const post = (query: string, variables: object, token?: string) =>
      fetch(`${indexer.url}/exposure`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      }).then((r) => r.json() as Promise<any>);
    expect((await post(create, { rule })).errors[0].message).toMatch(/not authorised/);
    expect((await post(create, { rule }, "guess")).errors[0].message).toMatch(/not authorised/);
    expect((await post(create, { rule: { ...rule, clearAt: "0.01" } }, ADMIN_TOKEN)).errors[0].message).toMatch(/safe side of fireAt/);
    const made = await post(create, { rule }, ADMIN_TOKEN);
    expect(made.errors).toBeUndefined();
    expect(made.data.createAlertRule).toEqual({ id: "api-rule", source: "api", metric: "liquidationDistance", fireAt: "0.07", clearAt: "0.1" });
    expect((await post(create, { rule }, ADMIN_TOKEN)).errors[0].message).toMatch(/exists already/);

    // The subscription, as server-sent events.
    const stream = await fetch(`${indexer.url}/exposure`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ query: `subscription { alertEvents(rule: "api-rule") { id kind rule blockNumber } }` }),
    });
    expect(stream.headers.get("content-type")).toMatch(/text\/event-stream/);
    const reader = stream.body!.getReader();
    const streamed: any[] = [];
    let buffer = "";
    const pump = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += new TextDecoder().decode(value);
        let cut: number;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = frame.split("\n").find((l) => l.startsWith("data:"));
          if (data) streamed.push(JSON.parse(data.slice(5)).data?.alertEvents);
        }
      }
    })();
    await sleep(500);
    const fired = await moveTo(0.06);
    await until(() => streamed.some((e) => e?.kind === "fire"), "the streamed fire");
    expect(streamed.filter(Boolean)[0]).toMatchObject({ kind: "fire", rule: "api-rule", blockNumber: fired.toString() });
    await until(() => hook.events().some((e) => e.rule === "api-rule" && e.kind === "fire"), "the webhook's copy");

    expect((await post(`mutation { deleteAlertRule(id: "api-rule") }`, {}, ADMIN_TOKEN)).data.deleteAlertRule).toBe(true);
    const next = await moveTo(0.065);
    await until(() => streamed.some((e) => e?.kind === "resolve"), "the resolution of the deleted rule's alert");
    expect(streamed.filter(Boolean).find((e) => e.kind === "resolve").blockNumber).toBe(next.toString());
    await reader.cancel();
    await pump.catch(() => {});
    const rules = await indexer.query(`{ alertRules { id source } }`);
    expect(rules.data.alertRules).toEqual([{ id: "eth-near-liquidation", source: "config" }]);
  }, 120_000);
});
