// autocannon and loadtest ship no types; the benchmark uses their promise APIs (autocannon with per-client response events).
declare module "autocannon" {
  const autocannon: (options: Record<string, unknown>) => Promise<{ errors: number; non2xx: number }>;
  export default autocannon;
}

// loadtest in requestsPerSecond mode.
declare module "loadtest" {
  export function loadTest(options: Record<string, unknown>): Promise<{ totalRequests: number; totalErrors: number; histogramMs: Record<string, number> }>;
}
