// Local deliveries this mailbox has stored, by the sender's delivery id (issue 19): the outbox of a mailbox of
// this service hands a message to its recipient's object over RPC and tries again when it hears nothing back.
// The answer can be lost after the recipient stored the message (the sender's object reset, the connection
// between the objects dropped); the retry then finds the id here and the message is not stored twice.
// The id is written right after the store's own write, with no I/O between them: both are in the same
// implicit transaction of the object's SQLite, so a crash keeps both or neither.
import type { Delivered } from "./delivery";
import { createIfMissing } from "../store/ddl";

/** Longer than the outbox keeps trying (48 h by default). */
const KEEP_MS = 7 * 86_400_000;

export class DeliveryLog {
  constructor(private readonly sql: SqlStorage) {
    createIfMissing(
      sql,
      `CREATE TABLE IF NOT EXISTS delivered_once (id TEXT PRIMARY KEY, folder_id TEXT NOT NULL, item_id TEXT NOT NULL, at INTEGER NOT NULL)`,
    );
  }

  get(id: string): Delivered | null {
    const row = this.sql
      .exec<{ folder_id: string; item_id: string }>(`SELECT folder_id, item_id FROM delivered_once WHERE id = ?`, id)
      .toArray()[0];
    return row ? { folderId: row.folder_id, itemId: row.item_id } : null;
  }

  put(id: string, d: Delivered, now = Date.now()): void {
    this.sql.exec(`DELETE FROM delivered_once WHERE at < ?`, now - KEEP_MS);
    this.sql.exec(`INSERT OR REPLACE INTO delivered_once (id, folder_id, item_id, at) VALUES (?, ?, ?, ?)`, id, d.folderId, d.itemId, now);
  }
}
