// The treasury dashboard: a page over the public GraphQL API (/exposure) and nothing else. Built by
// src/api/dashboard.ts with esbuild; charts by ECharts (only the parts used are bundled).
import { BarChart, HeatmapChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent, VisualMapComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { formatUsd, formatRatio, parseDecimal } from "./format";

echarts.use([BarChart, LineChart, HeatmapChart, GridComponent, LegendComponent, TooltipComponent, VisualMapComponent, CanvasRenderer]);

const ENDPOINT = "/exposure";
const AT_RISK_PAGE = 8;
const STRESS_MOVES = ["-0.3", "-0.2", "-0.1", "0", "0.1", "0.2", "0.3"];
const LADDER_STEPS = 30;

type Selection = { portfolio: string | null; wallets: string[] | null; atBlock: string | null };
type Totals = {
  grossNotionalUsd: string | null;
  totalCollateralUsd: string | null;
  unrealizedPnlUsd: string | null;
  pendingFeesUsd: string | null;
  equityUsd: string | null;
  leverage: number | null;
  nearestLiquidationDistance: number | null;
  complete: boolean;
  positionCount: number;
  warnings: string[];
  netNotional: { asset: string; longUsd: string | null; shortUsd: string | null; netUsd: string | null }[];
  optionGreeks: { asset: string; delta: number | null; gamma: number | null; vega: number | null; theta: number | null }[];
};

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const state: { selection: Selection; cursors: (string | null)[]; wallets: Set<string> } = {
  selection: { portfolio: null, wallets: null, atBlock: null },
  cursors: [null],
  wallets: new Set(),
};
const charts = new Map<string, echarts.ECharts>();

async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(ENDPOINT, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
  let body: { data?: T; errors?: { message: string }[] };
  try {
    body = await response.json();
  } catch {
    throw new Error(`the API answered ${response.status} ${response.statusText}`);
  }
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join("; "));
  if (!body.data) throw new Error(`the API answered ${response.status} without data`);
  return body.data;
}

function setStatus(kind: "" | "loading" | "error" | "empty" | "stale", text: string) {
  const el = $("status");
  el.className = kind;
  el.textContent = text;
}

const SELECTION_VARS = "$portfolio: String, $wallets: [String!], $atBlock: BigInt";
/** Arguments of ladder and stress; the portfolio field names its portfolio `name`. */
const SELECTION = "portfolio: $portfolio, wallets: $wallets, atBlock: $atBlock";
const PORTFOLIO = "name: $portfolio, wallets: $wallets, atBlock: $atBlock";

/** A figure cell: people read the rounded text; the exact decimal stays in data-exact. */
function cell(text: string, exact: string | null, numeric = true): HTMLTableCellElement {
  const td = document.createElement("td");
  td.textContent = text;
  if (numeric) td.className = "num";
  if (exact !== null) td.dataset.exact = exact;
  return td;
}

function row(table: HTMLTableElement, field: string, label: string, text: string, exact: string | null) {
  const tr = table.insertRow();
  tr.dataset.field = field;
  const th = document.createElement("th");
  th.textContent = label;
  tr.append(th, cell(text, exact));
}

function renderTotals(t: Totals) {
  const table = $<HTMLTableElement>("totals");
  table.replaceChildren();
  row(table, "grossNotionalUsd", "Gross notional", formatUsd(t.grossNotionalUsd), t.grossNotionalUsd);
  for (const n of t.netNotional) row(table, `net:${n.asset}`, `Net ${n.asset}`, formatUsd(n.netUsd), n.netUsd);
  row(table, "totalCollateralUsd", "Collateral", formatUsd(t.totalCollateralUsd), t.totalCollateralUsd);
  row(table, "unrealizedPnlUsd", "Unrealised PnL", formatUsd(t.unrealizedPnlUsd), t.unrealizedPnlUsd);
  row(table, "pendingFeesUsd", "Pending fees", formatUsd(t.pendingFeesUsd), t.pendingFeesUsd);
  row(table, "equityUsd", "Equity", formatUsd(t.equityUsd), t.equityUsd);
  row(table, "leverage", "Leverage", t.leverage === null ? "–" : `${t.leverage.toFixed(2)}x`, t.leverage === null ? null : String(t.leverage));
  row(
    table,
    "nearestLiquidationDistance",
    "Nearest liquidation",
    formatRatio(t.nearestLiquidationDistance),
    t.nearestLiquidationDistance === null ? null : String(t.nearestLiquidationDistance),
  );
  row(table, "positionCount", "Open positions", String(t.positionCount), String(t.positionCount));
  for (const g of t.optionGreeks) {
    const text = (x: number | null) => (x === null ? "–" : x.toPrecision(4));
    row(table, `greeks:${g.asset}`, `${g.asset} Δ / Γ / vega / θ`, [g.delta, g.gamma, g.vega, g.theta].map(text).join(" / "), null);
  }
}

