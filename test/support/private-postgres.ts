import { execFile } from "node:child_process";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./indexer";

// A Postgres cluster of the test's own, in a temporary directory on a free port, so a test may stop
// and restart it (the shared server at 5432 serves everyone else's tests: never restart that one).
// Postgres refuses to run as root, so the cluster belongs to the `postgres` OS user when we are root.

const BIN = process.env.POSTGRES_BIN ?? "/usr/lib/postgresql/15/bin";
const run = promisify(execFile);

export type PrivatePostgres = {
  url: string;
  port: number;
  /** Fast shutdown (connections are terminated), as a database restart or failover does. */
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Stops the cluster and deletes its directory. */
  remove(): Promise<void>;
};

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), "exposure-pg-"));
  const data = join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: gid } = await run("id", ["-g", "postgres"]);
    chownSync(dir, Number(stdout), Number(gid));
  }
  const pg = (tool: string, args: string[]) => (asRoot ? run("runuser", ["-u", "postgres", "--", join(BIN, tool), ...args]) : run(join(BIN, tool), args));
  await pg("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const start = async () => void (await pg("pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "log"), "-w", "start"]));
  const stop = async () => void (await pg("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]));
  await start();
  let removed = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop,
    start,
    restart: async () => {
      await stop();
      await start();
    },
    remove: async () => {
      if (removed) return;
      removed = true;
      await stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
