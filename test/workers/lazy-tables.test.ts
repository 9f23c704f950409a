// Tables made by their first write (issue 15 target 3). SQLite parses a database's whole schema on every
// connection, so each schema object a mailbox holds costs memory at each start of its object (and more at the
// start that makes it): a mail-only mailbox makes and opens only what it uses. The outbox, the timers, meeting
// answers and the iMIP reply queue, refused iTIP mail, PIM items, device zones, bulk-import digests, the ClientId
// map and the folder hierarchy's state wait for their first write; each reader takes a missing table as empty.
// Each is read here before its first write (empty, no error, no table made), written in a transaction that
// rolls back (no table believed present after), and written and read across restarts.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Mailbox } from "../../src/mailbox/mailbox";
import type { MailboxStores } from "../../src/mailbox/stores";
import { hasOutbox } from "../../src/mailbox/outbox";
import { BackendConfigStore } from "../../src/mailbox/backend";
import type { BridgeBackend } from "../../src/mailbox/contract";
import { ensureSchema, SCHEMA_VERSION, V1 } from "../../src/store/builtin/schema";
import { hasTable } from "../../src/store/ddl";
import { PimConflictError } from "../../src/store/pim-types";
import { createAccount } from "../../src/service/directory";
import { FolderType } from "../../src/store/types";
import { el } from "../../src/wbxml/index";
import { message, syncKeyOf, TestPhone } from "./helpers/phone";
import { ping, pingBody, waitsOpen } from "./push-helpers";
import { event } from "./store-contract/fixtures";

const raw = (to: string) => new TextEncoder().encode(`From: a@example.test\r\nTo: ${to}\r\nSubject: hi\r\n\r\nhello\r\n`);

/** Every table made by its first write. */
const LAZY = [
  "outbox",
  "outbox_chunks",
  "outbox_rcpt",
  "outbox_in_doubt",
  "sent_client_ids",
  "send_log",
  "alarm_due",
  "pim_meeting_answers",
  "pim_reply_queue",
  "pim_itip_refused",
  "pim_items",
  "pim_device_zones",
  "import_digests",
  "sync_client_id",
  "sync_device",
  "hier_state",
  "hier_item",
  "device_access_rules",
  "onboard_settings",
  "subscription_state",
  "trace_sessions",
  "oof_settings",
  "oof_replies",
  "conversation_rules",
  "mailbox_backend",
];

const schema = (stub: DurableObjectStub<Mailbox>) =>
  runInDurableObject(stub, (_m: Mailbox, s) =>
    s.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master")
      .toArray()
      .map((r) => r.name),
  );
const storesOf = (mb: Mailbox) => (mb as unknown as { stores: MailboxStores }).stores;

describe("a mail-only mailbox", () => {
  it("makes 29 schema objects at its first start (a Ping, then its first mail), none of the lazy tables, and no more at a restart", async () => {
    const u = "lazy-first@example.test";
    const stub = env.MAILBOX.getByName(u);
    const p = ping(u, "d", pingBody(600, [["1", "Email"]]));
    await waitsOpen(u, 1);
    await evictDurableObject(stub);
    await stub.deliver(raw(u));
    expect((await p).status).toBe(2);
    const names = await schema(stub);
    // Was 66 (sqlite_master rows: tables, indexes, autoindexes, FTS5 shadow tables); 30 before mailbox_backend waited
    // for its first write.
    expect(names.length, names.join(" ")).toBeLessThanOrEqual(29);
    expect(names.filter((n) => LAZY.includes(n))).toEqual([]);
    await evictDurableObject(stub);
    await stub.health();
    expect(await schema(stub)).toEqual(names);
  });

  it("a phone that ran FolderSync, Sync and Ping (mail only, sends nothing): 35 schema objects, was 76", async () => {
    const u = "lazy-phone@example.test";
    await createAccount(env.DB, u, "lazy-secret");
    const stub = env.MAILBOX.getByName(u);
    await stub.deliver(message("one"));
    const phone = new TestPhone(u, "lazy-secret", "LAZY1");
    await phone.folderSync("0");
    const k0 = syncKeyOf(await phone.sync("1", "0"));
    await phone.sync("1", k0);
    const pinged = phone.send(
      "Ping",
      el(
        "Ping",
        "Ping",
        el("Ping", "HeartbeatInterval", "60"),
        el("Ping", "Folders", el("Ping", "Folder", el("Ping", "Id", "1"), el("Ping", "Class", "Email"))),
      ),
    );
    await waitsOpen(u, 1);
    await stub.deliver(message("two"));
    const r = await pinged;
    expect(r.status).toBe(200);
    const names = await schema(stub);
    expect(names.length, names.join(" ")).toBeLessThanOrEqual(35);
    // Made by what the phone did: its FolderSync (the hierarchy's key and image) and its Sync (the last request).
    expect(names.filter((n) => LAZY.includes(n)).sort()).toEqual(["hier_item", "hier_state", "sync_device"]);
  });
});

