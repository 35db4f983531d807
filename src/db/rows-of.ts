/** Rows of a `db.execute` result: node-postgres and PGlite both answer `{ rows }`; anything else is none. */
export function rowsOf<T>(result: unknown): T[] {
  const rows = (result as { rows?: unknown }).rows;
  return Array.isArray(rows) ? (rows as T[]) : [];
}
