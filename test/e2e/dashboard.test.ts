import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { createTestClient, http, parseUnits } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAnvil, type AnvilHandle } from "../chain/anvil";
import { chainClients, fixtureChain } from "../chain/clients";
import { deployFixtures, setPrice, type Deployment } from "../chain/deploy";
import { fixtureExposureConfig } from "../chain/exposure-config";
import { deployMorphoBlue } from "../chain/morpho-deploy";
import { simulateMorphoBlue } from "../chain/morpho-simulate";
import { simulate } from "../chain/simulate";
import { DATABASES } from "../support/databases";
import { indexFixtureChain, stopAll, type Indexer } from "../support/indexer";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const TEN_YEARS = 10 * 365 * 86_400;
const TOTAL_FIELDS = ["grossNotionalUsd", "totalCollateralUsd", "unrealizedPnlUsd", "pendingFeesUsd", "equityUsd"] as const;

/** "$1,234.57" or "-$0.10" as 1e30-scaled USD (cents), read back from what the page shows. */
const shownCents = (text: string) => BigInt(text.replace(/[$,]/g, "").replace(".", "")) * 10n ** 28n;
const exact = (value: string) => parseUnits(value, 30);

describe.each(DATABASES)("the dashboard in Chromium, with only our server reachable, on %s", (database) => {
  let anvil: AnvilHandle;
  let d: Deployment;
  let indexer: Indexer;
  let browser: BrowserContext;
  let page: Page;
  let profile: string;
  let wallets: string[];
  const pageErrors: string[] = [];
  const elsewhere: string[] = [];
  const head = () => chainClients(d.rpcUrl).publicClient.getBlockNumber({ cacheTime: 0 });
  const api = async (query: string, variables: Record<string, unknown> = {}) => {
    const r = await indexer.query(query, variables);
    expect(r.errors).toBeUndefined();
    return r.data;
  };
  const ready = async () => {
    await page.waitForFunction(() => document.body.dataset.state === "ready" || document.body.dataset.state === "error", null, { timeout: 60_000 });
  };
  /** The page's figures: field -> [shown text, exact decimal]. */
  const shownTotals = (): Promise<Record<string, [text: string, exact: string | null]>> =>
    page.$$eval("#totals tr", (rows) =>
      Object.fromEntries(rows.map((r) => [(r as HTMLElement).dataset.field!, [r.querySelector("td")!.textContent!, r.querySelector("td")!.dataset.exact ?? null]])),
    );
  const shownBlock = () => page.$eval("#as-of", (e) => (e as HTMLElement).dataset.blocks!);

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get update && apt-get install -y chromium`);
    anvil = await startAnvil();
    d = await deployFixtures(anvil.rpcUrl);
    const morpho = await deployMorphoBlue(d);
    const gmx = await simulate(d, { wallets: 8, steps: 80, seed: 5 });
    const lending = await simulateMorphoBlue(d, morpho, { wallets: 4, operations: 80, seed: 3, firstAccountIndex: 1 });
    wallets = [...new Set([...gmx.wallets, ...lending.wallets])];
    const config = {
      ...fixtureExposureConfig(d, { heartbeatSeconds: TEN_YEARS, morpho: { address: morpho.morpho, startBlock: morpho.startBlock }, portfolios: { treasury: wallets } }),
      alerts: { rules: [{ id: "near-liquidation", portfolio: "treasury", metric: "liquidationDistance", fireAt: "0.15", clearAt: "0.2" }] },
    };
    indexer = await indexFixtureChain(config, database, d.rpcUrl);
    profile = mkdtempSync(join(tmpdir(), "exposure-chromium-"));
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_FLAGS, viewport: { width: 1280, height: 1000 } });
    const ours = new URL(indexer.url).origin;
    await browser.route("**/*", (route) => {
      const url = new URL(route.request().url());
      if (url.origin === ours || url.protocol === "data:" || url.protocol === "blob:") return route.continue();
      elsewhere.push(url.href);
      return route.abort("blockedbyclient");
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on("pageerror", (e) => pageErrors.push(e.message));
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await stopAll(database, indexer, anvil);
  });

  it("shows a portfolio's totals, net exposure per asset and greeks equal to the API's at the block it names", async () => {
    await page.goto(`${indexer.url}/dashboard?portfolio=treasury`);
    await ready();
    const paint = await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null);
    console.log(`dashboard (${database}): first contentful paint ${paint?.toFixed(0)} ms`);
    const block = await shownBlock();
    const { portfolio } = await api(
      `query ($b: BigInt) { portfolio(name: "treasury", atBlock: $b) { totals { ${TOTAL_FIELDS.join(" ")} positionCount netNotional { asset longUsd shortUsd netUsd } } byProtocol { key } } }`,
      { b: block },
    );
    const shown = await shownTotals();
    let compared = 0;
    for (const field of TOTAL_FIELDS) {
      const want = portfolio.totals[field];
      expect(shown[field]![1], field).toBe(want);
      if (want !== null) {
        // What people read is the exact figure rounded to the cent.
        const diff = shownCents(shown[field]![0]) - exact(want);
        expect(diff >= -(5n * 10n ** 27n) && diff <= 5n * 10n ** 27n, `${field}: ${shown[field]![0]} vs ${want}`).toBe(true);
        compared++;
      }
    }
    for (const n of portfolio.totals.netNotional) expect(shown[`net:${n.asset}`]![1], n.asset).toBe(n.netUsd);
    expect(shown.positionCount![0]).toBe(String(portfolio.totals.positionCount));
    expect(compared).toBeGreaterThanOrEqual(4);
    expect(portfolio.byProtocol.map((p: any) => p.key).sort()).toEqual(["gmx-v1", "morpho-blue"]);
    // The charts drew (ECharts renders to canvas), the ladder with both directions of every step.
    for (const id of ["exposure-chart", "ladder-chart", "stress-chart"]) expect(await page.locator(`#${id} canvas`).count(), id).toBeGreaterThan(0);
    expect(await page.$eval("#ladder-chart", (e) => (e as HTMLElement).dataset.steps)).toBe("60");
    // The heat map is the grid of the two largest assets by gross (which two depends on the run's
    // prices): every pair of moves, rows outer, as the API prices it.
    const byGross = (portfolio.totals.netNotional as { asset: string; longUsd: string | null; shortUsd: string | null }[])
      .map((n) => ({ asset: n.asset, gross: [n.longUsd, n.shortUsd].reduce((sum, x) => sum + (x === null ? 0n : parseUnits(x.replace("-", ""), 30)), 0n) }))
      .sort((x, y) => (y.gross > x.gross ? 1 : y.gross < x.gross ? -1 : 0));
    const moves = ["-0.3", "-0.2", "-0.1", "0", "0.1", "0.2", "0.3"];
    const [rows, columns] = (await page.locator("#stress-assets").innerText()).replace(/[()]/g, "").split(" x ");
    expect([rows, columns].sort()).toEqual(byGross.slice(0, 2).map((n) => n.asset).sort());
    const { stress } = await api(
      `query ($b: BigInt, $s: [ShockSeries!]!) { stress(portfolio: "treasury", shocks: $s, joint: true, atBlock: $b) { points { shocks { asset move } pnlUsd } } }`,
      { b: block, s: [{ asset: rows, moves: moves.flatMap((m) => moves.map(() => m)) }, { asset: columns, moves: moves.flatMap(() => moves) }] },
    );
    // Written out as joint pairs here (the page asks for grid: true): the same 49 points either way.
    const joint = stress.points.filter((p: any) => p.shocks.length === 2);
    expect(joint.length).toBe(49);
    expect(joint.map((p: any) => p.shocks.map((x: any) => Number(x.move)))).toEqual(moves.flatMap((r) => moves.map((c) => [Number(r), Number(c)])));
    expect(JSON.parse(await page.$eval("#stress-chart", (e) => (e as HTMLElement).dataset.pnl!))).toEqual(joint.map((p: any) => p.pnlUsd));
    const shownPnl = async (assets: string) => {
      await page.waitForFunction((want) => document.querySelector("#stress-assets")!.textContent === want, assets);
      return JSON.parse(await page.$eval("#stress-chart", (e) => (e as HTMLElement).dataset.pnl!));
    };
    // Other assets on the grid: the pair the other way round (its transpose), then one asset alone
    // (a stablecoin need not be shocked with another): each row is that asset's move, as the API prices it.
    await page.selectOption("#stress-rows", columns!);
    await page.selectOption("#stress-columns", rows!);
    const transposed = moves.flatMap((_, c) => moves.map((__, r) => joint[r * moves.length + c].pnlUsd));
    expect(await shownPnl(`(${columns} x ${rows})`)).toEqual(transposed);
    await page.selectOption("#stress-columns", "");
    const alone = (
      await api(`query ($b: BigInt, $s: [ShockSeries!]!) { stress(portfolio: "treasury", shocks: $s, atBlock: $b) { points { pnlUsd } } }`, {
        b: block,
        s: [{ asset: columns, moves }],
      })
    ).stress.points.map((p: any) => p.pnlUsd);
    expect(await shownPnl(`(${columns})`)).toEqual(alone.flatMap((pnl: string | null) => moves.map(() => pnl)));
    expect(await page.locator("#indexed").innerText()).toMatch(/anvil #\d+ \(lag \d+ s\)/);
    if (process.env.DASHBOARD_SCREENSHOT) await page.screenshot({ path: process.env.DASHBOARD_SCREENSHOT, fullPage: true });
    expect(pageErrors).toEqual([]);
    expect(elsewhere).toEqual([]);
  });

  it("pages the at-risk table exactly as the API pages the portfolio's positions, nearest first", async () => {
    const block = await shownBlock();
    const pageOf = async (after: string | null) =>
      (
        await api(
          `query ($b: BigInt, $after: String) { portfolio(name: "treasury", atBlock: $b) { positionPage(where: { liquidationDistance_lte: 1000 }, orderBy: liquidationDistance, orderDirection: asc, first: 8, after: $after) { totalCount items { id } pageInfo { endCursor } } } }`,
          { b: block, after },
        )
      ).portfolio.positionPage;
    const rowIds = () => page.$$eval("#at-risk tbody tr", (rows) => rows.map((r) => (r as HTMLElement).dataset.id));
    const first = await pageOf(null);
    expect(first.totalCount).toBeGreaterThan(8);
    expect(await rowIds()).toEqual(first.items.map((i: any) => i.id));
    await page.click("#at-risk-next");
    await page.waitForFunction(() => document.getElementById("at-risk-page")!.textContent!.startsWith("page 2"));
    const second = await pageOf(first.pageInfo.endCursor);
    expect(await rowIds()).toEqual(second.items.map((i: any) => i.id));
    await page.click("#at-risk-prev");
    await page.waitForFunction(() => document.getElementById("at-risk-page")!.textContent!.startsWith("page 1"));
    expect(await rowIds()).toEqual(first.items.map((i: any) => i.id));
  });

  it("shows an alert raised on the chain without a reload", async () => {
    const known = new Set(await page.$$eval("#alerts li", (items) => items.map((i) => (i as HTMLElement).dataset.id)));
    await page.waitForFunction(() => document.getElementById("alerts")!.dataset.live === "true", null, { timeout: 30_000 });
    // An ETH perp of the portfolio outside the rule's 15%: the ETH feed moves it to 10% from liquidation.
    const { portfolio } = await api(`{ portfolio(name: "treasury") { positions(where: { protocol: "gmx-v1", asset: "ETH" }) { side liquidationPrice liquidationDistance } } }`);
    const target = portfolio.positions.find((p: any) => p.liquidationDistance !== null && p.liquidationDistance > 0.2);
    expect(target).toBeDefined();
    const level = parseUnits(target.liquidationPrice, 8);
    const answer = target.side === "LONG" ? (level * 10n) / 9n : (level * 10n) / 11n;
    await setPrice(d, "WETH", answer);
    await page.waitForFunction(
      (seen) => [...document.querySelectorAll("#alerts li")].some((li) => (li as HTMLElement).dataset.kind === "raised" && !seen.includes((li as HTMLElement).dataset.id!)),
      [...known] as string[],
      { timeout: 90_000 },
    );
    expect(pageErrors).toEqual([]);
  });

  it("answers for the block the as-of control names: the API's figures at that block", async () => {
    const before = (await shownTotals()).grossNotionalUsd![1];
    // A block before the price move of the previous test.
    const earlier = (BigInt((await shownBlock()).split(",")[0]!) - 1n).toString();
    await page.fill("#at-block", earlier);
    await page.click("#apply");
    await page.waitForFunction((b) => (document.getElementById("as-of") as HTMLElement).dataset.blocks === b && document.body.dataset.state === "ready", earlier);
    const { portfolio } = await api(`query ($b: BigInt) { portfolio(name: "treasury", atBlock: $b) { totals { grossNotionalUsd equityUsd } } }`, { b: earlier });
    const shown = await shownTotals();
    expect(shown.grossNotionalUsd![1]).toBe(portfolio.totals.grossNotionalUsd);
    expect(shown.equityUsd![1]).toBe(portfolio.totals.equityUsd);
    await page.click("#latest");
    await page.waitForFunction((b) => (document.getElementById("as-of") as HTMLElement).dataset.blocks !== b && document.body.dataset.state === "ready", earlier);
    const latest = (await shownTotals()).grossNotionalUsd![1];
    expect(latest).not.toBe(portfolio.totals.grossNotionalUsd);
    expect(before).toBeDefined();
  });

  it("says so when a selection is empty, an address is malformed, or prices are stale", async () => {
    const status = () => page.$eval("#status", (e) => [e.className, e.textContent]);
    await page.goto(`${indexer.url}/dashboard?wallets=0x0000000000000000000000000000000000000001`);
    await ready();
    expect(await status()).toEqual(["empty", "No open positions for this selection at this block."]);
    await page.goto(`${indexer.url}/dashboard?wallets=0xnot-an-address`);
    await ready();
    const [kind, text] = await status();
    expect(kind).toBe("error");
    expect(text).toMatch(/invalid address '0xnot-an-address'/);
    // Past every feed's heartbeat: figures that need a price are left out, and the page says it.
    const testClient = createTestClient({ mode: "anvil", chain: fixtureChain(d.rpcUrl), transport: http(d.rpcUrl) });
    await testClient.increaseTime({ seconds: TEN_YEARS + 86_400 });
    await testClient.mine({ blocks: 1 });
    await indexer.waitForBlock(await head());
    await page.goto(`${indexer.url}/dashboard?portfolio=treasury`);
    await ready();
    const [staleKind, staleText] = await status();
    expect(staleKind).toBe("stale");
    expect(staleText).toMatch(/stale/);
    expect(elsewhere).toEqual([]);
  });
});
