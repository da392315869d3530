// Reading Derive's own test vectors from a derivexyz/v2-core clone named on the command line
// (`<clone> [name filter]`), for the scripts that check our margins against them.
import { execFileSync } from "node:child_process";

/** Bare JSON numbers quoted, so that each keeps its source digits (forge reads them as strings). */
const quoteNumbers = (text: string) => text.replace(/("(?:[^"\\]|\\.)*")|(-?\d[\d.eE+-]*)/g, (m, str) => (str ? m : JSON.stringify(m)));

export function vectorSource(script: string) {
  const [repo, filter] = process.argv.slice(2);
  if (!repo) throw new Error(`usage: npx tsx scripts/${script} <path to a derivexyz/v2-core clone> [name filter]`);
  const git = (...args: string[]) => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8", maxBuffer: 1 << 26 });
  return {
    /** Whether a case name passes the command line's filter. */
    wanted: (name: string) => !filter || name.includes(filter),
    /** The file names in a folder of the clone at HEAD. */
    files: (dir: string) => git("ls-tree", "--name-only", "HEAD", `${dir}/`).trim().split("\n").map((p) => p.split("/").pop()!),
    /** A JSON file of the clone at HEAD, its numbers as strings. */
    json: (path: string): any => JSON.parse(quoteNumbers(git("show", `HEAD:${path}`))),
  };
}
