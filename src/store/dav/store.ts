// The PIM store of a bridged mailbox: the provider's CalDAV/CardDAV server is the truth, the mailbox
// object's SQLite keeps what the sync engine pages and diffs by (item ids, our modseq counter, tombstones)
// plus each object's ETag and text. `refreshCollections` runs discovery; `status` pulls the folder's
// collection first (sync-collection with the stored token, or a PROPFIND ETag diff without it), so the
// engine's usual status → changesSince sees server changes. Writes go to the server first (If-Match /
// If-None-Match: *) and are recorded only once it accepted them. On 412 the server's version is fetched and
// kept ([MS-ASCMD] 2.2.3.34 Conflict default: the server wins) and PimConflictError is raised.
import { PimConversionError } from "../../formats/errors";
import { CountingSql } from "../counting-sql";
import { createIfMissing } from "../ddl";
import { horizonOf, uidOf } from "../../formats/pim-objects";
import {
  PimConflictError,
  type PimImportResult,
  type PimItem,
  type PimMediaType,
  type PimStamp,
  type PimStore,
  type PimWriteOptions,
} from "../pim-types";
import {
  FolderType,
  StoreNotFoundError,
  StoreUnavailableError,
  type FolderStatus,
  type FolderTypeValue,
  type StoreChange,
  type StoreFolder,
} from "../types";
import {
  DavClient,
  DavHttpError,
  DavInvalidSyncTokenError,
  lastSegment,
  type DavAccount,
  type DavClientOptions,
  type DavCollectionInfo,
  type DavEtag,
  type DavKind,
  type DavObject,
} from "./client";
import { sameObject } from "./canonical";
import { DAV_TABLES, type CollectionRow, type FolderRow, type ItemRow } from "./schema";

export interface DavPimStoreOptions extends DavClientOptions {
  /** Never use sync-collection, always the PROPFIND ETag diff (servers that misreport it; tests). */
  forceFallback?: boolean;
  /** `status` pulls from the server at most this often per collection (default 0: every call). */
  minPullIntervalMs?: number;
  /** Objects fetched by one pull at most (default 1000); the rest come with the next pulls. */
  maxObjectsPerPull?: number;
  /** `listCollections` rediscovers when the last discovery is older than this (default 15 min). */
  collectionsMaxAgeMs?: number;
}

/** SQLite rows are limited to 2 MB. */
const MAX_OBJECT_BYTES = 1_500_000;
const MULTIGET_BATCH = 50;
const MAX_OBJECTS_PER_PULL = 1000;
/** Tombstones kept this long, like the built-in store (src/mailbox/delivery.ts). */
const TOMBSTONE_DAYS = 30;
const FOLDER_ID = /^dav([1-9][0-9]{0,15})$/;
const ITEM_ID = /^[1-9][0-9]{0,15}$/;

/** EAS folder types per component: the first of its kind is the default folder, the others user folders. */
const TYPES: Record<string, { first: FolderTypeValue; more: FolderTypeValue }> = {
  VEVENT: { first: FolderType.Calendar, more: FolderType.UserCalendar },
  VTODO: { first: FolderType.Tasks, more: FolderType.UserTasks },
  VCARD: { first: FolderType.Contacts, more: FolderType.UserContacts },
};

/**
 * Per mailbox object, not per store instance: a store may be built for each request (the account's
 * password comes with the device's request and is never stored), yet pulls and writes of one collection
 * must still take turns, or a pull could overwrite a write that finished meanwhile.
 */
interface SharedState {
  locks: Map<number, Promise<unknown>>;
  pulledAt: Map<number, number>;
}
const shared = new WeakMap<DurableObjectStorage, SharedState>();

export class DavPimStore implements PimStore {
  readonly client: DavClient;
  private readonly sql: CountingSql;
  private readonly locks: Map<number, Promise<unknown>>;
  private readonly pulledAt: Map<number, number>;

