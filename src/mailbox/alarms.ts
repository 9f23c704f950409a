// A Durable Object has one alarm. Modules (outbox retries, and whoever needs a timer next) each keep
// their own "next due time" here; the single storage alarm is always set to the earliest one, and
// Mailbox.alarm() hands each due module its turn.
import { logError } from "../observability/log";
import { createIfMissing, hasTable } from "../store/ddl";

/** Runs the module's due work; returns when it wants to run next (ms since epoch), or null for never. */
export type AlarmHandler = (now: number) => Promise<number | null>;

/**
 * The earliest time any module wants to run (null: none), as an expression a caller may read with others: NULL
 * when no module ever asked for a timer (no table: it is made by the first schedule, issue 15 target 3).
 */
export function alarmEarliest(sql: SqlStorage): string {
  return hasTable(sql, "alarm_due") ? "(SELECT min(due) FROM alarm_due)" : "NULL";
}

// Its table is made by the first timer set (issue 15 target 3): most mailboxes never set one, and every start reads
// it (ddl.ts hasTable: a missing table reads as no timer).
export class AlarmMux {
  constructor(private readonly storage: DurableObjectStorage) {}

  /** Whether the table exists (no statement unless this instance made it: ddl.ts hasTable). */
  private get present(): boolean {
    return hasTable(this.storage.sql, "alarm_due");
  }

  /** Sets (or with null clears) when `name` wants to run; never later than an earlier request still pending. */
  async schedule(name: string, due: number | null, opts: { replace?: boolean } = {}): Promise<void> {
    const sql = this.storage.sql;
    if (due === null) {
      if (this.present) sql.exec(`DELETE FROM alarm_due WHERE name = ?`, name); // none: no timer was ever set
    } else {
      createIfMissing(sql, `CREATE TABLE IF NOT EXISTS alarm_due (name TEXT PRIMARY KEY, due INTEGER NOT NULL)`);
      if (opts.replace) sql.exec(`INSERT OR REPLACE INTO alarm_due (name, due) VALUES (?, ?)`, name, due);
      else
        sql.exec(`INSERT INTO alarm_due (name, due) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET due = min(due, excluded.due)`, name, due);
    }
    await this.arm();
  }

  nextDue(name: string): number | null {
    if (!this.present) return null;
    const row = this.storage.sql.exec<{ due: number }>(`SELECT due FROM alarm_due WHERE name = ?`, name).toArray()[0];
    return row ? row.due : null;
  }

  /** Called from the object's alarm(): runs every due handler, then re-arms for the earliest next time. */
  async run(handlers: Record<string, AlarmHandler>, now = Date.now()): Promise<void> {
    const due = this.present
      ? this.storage.sql.exec<{ name: string }>(`SELECT name FROM alarm_due WHERE due <= ? ORDER BY due`, now).toArray()
      : [];
    for (const { name } of due) {
      const handler = handlers[name];
      let next: number | null;
      try {
        next = handler ? await handler(now) : null;
      } catch (e) {
        logError(`alarm handler ${name}`, e);
        next = Date.now() + 60_000;
      }
      if (next === null) this.storage.sql.exec(`DELETE FROM alarm_due WHERE name = ?`, name);
      else this.storage.sql.exec(`INSERT OR REPLACE INTO alarm_due (name, due) VALUES (?, ?)`, name, next);
    }
    await this.arm();
  }

  /** Re-arms the storage alarm from the table (after a restart that may have cut a schedule() in half). */
  async arm(): Promise<void> {
    const want = this.present
      ? (this.storage.sql.exec<{ due: number | null }>(`SELECT min(due) AS due FROM alarm_due`).toArray()[0]?.due ?? null)
      : null;
    const current = await this.storage.getAlarm();
    if (want === null) {
      if (current !== null) await this.storage.deleteAlarm();
    } else if (current !== want) {
      await this.storage.setAlarm(want);
    }
  }
}
