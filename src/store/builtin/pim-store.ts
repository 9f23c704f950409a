// The built-in PIM store: one iCalendar object (events, tasks, notes) or vCard (contacts) per row, in the
// mailbox object's SQLite, inside the folders the mail store creates (Calendar 8, Contacts 9, Tasks 7,
// Notes 10 and user-created ones). It shares the mail store's mailbox-wide modseq counter, the folders'
// highest_modseq/item_count and the tombstones table, so FolderStatus, tombstone pruning and the
// sync engine's change detection see PIM changes exactly like mail changes.
import { PimConversionError } from "../../formats/errors";
import {
  PimConflictError,
  type PimImportResult,
  type PimItem,
  type PimMediaType,
  type PimStamp,
  type PimStore,
  type PimWriteOptions,
} from "../pim-types";
import { StoreNotFoundError, type FolderStatus, type StoreChange, type StoreFolder } from "../types";
import { CountingSql } from "../counting-sql";
import { itemClassOf } from "../folders";
import { contentKey, horizonOf, uidOf } from "../../formats/pim-objects";
import type { FolderRow } from "./store";
import { createIfMissing, hasTable } from "../ddl";

const TABLES = [
  `CREATE TABLE IF NOT EXISTS pim_items (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     folder INTEGER NOT NULL,
     uid TEXT NOT NULL,
     href TEXT NOT NULL,
     modseq INTEGER NOT NULL,
     data TEXT NOT NULL,
     updated INTEGER NOT NULL,
     horizon INTEGER NOT NULL)`,
  `CREATE UNIQUE INDEX IF NOT EXISTS pim_items_uid ON pim_items (folder, uid)`,
  `CREATE UNIQUE INDEX IF NOT EXISTS pim_items_href ON pim_items (folder, href)`,
  `CREATE INDEX IF NOT EXISTS pim_items_changes ON pim_items (folder, modseq)`,
  `CREATE INDEX IF NOT EXISTS pim_items_horizon ON pim_items (folder, horizon DESC, id DESC)`,
];

/** SQLite rows are limited to 2 MB; an object larger than this is refused (Sync Status 6 / HTTP 413). */
export const MAX_OBJECT_BYTES = 1_500_000;

interface Row extends Record<string, SqlStorageValue> {
  id: number;
  folder: number;
  uid: string;
  href: string;
  modseq: number;
  data: string;
  updated: number;
  horizon: number;
}

const ID = /^[1-9][0-9]{0,15}$/;

export class BuiltinPimStore implements PimStore {
  private readonly sql: CountingSql;

  /**
   * Needs the mail store's tables (folders, store_meta, tombstones): construct it after BuiltinStore, and
   * give it that store so emptying or deleting a folder drops the PIM items too.
   */
  constructor(
    private readonly storage: DurableObjectStorage,
    mail?: { folderDroppers: ((seq: number, tombstones: boolean) => void)[] },
  ) {
    this.sql = new CountingSql(storage.sql);
    mail?.folderDroppers.push((seq, tombstones) => this.dropFolder(seq, tombstones));
  }

  // The items' table (5 schema objects with its indexes) is made by the first item written (issue 15 target 3):
  // a mail-only mailbox never has it, so none is made at its first start nor parsed at each start after. Every
  // reader takes a missing table as no items (ddl.ts hasTable); the calendar and contacts folders are `folders` rows.
  private get present(): boolean {
    if (!hasTable(this.storage.sql, "pim_items")) return false;
    // A table made by older code may lack an index added since: made here, as every start used to (no statement
    // when the instance's read of sqlite_master listed them all).
    this.made();
    return true;
  }

  /** Before a write, in its transaction: the table exists. */
  private made(): void {
    createIfMissing(this.storage.sql, TABLES.join(";\n"));
  }