  constructor(
    private readonly storage: DurableObjectStorage,
    account: DavAccount,
    private readonly opts: DavPimStoreOptions = {},
  ) {
    this.client = new DavClient(account, opts);
    this.sql = new CountingSql(storage.sql);
    for (const stmt of DAV_TABLES) createIfMissing(storage.sql, stmt);
    let state = shared.get(storage);
    if (!state) shared.set(storage, (state = { locks: new Map(), pulledAt: new Map() }));
    this.locks = state.locks;
    this.pulledAt = state.pulledAt;
  }

  // ---------- collections ----------

  /**
   * The folders as last discovered: the sync engine lists folders on every request, so discovery (four
   * requests) runs only the first time and when older than `collectionsMaxAgeMs`; FolderSync should call
   * refreshCollections.
   */
  async listCollections(): Promise<StoreFolder[]> {
    const at = this.sql.all<{ value: number }>(`SELECT value FROM dav_meta WHERE key = 'discovered_at'`)[0]?.value;
    if (at === undefined || Date.now() - at > (this.opts.collectionsMaxAgeMs ?? 15 * 60_000)) return this.refreshCollections();
    return this.localCollections();
  }

  /** Runs discovery now: collections created on the server appear, deleted ones disappear. */
  async refreshCollections(): Promise<StoreFolder[]> {
    let collections: DavCollectionInfo[];
    try {
      ({ collections } = await this.client.discover());
    } catch (e) {
      if (e instanceof DavHttpError) throw new StoreUnavailableError(`DAV discovery failed (${e.status})`);
      throw e;
    }
    this.storage.transactionSync(() => {
      this.recordCollections(collections);
      this.sql.run(`INSERT OR REPLACE INTO dav_meta (key, value) VALUES ('discovered_at', ?)`, Date.now());
    });
    return this.localCollections();
  }

  private localCollections(): StoreFolder[] {
    return davLocalFolders(this.storage);
  }

  private recordCollections(found: DavCollectionInfo[]) {
    const seen = new Set<number>();
    for (const c of found) {
      const row = this.sql.one<CollectionRow>(
        `INSERT INTO dav_collections (href, kind, name, components, supports_sync) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (href) DO UPDATE SET name = excluded.name, components = excluded.components, supports_sync = excluded.supports_sync, gone = 0
         RETURNING *`,
        c.href,
        c.kind,
        c.displayName,
        c.components.join(","),
        c.supportsSync ? 1 : 0,
      );
      seen.add(row.seq);
      for (const comp of c.components.filter((x) => x in TYPES)) {
        if (this.sql.all(`SELECT 1 FROM dav_folders WHERE coll = ? AND component = ?`, row.seq, comp).length) continue;
        const hasDefault = this.sql.all(`SELECT 1 FROM dav_folders WHERE component = ? AND type = ?`, comp, TYPES[comp]!.first).length > 0;
        this.sql.run(
          `INSERT INTO dav_folders (coll, component, type, validity) VALUES (?, ?, ?, ?)`,
          row.seq,
          comp,
          hasDefault ? TYPES[comp]!.more : TYPES[comp]!.first,
          crypto.randomUUID(),
        );
      }
    }
    for (const c of this.sql.all<CollectionRow>(`SELECT * FROM dav_collections WHERE gone = 0`)) {
      if (!seen.has(c.seq)) this.sql.run(`UPDATE dav_collections SET gone = 1 WHERE seq = ?`, c.seq);
    }
  }

  async status(id: string): Promise<FolderStatus> {
    const f = this.folder(id);
    const last = this.pulledAt.get(f.coll) ?? 0;
    if (Date.now() - last >= (this.opts.minPullIntervalMs ?? 0)) await this.pull(f.coll);
    const now = this.folder(id);
    return { validity: now.validity, highestModseq: now.highest_modseq, count: now.item_count, tombstoneFloor: now.tombstone_floor };
  }

