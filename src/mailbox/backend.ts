// Where a mailbox's data lives: the built-in store (default) or the provider's servers (issue 8 bridge).
// The admin API records the choice in D1 (for the directory) and in the mailbox object (for the stores),
// which must decide per request without D1. The account's password is never stored: it comes with each
// device request (Basic auth, verified against the IMAP server by the front door) and stays in memory.
import type { TlsMode } from "../store/imap/connection";

export interface ServerEndpoint {
  host: string;
  port: number;
  tls: TlsMode;
}

export interface BridgeBackend {
  kind: "imap";
  imap: ServerEndpoint;
  /** "account": submission with the account's own login (default); "none": the server relays for us. */
  smtp: ServerEndpoint & { auth?: "account" | "none" };
  /** CalDAV/CardDAV root or principal URL; without it a bridged mailbox syncs mail only. */
  dav?: { url: string };
  /**
   * "notify": the IMAP server announces changes (Dovecot push_notification → /notify/…);
   * "poll": it cannot, so the store is polled while (and only while) a device waits.
   */
  push?: "notify" | "poll";
}

/** The account's login as the device sent it, after the front door verified it. Memory only. */
export interface BackendCredentials {
  username: string;
  password: string;
}

const TABLE = `CREATE TABLE IF NOT EXISTS mailbox_backend (k INTEGER PRIMARY KEY CHECK (k = 1), config TEXT NOT NULL)`;

/** The object's own copy of its backend configuration (one row), read synchronously at construction. */
export class BackendConfigStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(TABLE);
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