  /** Empties a folder (tombstones so devices see the deletes) or forgets it (folder deleted). */
  private dropFolder(seq: number, tombstones: boolean) {
    if (!this.present) return;
    const count = this.sql.one<{ n: number }>(`SELECT count(*) AS n FROM pim_items WHERE folder = ?`, seq).n;
    if (count === 0) return;
    if (tombstones) {
      const base =
        this.sql.one<{ value: number }>(`UPDATE store_meta SET value = value + ? WHERE key = 'modseq' RETURNING value`, count).value -
        count;
      this.sql.run(
        `INSERT OR REPLACE INTO tombstones (folder, uid, modseq, at) SELECT folder, id, ? + row_number() OVER (ORDER BY id), ? FROM pim_items WHERE folder = ?`,
        base,
        Date.now(),
        seq,
      );
      this.sql.run(`UPDATE folders SET highest_modseq = ? WHERE seq = ?`, base + count, seq);
    }
    this.sql.run(`DELETE FROM pim_items WHERE folder = ?`, seq);
    this.sql.run(`UPDATE folders SET item_count = 0 WHERE seq = ?`, seq);
  }

  async listCollections(): Promise<StoreFolder[]> {
    return this.sql
      .all<FolderRow>(`SELECT * FROM folders ORDER BY seq`)
      .filter((f) => itemClassOf(f.type) !== "Email")
      .map((f) => ({
        id: String(f.seq),
        parentId: String(f.parent_seq),
        name: f.name,
        type: f.type as StoreFolder["type"],
        itemClass: itemClassOf(f.type),
      }));
  }

  async status(folderId: string): Promise<FolderStatus> {
    const f = this.folder(folderId);
    return { validity: f.validity, highestModseq: f.highest_modseq, count: f.item_count, tombstoneFloor: f.tombstone_floor };
  }

  async list(folderId: string, opts: { afterItemId?: string; limit: number }): Promise<PimItem[]> {
    const f = this.folder(folderId);
    const after = opts.afterItemId && ID.test(opts.afterItemId) ? Number(opts.afterItemId) : 0;
    const limit = Math.max(0, Math.min(Math.trunc(opts.limit), 10_000));
    if (!this.present) return [];
    return this.sql
      .all<Row>(`SELECT * FROM pim_items WHERE folder = ? AND id > ? ORDER BY id LIMIT ?`, f.seq, after, limit)
      .map((r) => this.toItem(r, f));
  }

  async count(folderId: string, since?: number): Promise<number> {
    const f = this.folder(folderId);
    if (!since || !this.present) return since ? 0 : f.item_count;
    return this.sql.one<{ n: number }>(`SELECT count(*) AS n FROM pim_items WHERE folder = ? AND horizon >= ?`, f.seq, since).n;
  }

  async stamps(
    folderId: string,
    opts: { since?: number; after?: { received: number; itemId: string }; limit: number },
  ): Promise<PimStamp[]> {
    const f = this.folder(folderId);
    const limit = Math.max(0, Math.min(Math.trunc(opts.limit), 10_000));
    const since = opts.since ?? 0;
    const cols = `id, modseq, horizon`;
    const rows = !this.present
      ? []
      : opts.after
        ? this.sql.all<{ id: number; modseq: number; horizon: number }>(
            `SELECT ${cols} FROM pim_items WHERE folder = ? AND horizon >= ? AND (horizon < ? OR (horizon = ? AND id < ?)) ORDER BY horizon DESC, id DESC LIMIT ?`,
            f.seq,
            since,
            opts.after.received,
            opts.after.received,
            ID.test(opts.after.itemId) ? Number(opts.after.itemId) : 0,
            limit,
          )
        : this.sql.all<{ id: number; modseq: number; horizon: number }>(
            `SELECT ${cols} FROM pim_items WHERE folder = ? AND horizon >= ? ORDER BY horizon DESC, id DESC LIMIT ?`,
            f.seq,
            since,
            limit,
          );
    return rows.map((r) => ({ itemId: String(r.id), folderId: String(f.seq), modseq: r.modseq, received: r.horizon }));
  }

