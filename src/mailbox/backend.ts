import type { BridgeBackend } from "./contract";
import { createIfMissing } from "../store/ddl";

const TABLE = `CREATE TABLE IF NOT EXISTS mailbox_backend (k INTEGER PRIMARY KEY CHECK (k = 1), config TEXT NOT NULL)`;

/** The object's own copy of its backend configuration (one row), read synchronously at construction. */
export class BackendConfigStore {
  constructor(private readonly sql: SqlStorage) {
    createIfMissing(sql, TABLE);
  }

  get(): BridgeBackend | null {
    const row = this.sql.exec<{ config: string }>("SELECT config FROM mailbox_backend WHERE k = 1").toArray()[0];
    return row ? (JSON.parse(row.config) as BridgeBackend) : null;
  }

  set(backend: BridgeBackend | null): void {
    if (backend) this.sql.exec("INSERT OR REPLACE INTO mailbox_backend (k, config) VALUES (1, ?)", JSON.stringify(backend));
    else this.sql.exec("DELETE FROM mailbox_backend");
  }
}
