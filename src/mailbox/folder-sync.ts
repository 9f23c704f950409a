// Folder hierarchy sync per device ([MS-ASCMD] 2.2.1.5 FolderSync, 2.2.1.3/2.2.1.6/2.2.1.4 FolderCreate,
// FolderUpdate, FolderDelete). ServerIds are the store's folder ids: stable for the life of a folder, so a
// FolderSync with SyncKey 0 mid-session gives the device the same ids ([MS-ASCMD] 2.2.3.25, anchors §3 #3).
// Each device has a snapshot of the hierarchy it was sent; a FolderSync sends the difference.
import { isStoreError, type MailStore, type StoreFolder } from "../store/types";
import { formatKey, HIER_DDL, hasHierarchy, keyStanding, newSeries, type SyncStateStore } from "./sync-state";
import { createIfMissing } from "../store/ddl";

export interface FolderEntry {
  serverId: string;
  parentId: string;
  displayName: string;
  type: number;
}

export interface FolderSyncResult {
  status: number;
  syncKey?: string;
  updates: FolderEntry[];
  deletes: string[];
  adds: FolderEntry[];
}

export interface FolderOpResult {
  status: number;
  syncKey?: string;
  serverId?: string;
}

type LastOp =
  | { kind: "sync"; updates: FolderEntry[]; deletes: string[]; adds: FolderEntry[] }
  | { kind: "create"; parentId: string; name: string; serverId: string }
  | { kind: "update"; serverId: string; parentId: string; name: string }
  | { kind: "delete"; serverId: string };

type HierRow = { series: string; cur: number; prev: number | null; last_response: string | null };

/** FolderSync Status 9 / FolderCreate|Update|Delete Status 9: invalid or mismatched key. */
const INVALID_KEY = 9;

