// The zone each device last used in a calendar item it sent: the best guess of "local" for that device's
// all-day events (14.x), birthdays (iOS) and tasks, before the mailbox-wide default.
// Its table is made by the first zone set (issue 15 target 3): a device that never sent a calendar item (any
// mail-only phone) has none to read (ddl.ts hasTable: a missing table reads as no zone).
import { createIfMissing, hasTable } from "../store/ddl";
export class DeviceZones {
  private readonly cache = new Map<string, string | null>();

  constructor(private readonly sql: SqlStorage) {}

  private get present(): boolean {
    return hasTable(this.sql, "pim_device_zones");
  }

  get(deviceId: string): string | undefined {
    if (!this.cache.has(deviceId)) {
      if (!this.present) return undefined; // not cached: the table may be made later in this instance
      const row = this.sql.exec<{ zone: string }>(`SELECT zone FROM pim_device_zones WHERE device_id = ?`, deviceId).toArray()[0];
      this.cache.set(deviceId, row?.zone ?? null);
    }
    return this.cache.get(deviceId) ?? undefined;
  }

  /** Forgets the device's zone (its partnership was removed). */
  forget(deviceId: string): void {
    if (this.present) this.sql.exec(`DELETE FROM pim_device_zones WHERE device_id = ?`, deviceId);
    this.cache.delete(deviceId);
  }

  set(deviceId: string, zone: string): void {
    if (this.get(deviceId) === zone) return;
    createIfMissing(this.sql, `CREATE TABLE IF NOT EXISTS pim_device_zones (device_id TEXT PRIMARY KEY, zone TEXT NOT NULL)`);
    this.sql.exec(`INSERT OR REPLACE INTO pim_device_zones (device_id, zone) VALUES (?, ?)`, deviceId, zone);
    this.cache.set(deviceId, zone);
  }
}