  /** Brings one collection's local copy up to date with the server. */
  async pull(coll: number): Promise<void> {
    try {
      await this.locked(coll, () => this.pullLocked(coll));
    } catch (e) {
      if (!(e instanceof DavHttpError)) throw e;
      if (e.status === 404 || e.status === 410) {
        // Deleted on the server: the folder disappears at the next FolderSync.
        this.sql.run(`UPDATE dav_collections SET gone = 1 WHERE seq = ?`, coll);
        throw new StoreNotFoundError(`the DAV collection is gone (${e.status})`);
      }
      throw new StoreUnavailableError(`the DAV server refused to list the collection (${e.status})`);
    }
  }

  private async pullLocked(collSeq: number): Promise<void> {
    const coll = this.collection(collSeq);
    const kind = coll.kind as DavKind;
    let listing: { changed: DavEtag[]; removed: string[]; token: string; complete: boolean };
    if (coll.supports_sync && !this.opts.forceFallback) {
      try {
        const r = await this.client.syncCollection(coll.href, coll.sync_token);
        listing = { ...r, complete: coll.sync_token === "" };
      } catch (e) {
        if (!(e instanceof DavInvalidSyncTokenError)) throw e;
        listing = { ...(await this.client.syncCollection(coll.href, "")), complete: true };
      }
    } else {
      listing = { changed: await this.client.listEtags(coll.href), removed: [], token: "", complete: true };
    }
    const local = new Map(
      this.sql
        .all<{ href: string; etag: string }>(`SELECT href, etag FROM dav_items WHERE coll = ?`, coll.seq)
        .map((r) => [r.href, r.etag]),
    );
    const removed = new Set(listing.removed.filter((h) => local.has(h)));
    if (listing.complete) {
      const present = new Set(listing.changed.map((c) => c.href));
      for (const href of local.keys()) if (!present.has(href)) removed.add(href);
    }
    const changed = listing.changed.filter((c) => local.get(c.href) !== c.etag).map((c) => c.href);
    // A large first sync is spread over several pulls (CPU and subrequest limits of one request): the
    // token is kept back until every changed object is here, so the next pull lists the rest again.
    const wanted = changed.slice(0, this.opts.maxObjectsPerPull ?? MAX_OBJECTS_PER_PULL);
    const fetched: DavObject[] = [];
    for (let i = 0; i < wanted.length; i += MULTIGET_BATCH)
      fetched.push(...(await this.client.multiget(coll.href, kind, wanted.slice(i, i + MULTIGET_BATCH))));
    const got = new Set(fetched.map((o) => o.href));
    for (const href of wanted) if (!got.has(href) && local.has(href)) removed.add(href);
    this.storage.transactionSync(() => {
      for (const o of fetched) this.record(coll, o);
      for (const href of removed) {
        const row = this.sql.all<ItemRow>(`SELECT * FROM dav_items WHERE coll = ? AND href = ?`, coll.seq, href)[0];
        if (row) this.remove(row);
      }
      if (wanted.length === changed.length)
        this.sql.run(`UPDATE dav_collections SET sync_token = ? WHERE seq = ?`, listing.token, coll.seq);
    });
    this.pruneTombstones(Date.now() - TOMBSTONE_DAYS * 86_400_000);
    this.pulledAt.set(coll.seq, Date.now());
  }

  /**
   * Drops tombstones older than `olderThan` (ms since epoch) and raises each folder's tombstone floor, as
   * the built-in store does: a device holding an older modseq then resynchronises the folder.
   */
  pruneTombstones(olderThan: number): number {
    return this.storage.transactionSync(() => {
      const floors = this.sql.all<{ folder: number; top: number }>(
        `SELECT folder, max(modseq) AS top FROM dav_tombstones WHERE at < ? GROUP BY folder`,
        olderThan,
      );
      for (const f of floors)
        this.sql.run(`UPDATE dav_folders SET tombstone_floor = max(tombstone_floor, ?) WHERE seq = ?`, f.top, f.folder);
      return this.sql.run(`DELETE FROM dav_tombstones WHERE at < ?`, olderThan);
    });
  }