function chart(id: string): echarts.ECharts {
  let c = charts.get(id);
  if (!c) charts.set(id, (c = echarts.init($(id))));
  return c;
}

function renderExposure(byProtocol: { key: string; totals: { netNotional: { asset: string; netUsd: string | null }[] } }[], assets: string[]) {
  chart("exposure-chart").setOption(
    {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 70, right: 10, top: 30, bottom: 24 },
      xAxis: { type: "category", data: assets },
      yAxis: { type: "value", name: "USD" },
      series: byProtocol.map((p) => ({
        name: p.key,
        type: "bar",
        stack: "net",
        data: assets.map((a) => parseDecimal(p.totals.netNotional.find((n) => n.asset === a)?.netUsd ?? "0")),
      })),
    },
    true,
  );
}

/** Renders of one chart overlap when its choice changes again before an answer: only the last one started draws. */
const renders = new Map<string, number>();
function startRender(id: string): () => boolean {
  const n = (renders.get(id) ?? 0) + 1;
  renders.set(id, n);
  return () => renders.get(id) === n;
}

async function renderLadder() {
  const current = startRender("ladder-chart");
  const asset = $<HTMLSelectElement>("ladder-asset").value;
  if (!asset) return chart("ladder-chart").clear();
  const data = await gql<{ ladder: { move: number; liquidatableNotionalUsd: string | null; liquidatableCount: number }[] }>(
    `query (${SELECTION_VARS}, $asset: String!, $steps: Int) { ladder(${SELECTION}, asset: $asset, steps: $steps) { move liquidatableCount liquidatableNotionalUsd } }`,
    { ...state.selection, asset, steps: LADDER_STEPS },
  );
  if (!current()) return;
  $("ladder-chart").dataset.steps = String(data.ladder.length);
  chart("ladder-chart").setOption(
    {
      tooltip: { trigger: "axis" },
      grid: { left: 70, right: 10, top: 20, bottom: 30 },
      xAxis: { type: "category", name: "move", data: data.ladder.map((s) => `${(s.move * 100).toFixed(0)}%`) },
      yAxis: { type: "value", name: "liquidatable USD" },
      series: [{ type: "bar", data: data.ladder.map((s) => parseDecimal(s.liquidatableNotionalUsd ?? "0")) }],
    },
    true,
  );
}

/** Fills an asset choice: what the user chose while the selection still holds it, else `fallback`; `none` adds an empty choice first. */
function fillAssetChoice(id: string, assets: string[], fallback: string | undefined, none?: string) {
  const select = $<HTMLSelectElement>(id);
  const chosen = select.dataset.chosen;
  const kept = chosen !== undefined && (chosen === "" ? none !== undefined : assets.includes(chosen));
  select.replaceChildren(...(none === undefined ? [] : [new Option(none, "")]), ...assets.map((a) => new Option(a, a)));
  select.value = kept ? chosen : (fallback ?? "");
}

/** The grid's assets: rows, and columns unless none is chosen or it repeats the rows. */
function stressAssets(): string[] {
  const a = $<HTMLSelectElement>("stress-rows").value;
  const b = $<HTMLSelectElement>("stress-columns").value;
  return [a, ...(b && b !== a ? [b] : [])].filter(Boolean);
}

