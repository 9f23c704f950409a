// The IMAP store's own SQLite tables (state.ts IMAP_SCHEMA): the folder rows that map our stable folder ids to
// server paths, the per-folder change log and counter, the arrival order and the parsed summaries.
import { StoreNotFoundError } from "../types";
import { type FolderRow, IMAP_SCHEMA } from "./state";

export class MirrorDb {
  constructor(private readonly storage: DurableObjectStorage) {
    for (const stmt of IMAP_SCHEMA) storage.sql.exec(stmt);
  }

  /** Runs `fn` in one SQLite transaction. */
  transaction<T>(fn: () => T): T {
    return this.storage.transactionSync(fn);
  }

  folderRow(folderId: string): FolderRow {
    const row = /^[1-9][0-9]{0,15}$/.test(folderId)
      ? this.all<FolderRow>(`SELECT * FROM imap_folders WHERE id = ?`, Number(folderId))[0]
      : undefined;
    if (!row) throw new StoreNotFoundError(`no folder ${folderId}`);
    return row;
  }

  rows(): FolderRow[] {
    return this.all<FolderRow>(`SELECT * FROM imap_folders ORDER BY id`);
  }

  dropFolder(id: number): void {
    this.sql(`DELETE FROM imap_summaries WHERE folder = ?`, id);
    this.sql(`DELETE FROM imap_bodies WHERE folder = ?`, id);
    this.sql(`DELETE FROM imap_order WHERE folder = ?`, id);
    this.sql(`DELETE FROM imap_changes WHERE folder = ?`, id);
    this.sql(`DELETE FROM imap_uids WHERE folder = ?`, id);
    this.sql(`DELETE FROM imap_folders WHERE id = ?`, id);
  }

  sql(query: string, ...params: unknown[]): void {
    this.storage.sql.exec(query, ...params);
  }

  all<T>(query: string, ...params: unknown[]): T[] {
    return this.storage.sql.exec(query, ...params).toArray() as T[];
  }

  one<T>(query: string, ...params: unknown[]): T {
    return this.storage.sql.exec(query, ...params).one() as T;
  }
}
