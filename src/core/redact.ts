import type { ExposureConfig } from "../config/exposure-config";

// Secrets that must never reach a log line or an error a client sees: RPC URLs (providers put the
// API key in the path or query), webhook URLs and secrets, the admin token, the database password.

/** Parts of a URL that may carry a key: userinfo, long path segments, query values. */
function urlSecrets(text: string): string[] {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return [text];
  }
  const parts = [text, url.username, url.password, ...url.pathname.split("/"), ...[...url.searchParams.values()]];
  return parts.map((p) => decodeURIComponent(p)).filter((p) => p.length >= 8);
}

export function configSecrets(config: ExposureConfig, env: NodeJS.ProcessEnv = process.env): string[] {
  return [
    ...Object.values(config.chains).flatMap((c) => urlSecrets(c.rpc)),
    ...config.alerts.webhooks.flatMap((w) => [...urlSecrets(w.url), w.secret]),
    ...[env.ALERTS_ADMIN_TOKEN, env.DATABASE_URL].flatMap((v) => (v ? urlSecrets(v) : [])),
  ].filter((s) => s.length >= 4);
}

/** Replaces every occurrence of any secret (longest first, so a URL goes before its parts) with [redacted]. */
export function secretRedactor(secrets: string[]): (text: string) => string {
  const sorted = [...new Set(secrets)].sort((a, b) => b.length - a.length);
  return (text) => sorted.reduce((out, secret) => out.split(secret).join("[redacted]"), text);
}
