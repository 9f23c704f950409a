// The store semantics the EAS Sync layer relies on: ids, modseq, tombstones, keyset paging, moves,
// flags, folders, and state surviving the mailbox object's eviction. Real Mailbox object + SQLite + R2.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TOMBSTONE_RETENTION_MS } from "../../src/mailbox/delivery";
import type { Mailbox } from "../../src/mailbox/mailbox";
import type { BuiltinStore } from "../../src/store/builtin";
import { FolderType, StoreFolderError, StoreNotFoundError } from "../../src/store/types";

const INBOX = "1";
const DELETED = "3";
const CALENDAR = "6";
let n = 0;
const mail = (subject = `Message ${++n}`) =>
  new TextEncoder().encode(
    `From: a@example.test\r\nTo: b@example.test\r\nSubject: ${subject}\r\nMessage-ID: <m${n}@example.test>\r\n\r\nBody of ${subject}\r\n`,
  );

function withStore<T>(mailbox: string, fn: (s: BuiltinStore) => Promise<T>): Promise<T> {
  return runInDurableObject(env.MAILBOX.getByName(mailbox), (mb: Mailbox) => fn(mb.store as BuiltinStore));
}

describe("modseq and changesSince", () => {
  it("every add, flag change and expunge advances the folder's highestModseq by one; no-ops do not", async () => {
    await withStore("modseq@example.test", async (s) => {
      const start = await s.folderStatus(INBOX);
      expect(start).toMatchObject({ count: 0, highestModseq: 0, tombstoneFloor: 0 });
      const a = await s.appendMessage(INBOX, mail());
      const b = await s.appendMessage(INBOX, mail());
      const c = await s.appendMessage(INBOX, mail());
      let st = await s.folderStatus(INBOX);
      expect(st).toMatchObject({ count: 3, highestModseq: 3 });
      expect((await s.getSummary(INBOX, c))!.modseq).toBe(3);

      await s.setFlags(INBOX, a, { seen: true });
      await s.setFlags(INBOX, a, { seen: true }); // no change: no new modseq
      await s.setFlags(INBOX, b, { flagged: true, answered: true, forwarded: true });
      await s.deleteItem(INBOX, c);
      st = await s.folderStatus(INBOX);
      expect(st).toMatchObject({ count: 2, highestModseq: 6 });

      expect(await s.changesSince(INBOX, 3, 100)).toEqual([
        { itemId: a, modseq: 4, deleted: false },
        { itemId: b, modseq: 5, deleted: false },
        { itemId: c, modseq: 6, deleted: true },
      ]);
      expect(await s.changesSince(INBOX, 0, 2)).toEqual([
        { itemId: a, modseq: 4, deleted: false },
        { itemId: b, modseq: 5, deleted: false },
      ]);
      expect(await s.changesSince(INBOX, 6, 100)).toEqual([]);
      expect((await s.getSummary(INBOX, b))!.flags).toEqual({ seen: false, flagged: true, answered: true, forwarded: true });
      expect(await s.getSummary(INBOX, c)).toBeNull();
      expect(await s.getMime(INBOX, c)).toBeNull();
      await expect(s.setFlags(INBOX, c, { seen: true })).rejects.toBeInstanceOf(StoreNotFoundError);
    });
  });

  it("modseq is one mailbox counter: a change in another folder does not move this folder's highestModseq", async () => {
    await withStore("modseq@example.test", async (s) => {
      const before = await s.folderStatus(INBOX);
      const sent = s.folderByType(FolderType.SentItems)!.id;
      await s.appendMessage(sent, mail());
      expect(await s.folderStatus(INBOX)).toEqual(before);
      expect((await s.folderStatus(sent)).highestModseq).toBeGreaterThan(before.highestModseq);
    });
  });
});

