import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAnvil, type AnvilHandle } from "../chain/anvil";
import { chainClients } from "../chain/clients";
import { deployFixtures, type Deployment } from "../chain/deploy";
import { fixtureExposureConfig } from "../chain/exposure-config";
import { DATABASES } from "../support/databases";
import { indexFixtureChain, stopAll, type Indexer } from "../support/indexer";

const CHROMIUM = "/usr/bin/chromium";
// No network of its own: no update checks, sync, QUIC probes or first-run pages.
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

describe.each(DATABASES)("GraphiQL with only our server reachable, on %s", (database) => {
  let anvil: AnvilHandle;
  let d: Deployment;
  let indexer: Indexer;
  let browser: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    // A missing browser fails the suite (CI installs it: .ci/run), never skips it.
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get update && apt-get install -y chromium`);
    anvil = await startAnvil();
    d = await deployFixtures(anvil.rpcUrl);
    indexer = await indexFixtureChain(fixtureExposureConfig(d), database, d.rpcUrl);
    profile = mkdtempSync(join(tmpdir(), "exposure-chromium-"));
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  });
  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await stopAll(database, indexer, anvil);
  });

  it("renders the editor, runs a typed query and shows its answer, asking nothing of any other host", async () => {
    const ours = new URL(indexer.url).origin;
    const elsewhere: string[] = [];
    await browser.route("**/*", (route) => {
      const url = new URL(route.request().url());
      if (url.origin === ours || url.protocol === "data:" || url.protocol === "blob:") return route.continue();
      elsewhere.push(url.href);
      return route.abort("blockedbyclient");
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));

    await page.goto(`${indexer.url}/exposure`);
    expect(await page.title()).toBe("exposure-indexer");
    const editor = page.locator(".graphiql-query-editor .monaco-editor");
    await editor.waitFor({ timeout: 30_000 }).catch((e) => {
      throw new Error(`the editor did not render (requests to other hosts, blocked: ${elsewhere.join(", ") || "none"}): ${e.message}`);
    });
    expect(await page.locator("#root").innerText()).not.toContain("Loading");

    await editor.click();
    await page.keyboard.press("Control+A");
    await page.keyboard.press("Delete");
    // Entered as one input, as a paste is: typed key by key, Monaco's bracket closing and
    // suggestions race the keys and can swallow one (a CI run got "…blockNumber }}").
    await page.keyboard.insertText("{ chains { chainId blockNumber } }");
    // Monaco shows its lines with non-breaking spaces.
    const shownText = async (selector: string) => (await page.locator(selector).innerText()).replace(/\u00a0/g, " ");
    expect(await shownText(".graphiql-query-editor .view-lines")).toBe("{ chains { chainId blockNumber } }");
    await page.locator(".graphiql-execute-button").click();

    const response = ".graphiql-response .view-lines";
    await expect.poll(() => shownText(response), { timeout: 30_000 }).toContain('"chainId"');
    const shown = JSON.parse(await shownText(response));
    const head = await chainClients(d.rpcUrl).publicClient.getBlockNumber({ cacheTime: 0 });
    expect(shown).toEqual({ data: { chains: [{ chainId: d.chainId, blockNumber: head.toString() }] } });

    expect(pageErrors).toEqual([]);
    expect(elsewhere).toEqual([]);
  });
});