describe("read before the first write: empty, nothing made", () => {
  it("outbox, timers, meeting replies, PIM items, device zones, ClientIds, hierarchy", async () => {
    const u = "lazy-read@example.test";
    const stub = env.MAILBOX.getByName(u);
    expect(await stub.outboxStatus()).toEqual([]);
    expect(await stub.flushOutbox()).toEqual([]);
    expect(await stub.queuedMeetingReplies()).toEqual([]);
    expect(await stub.getSubscriptionState()).toBeNull();
    expect(await stub.listAccessRules()).toEqual({ rules: [], defaultAccess: null });
    expect((await stub.getPolicy()).version).toBe(0);
    expect(await stub.removeAccessRule("nope")).toBe(false);
    expect(await stub.traceSessions()).toEqual([]);
    expect(await stub.getBackend()).toBeNull();
    await stub.setBackend(null); // built-in stays built-in: nothing written, no table made
    await runInDurableObject(stub, async (mb: Mailbox, state) => {
      const sql = state.storage.sql;
      expect(mb.sending.outbox.nextDue()).toBeNull();
      expect(mb.sending.outbox.wasSent("c1")).toBe(false);
      expect(mb.sending.outbox.recipientsSince(0)).toBe(0);
      expect(mb.sending.outbox.loginArrived()).toBe(0);
      expect(await mb.sending.outbox.run()).toBeNull();
      expect(mb.alarms.nextDue("outbox")).toBeNull();
      await mb.alarms.schedule("outbox", null); // clearing a timer never set
      await mb.alarm(); // an alarm with nothing to run
      const pim = storesOf(mb).pim;
      const cal = storesOf(mb).mail.folderByType(FolderType.Calendar)!.id;
      expect(await pim.list(cal, { limit: 10 })).toEqual([]);
      expect(await pim.count(cal)).toBe(0);
      expect(await pim.count(cal, 1)).toBe(0);
      expect(await pim.stamps(cal, { limit: 10 })).toEqual([]);
      expect(await pim.stamps(cal, { limit: 10, after: { received: 5, itemId: "3" } })).toEqual([]);
      expect(await pim.changesSince(cal, 0, 10)).toEqual([]);
      expect(await pim.get(cal, "1")).toBeNull();
      expect(await pim.getByUid(cal, "u1")).toBeNull();
      await expect(pim.delete(cal, "1")).rejects.toThrow(/no item/);
      // Emptying the calendar folder drops its items (there are none, and no table to drop them from).
      await storesOf(mb).mail.emptyFolder(cal, false);
      for (const t of LAZY) expect(hasTable(sql, t), t).toBe(false);
    });
    // A Ping on a device that never ran a FolderSync: no hierarchy to compare, no ClientId map read.
    const p = ping(u, "d", pingBody(600, [["1", "Email"]]));
    await waitsOpen(u, 1);
    await stub.deliver(raw(u));
    expect((await p).status).toBe(2);
    expect((await schema(stub)).filter((n) => LAZY.includes(n))).toEqual([]);
  });
});

