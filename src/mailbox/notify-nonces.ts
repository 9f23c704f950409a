// Signatures of accepted notify-webhook calls, remembered for twice the timestamp window so a captured
// request cannot be replayed (the timestamp check rejects anything older).
import { createIfMissing } from "../store/ddl";
export class NotifyNonces {
  constructor(private readonly sql: SqlStorage) {
    createIfMissing(sql, "CREATE TABLE IF NOT EXISTS push_notify_nonce (nonce TEXT PRIMARY KEY, ts INTEGER NOT NULL)");
  }

  accept(nonce: string, timestamp: number, windowSeconds: number): boolean {
    const now = Math.floor(Date.now() / 1000);
    this.sql.exec("DELETE FROM push_notify_nonce WHERE ts < ?", now - 2 * windowSeconds);
    if (this.sql.exec("SELECT 1 FROM push_notify_nonce WHERE nonce = ?", nonce).toArray().length) return false;
    this.sql.exec("INSERT INTO push_notify_nonce (nonce, ts) VALUES (?, ?)", nonce, timestamp);
    return true;
  }
}
