// iTIP messages the calendar did not take (issue 13 §2): a stranger's CANCEL or REQUEST, a REPLY for someone
// else, an invitation that cannot be read. Recorded for support, and read by the mail view, which shows such a
// message as the plain mail it is rather than as a meeting request the phone would offer to accept.
import { createIfMissing, hasTable } from "../store/ddl";
const KEEP = 1000;

// Its table is made by the first refusal (issue 15 target 3): most mailboxes never get one, and the mail view
// asks `has` for every meeting request it shows (a missing table: none refused, ddl.ts hasTable).
export class ItipRefusals {
  constructor(private readonly sql: SqlStorage) {}

  /** `item` is the message's server id (folder:item). The newest KEEP are kept. */
  record(item: string, sender: string, method: string, reason: string): void {
    createIfMissing(
      this.sql,
      `CREATE TABLE IF NOT EXISTS pim_itip_refused (id INTEGER PRIMARY KEY AUTOINCREMENT, item TEXT NOT NULL, sender TEXT NOT NULL, method TEXT NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL);
       CREATE INDEX IF NOT EXISTS pim_itip_refused_item ON pim_itip_refused (item)`,
    );
    this.sql.exec(
      `INSERT INTO pim_itip_refused (item, sender, method, reason, at) VALUES (?, ?, ?, ?, ?)`,
      item,
      sender.slice(0, 320),
      method.slice(0, 32),
      reason.slice(0, 500),
      Date.now(),
    );
    this.sql.exec(`DELETE FROM pim_itip_refused WHERE id <= (SELECT MAX(id) FROM pim_itip_refused) - ?`, KEEP);
    console.warn(`iTIP ${method} ${item} from ${sender || "?"} left as mail: ${reason.slice(0, 200)}`);
  }

  has(item: string): boolean {
    if (!hasTable(this.sql, "pim_itip_refused")) return false;
    return this.sql.exec(`SELECT 1 FROM pim_itip_refused WHERE item = ? LIMIT 1`, item).toArray().length > 0;
  }
}
