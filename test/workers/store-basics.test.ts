import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Mailbox } from "../../src/mailbox/mailbox";

const enc = new TextEncoder();
const plain = (subject: string, body = "Hello there.\r\n") =>
  enc.encode(
    `From: Alice <alice@example.test>\r\nTo: demo@example.test\r\nSubject: ${subject}\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\nMessage-ID: <${subject.replace(/\W/g, "")}@example.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}`,
  );

describe("built-in store basics", () => {
  // Store side of MS-ASCMD_R4668, R4669, R4670, R4671, R4672, R4674, R4673, R4675, R4676 (default folder
  // types 2–10) and MS-ASCMD_R3915 (server ids: opaque strings of at most 64 characters).
  it("creates the default folders with stable ids and EAS types", async () => {
    const stub = env.MAILBOX.getByName("basics@example.test");
    const folders = await stub.listFolders();
    expect(folders.map((f) => [f.id, f.name, f.type, f.itemClass])).toEqual([
      ["1", "Inbox", 2, "Email"],
      ["2", "Drafts", 3, "Email"],
      ["3", "Deleted Items", 4, "Email"],
      ["4", "Sent Items", 5, "Email"],
      ["5", "Outbox", 6, "Email"],
      ["6", "Calendar", 8, "Calendar"],
      ["7", "Contacts", 9, "Contacts"],
      ["8", "Tasks", 7, "Tasks"],
      ["9", "Notes", 10, "Notes"],
    ]);
    expect(folders.every((f) => f.id.length <= 64 && f.parentId === "0")).toBe(true);
    await evictDurableObject(stub);
    expect(await stub.listFolders()).toEqual(folders);
  });

  it("delivers into the Inbox, lists, changes, moves and deletes", async () => {
    const stub = env.MAILBOX.getByName("basics@example.test");
    const a = await stub.deliver(plain("First"));
    const b = await stub.deliver(plain("Second"));
    expect(a.folderId).toBe("1");
    await runInDurableObject(stub, async (mb: Mailbox) => {
      const s = mb.store;
      const list = await s.listItems("1", { limit: 10 });
      expect(list.map((m) => m.subject).sort()).toEqual(["First", "Second"]);
      const st = await s.folderStatus("1");
      expect(st.count).toBe(2);
      await s.setFlags("1", a.itemId, { seen: true });
      const moved = await s.moveItem("1", b.itemId, "3");
      expect(moved).not.toBe(b.itemId);
      const ch = await s.changesSince("1", st.highestModseq, 100);
      expect(ch).toEqual([
        { itemId: a.itemId, modseq: st.highestModseq + 1, deleted: false },
        { itemId: b.itemId, modseq: st.highestModseq + 2, deleted: true },
      ]);
      expect((await s.getBody("3", moved, "plain"))?.data).toBe("Hello there.\n");
    });
  });
});

describe("Mailbox.deliver", () => {
  it("takes a folder type and an arrival time; refuses a type without a mail folder", async () => {
    const stub = env.MAILBOX.getByName("deliver@example.test");
    const sent = await stub.deliver(plain("Sent copy"), 5, 1_600_000_000_000);
    expect(sent.folderId).toBe("4");
    await runInDurableObject(stub, async (mb: Mailbox) => {
      expect((await mb.store.getSummary("4", sent.itemId))!.received).toBe(1_600_000_000_000);
      await expect(mb.deliver(plain("Nowhere"), 8)).rejects.toThrow(/no mail folder/);
    });
  });

  it("importMessage keeps the Date header as arrival time, but never a future one", async () => {
    const stub = env.MAILBOX.getByName("deliver@example.test");
    const old = await stub.importMessage(plain("Imported")); // Date: Tue, 24 Nov 2026 10:00:00 +0000
    const future = new TextEncoder().encode(
      "From: a@example.test\r\nSubject: Future\r\nDate: Fri, 01 Jan 2100 00:00:00 +0000\r\n\r\nx\r\n",
    );
    const before = Date.now();
    const ahead = await stub.importMessage(future);
    await runInDurableObject(stub, async (mb: Mailbox) => {
      expect((await mb.store.getSummary(old.folderId, old.itemId))!.received).toBe(Date.UTC(2026, 10, 24, 10));
      const r = (await mb.store.getSummary(ahead.folderId, ahead.itemId))!.received;
      expect(r).toBeGreaterThanOrEqual(before);
      expect(r).toBeLessThan(Date.UTC(2100, 0, 1));
    });
  });

  it("importMessage run again (an interrupted import resumed) stores a Message-ID once per folder; delivery does not dedupe", async () => {
    const stub = env.MAILBOX.getByName("import-once@example.test");
    const first = await stub.importMessage(plain("Resumed import"));
    const again = await stub.importMessage(plain("Resumed import"));
    expect(again).toEqual(first);
    const noId = new TextEncoder().encode("From: a@example.test\r\nSubject: No id\r\n\r\nx\r\n");
    const n1 = await stub.importMessage(noId);
    const n2 = await stub.importMessage(noId);
    expect(n2.itemId).not.toBe(n1.itemId); // without a Message-ID nothing says it is the same message
    const live = await stub.deliver(plain("Resumed import")); // new mail is never dropped for its Message-ID
    expect(live.itemId).not.toBe(first.itemId);
    await runInDurableObject(stub, async (mb: Mailbox) => {
      expect(await mb.store.countItems(first.folderId)).toBe(4);
      // Into another folder the same message is a new item.
      const sent = await mb.store.importMessage("4", plain("Resumed import"));
      expect(sent).not.toBe(first.itemId);
      expect(await mb.store.importMessage("4", plain("Resumed import"))).toBe(sent);
    });
  });
});
