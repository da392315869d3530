import { setFlagsFromString } from "node:v8";

// V8 pretenures an allocation site (allocates its objects in the old generation from then on) once
// most of its objects survive a young collection. Under steady query load, sites of the read path
// were pretenured, and the young objects they point to were then promoted too: the old generation
// filled until a major collection stalled every request behind it. Off, what young collections
// promoted at 300 wallet queries/s fell from ~7.4 to ~4.8 MB/s, and indexing took no longer
// (docs/benchmarks.md, "What filled the API's old generation"). A GC heuristic: no value depends on it.
setFlagsFromString("--no-allocation-site-pretenuring");
