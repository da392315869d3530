import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import solc from "solc";
import { parseUnits, type Abi, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAnvil, type AnvilHandle } from "../chain/anvil";
import { anvilAccount, chainClients, deploy, send } from "../chain/clients";
import { writeExposureConfig } from "../chain/exposure-config";
import { DATABASES } from "../support/databases";
import { startIndexer, stopAll, type Indexer } from "../support/indexer";

// Adding a protocol is one folder and one entry in the registry: a copy of this app gets
// test/fixtures/toy-protocol/toy as src/protocols/toy, its entry in src/protocols/index.ts and the
// regenerated ponder.schema.ts, nothing else; it then indexes a ToyPerp and answers for it, both
// through the core queries (wallet) and through the toy's own GraphQL field.
const ROOT = resolve(import.meta.dirname, "../..");
const FIXTURE = resolve(import.meta.dirname, "../fixtures/toy-protocol");
const APP_FILES = ["abis", "src", "graphql", "scripts", "ponder.config.ts", "ponder.schema.ts", "ponder-env.d.ts", "package.json", "tsconfig.json"];
const usd = (s: string) => parseUnits(s, 30);
const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.name=toy", "-c", "user.email=toy@example.invalid", ...args], { cwd, encoding: "utf8" });

function compileToyPerp(): { abi: Abi; bytecode: Hex } {
  const input = {
    language: "Solidity",
    sources: { "ToyPerp.sol": { content: readFileSync(join(FIXTURE, "ToyPerp.sol"), "utf8") } },
    settings: { outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } } },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input)));
  const toy = out.contracts["ToyPerp.sol"].ToyPerp;
  return { abi: toy.abi, bytecode: `0x${toy.evm.bytecode.object}` };
}

/** A copy of the app with the toy protocol added the documented way; returns its path and what changed. */
function appWithToy(): { root: string; changed: string[]; registryDiff: string } {
  const root = mkdtempSync(join(tmpdir(), "exposure-toy-app-"));
  for (const file of APP_FILES) cpSync(join(ROOT, file), join(root, file), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(root, "node_modules"));
  writeFileSync(join(root, ".gitignore"), "node_modules\n.ponder\n");
  git(root, "init", "-q");
  git(root, "add", "-A");
  git(root, "commit", "-qm", "app");

  cpSync(join(FIXTURE, "toy"), join(root, "src/protocols/toy"), { recursive: true });
  const registry = join(root, "src/protocols/index.ts");
  const source = readFileSync(registry, "utf8");
  const listed = source.replace(/export const protocols = \[(.*)\] as const;/, "export const protocols = [$1, toyProtocol] as const;");
  expect(listed).not.toBe(source);
  writeFileSync(registry, `import { toyProtocol } from "./toy";\n${listed}`);
  execFileSync(join(root, "node_modules/.bin/tsx"), ["scripts/generate-schema.ts"], { cwd: root });

  git(root, "add", "-A");
  const changed = git(root, "diff", "--cached", "--name-status").trim().split("\n").sort();
  return { root, changed, registryDiff: git(root, "diff", "--cached", "--numstat", "--", "src/protocols/index.ts").trim() };
}

describe.each(DATABASES)("a toy protocol added as one folder, on %s", (database) => {
  let anvil: AnvilHandle;
  let indexer: Indexer;
  let app: ReturnType<typeof appWithToy>;
  const trader = anvilAccount(3);
  const other = anvilAccount(4);
  const market = "0x00000000000000000000000000000000000000e7";

  beforeAll(async () => {
    app = appWithToy();
    anvil = await startAnvil();
    const { publicClient } = chainClients(anvil.rpcUrl);
    const artifact = compileToyPerp();
    const perp = await deploy(anvil.rpcUrl, trader, artifact, []);
    const open = (account: typeof trader, isLong: boolean, size: string, collateral: string) =>
      send(anvil.rpcUrl, account, { address: perp.address, abi: artifact.abi, functionName: "open", args: [market, isLong, usd(size), usd(collateral)] });
    await open(trader, true, "1000", "100");
    await open(trader, false, "500", "250");
    await open(other, true, "42", "42");

    const configPath = join(mkdtempSync(join(tmpdir(), "exposure-cfg-")), "exposure.config.json");
    writeExposureConfig(configPath, {
      chains: { anvil: { id: await publicClient.getChainId(), rpc: anvil.rpcUrl, pollingInterval: 100 } },
      protocols: { toy: [{ chain: "anvil", perp: perp.address, startBlock: Number(perp.blockNumber) }] },
    });
    indexer = await startIndexer({ configPath, database, root: app.root });
    await indexer.waitForBlock(await publicClient.getBlockNumber({ cacheTime: 0 }), 120_000);
  });
  afterAll(async () => {
    await stopAll(database, indexer, anvil);
    if (app) rmSync(app.root, { recursive: true, force: true });
  });

  it("took the folder, one import and one list entry in the registry, and the regenerated schema", () => {
    expect(app.changed).toEqual([
      "A\tsrc/protocols/toy/abi.ts",
      "A\tsrc/protocols/toy/contracts.ts",
      "A\tsrc/protocols/toy/handlers.ts",
      "A\tsrc/protocols/toy/index.ts",
      "A\tsrc/protocols/toy/schema.ts",
      "M\tponder.schema.ts",
      "M\tsrc/protocols/index.ts",
    ].sort());
    expect(app.registryDiff).toBe("2\t1\tsrc/protocols/index.ts");
  });

  it("indexes the toy's events into the core positions, which the wallet query assesses with the toy's rule", async () => {
    const r = await indexer.query(`query ($address: String!) {
      wallet(address: $address) {
        positions(orderBy: notionalUsd) { protocol side notionalUsd leverage equityUsd liquidatableNow }
        totals { grossNotionalUsd equityUsd }
      }
    }`, { address: trader.address });
    expect(r.errors).toBeUndefined();
    expect(r.data.wallet.positions).toEqual([
      { protocol: "toy", side: "LONG", notionalUsd: "1000", leverage: 10, equityUsd: "100", liquidatableNow: false },
      { protocol: "toy", side: "SHORT", notionalUsd: "500", leverage: 2, equityUsd: "250", liquidatableNow: false },
    ]);
    expect(r.data.wallet.totals).toEqual({ grossNotionalUsd: "1500", equityUsd: "350" });
  });

  it("answers the toy's own GraphQL field from its own table", async () => {
    const r = await indexer.query(`query ($a: String!, $b: String!, $c: String!) {
      a: toyOpenCount(account: $a) b: toyOpenCount(account: $b) c: toyOpenCount(account: $c)
    }`, { a: trader.address, b: other.address, c: anvilAccount(5).address });
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ a: 2, b: 1, c: 0 });
  });
});