describe("a CREATE in a transaction that rolls back leaves no table believed present", () => {
  it("outbox: an enqueue rolled back", async () => {
    await runInDurableObject(env.MAILBOX.getByName("lazy-rb-outbox@example.test"), (mb: Mailbox, state) => {
      const sql = state.storage.sql;
      expect(() =>
        state.storage.transactionSync(() => {
          mb.sending.outbox.enqueue({ from: "a@example.test", recipients: ["b@remote.example"], raw: raw("b@remote.example") });
          expect(hasOutbox(sql)).toBe(true);
          throw new Error("roll back");
        }),
      ).toThrow("roll back");
      expect(hasOutbox(sql)).toBe(false);
      expect(mb.sending.outbox.list()).toEqual([]);
      expect(mb.sending.outbox.nextDue()).toBeNull();
    });
  });

  it("backend configuration: a bridging rolled back leaves the mailbox built-in", async () => {
    await runInDurableObject(env.MAILBOX.getByName("lazy-rb-backend@example.test"), (_mb: Mailbox, state) => {
      const sql = state.storage.sql;
      const config = new BackendConfigStore(sql);
      expect(() =>
        state.storage.transactionSync(() => {
          config.set(BRIDGE);
          expect(config.get()).toEqual(BRIDGE);
          throw new Error("roll back");
        }),
      ).toThrow("roll back");
      expect(hasTable(sql, "mailbox_backend")).toBe(false);
      expect(config.get()).toBeNull();
      expect(new BackendConfigStore(sql).get()).toBeNull();
    });
  });

  it("PIM items: a put refused after its table was made (ETag on a new item)", async () => {
    await runInDurableObject(env.MAILBOX.getByName("lazy-rb-pim@example.test"), async (mb: Mailbox, state) => {
      const pim = storesOf(mb).pim;
      const cal = storesOf(mb).mail.folderByType(FolderType.Calendar)!.id;
      await expect(pim.put(cal, event("u1", "lazy"), { ifMatch: '"nope"' })).rejects.toBeInstanceOf(PimConflictError);
      expect(hasTable(state.storage.sql, "pim_items")).toBe(false);
      expect(await pim.list(cal, { limit: 10 })).toEqual([]);
    });
  });
});

const BRIDGE: BridgeBackend = {
  kind: "imap",
  imap: { host: "imap.example.test", port: 993, tls: "implicit" },
  smtp: { host: "smtp.example.test", port: 465, tls: "implicit" },
};

/** Statements `sql` runs during `fn`. */
function countExec(sql: SqlStorage, fn: () => void): number {
  const proto = Object.getPrototypeOf(sql) as { exec: SqlStorage["exec"] };
  const exec = proto.exec;
  let n = 0;
  proto.exec = function (this: SqlStorage, ...args: Parameters<SqlStorage["exec"]>) {
    n++;
    return exec.apply(this, args);
  } as SqlStorage["exec"];
  try {
    fn();
  } finally {
    proto.exec = exec;
  }
  return n;
}

