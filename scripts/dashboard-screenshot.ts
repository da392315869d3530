// `npx tsx scripts/dashboard-screenshot.ts [url] [out.png]`: a screenshot of the dashboard as a
// running server shows it (default: the demo's, `npm start`), in Debian's chromium, for the docs.
import { chromium } from "playwright-core";

const url = process.argv[2] ?? "http://127.0.0.1:42069/dashboard?portfolio=demo";
const out = process.argv[3] ?? "docs/dashboard.png";
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.state === "ready", null, { timeout: 60_000 });
  // ECharts animates its first draw.
  await page.waitForTimeout(1_500);
  await page.screenshot({ path: out, fullPage: true });
  console.log(`${out}: ${url}`);
} finally {
  await browser.close();
}
