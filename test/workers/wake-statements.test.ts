// Statements of one delivery + Ping wake (issue 15 target 3): an evicted mailbox object started by a delivery
// while a Ping waits runs every statement on a fresh SQLite connection (each one prepared again), so the count is
// the wake's cost in SQLite. Counted here by hooking SqlStorage.exec, so it cannot creep back unnoticed; and what
// the count was cut with keeps its behaviour: tables made on first write read as empty before, one read on start
// still resumes the outbox, the modules' timers and queued iMIP replies.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Mailbox } from "../../src/mailbox/mailbox";
import { ANSWER_TABLES } from "../../src/mailbox/invitations";
import { createIfMissing, hasTable } from "../../src/store/ddl";
import { statementsDuring } from "./helpers/statements";
import { ping, pingBody, waitsOpen } from "./push-helpers";

const raw = (to: string, subject = "hi") =>
  new TextEncoder().encode(`From: a@example.test\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\nhello\r\n`);

const reading = (table: string) => (s: string) => new RegExp(`\\bFROM ${table}\\b`, "i").test(s);

/** Parks a Ping on `u`, evicts the object, delivers one message; the statements of that delivery and wake. */
async function wakeByDelivery(u: string): Promise<string[]> {
  const stub = env.MAILBOX.getByName(u);
  const p = ping(u, "d", pingBody(600, [["1", "Email"]]));
  await waitsOpen(u, 1);
  await evictDurableObject(stub);
  const statements = await statementsDuring(() => stub.deliver(raw(u)));
  expect((await p).status).toBe(2);
  return statements;
}

describe("one delivery waking a parked Ping", () => {
  it("on an evicted object: 21 statements at most, no CREATE, folders read 5 times, no read for what a start resumes when there is nothing", async () => {
    const u = "wake-count@example.test";
    await env.MAILBOX.getByName(u).deliver(raw(u)); // not its first mail
    const statements = await wakeByDelivery(u);
    // Was 31 (66 before ddl.ts): recovery reads 3 → 1, the schema-version check from ddl.ts's one read of
    // sqlite_master, the folder checked once per append, no DELETE when no tombstone is old, the delivered
    // item read without its folder, the calendar only for iMIP mail, out-of-office and conversation rules
    // (never set) read from no table; 22 → 21: the start's read of the outbox, timers and iMIP reply queue is not
    // made when none of those tables exists (they are made by their first write).
    expect(statements.length, statements.join("\n")).toBeLessThanOrEqual(21);
    expect(statements.filter((s) => /^CREATE\b/i.test(s))).toEqual([]);
    expect(statements.filter(reading("folders")).length).toBeLessThanOrEqual(5);
    expect(statements.filter(reading("sqlite_master"))).toEqual(["SELECT name FROM sqlite_master"]);
    // A mailbox that never sent, set a timer nor answered a meeting has none of the three tables: no read.
    expect(statements.filter((s) => /\b(outbox|alarm_due|pim_reply_queue)\b/.test(s))).toEqual([]);
    expect(statements.filter((s) => /\b(oof_settings|conversation_rules)\b/.test(s))).toEqual([]);
    expect(statements.filter((s) => /^DELETE FROM tombstones/.test(s))).toEqual([]);
  });

  it("the mailbox's first delivery makes no table either (out-of-office and conversation rules wait for a write)", async () => {
    const u = "wake-first@example.test";
    const statements = await wakeByDelivery(u);
    expect(statements.length, statements.join("\n")).toBeLessThanOrEqual(21);
    expect(statements.filter((s) => /^CREATE\b/i.test(s))).toEqual([]);
  });

  it("on an awake object: 16 statements at most", async () => {
    const u = "wake-awake@example.test";
    const stub = env.MAILBOX.getByName(u);
    await stub.deliver(raw(u));
    const p = ping(u, "d", pingBody(600, [["1", "Email"]]));
    await waitsOpen(u, 1);
    const statements = await statementsDuring(() => stub.deliver(raw(u)));
    expect((await p).status).toBe(2);
    expect(statements.length, statements.join("\n")).toBeLessThanOrEqual(16);
  });
});

