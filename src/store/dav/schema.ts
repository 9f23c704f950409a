// The DAV bridge's state in the mailbox object's SQLite: what the server has (href ↔ item id, ETags, the
// objects themselves), the RFC 6578 sync token per collection, our own modseq counter and tombstones.
// A collection may expose two EAS folders (a CalDAV calendar holding VEVENT and VTODO: Calendar + Tasks).
export const DAV_TABLES = [
  `CREATE TABLE IF NOT EXISTS dav_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS dav_collections (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     href TEXT NOT NULL UNIQUE,
     kind TEXT NOT NULL,
     name TEXT NOT NULL,
     components TEXT NOT NULL,
     supports_sync INTEGER NOT NULL,
     sync_token TEXT NOT NULL DEFAULT '',
     gone INTEGER NOT NULL DEFAULT 0)`,
  `CREATE TABLE IF NOT EXISTS dav_folders (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     coll INTEGER NOT NULL,
     component TEXT NOT NULL,
     type INTEGER NOT NULL,
     validity TEXT NOT NULL,
     highest_modseq INTEGER NOT NULL DEFAULT 0,
     item_count INTEGER NOT NULL DEFAULT 0,
     tombstone_floor INTEGER NOT NULL DEFAULT 0,
     UNIQUE (coll, component))`,
  // folder is NULL for objects no folder shows (a VJOURNAL, an unparsable object): kept for their ETag.
  `CREATE TABLE IF NOT EXISTS dav_items (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     coll INTEGER NOT NULL,
     folder INTEGER,
     href TEXT NOT NULL,
     uid TEXT NOT NULL,
     etag TEXT NOT NULL,
     modseq INTEGER NOT NULL,
     data TEXT NOT NULL,
     updated INTEGER NOT NULL,
     horizon INTEGER NOT NULL,
     UNIQUE (coll, href))`,
  `CREATE INDEX IF NOT EXISTS dav_items_uid ON dav_items (folder, uid)`,
  `CREATE INDEX IF NOT EXISTS dav_items_changes ON dav_items (folder, modseq)`,
  `CREATE INDEX IF NOT EXISTS dav_items_horizon ON dav_items (folder, horizon DESC, id DESC)`,
  `CREATE TABLE IF NOT EXISTS dav_tombstones (
     folder INTEGER NOT NULL,
     item INTEGER NOT NULL,
     modseq INTEGER NOT NULL,
     at INTEGER NOT NULL,
     PRIMARY KEY (folder, item))`,
];

export interface CollectionRow extends Record<string, SqlStorageValue> {
  seq: number;
  href: string;
  kind: string;
  name: string;
  components: string;
  supports_sync: number;
  sync_token: string;
  gone: number;
}

export interface FolderRow extends Record<string, SqlStorageValue> {
  seq: number;
  coll: number;
  component: string;
  type: number;
  validity: string;
  highest_modseq: number;
  item_count: number;
  tombstone_floor: number;
}

export interface ItemRow extends Record<string, SqlStorageValue> {
  id: number;
  coll: number;
  folder: number | null;
  href: string;
  uid: string;
  etag: string;
  modseq: number;
  data: string;
  updated: number;
  horizon: number;
}
