// The mailbox object's own SQLite schema, versioned (issue 17 §2). Each module creates its tables when first
// used (`CREATE TABLE IF NOT EXISTS`), which covers new tables; changes to existing ones (a column, an index,
// rewritten rows) are migrations here. An object records the version it is at; when it wakes under new code it
// runs the migrations above that version before anything else touches storage, each with the version bump in
// one transaction, so a failure leaves the object at its previous version with its data as it was.
//
// Version 1 is the schema before versioning (releases up to issue 17): an object with tables but no version
// row is at 1. A new (empty) object starts at the latest version: its modules create current tables.
import { logEvent } from "../observability/log";
import { schemaNames } from "../store/ddl";

export interface Migration {
  version: number;
  /** What changes, for the log line and the reader. */
  name: string;
  up(sql: SqlStorage): void;
}

const tableExists = (sql: SqlStorage, name: string) =>
  sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", name).toArray().length > 0;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 2,
    name: "outbox: index on creation time (the metrics read the oldest waiting message at each run)",
    up(sql) {
      if (tableExists(sql, "outbox")) sql.exec("CREATE INDEX IF NOT EXISTS outbox_created ON outbox (created)");
    },
  },
];

export const MAILBOX_SCHEMA_VERSION = Math.max(1, ...MIGRATIONS.map((m) => m.version));

/** Tables of ours (not SQLite's or the platform's). */
function hasState(sql: SqlStorage): boolean {
  return (
    sql
      .exec(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name <> 'mailbox_schema' LIMIT 1",
      )
      .toArray().length > 0
  );
}

export function schemaVersion(sql: SqlStorage): number | null {
  // The instance's one read of sqlite_master (ddl.ts) answers for an object that has the table (every start
  // but the first); only a table it did not list is looked up, as it may have been made since.
  if (!schemaNames(sql).has("mailbox_schema") && !tableExists(sql, "mailbox_schema")) return null;
  const row = sql.exec<{ version: number }>("SELECT version FROM mailbox_schema WHERE id = 1").toArray()[0];
  return row ? Number(row.version) : null;
}

/**
 * Brings this object's storage to the latest version; call before any module opens its tables.
 * Returns the versions it went from and to (equal when nothing was done: one small read).
 */
export function upgradeSchema(
  storage: DurableObjectStorage,
  migrations: readonly Migration[] = MIGRATIONS,
  now = Date.now(),
): { from: number; to: number } {
  const sql = storage.sql;
  const latest = Math.max(1, ...migrations.map((m) => m.version));
  const recorded = schemaVersion(sql);
  if (recorded !== null && recorded >= latest) return { from: recorded, to: recorded };
  const set = (v: number) => {
    sql.exec(
      "CREATE TABLE IF NOT EXISTS mailbox_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, upgraded_at INTEGER NOT NULL)",
    );
    sql.exec("INSERT OR REPLACE INTO mailbox_schema (id, version, upgraded_at) VALUES (1, ?, ?)", v, now);
  };
  if (recorded === null && !hasState(sql)) {
    set(latest);
    return { from: latest, to: latest };
  }
  const from = recorded ?? 1;
  let at = from;
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= at) continue;
    storage.transactionSync(() => {
      m.up(sql);
      set(m.version);
    });
    at = m.version;
    logEvent("push", { event: "mailbox-schema-upgraded", to: m.version, migration: m.name });
  }
  if (recorded === null && at === from) set(from);
  return { from, to: at };
}
