/** Opaque page cursors: the last item's sort key as a JSON array, base64url. */
export const toCursor = (parts: unknown[]): string => Buffer.from(JSON.stringify(parts)).toString("base64url");

/** The parts of a cursor made by toCursor, or null for anything else. */
export function fromCursor(cursor: string): unknown[] | null {
  try {
    const parts = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    return Array.isArray(parts) ? parts : null;
  } catch {
    return null;
  }
}