  async changesSince(folderId: string, modseq: number, limit: number): Promise<StoreChange[]> {
    const f = this.folder(folderId);
    const n = Math.max(0, Math.min(Math.trunc(limit), 10_000));
    const live = (
      this.present
        ? this.sql.all<{ id: number; modseq: number }>(
            `SELECT id, modseq FROM pim_items WHERE folder = ? AND modseq > ? ORDER BY modseq LIMIT ?`,
            f.seq,
            modseq,
            n,
          )
        : []
    ).map((r) => ({ itemId: String(r.id), modseq: r.modseq, deleted: false }));
    const gone = this.sql
      .all<{ uid: number; modseq: number }>(
        `SELECT uid, modseq FROM tombstones WHERE folder = ? AND modseq > ? ORDER BY modseq LIMIT ?`,
        f.seq,
        modseq,
        n,
      )
      .map((r) => ({ itemId: String(r.uid), modseq: r.modseq, deleted: true }));
    return [...live, ...gone].sort((a, b) => a.modseq - b.modseq).slice(0, n);
  }

  async get(folderId: string, itemId: string): Promise<PimItem | null> {
    const f = this.folder(folderId);
    if (!ID.test(itemId) || !this.present) return null;
    const row = this.sql.all<Row>(`SELECT * FROM pim_items WHERE folder = ? AND id = ?`, f.seq, Number(itemId))[0];
    return row ? this.toItem(row, f) : null;
  }

  async getByUid(folderId: string, uid: string): Promise<PimItem | null> {
    const f = this.folder(folderId);
    if (!this.present) return null;
    const row = this.sql.all<Row>(`SELECT * FROM pim_items WHERE folder = ? AND uid = ?`, f.seq, uid)[0];
    return row ? this.toItem(row, f) : null;
  }

  async put(folderId: string, data: string, opts: PimWriteOptions = {}): Promise<PimItem> {
    const f = this.folder(folderId);
    const uid = this.checkedUid(f, data);
    return this.storage.transactionSync(() => {
      this.made();
      return this.write(f, uid, data, opts).item;
    });
  }

  async delete(folderId: string, itemId: string, ifMatch?: string): Promise<void> {
    const f = this.folder(folderId);
    this.storage.transactionSync(() => {
      const row =
        ID.test(itemId) && this.present
          ? this.sql.all<Row>(`SELECT * FROM pim_items WHERE folder = ? AND id = ?`, f.seq, Number(itemId))[0]
          : undefined;
      if (!row) throw new StoreNotFoundError(`no item ${itemId} in folder ${folderId}`);
      if (ifMatch !== undefined && ifMatch !== etagOf(row)) throw new PimConflictError("ETag mismatch");
      this.remove(f, row);
    });
  }

  async replaceAll(folderId: string, objects: string[]): Promise<PimImportResult> {
    const f = this.folder(folderId);
    const incoming = new Map<string, string>();
    for (const data of objects) incoming.set(this.checkedUid(f, data), data);
    return this.storage.transactionSync(() => {
      this.made();
      const result: PimImportResult = { added: 0, updated: 0, unchanged: 0, deleted: 0 };
      for (const row of this.sql.all<Row>(`SELECT * FROM pim_items WHERE folder = ?`, f.seq)) {
        if (!incoming.has(row.uid)) {
          this.remove(f, row);
          result.deleted++;
        }
      }
      for (const [uid, data] of incoming) result[this.write(f, uid, data, {}).outcome]++;
      return result;
    });
  }

  // ---------- internals ----------

  private checkedUid(f: FolderRow, data: string): string {
    if (new TextEncoder().encode(data).length > MAX_OBJECT_BYTES) throw new PimConversionError("object too large");
    const media = mediaTypeOf(f);
    const isCard = /^\s*BEGIN:VCARD/i.test(data);
    if ((media === "text/vcard") !== isCard) throw new PimConversionError(`a ${media} collection cannot hold this object`);
    return uidOf(data);
  }

