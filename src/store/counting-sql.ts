/**
 * SqlStorage with a running count of rows read and written, so tests and benchmarks can prove that a
 * request costs the page it returns, not the folder it reads from.
 */
export class CountingSql {
  rowsRead = 0;
  rowsWritten = 0;
  /** Statements run (a page's cost in round trips to SQLite, whatever their rows). */
  statements = 0;

  constructor(private readonly sql: SqlStorage) {}

  all<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]): T[] {
    const cursor = this.sql.exec<T>(query, ...bindings);
    this.statements++;
    const rows = cursor.toArray();
    this.rowsRead += cursor.rowsRead;
    this.rowsWritten += cursor.rowsWritten;
    return rows;
  }

  /** The single row a query must return (throws otherwise, like SqlStorageCursor.one). */
  one<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]): T {
    const rows = this.all<T>(query, ...bindings);
    if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}`);
    return rows[0];
  }

  /** Runs a statement; returns the number of rows it wrote. */
  run(query: string, ...bindings: unknown[]): number {
    const cursor = this.sql.exec(query, ...bindings);
    this.statements++;
    cursor.toArray();
    this.rowsRead += cursor.rowsRead;
    this.rowsWritten += cursor.rowsWritten;
    return cursor.rowsWritten;
  }
}
