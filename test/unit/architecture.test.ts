import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

// The layering rules of docs/architecture.md, checked on the source.
const ROOT = resolve(import.meta.dirname, "../..");
const SRC = join(ROOT, "src");
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
const srcFiles = filesUnder(SRC);
const rel = (file: string) => relative(ROOT, file);

/** Project files a source file imports (relative specifiers, static and dynamic, types included). */
function importsOf(file: string): string[] {
  const source = readFileSync(file, "utf8");
  const specifiers = [...source.matchAll(/(?:from\s+|import\s*\(\s*)["'](\.[^"']*)["']/g)].map((m) => m[1]!);
  return specifiers.map((s) => rel(resolve(dirname(file), s)));
}

// src/api/index.ts is ponder's API entry file: it is where the GraphQL layer is mounted, above every layer.
const ENTRY = "src/api/index.ts";

describe("layers", () => {
  it("nothing in src/ but the API entry imports from graphql/", () => {
    const offending = srcFiles
      .filter((f) => rel(f) !== ENTRY)
      .flatMap((f) => importsOf(f).filter((i) => i === "graphql" || i.startsWith("graphql/")).map((i) => `${rel(f)} -> ${i}`));
    expect(offending).toEqual([]);
  });

  it("adapters and core point down: no import of the read model, alerts or the API", () => {
    const upper = ["src/exposure", "src/alerts", "src/api"];
    const offending = srcFiles
      .filter((f) => /^src\/(core|protocols|prices)\//.test(rel(f)))
      .flatMap((f) => importsOf(f).filter((i) => upper.some((u) => i.startsWith(u))).map((i) => `${rel(f)} -> ${i}`));
    expect(offending).toEqual([]);
  });

  it("the read model does not import alerts or the API", () => {
    const offending = srcFiles
      .filter((f) => rel(f).startsWith("src/exposure/"))
      .flatMap((f) => importsOf(f).filter((i) => i.startsWith("src/alerts") || i.startsWith("src/api")).map((i) => `${rel(f)} -> ${i}`));
    expect(offending).toEqual([]);
  });

  it("only src/core/ponder-row.ts names a ponder internal symbol", () => {
    const naming = srcFiles.filter((f) => /Symbol\.for\(\s*["']ponder|ponder:copyOnWrite/.test(readFileSync(f, "utf8"))).map(rel);
    expect(naming).toEqual(["src/core/ponder-row.ts"]);
  });
});

/** Where `any` appears in a type, looked for through our own types and the type arguments of library ones. */
function anyPaths(checker: ts.TypeChecker, type: ts.Type, at: string, depth = 0, seen = new Set<ts.Type>()): string[] {
  if (type.flags & ts.TypeFlags.Any) return [at];
  if (depth > 6 || seen.has(type)) return [];
  seen.add(type);
  const walk = (t: ts.Type, where: string) => anyPaths(checker, t, where, depth + 1, seen);
  if (type.isUnionOrIntersection()) return type.types.flatMap((t, i) => walk(t, `${at}|${i}`));
  const found: string[] = [];
  if (type.flags & ts.TypeFlags.Object && (type as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference) {
    checker.getTypeArguments(type as ts.TypeReference).forEach((t, i) => found.push(...walk(t, `${at}<${i}>`)));
  }
  if (type.aliasTypeArguments) type.aliasTypeArguments.forEach((t, i) => found.push(...walk(t, `${at}<${i}>`)));
  const declaration = (type.aliasSymbol ?? type.getSymbol())?.declarations?.[0];
  // A library's own structure is not ours to type; what we hand it as type arguments is (above).
  if (declaration?.getSourceFile().fileName.includes("/node_modules/")) return found;
  for (const signature of [...type.getCallSignatures(), ...type.getConstructSignatures()]) {
    for (const param of signature.getParameters()) found.push(...walk(checker.getTypeOfSymbol(param), `${at}(${param.name})`));
    found.push(...walk(signature.getReturnType(), `${at}()`));
  }
  for (const property of type.getProperties()) found.push(...walk(checker.getTypeOfSymbol(property), `${at}.${property.name}`));
  return found;
}

describe("typed boundaries", () => {
  it("no export of src/ has `any` in its type", () => {
    const program = ts.createProgram([...srcFiles, join(ROOT, "ponder-env.d.ts")], {
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      esModuleInterop: true,
      skipLibCheck: true,
      resolveJsonModule: true,
      noEmit: true,
      types: ["node"],
    });
    const checker = program.getTypeChecker();
    const found: string[] = [];
    for (const file of srcFiles) {
      const source = program.getSourceFile(file)!;
      const moduleSymbol = checker.getSymbolAtLocation(source);
      for (const exported of moduleSymbol ? checker.getExportsOfModule(moduleSymbol) : []) {
        const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
        const declaration = symbol.declarations?.[0];
        if (!declaration || declaration.getSourceFile() !== source) continue; // a re-export, checked where declared
        const type =
          symbol.flags & (ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Interface)
            ? checker.getDeclaredTypeOfSymbol(symbol)
            : checker.getTypeOfSymbolAtLocation(symbol, declaration);
        found.push(...anyPaths(checker, type, `${rel(file)}: ${symbol.name}`));
      }
    }
    expect(found).toEqual([]);
  }, 240_000);
});
