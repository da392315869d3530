import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Hono } from "hono";

export const DASHBOARD_PATH = "/dashboard";
const source = fileURLToPath(new URL("../../dashboard/", import.meta.url));

/**
 * The dashboard's page and script, built once per process with esbuild from dashboard/ (its app
 * and ECharts, minified into one script): no CDN, no build output to keep in step with the source.
 */
function buildDashboard() {
  return Promise.all([
    readFile(`${source}index.html`, "utf8"),
    build({ entryPoints: [`${source}app.ts`], bundle: true, minify: true, format: "iife", target: "es2020", write: false, logLevel: "silent" }).then(
      (result) => result.outputFiles[0]!.text,
    ),
  ]).then(([page, script]) => ({ page, script }));
}

/** Serves GET /dashboard (the page) and /dashboard/app.js; the build starts now, so the first visit does not wait for it. */
export function mountDashboard(app: Hono) {
  const built = buildDashboard();
  // An unhandled rejection would end the process; a failed build answers 500 with its message instead.
  built.catch(() => undefined);
  const failed = (error: unknown) => new Response(`dashboard build failed: ${(error as Error).message}`, { status: 500 });
  app.get(DASHBOARD_PATH, async (c) => built.then(({ page }) => c.html(page), failed));
  app.get(`${DASHBOARD_PATH}/app.js`, async (c) =>
    built.then(({ script }) => c.body(script, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" }), failed),
  );
}
