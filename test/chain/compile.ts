import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join, posix, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import solc from "solc";
import type { Abi, Hex } from "viem";

export type Artifact = { abi: Abi; bytecode: Hex };
export type Artifacts = Record<string, Artifact>;

const here = dirname(fileURLToPath(import.meta.url));
const contractsDir = join(here, "contracts");
const nodeModules = resolve(here, "../../node_modules");
const cacheDir = join(nodeModules, ".cache/exposure-fixtures");
/** Import prefixes served from node_modules (npm packages the fixtures compile against). */
const LIBRARY_PREFIXES = ["prb-math/"];

const settings = {
  optimizer: { enabled: true, runs: 200 },
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
};

type SolcOutput = {
  errors?: { severity: "error" | "warning" | "info"; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
};

// One compile per process even when several callers ask concurrently.
let memo: Promise<Artifacts> | undefined;

/** Compiles every .sol file in test/chain/contracts, keyed by contract name; cached on disk by content hash. */
export function compileFixtures(): Promise<Artifacts> {
  memo ??= compileUncached().catch((error) => {
    memo = undefined;
    throw error;
  });
  return memo;
}

async function compileUncached(): Promise<Artifacts> {
  const files = (await readdir(contractsDir)).filter((f) => f.endsWith(".sol")).sort();
  const sources: Record<string, { content: string }> = {};
  for (const file of files) sources[file] = { content: await readFile(join(contractsDir, file), "utf8") };

  const libraries = await libraryImports(sources);

  return compileCached(solc, { language: "Solidity", sources, settings }, libraries);
}

type Compiler = typeof solc;

/**
 * Compiles a standard-JSON input with `compiler`, serving imports from `libraries`; deployable
 * contracts keyed by name, cached on disk by compiler version and content hash.
 */
export async function compileCached(compiler: Compiler, input: object, libraries: Record<string, string>): Promise<Artifacts> {
  const hash = createHash("sha256")
    .update(compiler.version())
    .update(JSON.stringify(input))
    .update(JSON.stringify(libraries))
    .digest("hex");
  const cacheFile = join(cacheDir, `${hash}.json`);

  try {
    return JSON.parse(await readFile(cacheFile, "utf8")) as Artifacts;
  } catch {
    // cache miss: compile below
  }

  const findImports = (path: string) => {
    const contents = libraries[path];
    return contents === undefined ? { error: `${path} not found` } : { contents };
  };
  const output = JSON.parse(compiler.compile(JSON.stringify(input), { import: findImports })) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) {
    throw new Error(`solc ${compiler.version()} failed:\n${errors.map((e) => e.formattedMessage).join("\n")}`);
  }

  const artifacts: Artifacts = {};
  for (const contracts of Object.values(output.contracts ?? {})) {
    for (const [name, contract] of Object.entries(contracts)) {
      // interfaces have no bytecode; they are not deployable artifacts
      if (!contract.evm.bytecode.object) continue;
      artifacts[name] = { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
    }
  }

  // write-then-rename so a concurrent reader never sees a half-written file
  await mkdir(cacheDir, { recursive: true });
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(artifacts));
  await rename(tmp, cacheFile);
  return artifacts;
}

/**
 * Library files the fixtures import (transitively), read from node_modules and keyed by the path solc
 * asks for. Collected up front so they are part of the cache key; findImports then serves them.
 */
async function libraryImports(sources: Record<string, { content: string }>): Promise<Record<string, string>> {
  const libraries: Record<string, string> = {};
  const pending = Object.entries(sources).map(([path, { content }]) => ({ path, content }));
  for (let next = pending.pop(); next; next = pending.pop()) {
    for (const match of next.content.matchAll(/^\s*import\s+(?:[^"';]*\s+from\s+)?["']([^"']+)["']/gm)) {
      const spec = match[1]!;
      // solc resolves a relative import against the importing file's own path
      const path = spec.startsWith(".") ? posix.join(posix.dirname(next.path), spec) : spec;
      if (path in libraries || !LIBRARY_PREFIXES.some((prefix) => path.startsWith(prefix))) continue;
      const content = await readFile(join(nodeModules, path), "utf8");
      libraries[path] = content;
      pending.push({ path, content });
    }
  }
  return libraries;
}

/** The named artifacts, failing clearly when one did not compile. */
export async function pickArtifacts<const N extends string>(names: readonly N[]): Promise<Record<N, Artifact>> {
  const all = await compileFixtures();
  const picked = {} as Record<N, Artifact>;
  for (const name of names) {
    const artifact = all[name];
    if (!artifact) throw new Error(`compiled fixtures lack ${name}`);
    picked[name] = artifact;
  }
  return picked;
}