async function renderStress() {
  const current = startRender("stress-chart");
  const [a, b] = stressAssets();
  if (!a) {
    $("stress-assets").textContent = "";
    return chart("stress-chart").clear();
  }
  const other = b ?? a;
  // The API's grid: every pair of moves, rows (a) outer. With one asset, each row is that asset's move alone.
  const n = STRESS_MOVES.length;
  const shocks = [a, ...(b ? [b] : [])].map((asset) => ({ asset, moves: STRESS_MOVES }));
  const data = await gql<{ stress: { points: { pnlUsd: string | null }[] } }>(
    `query (${SELECTION_VARS}, $shocks: [ShockSeries!]!) { stress(${SELECTION}, shocks: $shocks, grid: true) { points { pnlUsd } } }`,
    { ...state.selection, shocks },
  );
  if (!current()) return;
  $("stress-assets").textContent = b ? `(${a} x ${b})` : `(${a})`;
  const grid = Array.from({ length: n * n }, (_, i) => data.stress.points[b ? i : Math.floor(i / n)]!);
  const cells = grid.map((p, i) => [i % n, Math.floor(i / n), p.pnlUsd === null ? "-" : parseDecimal(p.pnlUsd)]);
  $("stress-chart").dataset.pnl = JSON.stringify(grid.map((p) => p.pnlUsd));
  const values = cells.map((c) => c[2]).filter((v): v is number => typeof v === "number");
  const span = Math.max(1, ...values.map(Math.abs));
  chart("stress-chart").setOption(
    {
      tooltip: { formatter: (p: { value: [number, number, number] }) => `${a} ${STRESS_MOVES[p.value[1]]}, ${other} ${STRESS_MOVES[p.value[0]]}: ${p.value[2].toFixed(0)} USD` },
      grid: { left: 60, right: 80, top: 10, bottom: 40 },
      xAxis: { type: "category", name: b ?? "", data: STRESS_MOVES.map((m) => `${Number(m) * 100}%`) },
      yAxis: { type: "category", name: a, data: STRESS_MOVES.map((m) => `${Number(m) * 100}%`) },
      visualMap: { min: -span, max: span, calculable: true, orient: "vertical", right: 0, top: "center", inRange: { color: ["#b3261e", "#f7f7f7", "#1e7b34"] } },
      series: [{ type: "heatmap", data: cells, label: { show: false } }],
    },
    true,
  );
}

async function renderAtRisk() {
  const after = state.cursors[state.cursors.length - 1];
  const data = await gql<{
    portfolio: {
      positionPage: {
        totalCount: number;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
        items: { id: string; protocol: string; account: string; side: string; market: { symbol: string }; liquidationPrice: string | null; liquidationDistance: number | null; notionalUsd: string | null }[];
      };
    };
  }>(
    `query (${SELECTION_VARS}, $first: Int, $after: String) { portfolio(${PORTFOLIO}) {
      positionPage(where: { liquidationDistance_lte: 1000 }, orderBy: liquidationDistance, orderDirection: asc, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor }
        items { id protocol account side market { symbol } liquidationPrice liquidationDistance notionalUsd } } } }`,
    { ...state.selection, first: AT_RISK_PAGE, after },
  );
  const page = data.portfolio.positionPage;
  const table = $<HTMLTableElement>("at-risk");
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const [label, numeric] of [["Distance", true], ["Protocol", false], ["Market", false], ["Side", false], ["Liquidation price", true], ["Notional", true], ["Wallet", false]] as const) {
    const th = document.createElement("th");
    th.textContent = label;
    if (numeric) th.className = "num";
    head.append(th);
  }
  const body = table.createTBody();
  for (const p of page.items) {
    const tr = body.insertRow();
    tr.dataset.id = p.id;
    tr.append(
      cell(formatRatio(p.liquidationDistance), p.liquidationDistance === null ? null : String(p.liquidationDistance)),
      cell(p.protocol, null, false),
      cell(p.market.symbol, null, false),
      cell(p.side, null, false),
      cell(formatUsd(p.liquidationPrice), p.liquidationPrice),
      cell(formatUsd(p.notionalUsd), p.notionalUsd),
      cell(`${p.account.slice(0, 8)}…`, p.account, false),
    );
  }
  if (page.items.length === 0) body.insertRow().append(cell("No position with a liquidation price.", null, false));
  const index = state.cursors.length;
  $("at-risk-page").textContent = `page ${index} of ${Math.max(1, Math.ceil(page.totalCount / AT_RISK_PAGE))} (${page.totalCount} positions)`;
  $<HTMLButtonElement>("at-risk-prev").disabled = index === 1;
  const next = $<HTMLButtonElement>("at-risk-next");
  next.disabled = !page.pageInfo.hasNextPage;
  next.dataset.cursor = page.pageInfo.endCursor ?? "";
}

