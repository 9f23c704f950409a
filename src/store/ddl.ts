// `CREATE … IF NOT EXISTS`, run only when an object it names is missing (issue 15 target 3).
//
// Every module of the mailbox object declares its tables when it is built, so each start of an evicted object
// (a parked Ping woken by a delivery) ran ~35 such statements on a fresh SQLite connection, each one parsed
// anew and then kept prepared in the runtime's statement cache for the life of the instance. One read of
// sqlite_master per instance now stands for them: a statement runs unless every object it creates was there
// at that read; when it runs, its own IF NOT EXISTS decides as before.
//
// The read is never refreshed by a DROP: code that removes schema objects from a running instance calls
// `forgetSchema` (eraseEverything's deleteAll does). `hasTable` answers from it for tables a module makes only
// when it first writes them. Objects created after the read are not added to it, so a
// module built twice in one instance only repeats its CREATE … IF NOT EXISTS, as it always did.

const known = new WeakMap<SqlStorage, Set<string>>();
/** Names a `createIfMissing` of this instance asked for (made since the read, or about to be). */
const asked = new WeakMap<SqlStorage, Set<string>>();

const CREATED = /\bCREATE\s+(?:UNIQUE\s+|VIRTUAL\s+)?(?:TABLE|INDEX)\s+IF\s+NOT\s+EXISTS\s+["`[]?(\w+)/gi;

/** The tables and indexes `ddl` creates (only `CREATE … IF NOT EXISTS` ones count). */
export function createdNames(ddl: string): string[] {
  return [...ddl.matchAll(CREATED)].map((m) => m[1]);
}

/**
 * The names in sqlite_master (tables, indexes) at this instance's first call: one read per instance, shared by
 * every caller (the schema version check, each module's CREATEs). A name missing here may have been created since.
 */
export function schemaNames(sql: SqlStorage): ReadonlySet<string> {
  let present = known.get(sql);
  if (!present) {
    present = new Set(
      sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master")
        .toArray()
        .map((r) => r.name),
    );
    known.set(sql, present);
  }
  return present;
}

/** Runs `ddl` unless it only creates (IF NOT EXISTS) objects the database had at this instance's first call. */
export function createIfMissing(sql: SqlStorage, ddl: string): void {
  const names = createdNames(ddl);
  if (names.length > 0) {
    const present = schemaNames(sql);
    if (names.every((n) => present.has(n))) return;
    let mine = asked.get(sql);
    if (!mine) asked.set(sql, (mine = new Set()));
    for (const n of names) mine.add(n);
  }
  sql.exec(ddl);
}

/**
 * Whether table `name` exists, for a module that makes its tables on its first write and reads a missing one as
 * empty (out-of-office, conversation rules: most mailboxes never write them, and a delivery reads both). No
 * statement when the instance's read of sqlite_master listed it, or when nothing in this instance asked for it
 * since (every such table is made through `createIfMissing`); otherwise sqlite_master is asked, each time,
 * because the CREATE may have been in a transaction that rolled back.
 */
export function hasTable(sql: SqlStorage, name: string): boolean {
  if (schemaNames(sql).has(name)) return true;
  if (!asked.get(sql)?.has(name)) return false;
  return sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", name).toArray().length > 0;
}

/** Forget the read of sqlite_master (after schema objects were dropped): the next createIfMissing reads it again. */
export function forgetSchema(sql: SqlStorage): void {
  known.delete(sql);
  asked.delete(sql);
}
