// The IMAP store's own SQLite tables (state.ts IMAP_SCHEMA): the folder rows that map our stable folder ids to
// server paths, the per-folder change log and counter, the arrival order and the parsed summaries.
import { StoreNotFoundError } from "../types";
import { type FolderRow, IMAP_SCHEMA } from "./state";
import { createIfMissing } from "../ddl";

export class MirrorDb {
  /**
   * Bumped whenever what an item id reads may change under it: a draft's alias moved to a new UID, a folder's
   * draft ids forgotten (new UIDVALIDITY, folder gone), UIDs expunged. What is kept in memory by item id (the
   * texts of a page, fetching.ts) is valid only for the generation it was read in.
   */
  itemsGeneration = 0;

  constructor(private readonly storage: DurableObjectStorage) {
    for (const stmt of IMAP_SCHEMA) createIfMissing(storage.sql, stmt);
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
    this.sql(`DELETE FROM imap_meta WHERE folder = ?`, id);
    this.sql(`DELETE FROM imap_order WHERE folder = ?`, id);
    this.sql(`DELETE FROM imap_changes WHERE folder = ?`, id);
    this.sql(`DELETE FROM imap_uids WHERE folder = ?`, id);
    this.forgetDraftIds(id);
    this.sql(`DELETE FROM imap_folders WHERE id = ?`, id);
  }

  /** Forgets a folder's draft id map (folder gone, or its UIDVALIDITY changed: every id is void). */
  forgetDraftIds(folder: number): void {
    this.itemsGeneration++;
    this.sql(`DELETE FROM imap_draft_ids WHERE folder = ?`, folder);
    this.sql(`DELETE FROM imap_draft_replacing WHERE folder = ?`, folder);
    this.sql(`DELETE FROM imap_draft_superseded WHERE folder = ?`, folder);
  }

  /**
   * The UID on the server behind the UID of an item id: a replaced draft's current version
   * (imap_draft_ids), else the UID itself.
   */
  serverUid(folder: number, uid: number): number {
    return this.all<{ uid: number }>(`SELECT uid FROM imap_draft_ids WHERE folder = ? AND alias = ?`, folder, uid)[0]?.uid ?? uid;
  }

  /** serverUid for many UIDs of item ids (one statement): the server UID of each. */
  serverUids(folder: number, uids: number[]): Map<number, number> {
    return this.draftIdMap(folder, uids, "alias");
  }

  /** The UID item ids carry for these server UIDs: a replaced draft's alias, else the UID itself. */
  publicUids(folder: number, uids: number[]): Map<number, number> {
    return this.draftIdMap(folder, uids, "uid");
  }

  /** `uids` read as `from` in imap_draft_ids, each mapped to the other column (itself where no row names it). */
  private draftIdMap(folder: number, uids: number[], from: "alias" | "uid"): Map<number, number> {
    const out = new Map(uids.map((u) => [u, u]));
    if (!uids.length) return out;
    for (const r of this.all<{ alias: number; uid: number }>(
      // one bound JSON array: Durable Object SQLite allows at most 100 bound parameters
      `SELECT alias, uid FROM imap_draft_ids WHERE folder = ? AND ${from} IN (SELECT value FROM json_each(?))`,
      folder,
      JSON.stringify(uids),
    ))
      out.set(from === "alias" ? r.alias : r.uid, from === "alias" ? r.uid : r.alias);
    return out;
  }

  publicUid(folder: number, uid: number): number {
    return this.publicUids(folder, [uid]).get(uid)!;
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
