// The one place that leans on a ponder internal. ponder 0.16 hands a found row out behind a
// copy-on-write Proxy (ponder dist/esm/utils/copy.js, copyOnWrite) that answers a registered symbol
// with the row itself. Reading through the proxy traps every column, and reading an object column
// (protocolState) clones the whole row; a handler that only reads a row before writing a new object
// can take the row itself. test/unit/ponder-row.test.ts runs ponder's own proxy and fails when this
// stops holding; without the symbol's answer the proxy itself is returned (slower, same values).
const PONDER_COPY_ON_WRITE = "ponder:copyOnWrite";
const rowBehindProxy = Symbol.for(PONDER_COPY_ON_WRITE);

/**
 * A row found with `context.db.find`, as a plain object to read (never to mutate: it is ponder's
 * cached copy).
 */
export function readOnlyRow<Row extends object>(found: Row): Readonly<Row> {
  return ((found as Row & { [rowBehindProxy]?: Row })[rowBehindProxy] ?? found) as Readonly<Row>;
}