describe("moves and deletes", () => {
  // Store side of MS-ASCMD_R290 / R2217: a moved item gets a new server id (DstMsgId).
  it("a move is a tombstone in the source and a new item id in the destination, flags and arrival kept", async () => {
    await withStore("moves@example.test", async (s) => {
      const id = await s.appendMessage(INBOX, mail("Move me"), { seen: true }, 1_700_000_000_000);
      const inboxBefore = await s.folderStatus(INBOX);
      const trashBefore = await s.folderStatus(DELETED);
      const moved = await s.moveItem(INBOX, id, DELETED);
      expect(moved).not.toBe(id);
      expect(await s.getSummary(INBOX, id)).toBeNull();
      const m = (await s.getSummary(DELETED, moved))!;
      expect(m).toMatchObject({ subject: "Move me", folderId: DELETED, received: 1_700_000_000_000, flags: { seen: true } });
      expect((await s.getBody(DELETED, moved, "plain"))!.data).toContain("Body of Move me");
      expect(await s.changesSince(INBOX, inboxBefore.highestModseq, 10)).toEqual([
        { itemId: id, modseq: inboxBefore.highestModseq + 1, deleted: true },
      ]);
      expect(await s.changesSince(DELETED, trashBefore.highestModseq, 10)).toEqual([{ itemId: moved, modseq: m.modseq, deleted: false }]);
      expect((await s.folderStatus(INBOX)).count).toBe(inboxBefore.count - 1);
      expect((await s.folderStatus(DELETED)).count).toBe(trashBefore.count + 1);
      // Moving back gives yet another id: ids are never reused (IMAP UID MOVE).
      const back = await s.moveItem(DELETED, moved, INBOX);
      expect([id, moved]).not.toContain(back);
      await expect(s.moveItem(INBOX, back, INBOX)).rejects.toMatchObject({ code: "invalid" });
      await expect(s.moveItem(INBOX, back, CALENDAR)).rejects.toMatchObject({ code: "invalid" });
      await expect(s.moveItem(INBOX, back, "999")).rejects.toBeInstanceOf(StoreNotFoundError);
      await expect(s.moveItem(INBOX, id, DELETED)).rejects.toBeInstanceOf(StoreNotFoundError);
    });
  });

  it("mail cannot be appended to a calendar folder; unknown folder ids are not found", async () => {
    await withStore("moves@example.test", async (s) => {
      await expect(s.appendMessage(CALENDAR, mail())).rejects.toBeInstanceOf(StoreFolderError);
      await expect(s.appendMessage("42", mail())).rejects.toBeInstanceOf(StoreNotFoundError);
      await expect(s.folderStatus("x; DROP TABLE items")).rejects.toBeInstanceOf(StoreNotFoundError);
      await expect(s.listItems("0", { limit: 5 })).rejects.toBeInstanceOf(StoreNotFoundError);
    });
  });

  // Store side of MS-ASCMD_R5535 (DeleteSubFolders deletes the subfolders) and R2167 / R2244 (without it they stay).
  it("emptyFolder leaves a tombstone per item and can drop subfolders", async () => {
    await withStore("empty@example.test", async (s) => {
      const sub = await s.createFolder(DELETED, "Old stuff", FolderType.UserMail);
      await s.appendMessage(sub.id, mail());
      const ids = [await s.appendMessage(DELETED, mail()), await s.appendMessage(DELETED, mail())];
      await s.emptyFolder(DELETED, false);
      expect((await s.listFolders()).map((f) => f.id)).toContain(sub.id);
      expect((await s.folderStatus(sub.id)).count).toBe(1);
      ids.push(await s.appendMessage(DELETED, mail()));
      const before = await s.folderStatus(DELETED);
      await s.emptyFolder(DELETED, true);
      const after = await s.folderStatus(DELETED);
      expect(after.count).toBe(0);
      const changes = await s.changesSince(DELETED, before.highestModseq, 10);
      expect(changes.map((c) => [c.itemId, c.deleted])).toEqual([[ids[2], true]]);
      expect((await s.listFolders()).map((f) => f.id)).not.toContain(sub.id);
      expect(await s.listItems(DELETED, { limit: 10 })).toEqual([]);
    });
  });
});