export class FolderSyncer {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly store: MailStore,
    private readonly state: SyncStateStore,
  ) {}

  private get sql(): SqlStorage {
    return this.storage.sql;
  }

  private row(deviceId: string): HierRow | undefined {
    if (!hasHierarchy(this.sql)) return undefined; // no device ever ran a FolderSync here
    return this.sql.exec<HierRow>(`SELECT series, cur, prev, last_response FROM hier_state WHERE device_id = ?`, deviceId).toArray()[0];
  }

  private snapshot(deviceId: string): Map<string, FolderEntry> {
    if (!hasHierarchy(this.sql)) return new Map();
    const rows = this.sql
      .exec<{ folder_id: string; parent_id: string; name: string; type: number }>(
        `SELECT folder_id, parent_id, name, type FROM hier_item WHERE device_id = ?`,
        deviceId,
      )
      .toArray();
    return new Map(rows.map((r) => [r.folder_id, { serverId: r.folder_id, parentId: r.parent_id, displayName: r.name, type: r.type }]));
  }

  private async diff(deviceId: string): Promise<{ updates: FolderEntry[]; deletes: string[]; adds: FolderEntry[] }> {
    const folders = orderParentsFirst(await this.store.listFolders());
    const have = this.snapshot(deviceId);
    const updates: FolderEntry[] = [];
    const adds: FolderEntry[] = [];
    for (const f of folders) {
      const e = entryOf(f);
      const old = have.get(f.id);
      if (!old) adds.push(e);
      else if (old.parentId !== e.parentId || old.displayName !== e.displayName || old.type !== e.type) updates.push(e);
      have.delete(f.id);
    }
    return { updates, deletes: [...have.keys()], adds };
  }

  /** Applies a diff to the device's snapshot and issues the next key, in one transaction. */
  private commit(deviceId: string, row: HierRow | undefined, reset: boolean, change: (sql: SqlStorage) => void, last: LastOp): string {
    return this.storage.transactionSync(() => {
      createIfMissing(this.sql, HIER_DDL); // the first FolderSync makes the tables, in its transaction
      const series = reset || !row ? newSeries() : row.series;
      const cur = reset || !row ? 1 : row.cur + 1;
      const prev = reset || !row ? null : row.cur;
      if (reset) this.sql.exec(`DELETE FROM hier_item WHERE device_id = ?`, deviceId);
      change(this.sql);
      this.sql.exec(
        `INSERT OR REPLACE INTO hier_state (device_id, series, cur, prev, last_response) VALUES (?, ?, ?, ?, ?)`,
        deviceId,
        series,
        cur,
        prev,
        JSON.stringify(last),
      );
      return formatKey(series, cur);
    });
  }

  private putEntries(deviceId: string, entries: FolderEntry[]): (sql: SqlStorage) => void {
    return (sql) => {
      for (const e of entries)
        sql.exec(
          `INSERT OR REPLACE INTO hier_item (device_id, folder_id, parent_id, name, type) VALUES (?, ?, ?, ?, ?)`,
          deviceId,
          e.serverId,
          e.parentId,
          e.displayName,
          e.type,
        );
    };
  }

  private keyMatch(row: HierRow | undefined, key: string): "current" | "previous" | null {
    return row ? keyStanding(key, row.series, row.cur, row.prev) : null;
  }

  async folderSync(deviceId: string, syncKey: string): Promise<FolderSyncResult> {
    const row = this.row(deviceId);
    if (syncKey === "0") {
      const all = orderParentsFirst(await this.store.listFolders()).map(entryOf);
      const key = this.commit(deviceId, row, true, this.putEntries(deviceId, all), { kind: "sync", updates: [], deletes: [], adds: all });
      return { status: 1, syncKey: key, updates: [], deletes: [], adds: all };
    }
    const match = this.keyMatch(row, syncKey);
    if (!match || !row) return { status: INVALID_KEY, updates: [], deletes: [], adds: [] };
    if (match === "previous") {
      // The response carrying the current key was lost: send the same changes under a fresh key.
      const last = JSON.parse(row.last_response ?? "null") as LastOp | null;
      const same = last?.kind === "sync" ? last : { kind: "sync" as const, updates: [], deletes: [], adds: [] };
      const key = this.storage.transactionSync(() => {
        this.sql.exec(`UPDATE hier_state SET cur = cur + 1 WHERE device_id = ?`, deviceId);
        return formatKey(row.series, row.cur + 1);
      });
      return { status: 1, syncKey: key, updates: same.updates, deletes: same.deletes, adds: same.adds };
    }
    const d = await this.diff(deviceId);
    if (d.updates.length + d.deletes.length + d.adds.length === 0) return { status: 1, syncKey, ...d };
    const key = this.commit(
      deviceId,
      row,
      false,
      (sql) => {
        this.putEntries(deviceId, [...d.updates, ...d.adds])(sql);
        for (const id of d.deletes) sql.exec(`DELETE FROM hier_item WHERE device_id = ? AND folder_id = ?`, deviceId, id);
      },
      { kind: "sync", ...d },
    );
    for (const id of d.deletes) this.state.dropCollection(deviceId, id);
    return { status: 1, syncKey: key, ...d };
  }

  /**
   * For Ping Status 7 / Sync Status 12: does the hierarchy differ from what the device was last sent?
   * A device that never ran FolderSync has nothing to compare with: false (its Ping of an unknown folder
   * gets Status 7 from the folder check).
   */
  async hierarchyChanged(deviceId: string): Promise<boolean> {
    if (!this.row(deviceId)) return false;
    const d = await this.diff(deviceId);
    return d.updates.length + d.deletes.length + d.adds.length > 0;
  }

  /**
   * Key check of a device folder operation: the current key proceeds (the row is returned); the previous
   * key repeating the last operation is its retry after a lost response and succeeds again under a fresh
   * key; anything else is Status 9.
   */
  private beginOp(deviceId: string, syncKey: string, isRetry: (last: LastOp) => boolean): HierRow | FolderOpResult {
    const row = this.row(deviceId);
    const match = this.keyMatch(row, syncKey);
    if (!match || !row) return { status: INVALID_KEY };
    if (match === "current") return row;
    const last = JSON.parse(row.last_response ?? "null") as LastOp | null;
    if (!last || !isRetry(last)) return { status: INVALID_KEY };
    return { status: 1, syncKey: this.bump(deviceId, row), serverId: last.kind === "create" ? last.serverId : undefined };
  }

  async folderCreate(deviceId: string, syncKey: string, parentId: string, name: string, type: number): Promise<FolderOpResult> {
    const row = this.beginOp(deviceId, syncKey, (l) => l.kind === "create" && l.parentId === parentId && l.name === name);
    if (!("series" in row)) return row;
    let folder: StoreFolder;
    try {
      folder = await this.store.createFolder(parentId, name, type as StoreFolder["type"]);
    } catch (e) {
      // [MS-ASCMD] 2.2.3.177.3: 2 exists, 3 special parent, 5 parent not found, 10 malformed.
      return { status: folderErrorStatus(e, { exists: 2, special: 3, "parent-not-found": 5, invalid: 10, notFound: 5 }) };
    }
    const op: LastOp = { kind: "create", parentId, name, serverId: folder.id };
    const key = this.commit(deviceId, row, false, this.putEntries(deviceId, [entryOf(folder)]), op);
    return { status: 1, syncKey: key, serverId: folder.id };
  }

  async folderUpdate(deviceId: string, syncKey: string, serverId: string, parentId: string, name: string): Promise<FolderOpResult> {
    const same = (l: LastOp) => l.kind === "update" && l.serverId === serverId && l.parentId === parentId && l.name === name;
    const row = this.beginOp(deviceId, syncKey, same);
    if (!("series" in row)) return row;
    let folder: StoreFolder;
    try {
      folder = await this.store.updateFolder(serverId, name, parentId);
    } catch (e) {
      // [MS-ASCMD] 2.2.3.177.6: 2 exists or special folder, 4 not found, 5 parent not found, 10 malformed.
      return { status: folderErrorStatus(e, { exists: 2, special: 2, "parent-not-found": 5, invalid: 10, notFound: 4 }) };
    }
    const key = this.commit(deviceId, row, false, this.putEntries(deviceId, [entryOf(folder)]), {
      kind: "update",
      serverId,
      parentId,
      name,
    });
    return { status: 1, syncKey: key };
  }

  async folderDelete(deviceId: string, syncKey: string, serverId: string): Promise<FolderOpResult> {
    const row = this.beginOp(deviceId, syncKey, (l) => l.kind === "delete" && l.serverId === serverId);
    if (!("series" in row)) return row;
    try {
      await this.store.deleteFolder(serverId);
    } catch (e) {
      // [MS-ASCMD] 2.2.3.177.4: 3 special folder, 4 not found.
      return { status: folderErrorStatus(e, { exists: 6, special: 3, "parent-not-found": 4, invalid: 10, notFound: 4 }) };
    }
    const remaining = new Set((await this.store.listFolders()).map((f) => f.id));
    const gone = [...this.snapshot(deviceId).keys()].filter((id) => !remaining.has(id));
    const key = this.commit(
      deviceId,
      row,
      false,
      (sql) => {
        for (const id of gone) sql.exec(`DELETE FROM hier_item WHERE device_id = ? AND folder_id = ?`, deviceId, id);
      },
      { kind: "delete", serverId },
    );
    for (const id of gone) this.state.dropCollection(deviceId, id);
    return { status: 1, syncKey: key };
  }

  private bump(deviceId: string, row: HierRow): string {
    this.sql.exec(`UPDATE hier_state SET cur = cur + 1 WHERE device_id = ?`, deviceId);
    return formatKey(row.series, row.cur + 1);
  }
}

function entryOf(f: StoreFolder): FolderEntry {
  return { serverId: f.id, parentId: f.parentId || "0", displayName: f.name, type: f.type };
}

/** Parents before children, so a device never sees a ParentId it does not know yet. */
function orderParentsFirst(folders: StoreFolder[]): StoreFolder[] {
  const byId = new Map(folders.map((f) => [f.id, f]));
  const depth = (f: StoreFolder): number => {
    let d = 0;
    let p = byId.get(f.parentId);
    while (p && d < 64) {
      d++;
      p = byId.get(p.parentId);
    }
    return d;
  };
  return folders
    .map((f) => ({ f, d: depth(f) }))
    .sort((a, b) => a.d - b.d)
    .map((x) => x.f);
}

function folderErrorStatus(
  e: unknown,
  map: { exists: number; special: number; "parent-not-found": number; invalid: number; notFound: number },
): number {
  if (isStoreError(e, "StoreFolderError")) return map[e.code] ?? 6;
  if (isStoreError(e, "StoreNotFoundError")) return map.notFound;
  throw e; // StoreUnavailableError and the unexpected: the front door answers 503/500
}