  // ---------- reading (local) ----------

  async list(id: string, opts: { afterItemId?: string; limit: number }): Promise<PimItem[]> {
    const f = this.folder(id);
    const after = opts.afterItemId && ITEM_ID.test(opts.afterItemId) ? Number(opts.afterItemId) : 0;
    return this.sql
      .all<ItemRow>(`SELECT * FROM dav_items WHERE folder = ? AND id > ? ORDER BY id LIMIT ?`, f.seq, after, clampLimit(opts.limit))
      .map((r) => this.toItem(r, f));
  }

  async count(id: string, since?: number): Promise<number> {
    const f = this.folder(id);
    if (!since) return f.item_count;
    return this.sql.one<{ n: number }>(`SELECT count(*) AS n FROM dav_items WHERE folder = ? AND horizon >= ?`, f.seq, since).n;
  }

  async stamps(id: string, opts: { since?: number; after?: { received: number; itemId: string }; limit: number }): Promise<PimStamp[]> {
    const f = this.folder(id);
    const since = opts.since ?? 0;
    const rows = opts.after
      ? this.sql.all<ItemRow>(
          `SELECT id, modseq, horizon FROM dav_items WHERE folder = ? AND horizon >= ? AND (horizon < ? OR (horizon = ? AND id < ?)) ORDER BY horizon DESC, id DESC LIMIT ?`,
          f.seq,
          since,
          opts.after.received,
          opts.after.received,
          ITEM_ID.test(opts.after.itemId) ? Number(opts.after.itemId) : 0,
          clampLimit(opts.limit),
        )
      : this.sql.all<ItemRow>(
          `SELECT id, modseq, horizon FROM dav_items WHERE folder = ? AND horizon >= ? ORDER BY horizon DESC, id DESC LIMIT ?`,
          f.seq,
          since,
          clampLimit(opts.limit),
        );
    return rows.map((r) => ({ itemId: String(r.id), folderId: id, modseq: r.modseq, received: r.horizon }));
  }

  async changesSince(id: string, modseq: number, limit: number): Promise<StoreChange[]> {
    const f = this.folder(id);
    const n = clampLimit(limit);
    const live = this.sql
      .all<{ id: number; modseq: number }>(
        `SELECT id, modseq FROM dav_items WHERE folder = ? AND modseq > ? ORDER BY modseq LIMIT ?`,
        f.seq,
        modseq,
        n,
      )
      .map((r) => ({ itemId: String(r.id), modseq: r.modseq, deleted: false }));
    const gone = this.sql
      .all<{ item: number; modseq: number }>(
        `SELECT item, modseq FROM dav_tombstones WHERE folder = ? AND modseq > ? ORDER BY modseq LIMIT ?`,
        f.seq,
        modseq,
        n,
      )
      .map((r) => ({ itemId: String(r.item), modseq: r.modseq, deleted: true }));
    return [...live, ...gone].sort((a, b) => a.modseq - b.modseq).slice(0, n);
  }

  async get(id: string, itemId: string): Promise<PimItem | null> {
    const f = this.folder(id);
    const row = ITEM_ID.test(itemId)
      ? this.sql.all<ItemRow>(`SELECT * FROM dav_items WHERE folder = ? AND id = ?`, f.seq, Number(itemId))[0]
      : undefined;
    return row ? this.toItem(row, f) : null;
  }

  async getByUid(id: string, uid: string): Promise<PimItem | null> {
    const f = this.folder(id);
    const row = this.sql.all<ItemRow>(`SELECT * FROM dav_items WHERE folder = ? AND uid = ?`, f.seq, uid)[0];
    return row ? this.toItem(row, f) : null;
  }

  // ---------- writing (server first) ----------

