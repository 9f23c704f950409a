// The mailbox object's own copy of its subscription state, so the device path never waits on D1
// (ARCHITECTURE.md "State and where it lives"). The service pushes it on every change.
import type { MailboxSubscriptionState, MailboxSubscriptionStatus } from "./contract";
import { createIfMissing, hasTable } from "../store/ddl";

// Its table is made by the first state the service pushes (issue 15 target 3): a mailbox without a subscription
// never has one, and every request reads it (a missing table: no state, ddl.ts hasTable).
export class SubscriptionStateStore {
  constructor(private readonly sql: SqlStorage) {}

  private made(): void {
    createIfMissing(
      this.sql,
      `CREATE TABLE IF NOT EXISTS subscription_state (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      subscription_id TEXT NOT NULL,
      status TEXT NOT NULL,
      reason TEXT,
      version INTEGER NOT NULL,
      updated_at INTEGER NOT NULL)`,
    );
  }

  get(): MailboxSubscriptionState | null {
    if (!hasTable(this.sql, "subscription_state")) return null;
    const row = this.sql
      .exec<{ subscription_id: string; status: string; reason: string | null; version: number; updated_at: number }>(
        "SELECT subscription_id, status, reason, version, updated_at FROM subscription_state WHERE id = 1",
      )
      .toArray()[0];
    if (!row) return null;
    return {
      subscriptionId: row.subscription_id,
      status: row.status as MailboxSubscriptionStatus,
      reason: row.reason,
      version: row.version,
      updatedAt: row.updated_at,
    };
  }

  /** Stores `next` unless the copy held is newer. Returns whether it was applied. */
  set(next: MailboxSubscriptionState): boolean {
    const cur = this.get();
    if (cur) {
      const stale = cur.subscriptionId === next.subscriptionId ? next.version < cur.version : next.updatedAt < cur.updatedAt;
      if (stale) return false;
    }
    this.made();
    this.sql.exec(
      `INSERT INTO subscription_state (id, subscription_id, status, reason, version, updated_at) VALUES (1, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET subscription_id = excluded.subscription_id, status = excluded.status,
         reason = excluded.reason, version = excluded.version, updated_at = excluded.updated_at`,
      next.subscriptionId,
      next.status,
      next.reason,
      next.version,
      next.updatedAt,
    );
    return true;
  }
}
