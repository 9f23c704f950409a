// The Ping parameters a device last sent, cached per device in the mailbox object's SQLite
// ([MS-ASCMD] 3.1.5.8: MS-ASCMD_R5632, R5831, R5832, R322: an empty Ping reuses them).
import type { PingBounds, PingFolder, PingInput } from "./contract";
import { createIfMissing } from "../store/ddl";

export type PingPlan =
  | { ok: true; heartbeat: number; folders: PingFolder[] }
  /** 3: parameters missing and nothing cached (R4239-R4242). */
  | { ok: false; status: 3 }
  /** 5: heartbeat out of range, with the closest allowed value (R4246-R4251, R5690, R5691). */
  | { ok: false; status: 5; heartbeat: number }
  /** 6: too many folders, with MaxFolders (R4252-R4255, R3259). */
  | { ok: false; status: 6; maxFolders: number }
  /** 7: a watched folder no longer exists: the hierarchy is out of date (R4256-R4259). */
  | { ok: false; status: 7 };

export class PingParams {
  constructor(private readonly sql: SqlStorage) {
    // WITHOUT ROWID (issue 15 target 3): the text key is the table's own b-tree, not a second one beside it (one schema
    // object less at each start of the object); tables made before keep their rowid and index.
    createIfMissing(
      sql,
      "CREATE TABLE IF NOT EXISTS push_ping (device_id TEXT PRIMARY KEY, heartbeat INTEGER, folders TEXT) WITHOUT ROWID",
    );
  }

  cached(deviceId: string): PingInput {
    const rows = this.sql
      .exec<{ heartbeat: number | null; folders: string | null }>("SELECT heartbeat, folders FROM push_ping WHERE device_id = ?", deviceId)
      .toArray();
    if (!rows.length) return {};
    return {
      heartbeat: rows[0].heartbeat ?? undefined,
      folders: rows[0].folders ? (JSON.parse(rows[0].folders) as PingFolder[]) : undefined,
    };
  }

  /**
   * Merges what the device sent with its cache, checks the bounds and, when usable, caches the result.
   * `knownFolders`: the mailbox's folder ids when known (unknown ids → Status 7).
   */
  plan(deviceId: string, input: PingInput, bounds: PingBounds, knownFolders?: Set<string>): PingPlan {
    const cached = this.cached(deviceId);
    const heartbeat = input.heartbeat ?? cached.heartbeat;
    const folders = input.folders ?? cached.folders;
    if (heartbeat === undefined || folders === undefined || folders.length === 0) {
      // Keep what the device did send, so its next Ping may omit it (R5836).
      if (input.heartbeat !== undefined && inBounds(input.heartbeat, bounds)) this.store(deviceId, input.heartbeat, cached.folders);
      return { ok: false, status: 3 };
    }
    if (heartbeat < bounds.minHeartbeat) return { ok: false, status: 5, heartbeat: bounds.minHeartbeat };
    if (heartbeat > bounds.maxHeartbeat) return { ok: false, status: 5, heartbeat: bounds.maxHeartbeat };
    if (folders.length > bounds.maxFolders) return { ok: false, status: 6, maxFolders: bounds.maxFolders };
    this.store(deviceId, heartbeat, folders);
    if (knownFolders && folders.some((f) => !knownFolders.has(f.id))) return { ok: false, status: 7 };
    return { ok: true, heartbeat, folders };
  }

  /** Forgets the device's cached Ping parameters (its partnership was removed). */
  forget(deviceId: string): void {
    this.sql.exec("DELETE FROM push_ping WHERE device_id = ?", deviceId);
  }

  private store(deviceId: string, heartbeat: number, folders: PingFolder[] | undefined): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO push_ping (device_id, heartbeat, folders) VALUES (?, ?, ?)",
      deviceId,
      heartbeat,
      folders ? JSON.stringify(folders) : null,
    );
  }
}

function inBounds(heartbeat: number, b: PingBounds): boolean {
  return heartbeat >= b.minHeartbeat && heartbeat <= b.maxHeartbeat;
}
