import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createAnvil } from "@viem/anvil";

export type AnvilHandle = { rpcUrl: string; port: number; stop(): Promise<void> };

const chainIds = new Map<string, number>();

/** Chain id of an anvil started here (31337 for any other RPC URL). */
export const anvilChainId = (rpcUrl: string): number => chainIds.get(rpcUrl) ?? 31337;

/**
 * A chain id no earlier run used: ponder's Postgres sync cache (schema ponder_sync) is keyed by
 * chain id, so two throwaway chains under one id would read each other's cached logs.
 */
export const uniqueChainId = (): number => 1_000_000 + Math.floor(Math.random() * 1_000_000_000);

/** Path of the anvil binary shipped by the @foundry-rs/anvil-<os>-<arch> npm package. */
export function anvilBinaryPath(): string {
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  const require = createRequire(import.meta.url);
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${pkg}/package.json`);
  } catch {
    throw new Error(`anvil binary package ${pkg} is not installed; run npm install (it comes with @foundry-rs/anvil)`);
  }
  const binary = join(dirname(pkgJson), "bin", process.platform === "win32" ? "anvil.exe" : "anvil");
  if (!existsSync(binary)) throw new Error(`anvil binary missing at ${binary}; reinstall ${pkg}`);
  return binary;
}

/** Asks the OS for a free TCP port by binding port 0. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("could not get a free port"))));
    });
  });
}

/** Starts a local anvil (a unique chain id unless given). Automine unless blockTime (seconds) is given. */
export async function startAnvil(opts: { port?: number; blockTime?: number; chainId?: number } = {}): Promise<AnvilHandle> {
  const port = opts.port ?? (await freePort());
  const chainId = opts.chainId ?? uniqueChainId();
  const anvil = createAnvil({
    anvilBinary: anvilBinaryPath(),
    host: "127.0.0.1",
    port,
    chainId,
    // FixtureGmxV2 is one contract where GMX spreads the same code over libraries: past EIP-170's 24 KiB.
    codeSizeLimit: 0x10000,
    ...(opts.blockTime !== undefined ? { blockTime: opts.blockTime } : {}),
  });
  await anvil.start();
  const rpcUrl = `http://127.0.0.1:${port}`;
  chainIds.set(rpcUrl, chainId);
  return { rpcUrl, port, stop: () => anvil.stop() };
}