  async put(id: string, data: string, opts: PimWriteOptions = {}): Promise<PimItem> {
    const f = this.folder(id);
    const uid = this.checkedUid(f, data);
    return this.locked(f.coll, async () => {
      const coll = this.collection(f.coll);
      const existing = opts.itemId
        ? this.sql.all<ItemRow>(
            `SELECT * FROM dav_items WHERE folder = ? AND id = ?`,
            f.seq,
            ITEM_ID.test(opts.itemId) ? Number(opts.itemId) : 0,
          )[0]
        : this.sql.all<ItemRow>(`SELECT * FROM dav_items WHERE folder = ? AND uid = ?`, f.seq, uid)[0];
      if (opts.itemId && !existing) throw new StoreNotFoundError(`no item ${opts.itemId} in folder ${id}`);
      if (opts.ifMatch !== undefined && (!existing || opts.ifMatch !== existing.etag)) throw new PimConflictError("ETag mismatch");
      if (existing && existing.uid === uid && sameObject(existing.data, data)) return this.toItem(existing, f);
      const href = existing ? existing.href : this.freeHref(coll, opts.href ?? hrefFor(uid, mediaTypeOf(f)));
      let etag: string | undefined;
      try {
        etag = await this.client.put(href, data, mediaTypeOf(f), existing ? { ifMatch: existing.etag } : { ifNoneMatch: "*" });
      } catch (e) {
        const refusal = await this.afterRefusal(coll, e);
        // A retried create whose first attempt reached the server but not our records (the answer was
        // lost): the object now on the server is ours, not a conflict.
        const mine =
          !existing && refusal instanceof PimConflictError
            ? this.sql.all<ItemRow>(`SELECT * FROM dav_items WHERE folder = ? AND uid = ?`, f.seq, uid)[0]
            : undefined;
        if (mine && sameObject(mine.data, data)) return this.toItem(mine, f);
        throw refusal;
      }
      const stored: DavObject = etag ? { href, etag, data } : await this.client.get(href);
      this.storage.transactionSync(() => this.record(coll, stored));
      const row = this.sql.one<ItemRow>(`SELECT * FROM dav_items WHERE coll = ? AND href = ?`, coll.seq, href);
      return this.toItem(row, this.folderBySeq(row.folder ?? f.seq));
    });
  }

  async delete(id: string, itemId: string, ifMatch?: string): Promise<void> {
    const f = this.folder(id);
    await this.locked(f.coll, async () => {
      const row = ITEM_ID.test(itemId)
        ? this.sql.all<ItemRow>(`SELECT * FROM dav_items WHERE folder = ? AND id = ?`, f.seq, Number(itemId))[0]
        : undefined;
      if (!row) throw new StoreNotFoundError(`no item ${itemId} in folder ${id}`);
      if (ifMatch !== undefined && ifMatch !== row.etag) throw new PimConflictError("ETag mismatch");
      try {
        await this.client.delete(row.href, row.etag);
      } catch (e) {
        if (!(e instanceof DavHttpError && (e.status === 404 || e.status === 410)))
          throw await this.afterRefusal(this.collection(f.coll), e);
      }
      this.storage.transactionSync(() => this.remove(row));
    });
  }

  async replaceAll(id: string, objects: string[]): Promise<PimImportResult> {
    const f = this.folder(id);
    const incoming = new Map<string, string>();
    for (const data of objects) incoming.set(this.checkedUid(f, data), data);
    const result: PimImportResult = { added: 0, updated: 0, unchanged: 0, deleted: 0 };
    for (const item of await this.list(id, { limit: 10_000 })) {
      if (incoming.has(item.uid)) continue;
      await this.delete(id, item.itemId);
      result.deleted++;
    }
    for (const [uid, data] of incoming) {
      const before = await this.getByUid(id, uid);
      const after = await this.put(id, data);
      result[!before ? "added" : before.etag === after.etag ? "unchanged" : "updated"]++;
    }
    return result;
  }