describe("the first write after a restart makes the table; later starts read it", () => {
  it("outbox", async () => {
    const stub = env.MAILBOX.getByName("lazy-w-outbox@example.test");
    expect(await stub.outboxStatus()).toEqual([]);
    await evictDurableObject(stub);
    await runInDurableObject(stub, (mb: Mailbox) => {
      mb.sending.outbox.enqueue(
        { from: "a@example.test", recipients: ["b@remote.example"], raw: raw("b@remote.example") },
        Date.now() + 3_600_000,
      );
    });
    await evictDurableObject(stub);
    const out = await stub.outboxStatus();
    expect(out.flatMap((o) => o.recipients.map((r) => r.rcpt))).toEqual(["b@remote.example"]);
    // The start found it due later and set the alarm for it (the start's read now reads the outbox).
    expect(await runInDurableObject(stub, (_m: Mailbox, s) => s.storage.getAlarm())).not.toBeNull();
  });

  it("PIM items", async () => {
    const stub = env.MAILBOX.getByName("lazy-w-pim@example.test");
    const cal = await runInDurableObject(stub, (mb: Mailbox) => storesOf(mb).mail.folderByType(FolderType.Calendar)!.id);
    await evictDurableObject(stub);
    const id = await runInDurableObject(stub, async (mb: Mailbox) => (await storesOf(mb).pim.put(cal, event("u2", "lazy"))).itemId);
    await evictDurableObject(stub);
    await runInDurableObject(stub, async (mb: Mailbox) => {
      const pim = storesOf(mb).pim;
      expect((await pim.get(cal, id))?.itemId).toBe(id);
      expect((await pim.getByUid(cal, "u2"))?.itemId).toBe(id);
      expect(await pim.count(cal)).toBe(1);
      expect((await pim.changesSince(cal, 0, 10)).map((c) => c.itemId)).toEqual([id]);
    });
  });

  it("backend configuration: set, read after a restart, and back to built-in", async () => {
    const stub = env.MAILBOX.getByName("lazy-w-backend@example.test");
    expect(await stub.getBackend()).toBeNull();
    await evictDurableObject(stub);
    await runInDurableObject(stub, (_m: Mailbox, state) => new BackendConfigStore(state.storage.sql).set(BRIDGE));
    await evictDurableObject(stub);
    expect(await stub.getBackend()).toEqual(BRIDGE);
    await runInDurableObject(stub, (_m: Mailbox, state) => new BackendConfigStore(state.storage.sql).set(null));
    await evictDurableObject(stub);
    expect(await stub.getBackend()).toBeNull();
  });

  it("a new store is made at the current version in one pass: the same tables, columns and indexes as a store upgraded from V1", async () => {
    const shape = (sql: SqlStorage) => {
      const objects = sql
        .exec<{ type: string; name: string; tbl_name: string }>(
          "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT IN ('store_schema') ORDER BY type, name",
        )
        .toArray();
      const columns = Object.fromEntries(
        objects
          .filter((o) => o.type === "table" && !o.name.startsWith("sqlite_"))
          .map((o) => [o.name, sql.exec(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)`, o.name).toArray()]),
      );
      const indexes = Object.fromEntries(
        objects
          .filter((o) => o.type === "index")
          .map((o) => [o.name, sql.exec(`SELECT seqno, name, "desc" FROM pragma_index_xinfo(?) WHERE key = 1`, o.name).toArray()]),
      );
      const version = sql.exec<{ version: number }>("SELECT version FROM store_schema").toArray();
      return { objects, columns, indexes, version };
    };
    const fresh = await runInDurableObject(env.MAILBOX.getByName("lazy-fresh-store@example.test"), (_m: Mailbox, state) => {
      const statements = countExec(state.storage.sql, () => ensureSchema(state.storage));
      // Was 26 (the upgrade path from version 0: three ALTER TABLE, an UPDATE, a pragma read).
      expect(statements).toBeLessThanOrEqual(3);
      return shape(state.storage.sql);
    });
    const upgraded = await runInDurableObject(env.MAILBOX.getByName("lazy-upgraded-store@example.test"), (_m: Mailbox, state) => {
      const sql = state.storage.sql;
      sql.exec("CREATE TABLE store_schema (version INTEGER NOT NULL)");
      for (const ddl of V1) sql.exec(ddl);
      sql.exec("INSERT INTO store_schema (version) VALUES (1)");
      ensureSchema(state.storage);
      return shape(sql);
    });
    expect(fresh.version).toEqual([{ version: SCHEMA_VERSION }]);
    expect(fresh).toEqual(upgraded);
    // And it is a working store: mail in, found, read after a restart.
    const stub = env.MAILBOX.getByName("lazy-fresh-store@example.test");
    await stub.deliver(raw("lazy-fresh-store@example.test"));
    await evictDurableObject(stub);
    await runInDurableObject(stub, async (mb: Mailbox) => {
      const inbox = storesOf(mb).mail.folderByType(FolderType.Inbox)!.id;
      expect(await storesOf(mb).mail.countItems(inbox)).toBe(1);
    });
  });

  it("an outbox made by older code, before outbox_in_doubt existed: read, and its message sent on", async () => {
    const stub = env.MAILBOX.getByName("lazy-old-outbox@example.test");
    await runInDurableObject(stub, (_m: Mailbox, state) => {
      const sql = state.storage.sql;
      sql.exec(`CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, created INTEGER NOT NULL, envelope_from TEXT NOT NULL,
        size INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt INTEGER NOT NULL,
        save_sent INTEGER NOT NULL DEFAULT 0, bcc TEXT NOT NULL DEFAULT '')`);
      sql.exec(
        `CREATE TABLE outbox_chunks (outbox_id INTEGER NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (outbox_id, seq))`,
      );
      sql.exec(`CREATE TABLE outbox_rcpt (outbox_id INTEGER NOT NULL, rcpt TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending',
        last_error TEXT, PRIMARY KEY (outbox_id, rcpt))`);
      sql.exec(`CREATE TABLE sent_client_ids (client_id TEXT PRIMARY KEY, at INTEGER NOT NULL)`);
      sql.exec(`CREATE TABLE send_log (at INTEGER NOT NULL, recipients INTEGER NOT NULL)`);
      const later = Date.now() + 3_600_000;
      sql.exec(`INSERT INTO outbox (created, envelope_from, size, next_attempt) VALUES (?, 'a@example.test', 5, ?)`, Date.now(), later);
      sql.exec(`INSERT INTO outbox_chunks (outbox_id, seq, data) VALUES (1, 0, ?)`, new TextEncoder().encode("hello"));
      sql.exec(`INSERT INTO outbox_rcpt (outbox_id, rcpt) VALUES (1, 'b@remote.example')`);
    });
    await evictDurableObject(stub);
    const out = await stub.outboxStatus();
    expect(out.map((o) => [o.id, o.inDoubtSince, o.recipients.map((r) => r.rcpt)])).toEqual([[1, null, ["b@remote.example"]]]);
    expect(await runInDurableObject(stub, (_m: Mailbox, s) => hasTable(s.storage.sql, "outbox_in_doubt"))).toBe(true);
  });
});
