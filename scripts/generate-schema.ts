// `npm run generate:schema`: rewrites the protocol block of ponder.schema.ts from the registry
// (src/protocols/index.ts). ponder reads the schema file's static exports, so the re-exports are
// written out, not computed. `--check` exits 1 when the file is out of date.
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { protocols } from "../src/protocols";

export const SCHEMA_FILE = resolve(import.meta.dirname, "../ponder.schema.ts");
const BEGIN = "// generated:protocols (npm run generate:schema, from src/protocols/index.ts)";
const END = "// end generated:protocols";

/** The schema file's source with its protocol block rewritten: one re-export per protocol that has tables, in registry order. */
export function withProtocolTables(source: string, registered: readonly { adapter: { id: string }; tables: object }[]): string {
  const begin = source.indexOf(BEGIN);
  const end = source.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`ponder.schema.ts: no '${BEGIN}' ... '${END}' block`);
  const lines = registered
    .filter((p) => Object.keys(p.tables).length > 0)
    .map((p) => `export * from "./src/protocols/${p.adapter.id}/schema";\n`);
  return `${source.slice(0, begin)}${BEGIN}\n${lines.join("")}${source.slice(end)}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const current = readFileSync(SCHEMA_FILE, "utf8");
  const next = withProtocolTables(current, protocols);
  if (process.argv.includes("--check")) {
    if (next !== current) {
      console.error("ponder.schema.ts is out of date with src/protocols/index.ts: run npm run generate:schema");
      process.exit(1);
    }
  } else if (next !== current) {
    writeFileSync(SCHEMA_FILE, next);
    console.log("ponder.schema.ts: protocol tables rewritten");
  }
}
