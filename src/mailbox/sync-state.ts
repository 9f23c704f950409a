// Per-device sync state in the mailbox object's SQLite: SyncKey series per collection, the image of
// what each device holds (item id + modseq sent), the replay record of the last response, the ClientId
// map and the cached last Sync request. Keyed by deviceId only; the partnership table lives elsewhere.
import type { SyncOptions, SyncRequest } from "../eas/sync-types";
import { createIfMissing, hasTable } from "../store/ddl";

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS sync_coll (
     device_id TEXT NOT NULL, collection_id TEXT NOT NULL,
     series TEXT NOT NULL, cur INTEGER NOT NULL, prev INTEGER,
     validity TEXT NOT NULL,
     filter_type INTEGER NOT NULL DEFAULT 0,
     enum_done INTEGER NOT NULL DEFAULT 0,
     enum_received INTEGER, enum_item TEXT, enum_since INTEGER NOT NULL DEFAULT 0,
     change_cursor INTEGER NOT NULL,
     options TEXT,
     last_response TEXT,
     PRIMARY KEY (device_id, collection_id)) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS sync_item (
     device_id TEXT NOT NULL, collection_id TEXT NOT NULL, item_id TEXT NOT NULL,
     modseq INTEGER NOT NULL, received INTEGER NOT NULL,
     PRIMARY KEY (device_id, collection_id, item_id)) WITHOUT ROWID`,
  `CREATE INDEX IF NOT EXISTS sync_item_received ON sync_item (device_id, collection_id, received)`,
  `CREATE TABLE IF NOT EXISTS sync_watch_baseline (
     device_id TEXT NOT NULL, collection_id TEXT NOT NULL, modseq INTEGER NOT NULL,
     PRIMARY KEY (device_id, collection_id)) WITHOUT ROWID`,
];

export function ensureSyncSchema(sql: SqlStorage): void {
  for (const s of SCHEMA) createIfMissing(sql, s);
}

// Made by their first write (issue 15 target 3), each reader taking a missing table as empty (ddl.ts hasTable):
// the ClientId map by the first item a device adds (a mail-only phone adds none), the folder hierarchy's key and
// image by the device's first FolderSync (folder-sync.ts), the last Sync request by the device's first Sync.
const CLIENT_ID_DDL = `CREATE TABLE IF NOT EXISTS sync_client_id (
     device_id TEXT NOT NULL, collection_id TEXT NOT NULL, client_id TEXT NOT NULL, item_id TEXT NOT NULL,
     PRIMARY KEY (device_id, collection_id, client_id)) WITHOUT ROWID`;
// WITHOUT ROWID (these two and sync_device): the key is the table's own b-tree, no second one for the PRIMARY KEY.
const LAST_REQUEST_DDL = `CREATE TABLE IF NOT EXISTS sync_device (device_id TEXT PRIMARY KEY, last_request TEXT NOT NULL) WITHOUT ROWID`;
export const HIER_DDL = `CREATE TABLE IF NOT EXISTS hier_state (
     device_id TEXT PRIMARY KEY, series TEXT NOT NULL, cur INTEGER NOT NULL, prev INTEGER, last_response TEXT) WITHOUT ROWID;
   CREATE TABLE IF NOT EXISTS hier_item (
     device_id TEXT NOT NULL, folder_id TEXT NOT NULL, parent_id TEXT NOT NULL, name TEXT NOT NULL, type INTEGER NOT NULL,
     PRIMARY KEY (device_id, folder_id)) WITHOUT ROWID`;
/** The hierarchy's tables exist (made together, hier_item last). */
export const hasHierarchy = (sql: SqlStorage) => hasTable(sql, "hier_item");

/** Every table above: each row belongs to one device. */
const DEVICE_TABLES = ["sync_coll", "sync_item", "sync_client_id", "sync_device", "sync_watch_baseline", "hier_state", "hier_item"];

/** Drops everything a device's sync state holds (its partnership was removed): its next sync starts at SyncKey 0. */
export function forgetDeviceSyncState(sql: SqlStorage, deviceId: string): void {
  ensureSyncSchema(sql);
  for (const table of DEVICE_TABLES) if (hasTable(sql, table)) sql.exec(`DELETE FROM ${table} WHERE device_id = ?`, deviceId);
}

/** SyncKeys look like "{series}n": opaque to the device, ≤ 64 chars ([MS-ASCMD] 2.2.3.181). */
export function formatKey(series: string, n: number): string {
  return `{${series}}${n}`;
}

export function parseKey(key: string): { series: string; n: number } | undefined {
  const m = /^\{([0-9a-f]{1,32})\}([1-9][0-9]{0,9})$/.exec(key);
  return m ? { series: m[1], n: Number(m[2]) } : undefined;
}

/**
 * Where a device's key stands in a series whose latest key is `cur` and whose previous state is `prev`:
 * "previous" is the key whose response was lost (the retry gets it again); "current" is any key issued
 * since, all standing for the same state (a replay issues a fresh key for an identical response, so the
 * key of the lost response stays usable too); anything else is unknown (Status 3 / 9).
 */
export function keyStanding(key: string, series: string, cur: number, prev: number | null): "current" | "previous" | null {
  const k = parseKey(key);
  if (!k || k.series !== series) return null;
  if (prev !== null && k.n === prev) return "previous";
  if (k.n <= cur && k.n > (prev ?? 0)) return "current";
  return null;
}

export function newSeries(): string {
  return crypto.randomUUID().replace(/-/g, "").slice(0, 12);
}

/** What the device was sent in the response that issued the current key, to answer a retry identically. */
export interface ReplayRecord {
  commands: { op: "Add" | "Change" | "Delete" | "SoftDelete"; itemId: string }[];
  moreAvailable: boolean;
  /** ServerIds the device deleted in that request: a retried Delete of them is a success, not Status 8. */
  clientDeletes: string[];
}

export interface CollectionState {
  deviceId: string;
  collectionId: string;
  series: string;
  cur: number;
  prev: number | null;
  validity: string;
  filterType: number;
  enumDone: boolean;
  enumAfter: { received: number; itemId: string } | null;
  enumSince: number;
  changeCursor: number;
  options: CachedCollectionOptions | null;
  lastResponse: ReplayRecord | null;
}

/** Options cached per device and collection for the next requests that omit them. */
export interface CachedCollectionOptions {
  options: SyncOptions;
  /** Supported element names from the SyncKey 0 request (ghosting for calendar and contacts). */
  supported?: string[];
}

type CollRow = {
  device_id: string;
  collection_id: string;
  series: string;
  cur: number;
  prev: number | null;
  validity: string;
  filter_type: number;
  enum_done: number;
  enum_received: number | null;
  enum_item: string | null;
  enum_since: number;
  change_cursor: number;
  options: string | null;
  last_response: string | null;
};

export class SyncStateStore {
  constructor(private readonly sql: SqlStorage) {
    ensureSyncSchema(sql);
  }

  getCollection(deviceId: string, collectionId: string): CollectionState | null {
    const row = this.sql
      .exec<CollRow>(`SELECT * FROM sync_coll WHERE device_id = ? AND collection_id = ?`, deviceId, collectionId)
      .toArray()[0];
    if (!row) return null;
    return {
      deviceId,
      collectionId,
      series: row.series,
      cur: row.cur,
      prev: row.prev,
      validity: row.validity,
      filterType: row.filter_type,
      enumDone: row.enum_done === 1,
      enumAfter: row.enum_received === null ? null : { received: row.enum_received, itemId: row.enum_item ?? "" },
      enumSince: row.enum_since,
      changeCursor: row.change_cursor,
      options: row.options ? JSON.parse(row.options) : null,
      lastResponse: row.last_response ? JSON.parse(row.last_response) : null,
    };
  }

  putCollection(s: CollectionState): void {
    this.sql.exec(
      `INSERT OR REPLACE INTO sync_coll (device_id, collection_id, series, cur, prev, validity, filter_type, enum_done,
         enum_received, enum_item, enum_since, change_cursor, options, last_response)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      s.deviceId,
      s.collectionId,
      s.series,
      s.cur,
      s.prev,
      s.validity,
      s.filterType,
      s.enumDone ? 1 : 0,
      s.enumAfter?.received ?? null,
      s.enumAfter?.itemId ?? null,
      s.enumSince,
      s.changeCursor,
      s.options ? JSON.stringify(s.options) : null,
      s.lastResponse ? JSON.stringify(s.lastResponse) : null,
    );
  }

  /** Forgets everything the device held in a collection (new SyncKey 0 series, deleted folder). */
  dropCollection(deviceId: string, collectionId: string): void {
    this.sql.exec(`DELETE FROM sync_coll WHERE device_id = ? AND collection_id = ?`, deviceId, collectionId);
    this.sql.exec(`DELETE FROM sync_item WHERE device_id = ? AND collection_id = ?`, deviceId, collectionId);
    if (hasTable(this.sql, "sync_client_id"))
      this.sql.exec(`DELETE FROM sync_client_id WHERE device_id = ? AND collection_id = ?`, deviceId, collectionId);
  }

  collectionsOf(deviceId: string): string[] {
    return this.sql
      .exec<{ collection_id: string }>(`SELECT collection_id FROM sync_coll WHERE device_id = ?`, deviceId)
      .toArray()
      .map((r) => r.collection_id);
  }

  /** Device ids holding sync state for a collection (to keep their image right after a device-side move). */
  devicesSyncing(collectionId: string): string[] {
    return this.sql
      .exec<{ device_id: string }>(`SELECT device_id FROM sync_coll WHERE collection_id = ?`, collectionId)
      .toArray()
      .map((r) => r.device_id);
  }

  // ----- the device's image of a collection -----

  heldItem(deviceId: string, collectionId: string, itemId: string): { modseq: number; received: number } | null {
    return (
      this.sql
        .exec<{ modseq: number; received: number }>(
          `SELECT modseq, received FROM sync_item WHERE device_id = ? AND collection_id = ? AND item_id = ?`,
          deviceId,
          collectionId,
          itemId,
        )
        .toArray()[0] ?? null
    );
  }

  /**
   * heldItem for many items in one statement (a page's worth): the held ones by item id; an id not in the map
   * is not held. One bound JSON array: Durable Object SQLite allows at most 100 bound parameters.
   */
  heldItems(deviceId: string, collectionId: string, itemIds: string[]): Map<string, { modseq: number; received: number }> {
    const out = new Map<string, { modseq: number; received: number }>();
    if (itemIds.length === 0) return out;
    for (const r of this.sql.exec<{ item_id: string; modseq: number; received: number }>(
      `SELECT item_id, modseq, received FROM sync_item
        WHERE device_id = ? AND collection_id = ? AND item_id IN (SELECT value FROM json_each(?))`,
      deviceId,
      collectionId,
      JSON.stringify(itemIds),
    ))
      out.set(r.item_id, { modseq: r.modseq, received: r.received });
    return out;
  }

  /** holdItem for many items in one statement (the end of a page). */
  holdItems(deviceId: string, collectionId: string, items: { itemId: string; modseq: number; received: number }[]): void {
    if (items.length === 0) return;
    this.sql.exec(
      `INSERT OR REPLACE INTO sync_item (device_id, collection_id, item_id, modseq, received)
       SELECT ?, ?, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?)`,
      deviceId,
      collectionId,
      JSON.stringify(items.map((i) => [i.itemId, i.modseq, i.received])),
    );
  }

  holdItem(deviceId: string, collectionId: string, itemId: string, modseq: number, received: number): void {
    this.sql.exec(
      `INSERT OR REPLACE INTO sync_item (device_id, collection_id, item_id, modseq, received) VALUES (?, ?, ?, ?, ?)`,
      deviceId,
      collectionId,
      itemId,
      modseq,
      received,
    );
  }

  releaseItem(deviceId: string, collectionId: string, itemId: string): void {
    this.sql.exec(`DELETE FROM sync_item WHERE device_id = ? AND collection_id = ? AND item_id = ?`, deviceId, collectionId, itemId);
  }

  /** Held items received before `since` (aged out of the FilterType window), oldest first. */
  heldOlderThan(deviceId: string, collectionId: string, since: number, limit: number): string[] {
    return this.sql
      .exec<{ item_id: string }>(
        `SELECT item_id FROM sync_item WHERE device_id = ? AND collection_id = ? AND received < ? ORDER BY received LIMIT ?`,
        deviceId,
        collectionId,
        since,
        limit,
      )
      .toArray()
      .map((r) => r.item_id);
  }

  heldCount(deviceId: string, collectionId: string, since = 0): number {
    return this.sql
      .exec<{ n: number }>(
        `SELECT count(*) AS n FROM sync_item WHERE device_id = ? AND collection_id = ? AND received >= ?`,
        deviceId,
        collectionId,
        since,
      )
      .one().n;
  }

  // ----- ClientId map: a retried client Add gets the ServerId of the first one -----

  itemForClientId(deviceId: string, collectionId: string, clientId: string): string | null {
    if (!hasTable(this.sql, "sync_client_id")) return null;
    return (
      this.sql
        .exec<{ item_id: string }>(
          `SELECT item_id FROM sync_client_id WHERE device_id = ? AND collection_id = ? AND client_id = ?`,
          deviceId,
          collectionId,
          clientId,
        )
        .toArray()[0]?.item_id ?? null
    );
  }

  rememberClientId(deviceId: string, collectionId: string, clientId: string, itemId: string): void {
    createIfMissing(this.sql, CLIENT_ID_DDL);
    this.sql.exec(
      `INSERT OR REPLACE INTO sync_client_id (device_id, collection_id, client_id, item_id) VALUES (?, ?, ?, ?)`,
      deviceId,
      collectionId,
      clientId,
      itemId,
    );
  }

  // ----- watched collections the device never synced: changes are counted from when it first watched -----

  watchBaseline(deviceId: string, collectionId: string): number | null {
    return (
      this.sql
        .exec<{ modseq: number }>(
          `SELECT modseq FROM sync_watch_baseline WHERE device_id = ? AND collection_id = ?`,
          deviceId,
          collectionId,
        )
        .toArray()[0]?.modseq ?? null
    );
  }

  setWatchBaseline(deviceId: string, collectionId: string, modseq: number): void {
    this.sql.exec(
      `INSERT OR REPLACE INTO sync_watch_baseline (device_id, collection_id, modseq) VALUES (?, ?, ?)`,
      deviceId,
      collectionId,
      modseq,
    );
  }

  // ----- the last Sync request per device (empty Sync, Partial, hanging Sync, Ping helpers) -----

  lastRequest(deviceId: string): CachedSyncRequest | null {
    if (!hasTable(this.sql, "sync_device")) return null;
    const row = this.sql.exec<{ last_request: string }>(`SELECT last_request FROM sync_device WHERE device_id = ?`, deviceId).toArray()[0];
    return row ? JSON.parse(row.last_request) : null;
  }

  saveLastRequest(deviceId: string, req: CachedSyncRequest): void {
    const json = JSON.stringify(req);
    const old = hasTable(this.sql, "sync_device")
      ? this.sql.exec<{ last_request: string }>(`SELECT last_request FROM sync_device WHERE device_id = ?`, deviceId).toArray()[0]
      : undefined;
    if (old?.last_request === json) return; // a no-change Sync writes nothing
    createIfMissing(this.sql, LAST_REQUEST_DDL);
    this.sql.exec(`INSERT OR REPLACE INTO sync_device (device_id, last_request) VALUES (?, ?)`, deviceId, json);
  }
}

/** The parts of a Sync request worth remembering ([MS-ASCMD] 2.2.3.131 Partial, empty request). */
export interface CachedSyncRequest {
  collections: { collectionId: string; windowSize?: number; deletesAsMoves?: boolean }[];
  windowSize?: number;
  wait?: number;
  heartbeatInterval?: number;
}

export function cacheableRequest(req: SyncRequest): CachedSyncRequest {
  return {
    collections: req.collections.map((c) => ({
      collectionId: c.collectionId,
      windowSize: c.windowSize,
      deletesAsMoves: c.deletesAsMoves,
    })),
    windowSize: req.windowSize,
    wait: req.wait,
    heartbeatInterval: req.heartbeatInterval,
  };
}