  /** A refused write: 412 (someone changed or created it first) and UID clashes refetch, server wins. */
  private async afterRefusal(coll: CollectionRow, e: unknown): Promise<unknown> {
    if (!(e instanceof DavHttpError)) return e;
    if (e.status === 412 || e.status === 409) {
      await this.pullLocked(coll.seq);
      return new PimConflictError(`the server refused the write (${e.status}); its version is kept`);
    }
    if (e.status === 401) return new StoreUnavailableError("the DAV server refused the credentials");
    if (e.status === 403 || e.status === 415 || e.status === 400 || e.status === 413)
      return new PimConversionError(`the DAV server refused the object (${e.status})`);
    return e;
  }

  // ---------- internals ----------

  /** Stores one object fetched from (or accepted by) the server under its href; bumps modseq when it changed. */
  private record(coll: CollectionRow, o: DavObject) {
    const existing = this.sql.all<ItemRow>(`SELECT * FROM dav_items WHERE coll = ? AND href = ?`, coll.seq, o.href)[0];
    if (existing && existing.etag === o.etag && existing.data === o.data) return;
    let uid = "";
    let component = "";
    try {
      uid = uidOf(o.data);
      component = coll.kind === "addressbook" ? "VCARD" : (/^BEGIN:(VEVENT|VTODO|VJOURNAL)\s*$/im.exec(o.data)?.[1] ?? "").toUpperCase();
    } catch (e) {
      if (!(e instanceof PimConversionError)) throw e;
      // Kept (its etag known, so it is not fetched again) but in no folder: no phone sees it. Said with its
      // reason (issue 13 §1: left out, never silently).
      console.warn(`dav: ${o.href} left out of the folders: ${e.message}`);
    }
    const folder = uid
      ? this.sql.all<FolderRow>(`SELECT * FROM dav_folders WHERE coll = ? AND component = ?`, coll.seq, component)[0]
      : undefined;
    const now = Date.now();
    const horizon = horizonOf(o.data, now);
    if (existing && existing.folder === (folder?.seq ?? null)) {
      const modseq = folder ? this.bump(folder.seq, 0) : existing.modseq;
      this.sql.run(
        `UPDATE dav_items SET uid = ?, etag = ?, data = ?, modseq = ?, updated = ?, horizon = ? WHERE id = ?`,
        uid,
        o.etag,
        o.data,
        modseq,
        now,
        horizon,
        existing.id,
      );
      return;
    }
    if (existing) this.remove(existing);
    const modseq = folder ? this.bump(folder.seq, +1) : 0;
    this.sql.run(
      `INSERT INTO dav_items (coll, folder, href, uid, etag, modseq, data, updated, horizon) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      coll.seq,
      folder?.seq ?? null,
      o.href,
      uid,
      o.etag,
      modseq,
      o.data,
      now,
      horizon,
    );
  }

  private remove(row: ItemRow) {
    this.sql.run(`DELETE FROM dav_items WHERE id = ?`, row.id);
    if (row.folder === null) return;
    const modseq = this.bump(row.folder, -1);
    this.sql.run(
      `INSERT OR REPLACE INTO dav_tombstones (folder, item, modseq, at) VALUES (?, ?, ?, ?)`,
      row.folder,
      row.id,
      modseq,
      Date.now(),
    );
  }

  private bump(folder: number, countDelta: number): number {
    this.sql.run(`INSERT OR IGNORE INTO dav_meta (key, value) VALUES ('modseq', 0)`);
    const modseq = this.sql.one<{ value: number }>(`UPDATE dav_meta SET value = value + 1 WHERE key = 'modseq' RETURNING value`).value;
    this.sql.run(`UPDATE dav_folders SET highest_modseq = ?, item_count = item_count + ? WHERE seq = ?`, modseq, countDelta, folder);
    return modseq;
  }

  private checkedUid(f: FolderRow, data: string): string {
    if (new TextEncoder().encode(data).length > MAX_OBJECT_BYTES) throw new PimConversionError("object too large");
    const isCard = /^\s*BEGIN:VCARD/i.test(data);
    if ((f.component === "VCARD") !== isCard) throw new PimConversionError(`a ${mediaTypeOf(f)} collection cannot hold this object`);
    if (!isCard && !new RegExp(`^BEGIN:${f.component}\\s*$`, "im").test(data))
      throw new PimConversionError(`this folder holds ${f.component} objects`);
    return uidOf(data);
  }

  private freeHref(coll: CollectionRow, name: string): string {
    const base = coll.href + lastSegment(name);
    let href = base;
    for (let i = 2; this.sql.all(`SELECT 1 FROM dav_items WHERE coll = ? AND href = ?`, coll.seq, href).length > 0; i++)
      href = base.replace(/(\.\w+)?$/, `-${i}$1`);
    return href;
  }

  /** One pull or write at a time per collection (see SharedState). */
  private locked<T>(coll: number, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(coll) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(coll, tail);
    void tail.then(() => {
      if (this.locks.get(coll) === tail) this.locks.delete(coll);
    });
    return run;
  }

  private folder(id: string): FolderRow {
    const m = FOLDER_ID.exec(id);
    const row = m
      ? this.sql.all<FolderRow>(
          `SELECT f.* FROM dav_folders f JOIN dav_collections c ON c.seq = f.coll WHERE f.seq = ? AND c.gone = 0`,
          Number(m[1]),
        )[0]
      : undefined;
    if (!row) throw new StoreNotFoundError(`no DAV folder ${id}`);
    return row;
  }

  private folderBySeq(seq: number): FolderRow {
    return this.sql.one<FolderRow>(`SELECT * FROM dav_folders WHERE seq = ?`, seq);
  }

  private collection(seq: number): CollectionRow {
    return this.sql.one<CollectionRow>(`SELECT * FROM dav_collections WHERE seq = ?`, seq);
  }

  private toItem(r: ItemRow, f: FolderRow): PimItem {
    return {
      itemId: String(r.id),
      folderId: folderId(f.seq),
      uid: r.uid,
      href: lastSegment(r.href),
      etag: r.etag,
      modseq: r.modseq,
      mediaType: mediaTypeOf(f),
      data: r.data,
      updated: r.updated,
      horizon: r.horizon,
    };
  }
}

/**
 * The collections as last discovered, from the mailbox object's SQLite only (no request, no login): what a
 * bridged mailbox needs synchronously (default Calendar/Contacts/Tasks folder, push without a login).
 */
export function davLocalFolders(storage: DurableObjectStorage): StoreFolder[] {
  for (const stmt of DAV_TABLES) createIfMissing(storage.sql, stmt);
  return storage.sql
    .exec<FolderRow & { name: string; kind: string; components: string }>(
      `SELECT f.*, c.name, c.kind, c.components FROM dav_folders f JOIN dav_collections c ON c.seq = f.coll WHERE c.gone = 0 ORDER BY f.seq`,
    )
    .toArray()
    .map((f) => ({
      id: folderId(f.seq),
      parentId: "0",
      // A calendar holding events and tasks shows as two folders; the tasks one says so.
      name: f.component === "VTODO" && f.components.split(",").includes("VEVENT") ? `${f.name} (tasks)` : f.name,
      type: f.type as FolderTypeValue,
      itemClass: f.component === "VEVENT" ? "Calendar" : f.component === "VTODO" ? "Tasks" : "Contacts",
    }));
}

function folderId(seq: number): string {
  return `dav${seq}`;
}

function mediaTypeOf(f: FolderRow): PimMediaType {
  return f.component === "VCARD" ? "text/vcard" : "text/calendar";
}

function hrefFor(uid: string, media: PimMediaType): string {
  const safe = uid.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 200) || "item";
  return `${safe}${media === "text/vcard" ? ".vcf" : ".ics"}`;
}

function clampLimit(n: number): number {
  return Math.max(0, Math.min(Math.trunc(n), 10_000));
}
