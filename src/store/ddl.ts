// `CREATE … IF NOT EXISTS`, run only when an object it names is missing (issue 15 target 3).
//
// Every module of the mailbox object declares its tables when it is built, so each start of an evicted object
// (a parked Ping woken by a delivery) ran ~35 such statements on a fresh SQLite connection, each one parsed
// anew and then kept prepared in the runtime's statement cache for the life of the instance. One read of
// sqlite_master per instance now stands for them: a statement runs unless every object it creates was there
// at that read; when it runs, its own IF NOT EXISTS decides as before.
//
// The read is never refreshed by a DROP: code that removes schema objects from a running instance calls
// `forgetSchema` (eraseEverything's deleteAll does). Objects created after the read are not added to it, so a
// module built twice in one instance only repeats its CREATE … IF NOT EXISTS, as it always did.

const known = new WeakMap<SqlStorage, Set<string>>();

const CREATED = /\bCREATE\s+(?:UNIQUE\s+|VIRTUAL\s+)?(?:TABLE|INDEX)\s+IF\s+NOT\s+EXISTS\s+["`[]?(\w+)/gi;

/** The tables and indexes `ddl` creates (only `CREATE … IF NOT EXISTS` ones count). */
export function createdNames(ddl: string): string[] {
  return [...ddl.matchAll(CREATED)].map((m) => m[1]);
}

/** Runs `ddl` unless it only creates (IF NOT EXISTS) objects the database had at this instance's first call. */
export function createIfMissing(sql: SqlStorage, ddl: string): void {
  const names = createdNames(ddl);
  if (names.length > 0) {
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
    if (names.every((n) => present.has(n))) return;
  }
  sql.exec(ddl);
}

/** Forget the read of sqlite_master (after schema objects were dropped): the next createIfMissing reads it again. */
export function forgetSchema(sql: SqlStorage): void {
  known.delete(sql);
}
