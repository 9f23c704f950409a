// Schema statements on an object's start (issue 15 target 3, src/store/ddl.ts): a mailbox object woken by a
// delivery while a Ping waits runs no `CREATE … IF NOT EXISTS` for the tables it already has; a missing table
// or index is still created, and after the storage is erased everything is created again.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Mailbox } from "../../src/mailbox/mailbox";
import { createdNames, createIfMissing, forgetSchema } from "../../src/store/ddl";
import { statementsDuring } from "./helpers/statements";
import { ping, pingBody, waitsOpen } from "./push-helpers";

const raw = (to: string) => new TextEncoder().encode(`From: a@example.test\r\nTo: ${to}\r\nSubject: hi\r\n\r\nhello\r\n`);

/** A SqlStorage that records what reaches it (its own read of sqlite_master: a fresh key for createIfMissing). */
function recording(sql: SqlStorage): { sql: SqlStorage; seen: string[] } {
  const seen: string[] = [];
  const wrapped = {
    exec: (query: string, ...bindings: unknown[]) => {
      seen.push(query);
      return sql.exec(query, ...(bindings as SqlStorageValue[]));
    },
  };
  return { sql: wrapped as unknown as SqlStorage, seen };
}

const tableNames = (sql: SqlStorage) =>
  sql
    .exec<{ name: string }>("SELECT name FROM sqlite_master")
    .toArray()
    .map((r) => r.name);

describe("createIfMissing", () => {
  it("names what a statement creates: tables, indexes, unique indexes, virtual tables; nothing else", () => {
    expect(createdNames("CREATE TABLE IF NOT EXISTS a (x)")).toEqual(["a"]);
    expect(createdNames("CREATE UNIQUE INDEX IF NOT EXISTS b ON a (x)")).toEqual(["b"]);
    expect(createdNames('CREATE INDEX IF NOT EXISTS "c" ON a (x)')).toEqual(["c"]);
    expect(createdNames("CREATE VIRTUAL TABLE IF NOT EXISTS d USING fts5(x)")).toEqual(["d"]);
    expect(createdNames("CREATE TABLE IF NOT EXISTS e (x); CREATE INDEX IF NOT EXISTS f ON e (x)")).toEqual(["e", "f"]);
    expect(createdNames("CREATE TABLE g (x)")).toEqual([]);
    expect(createdNames("UPDATE a SET x = 1")).toEqual([]);
  });

  it("runs a statement only when something it creates is missing; other statements always", async () => {
    await runInDurableObject(env.MAILBOX.getByName("ddl-unit@example.test"), (_mb: Mailbox, state) => {
      const real = state.storage.sql;
      real.exec("CREATE TABLE IF NOT EXISTS t1 (x)");
      const { sql, seen } = recording(real);
      createIfMissing(sql, "CREATE TABLE IF NOT EXISTS t1 (x)");
      expect(seen).toEqual(["SELECT name FROM sqlite_master"]);
      createIfMissing(sql, "CREATE TABLE IF NOT EXISTS t2 (x)");
      createIfMissing(sql, "CREATE TABLE IF NOT EXISTS t1 (x); CREATE INDEX IF NOT EXISTS t1_x ON t1 (x)");
      createIfMissing(sql, "INSERT INTO t1 (x) VALUES (1)");
      expect(seen.slice(1)).toEqual([
        "CREATE TABLE IF NOT EXISTS t2 (x)",
        "CREATE TABLE IF NOT EXISTS t1 (x); CREATE INDEX IF NOT EXISTS t1_x ON t1 (x)",
        "INSERT INTO t1 (x) VALUES (1)",
      ]);
      expect(tableNames(real)).toEqual(expect.arrayContaining(["t1", "t2", "t1_x"]));
      // A table dropped in this instance: forgotten only when told.
      real.exec("DROP TABLE t2");
      forgetSchema(sql);
      createIfMissing(sql, "CREATE TABLE IF NOT EXISTS t2 (x)");
      expect(tableNames(real)).toContain("t2");
    });
  });
});

describe("a mailbox object's start", () => {
  it("woken by a delivery while a Ping waits, it runs no CREATE for the tables it has, and the Ping gets Status 2", async () => {
    const u = "ddl-wake@example.test";
    const stub = env.MAILBOX.getByName(u);
    await stub.deliver(raw(u)); // the tables a first delivery creates (conversation rules, out-of-office) exist
    const p = ping(u, "d", pingBody(600, [["1", "Email"]]));
    await waitsOpen(u, 1);
    await evictDurableObject(stub);
    const statements = await statementsDuring(() => stub.deliver(raw(u)));
    expect((await p).status).toBe(2);
    expect(statements.length).toBeGreaterThan(0);
    expect(statements.filter((s) => /^\s*CREATE\b/i.test(s))).toEqual([]);
  });

  it("after eraseEverything every table is there again and mail is delivered", async () => {
    const u = "ddl-erase@example.test";
    const stub = env.MAILBOX.getByName(u);
    await stub.deliver(raw(u));
    const before = await runInDurableObject(stub, (_mb: Mailbox, state) => tableNames(state.storage.sql).sort());
    await stub.eraseEverything();
    await stub.deliver(raw(u));
    const after = await runInDurableObject(stub, (_mb: Mailbox, state) => tableNames(state.storage.sql).sort());
    expect(after).toEqual(before);
    expect((await stub.listFolders()).length).toBeGreaterThan(0);
  });
});