async function refreshIndexed() {
  try {
    const { chains } = await gql<{ chains: { name: string; blockNumber: string; blockTimestamp: string }[] }>("{ chains { name blockNumber blockTimestamp } }");
    const now = Math.floor(Date.now() / 1000);
    $("indexed").textContent = chains.map((c) => `${c.name} #${c.blockNumber} (lag ${Math.max(0, now - Number(c.blockTimestamp))} s)`).join(" · ");
  } catch (error) {
    $("indexed").textContent = `indexer unreachable: ${(error as Error).message}`;
  }
}

/** Loads everything for the current selection. */
async function load() {
  setStatus("loading", "Loading…");
  document.body.dataset.state = "loading";
  try {
    const data = await gql<{
      portfolio: { wallets: string[]; blocks: { chainId: number; number: string; timestamp: string }[]; totals: Totals; byProtocol: { key: string; totals: { netNotional: { asset: string; netUsd: string | null }[] } }[] };
    }>(
      `query (${SELECTION_VARS}) { portfolio(${PORTFOLIO}) {
        wallets blocks { chainId number timestamp }
        totals { grossNotionalUsd totalCollateralUsd unrealizedPnlUsd pendingFeesUsd equityUsd leverage nearestLiquidationDistance complete positionCount warnings
                 netNotional { asset longUsd shortUsd netUsd } optionGreeks { asset delta gamma vega theta } }
        byProtocol { key totals { netNotional { asset netUsd } } } } }`,
      state.selection,
    );
    const p = data.portfolio;
    state.wallets = new Set(p.wallets.map((w) => w.toLowerCase()));
    $("as-of").textContent = `at block ${p.blocks.map((b) => b.number).join(", ")}`;
    $("as-of").dataset.blocks = p.blocks.map((b) => b.number).join(",");
    renderTotals(p.totals);
    // Assets by gross size: the two largest go on the stress grid unless others are chosen, all in the choices.
    const assets = p.totals.netNotional
      .map((n) => ({ asset: n.asset, gross: Math.abs(parseDecimal(n.longUsd ?? "0")) + Math.abs(parseDecimal(n.shortUsd ?? "0")) }))
      .sort((x, y) => y.gross - x.gross)
      .map((x) => x.asset);
    renderExposure(p.byProtocol, assets);
    fillAssetChoice("ladder-asset", assets, assets[0]);
    fillAssetChoice("stress-rows", assets, assets[0]);
    fillAssetChoice("stress-columns", assets, assets[1], "none");
    await Promise.all([renderLadder(), renderStress(), renderAtRisk()]);
    if (p.totals.positionCount === 0) setStatus("empty", "No open positions for this selection at this block.");
    else if (!p.totals.complete) setStatus("stale", `Some prices are stale or missing: totals that need them are left out. ${p.totals.warnings.join(" ")}`);
    else setStatus("", "");
    document.body.dataset.state = "ready";
  } catch (error) {
    setStatus("error", `The API could not answer: ${(error as Error).message}`);
    document.body.dataset.state = "error";
  }
}

function readSelection(): Selection {
  const wallets = $<HTMLInputElement>("wallets")
    .value.split(/[\s,]+/)
    .filter(Boolean);
  const block = $<HTMLInputElement>("at-block").value.trim();
  return {
    portfolio: wallets.length ? null : $<HTMLSelectElement>("portfolio").value || null,
    wallets: wallets.length ? wallets : null,
    atBlock: block === "" ? null : block,
  };
}

function apply() {
  state.selection = readSelection();
  state.cursors = [null];
  const url = new URL(location.href);
  for (const [k, v] of Object.entries({ portfolio: state.selection.portfolio, wallets: state.selection.wallets?.join(","), atBlock: state.selection.atBlock })) {
    if (v) url.searchParams.set(k, v);
    else url.searchParams.delete(k);
  }
  history.replaceState(null, "", url);
  void load();
}

const ALERT_KINDS: Record<string, string> = { fire: "raised", resolve: "resolved", retract: "retracted" };