describe("listItems and countItems", () => {
  it("pages newest first with a keyset cursor, ties broken by id, and honours `since`", async () => {
    await withStore("list@example.test", async (s) => {
      const base = 1_750_000_000_000;
      const ids: { id: string; received: number }[] = [];
      for (let i = 0; i < 25; i++) {
        const received = base + Math.floor(i / 3) * 60_000; // groups of three with the same arrival time
        ids.push({ id: await s.appendMessage(INBOX, mail(), {}, received), received });
      }
      const expected = [...ids].sort((a, b) => b.received - a.received || Number(b.id) - Number(a.id)).map((x) => x.id);
      const seen: string[] = [];
      let after: { received: number; itemId: string } | undefined;
      for (;;) {
        const page = await s.listItems(INBOX, { limit: 7, ...(after ? { after } : {}) });
        if (page.length === 0) break;
        seen.push(...page.map((p) => p.itemId));
        const last = page[page.length - 1];
        after = { received: last.received, itemId: last.itemId };
      }
      expect(seen).toEqual(expected);

      const since = base + 5 * 60_000;
      const recent = await s.listItems(INBOX, { limit: 100, since });
      expect(recent.map((r) => r.itemId)).toEqual(
        ids
          .filter((x) => x.received >= since)
          .sort((a, b) => b.received - a.received || Number(b.id) - Number(a.id))
          .map((x) => x.id),
      );
      expect(await s.countItems(INBOX, since)).toBe(recent.length);
      expect(await s.countItems(INBOX)).toBe(25);
      expect(await s.listItems(INBOX, { limit: 0 })).toEqual([]);
    });
  });

  it("the list and change queries are index range scans (no full scan, no temp sort)", async () => {
    await runInDurableObject(env.MAILBOX.getByName("list@example.test"), async (_mb: Mailbox, state) => {
      const plan = (q: string) =>
        state.storage.sql
          .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${q}`)
          .toArray()
          .map((r) => r.detail)
          .join(" | ");
      const list = plan(
        `SELECT i.uid FROM items i JOIN messages m ON m.id = i.message WHERE i.folder = 1 AND i.received >= 0 AND (i.received, i.uid) < (5, 5) ORDER BY i.received DESC, i.uid DESC LIMIT 10`,
      );
      expect(list).toContain("USING INDEX items_list");
      expect(list).not.toContain("TEMP B-TREE");
      const changes = plan(`SELECT uid, modseq FROM items WHERE folder = 1 AND modseq > 5 ORDER BY modseq LIMIT 10`);
      expect(changes).toContain("items_changes");
      expect(changes).not.toContain("TEMP B-TREE");
      const gone = plan(`SELECT uid, modseq FROM tombstones WHERE folder = 1 AND modseq > 5 ORDER BY modseq LIMIT 10`);
      expect(gone).toContain("tombstones_changes");
      expect(gone).not.toContain("TEMP B-TREE");
    });
  });
});

describe("folders", () => {
  it("create, rename, move and delete keep ids stable and never reuse them", async () => {
    await withStore("folders@example.test", async (s) => {
      const projects = await s.createFolder("0", "Projects", FolderType.UserMail);
      const alpha = await s.createFolder(projects.id, "Alpha", FolderType.UserMail);
      expect(alpha).toMatchObject({ parentId: projects.id, name: "Alpha", type: FolderType.UserMail, itemClass: "Email" });
      expect(projects.id.length).toBeLessThanOrEqual(64);

      const renamed = await s.updateFolder(alpha.id, "Alpha (done)", "0");
      expect(renamed).toEqual({ ...alpha, name: "Alpha (done)", parentId: "0" });
      expect((await s.listFolders()).find((f) => f.id === alpha.id)).toEqual(renamed);

      await expect(s.createFolder("0", "projects", FolderType.UserMail)).rejects.toMatchObject({ code: "exists" });
      await expect(s.createFolder("77", "X", FolderType.UserMail)).rejects.toMatchObject({ code: "parent-not-found" });
      await expect(s.createFolder("0", "", FolderType.UserMail)).rejects.toMatchObject({ code: "invalid" });
      await expect(s.createFolder("0", "Inbox2", FolderType.Inbox)).rejects.toMatchObject({ code: "invalid" });
      await expect(s.updateFolder(INBOX, "Renamed", "0")).rejects.toMatchObject({ code: "special" });
      await expect(s.deleteFolder(DELETED)).rejects.toMatchObject({ code: "special" });
      const child = await s.createFolder(projects.id, "Child", FolderType.UserMail);
      await expect(s.updateFolder(projects.id, "Projects", child.id)).rejects.toMatchObject({ code: "invalid" });

      const cal = await s.createFolder("0", "Team calendar", FolderType.UserCalendar);
      expect(cal.itemClass).toBe("Calendar");

      await s.appendMessage(child.id, mail());
      await s.deleteFolder(projects.id);
      const left = (await s.listFolders()).map((f) => f.id);
      expect(left).not.toContain(projects.id);
      expect(left).not.toContain(child.id);
      expect(left).toContain(alpha.id);
      const again = await s.createFolder("0", "Projects", FolderType.UserMail);
      expect([projects.id, alpha.id, child.id, cal.id]).not.toContain(again.id);
      await expect(s.folderStatus(child.id)).rejects.toBeInstanceOf(StoreNotFoundError);
    });
  });
});

describe("durability", () => {
  it("everything is intact after the mailbox object is evicted", async () => {
    const stub = env.MAILBOX.getByName("evict@example.test");
    const { itemId } = await stub.deliver(mail("Survivor"));
    const folder = await withStore("evict@example.test", async (s) => {
      await s.setFlags(INBOX, itemId, { flagged: true });
      return s.createFolder("0", "Kept", FolderType.UserMail);
    });
    const before = await withStore("evict@example.test", async (s) => ({
      folders: await s.listFolders(),
      status: await s.folderStatus(INBOX),
      summary: await s.getSummary(INBOX, itemId),
    }));
    await evictDurableObject(stub);
    await withStore("evict@example.test", async (s) => {
      expect(await s.listFolders()).toEqual(before.folders);
      expect(await s.folderStatus(INBOX)).toEqual(before.status);
      expect(await s.getSummary(INBOX, itemId)).toEqual(before.summary);
      expect((await s.getSummary(INBOX, itemId))!.flags.flagged).toBe(true);
      expect((await s.listFolders()).some((f) => f.id === folder.id)).toBe(true);
      // The counter continues where it was: no modseq is handed out twice.
      const next = await s.appendMessage(INBOX, mail());
      expect((await s.getSummary(INBOX, next))!.modseq).toBe(before.status.highestModseq + 1);
      expect(Number(next)).toBeGreaterThan(Number(itemId));
    });
  });
});

describe("tombstone pruning", () => {
  it("drops old tombstones and raises the folder's tombstoneFloor", async () => {
    await withStore("prune@example.test", async (s) => {
      const a = await s.appendMessage(INBOX, mail());
      await s.appendMessage(INBOX, mail());
      await s.deleteItem(INBOX, a);
      const st = await s.folderStatus(INBOX);
      expect(s.pruneTombstones(Date.now() - 60_000)).toBe(0);
      expect((await s.folderStatus(INBOX)).tombstoneFloor).toBe(0);
      expect(s.pruneTombstones(Date.now() + 1)).toBe(1);
      const after = await s.folderStatus(INBOX);
      expect(after.tombstoneFloor).toBe(st.highestModseq);
      expect(after.highestModseq).toBe(st.highestModseq);
      expect(await s.changesSince(INBOX, 0, 10)).not.toContainEqual(expect.objectContaining({ itemId: a }));
    });
  });

  it("delivery prunes tombstones older than the retention period, and only those", async () => {
    const stub = env.MAILBOX.getByName("prune-on-delivery@example.test");
    const ids = [(await stub.deliver(mail())).itemId, (await stub.deliver(mail())).itemId];
    await runInDurableObject(stub, async (mb: Mailbox, state) => {
      await mb.store.deleteItem(INBOX, ids[0]);
      await mb.store.deleteItem(INBOX, ids[1]);
      // Age the first tombstone past the retention period.
      state.storage.sql.exec(`UPDATE tombstones SET at = ? WHERE uid = ?`, Date.now() - TOMBSTONE_RETENTION_MS - 1000, Number(ids[0]));
    });
    await stub.deliver(mail());
    await withStore("prune-on-delivery@example.test", async (s) => {
      const deletes = (await s.changesSince(INBOX, 0, 10)).filter((c) => c.deleted).map((c) => c.itemId);
      expect(deletes).toEqual([ids[1]]);
      expect((await s.folderStatus(INBOX)).tombstoneFloor).toBeGreaterThan(0);
    });
  });
});
