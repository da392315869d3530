// autocannon ships no types; the benchmark uses its promise API and per-client response events.
declare module "autocannon" {
  const autocannon: (options: Record<string, unknown>) => Promise<{ errors: number; non2xx: number }>;
  export default autocannon;
}