function showAlert(a: { id: string; kind: string; rule: string; wallet: string; subject: string; blockNumber: string; value: string | null }, prepend: boolean) {
  if (state.wallets.size && !state.wallets.has(a.wallet.toLowerCase())) return;
  const list = $("alerts");
  if (list.querySelector(`[data-id="${CSS.escape(a.id)}"]`)) return;
  const li = document.createElement("li");
  li.dataset.id = a.id;
  li.dataset.kind = ALERT_KINDS[a.kind] ?? a.kind;
  li.className = li.dataset.kind;
  li.textContent = `${li.dataset.kind}: ${a.rule} · ${a.subject} · block ${a.blockNumber}${a.value ? ` · ${a.value}` : ""}`;
  if (prepend) list.prepend(li);
  else list.append(li);
}

/** Alert events over the API's subscription (server-sent events), shown as they arrive. */
async function followAlerts() {
  for (;;) {
    try {
      const response = await fetch(ENDPOINT, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({ query: "subscription { alertEvents { id kind rule wallet subject blockNumber value } }" }),
      });
      if (!response.ok || !response.body) throw new Error(`subscription refused: ${response.status}`);
      $("alerts").dataset.live = "true";
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = frame.split("\n").find((l) => l.startsWith("data:"));
          const event = data ? JSON.parse(data.slice(5)).data?.alertEvents : undefined;
          if (event) showAlert(event, true);
        }
      }
    } catch {
      // The server restarted or alerts are off: try again shortly.
    }
    $("alerts").dataset.live = "false";
    await new Promise((r) => setTimeout(r, 3_000));
  }
}

async function recentAlerts() {
  try {
    const { alerts } = await gql<{ alerts: { items: { id: string; status: string; rule: string; wallet: string; subject: string; firedBlock: string; reading: string | null }[] } }>(
      "{ alerts(first: 20) { items { id status rule wallet subject firedBlock reading } } }",
    );
    const kinds: Record<string, string> = { firing: "fire", resolved: "resolve", retracted: "retract" };
    for (const a of alerts.items) showAlert({ id: a.id, kind: kinds[a.status] ?? a.status, rule: a.rule, wallet: a.wallet, subject: a.subject, blockNumber: a.firedBlock, value: a.reading }, false);
  } catch {
    // Alerts are not configured on this server: the live list stays empty.
  }
}

async function start() {
  const params = new URL(location.href).searchParams;
  const select = $<HTMLSelectElement>("portfolio");
  try {
    const { portfolios } = await gql<{ portfolios: { name: string; wallets: string[] }[] }>("{ portfolios { name wallets } }");
    select.replaceChildren(...portfolios.map((p) => new Option(`${p.name} (${p.wallets.length})`, p.name)));
  } catch (error) {
    setStatus("error", `The API could not answer: ${(error as Error).message}`);
  }
  if (params.get("portfolio")) select.value = params.get("portfolio")!;
  $<HTMLInputElement>("wallets").value = params.get("wallets")?.split(",").join(", ") ?? "";
  $<HTMLInputElement>("at-block").value = params.get("atBlock") ?? "";
  $("apply").addEventListener("click", apply);
  select.addEventListener("change", () => {
    $<HTMLInputElement>("wallets").value = "";
    apply();
  });
  $("latest").addEventListener("click", () => {
    $<HTMLInputElement>("at-block").value = "";
    apply();
  });
  const choices: [string, () => Promise<void>][] = [["ladder-asset", renderLadder], ["stress-rows", renderStress], ["stress-columns", renderStress]];
  for (const [id, render] of choices) {
    $(id).addEventListener("change", () => {
      $(id).dataset.chosen = $<HTMLSelectElement>(id).value;
      void render().catch((e) => setStatus("error", e.message));
    });
  }
  $("at-risk-next").addEventListener("click", () => {
    state.cursors.push($("at-risk-next").dataset.cursor || null);
    void renderAtRisk().catch((e) => setStatus("error", e.message));
  });
  $("at-risk-prev").addEventListener("click", () => {
    if (state.cursors.length > 1) state.cursors.pop();
    void renderAtRisk().catch((e) => setStatus("error", e.message));
  });
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
  if (!select.options.length && !params.get("wallets")) {
    setStatus("empty", "No portfolios are configured: enter wallets above.");
  } else {
    apply();
  }
  void refreshIndexed();
  setInterval(refreshIndexed, 5_000);
  await recentAlerts();
  void followAlerts();
}

void start();
