import "./gc-tuning";
import { db, publicClients } from "ponder:api";
import schema from "ponder:schema";
import { Hono } from "hono";
import { graphql } from "ponder";
import { createExposureYoga, EXPOSURE_ENDPOINT } from "../../graphql";
import { HEALTH_PATH, healthResponse } from "../../graphql/health";
import { blockChanges, holdingsOf } from "../exposure/block-changes";
import { keptWallets } from "../exposure/kept-wallets";
import { chainHeads, type ExposureDeps } from "../exposure/service";
import { startAlertEngine } from "../alerts/engine";
import { rulesInForce } from "../alerts/rules";
import { openAlertStore } from "../alerts/store";
import { loadExposureConfig } from "../config/exposure-config";
import { assetDirectory } from "../core/assets";
import { sharedLookups } from "../core/memo";
import { configSecrets, secretRedactor } from "../core/redact";
import { admission, admissionLimitsFromEnv } from "./admission";
import { mountDashboard } from "./dashboard";

const config = loadExposureConfig();
const deps: ExposureDeps = { db, schema, config, publicClients, sharedLookups: sharedLookups() };

// Alerts: the store opens when the config has an alerts section (or API rules are allowed); one
// process (the lock holder) evaluates and delivers.
const alertsOn = config.alerts.rules.length > 0 || config.alerts.webhooks.length > 0 || Boolean(process.env.ALERTS_ADMIN_TOKEN);
const alertStore = alertsOn ? await openAlertStore() : null;
const redact = secretRedactor(configSecrets(config));
const { yoga, feed, health } = createExposureYoga(deps, alertStore, redact);
/** Evaluates and delivers once this process holds the store's writer claim (retried: a replica takes over). */
async function runAlertEngine(store: NonNullable<typeof alertStore>) {
  const log = (message: string) => console.warn(`[alerts] ${redact(message)}`);
  while (!(await store.claimWriter().catch(() => false))) await new Promise((r) => setTimeout(r, 5_000));
  const clientOf = (name: string) => deps.publicClients[name]!;
  const wallets = keptWallets(deps);
  startAlertEngine({
    settings: config.alerts,
    store,
    rules: () => rulesInForce(store, config, log),
    heads: () => chainHeads(deps),
    block: (name, number) => clientOf(name).getBlock({ blockNumber: number }),
    chainTip: (name) => clientOf(name).getBlockNumber({ cacheTime: 0 }),
    exposuresAt: (addresses, block, fresh, pricedAssets) => wallets.at(addresses, block, fresh, pricedAssets),
    changesAt: (chainId, number) => blockChanges(deps, chainId, number),
    holdingsOf: (chainId, wallets) => holdingsOf(deps, chainId, wallets),
    symbolOf: (chainId, market) => assetDirectory(config).symbol(chainId, market as `0x${string}`),
    publish: (events) => feed.publish(events),
    log,
  });
}
if (alertStore) void runAlertEngine(alertStore);

/** Request bodies above this are refused before parsing: no legitimate query comes close. */
const MAX_BODY_BYTES = 64 * 1024;

const app = new Hono();
const limits = admissionLimitsFromEnv();
if (limits) app.use(EXPOSURE_ENDPOINT, admission(limits));
app.get(HEALTH_PATH, () => healthResponse(health));
app.on(["GET", "POST"], EXPOSURE_ENDPOINT, async (c) => {
  const tooLarge = () => c.json({ errors: [{ message: `request body over ${MAX_BODY_BYTES} bytes` }] }, 413);
  if (Number(c.req.header("content-length") ?? 0) > MAX_BODY_BYTES) return tooLarge();
  // A declared length bounds the body (Node's parser reads no more than it), so it goes on as it came.
  if (c.req.method !== "POST" || c.req.header("content-length") !== undefined) return yoga.fetch(c.req.raw);
  // A body without a length (chunked) is measured once and handed on, not read twice.
  const body = await c.req.raw.arrayBuffer();
  if (body.byteLength > MAX_BODY_BYTES) return tooLarge();
  return yoga.fetch(new Request(c.req.raw.url, { method: "POST", headers: c.req.raw.headers, body }));
});
// The treasury dashboard: a page over the API above.
mountDashboard(app);
// Ponder's generated API over the raw tables, for ad-hoc reads.
app.use("/graphql", graphql({ db, schema }));

export default app;