describe("the Worker's close after a wait ends", () => {
  const pushWaitRows = (u: string) =>
    runInDurableObject(
      env.MAILBOX.getByName(u),
      (_m: Mailbox, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM push_wait").one().n,
    );

  it("after an answer runs no statement: the answered wait's row went with the answer", async () => {
    const u = "wake-close@example.test";
    const stub = env.MAILBOX.getByName(u);
    await stub.deliver(raw(u));
    const p = ping(u, "d", pingBody(600, [["1", "Email"]]));
    await waitsOpen(u, 1);
    const statements = await statementsDuring(async () => {
      await stub.deliver(raw(u));
      expect((await p).status).toBe(2);
      await waitsOpen(u, 0); // the Worker's close has reached the object
      await new Promise((r) => setTimeout(r, 50));
      await stub.waitCount();
    });
    // Was 2: the answer's DELETE, then the same DELETE again when the Worker's close arrived.
    expect(statements.filter((s) => /^DELETE FROM push_wait\b/.test(s))).toHaveLength(1);
    expect(await pushWaitRows(u)).toBe(0);
  });

  it("that the device hung up still forgets the wait, on this instance and on a new one", async () => {
    const u = "wake-hangup@example.test";
    const stub = env.MAILBOX.getByName(u);
    await stub.deliver(raw(u));
    for (const evict of [false, true]) {
      const abort = new AbortController();
      const p = ping(u, "d", pingBody(600, [["1", "Email"]]), { signal: abort.signal });
      await waitsOpen(u, 1);
      expect(await pushWaitRows(u)).toBe(1);
      if (evict) await evictDurableObject(stub);
      abort.abort();
      expect((await p).status).toBe(1);
      await waitsOpen(u, 0);
      for (let i = 0; i < 100 && (await pushWaitRows(u)) > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(await pushWaitRows(u)).toBe(0);
    }
  });
});

describe("tables made on first write", () => {
  it("out-of-office: off before any Set, on after it, across a restart", async () => {
    const u = "wake-oof@example.test";
    const stub = env.MAILBOX.getByName(u);
    expect((await stub.getOof()).state).toBe(0);
    expect(await runInDurableObject(stub, (_m: Mailbox, s) => hasTable(s.storage.sql, "oof_settings"))).toBe(false);
    const on = {
      state: 1,
      messages: [{ appliesTo: "external-unknown", enabled: true, replyMessage: "away", bodyType: "Text" }],
    } satisfies Parameters<Mailbox["setOof"]>[0];
    await stub.setOof(on);
    expect((await stub.getOof()).state).toBe(1);
    await evictDurableObject(stub);
    expect(await stub.getOof()).toEqual(on);
  });

  it("conversation rules: none before the first, the first is found, across a restart", async () => {
    const u = "wake-rules@example.test";
    const stub = env.MAILBOX.getByName(u);
    await runInDurableObject(stub, (mb: Mailbox) => {
      expect(mb.conversationRules.any()).toBe(false);
      expect(mb.conversationRules.folderFor("c1", Date.now())).toBeNull();
      expect(mb.conversationRules.cursor("1")).toBeNull();
      mb.conversationRules.drop("c1"); // no table: nothing to drop, no error
      mb.conversationRules.set("c1", "2", Date.now());
      expect(mb.conversationRules.any()).toBe(true);
    });
    await evictDurableObject(stub);
    await runInDurableObject(stub, (mb: Mailbox) => {
      expect(mb.conversationRules.folderFor("c1", Date.now())).toBe("2");
      expect(mb.conversationRules.list().map((r) => r.conversation)).toEqual(["c1"]);
    });
  });

  it("hasTable: a table made in a transaction that rolled back is missing; one made and kept is there", async () => {
    await runInDurableObject(env.MAILBOX.getByName("wake-has@example.test"), (_m: Mailbox, state) => {
      const sql = state.storage.sql;
      expect(hasTable(sql, "lazy_a")).toBe(false);
      expect(() =>
        state.storage.transactionSync(() => {
          createIfMissing(sql, "CREATE TABLE IF NOT EXISTS lazy_a (x)");
          expect(hasTable(sql, "lazy_a")).toBe(true);
          throw new Error("roll back");
        }),
      ).toThrow("roll back");
      expect(hasTable(sql, "lazy_a")).toBe(false);
      createIfMissing(sql, "CREATE TABLE IF NOT EXISTS lazy_a (x)");
      expect(hasTable(sql, "lazy_a")).toBe(true);
      // A table the instance's read of sqlite_master listed, and one nothing asked for: no lookup for either
      // (a wrapper is a fresh key for ddl.ts: its first call reads sqlite_master, then nothing more).
      const seen: string[] = [];
      const rec = {
        exec: (q: string, ...b: SqlStorageValue[]) => {
          seen.push(q);
          return sql.exec(q, ...b);
        },
      } as unknown as SqlStorage;
      expect(hasTable(rec, "push_wait")).toBe(true);
      expect(hasTable(rec, "never_made")).toBe(false);
      expect(seen).toEqual(["SELECT name FROM sqlite_master"]);
    });
  });
});

describe("what a start resumes, from one read", () => {
  it("an iMIP reply left queued by a crash goes to the outbox when the object starts again", async () => {
    const u = "wake-reply@example.test";
    const stub = env.MAILBOX.getByName(u);
    const reply = `From: ${u}\r\nTo: olga@organizer.example\r\nSubject: Accepted\r\n\r\nyes\r\n`;
    await runInDurableObject(stub, (_m: Mailbox, state) => {
      createIfMissing(state.storage.sql, ANSWER_TABLES); // as the first MeetingResponse makes them
      state.storage.sql.exec(
        "INSERT INTO pim_reply_queue (key, recipient, raw, created) VALUES (?, ?, ?, ?)",
        "k1",
        "olga@organizer.example",
        new TextEncoder().encode(reply),
        Date.now(),
      );
    });
    await evictDurableObject(stub);
    await stub.health();
    expect(await stub.queuedMeetingReplies()).toEqual([]);
    const out = await stub.outboxStatus();
    expect(out.flatMap((o) => o.recipients.map((r) => r.rcpt))).toEqual(["olga@organizer.example"]);
  });

  it("a module's timer whose storage alarm was lost is armed again on start, and no alarm is set when nothing is due", async () => {
    const u = "wake-alarm@example.test";
    const stub = env.MAILBOX.getByName(u);
    await stub.health();
    expect(await runInDurableObject(stub, (_m: Mailbox, s) => s.storage.getAlarm())).toBeNull();
    const due = Date.now() + 3_600_000;
    await runInDurableObject(stub, async (mb: Mailbox, state) => {
      await mb.alarms.schedule("later", due);
      await state.storage.deleteAlarm();
    });
    await evictDurableObject(stub);
    await stub.health();
    expect(await runInDurableObject(stub, (_m: Mailbox, s) => s.storage.getAlarm())).toBe(due);
  });
});
