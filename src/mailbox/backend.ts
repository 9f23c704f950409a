import type { BridgeBackend } from "./contract";
import { createIfMissing, hasTable } from "../store/ddl";

const TABLE = `CREATE TABLE IF NOT EXISTS mailbox_backend (k INTEGER PRIMARY KEY CHECK (k = 1), config TEXT NOT NULL)`;

/**
 * The object's own copy of its backend configuration (one row), read synchronously at construction. Made by its
 * first write (issue 15 target 3): a built-in mailbox, never bridged, has no table and reads none at each start
 * (one schema object, one statement and one page less per start of the object); a missing table reads as built-in.
 */
export class BackendConfigStore {
  constructor(private readonly sql: SqlStorage) {}

  get(): BridgeBackend | null {
    if (!hasTable(this.sql, "mailbox_backend")) return null;
    const row = this.sql.exec<{ config: string }>("SELECT config FROM mailbox_backend WHERE k = 1").toArray()[0];
    return row ? (JSON.parse(row.config) as BridgeBackend) : null;
  }

  set(backend: BridgeBackend | null): void {
    if (backend) {
      createIfMissing(this.sql, TABLE);
      this.sql.exec("INSERT OR REPLACE INTO mailbox_backend (k, config) VALUES (1, ?)", JSON.stringify(backend));
    } else if (hasTable(this.sql, "mailbox_backend")) this.sql.exec("DELETE FROM mailbox_backend");
  }
}