  private write(
    f: FolderRow,
    uid: string,
    data: string,
    opts: PimWriteOptions,
  ): { item: PimItem; outcome: "added" | "updated" | "unchanged" } {
    const existing = opts.itemId
      ? this.sql.all<Row>(`SELECT * FROM pim_items WHERE folder = ? AND id = ?`, f.seq, ID.test(opts.itemId) ? Number(opts.itemId) : 0)[0]
      : this.sql.all<Row>(`SELECT * FROM pim_items WHERE folder = ? AND uid = ?`, f.seq, uid)[0];
    if (opts.itemId && !existing) throw new StoreNotFoundError(`no item ${opts.itemId}`);
    if (opts.ifMatch !== undefined && (!existing || opts.ifMatch !== etagOf(existing))) throw new PimConflictError("ETag mismatch");
    if (existing && existing.uid !== uid) {
      const clash = this.sql.all<Row>(`SELECT id FROM pim_items WHERE folder = ? AND uid = ? AND id != ?`, f.seq, uid, existing.id)[0];
      if (clash) throw new PimConflictError(`UID ${uid} is already used by another item`);
    }
    const now = Date.now();
    if (existing) {
      if (existing.uid === uid && (existing.data === data || contentKey(existing.data) === contentKey(data)))
        return { item: this.toItem(existing, f), outcome: "unchanged" };
      const modseq = this.bump(f.seq, 0);
      const horizon = horizonOf(data, now);
      this.sql.run(
        `UPDATE pim_items SET uid = ?, data = ?, modseq = ?, updated = ?, horizon = ? WHERE id = ?`,
        uid,
        data,
        modseq,
        now,
        horizon,
        existing.id,
      );
      return { item: this.toItem({ ...existing, uid, data, modseq, updated: now, horizon }, f), outcome: "updated" };
    }
    const href = this.freeHref(f, opts.href ?? hrefFor(uid, mediaTypeOf(f)));
    const modseq = this.bump(f.seq, +1);
    const row = this.sql.one<Row>(
      `INSERT INTO pim_items (folder, uid, href, modseq, data, updated, horizon) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      f.seq,
      uid,
      href,
      modseq,
      data,
      now,
      horizonOf(data, now),
    );
    return { item: this.toItem(row, f), outcome: "added" };
  }

  private freeHref(f: FolderRow, wanted: string): string {
    let href = wanted;
    for (let i = 2; this.sql.all(`SELECT 1 FROM pim_items WHERE folder = ? AND href = ?`, f.seq, href).length > 0; i++)
      href = wanted.replace(/(\.\w+)$/, `-${i}$1`);
    return href;
  }

  private remove(f: FolderRow, row: Row) {
    const modseq = this.bump(f.seq, -1);
    this.sql.run(`DELETE FROM pim_items WHERE id = ?`, row.id);
    this.sql.run(`INSERT OR REPLACE INTO tombstones (folder, uid, modseq, at) VALUES (?, ?, ?, ?)`, f.seq, row.id, modseq, Date.now());
  }

  /** The mailbox-wide modseq counter of the mail store (store_meta 'modseq'). */
  private bump(seq: number, countDelta: number): number {
    this.sql.run(`INSERT OR IGNORE INTO store_meta (key, value) VALUES ('modseq', 0)`);
    const modseq = this.sql.one<{ value: number }>(`UPDATE store_meta SET value = value + 1 WHERE key = 'modseq' RETURNING value`).value;
    this.sql.run(`UPDATE folders SET highest_modseq = ?, item_count = item_count + ? WHERE seq = ?`, modseq, countDelta, seq);
    return modseq;
  }

  private folder(folderId: string): FolderRow {
    const row = ID.test(folderId) ? this.sql.all<FolderRow>(`SELECT * FROM folders WHERE seq = ?`, Number(folderId))[0] : undefined;
    if (!row) throw new StoreNotFoundError(`no folder ${folderId}`);
    if (itemClassOf(row.type) === "Email") throw new StoreNotFoundError(`folder ${folderId} is not a PIM folder`);
    return row;
  }

  private toItem(r: Row, f: FolderRow): PimItem {
    return {
      itemId: String(r.id),
      folderId: String(f.seq),
      uid: r.uid,
      href: r.href,
      etag: etagOf(r),
      modseq: r.modseq,
      mediaType: mediaTypeOf(f),
      data: r.data,
      updated: r.updated,
      horizon: r.horizon,
    };
  }
}

function etagOf(r: { modseq: number }): string {
  return `"${r.modseq}"`;
}

function mediaTypeOf(f: FolderRow): PimMediaType {
  return itemClassOf(f.type) === "Contacts" ? "text/vcard" : "text/calendar";
}

function hrefFor(uid: string, media: PimMediaType): string {
  const safe = uid.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 200) || "item";
  return `${safe}${media === "text/vcard" ? ".vcf" : ".ics"}`;
}
