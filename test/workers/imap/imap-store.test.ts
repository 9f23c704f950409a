// ImapStore against a real Dovecot (test/servers/dovecot.ts) through cloudflare:sockets, implicit TLS.
// "Another client" is a second, independent IMAP session on the same account.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { parseMessage } from "../../../src/store/mime";
import { FolderType } from "../../../src/store/types";
import { Literal } from "../../../src/store/imap/connection";
import { str } from "../../../src/store/imap/parser";
import { parseItemId } from "../../../src/store/imap/wire";
import { config, itemIdFor, message, otherClient, withStore } from "./imap-helpers";

const alice = config("alice");
const MB = "imap-alice@example.test";
let inboxItem: (uid: number) => string;

beforeAll(async () => {
  inboxItem = await itemIdFor("alice", "INBOX");
});

async function folderId(name: string): Promise<string> {
  return withStore(MB, alice, async (store) => {
    const f = (await store.listFolders()).find((f) => f.name === name);
    if (!f) throw new Error(`no folder ${name}`);
    return f.id;
  });
}

describe("ImapStore folders", () => {
  it("lists the mailboxes with their types from SPECIAL-USE, defaults first, top level", async () => {
    const folders = await withStore(MB, alice, (s) => s.listFolders());
    const byName = Object.fromEntries(folders.map((f) => [f.name, f]));
    expect(byName.Inbox!.type).toBe(FolderType.Inbox);
    expect(byName.Drafts!.type).toBe(FolderType.Drafts);
    expect(byName.Trash!.type).toBe(FolderType.DeletedItems);
    expect(byName.Sent!.type).toBe(FolderType.SentItems);
    expect(byName.Junk!.type).toBe(FolderType.UserMail);
    expect(folders.every((f) => f.parentId === "0" && f.itemClass === "Email")).toBe(true);
    expect(
      folders
        .slice(0, 4)
        .map((f) => f.type)
        .sort(),
    ).toEqual([2, 3, 4, 5]);
    // ids are stable from one listing to the next
    const again = await withStore(MB, alice, (s) => s.listFolders());
    expect(again.map((f) => f.id).sort()).toEqual(folders.map((f) => f.id).sort());
  });

  it("keeps a folder's id when another client renames it on the server, children included", async () => {
    await otherClient("alice", async (c) => {
      await c.run("CREATE", '"Projects"');
      await c.run("CREATE", '"Projects/Alpha"');
    });
    const before = await withStore(MB, alice, (s) => s.listFolders());
    const projects = before.find((f) => f.name === "Projects")!;
    const alpha = before.find((f) => f.name === "Alpha")!;
    expect(alpha.parentId).toBe(projects.id);
    await otherClient("alice", (c) => c.run("RENAME", '"Projects"', '"Archive 2026"'));
    const after = await withStore(MB, alice, (s) => s.listFolders());
    const renamed = after.find((f) => f.id === projects.id)!;
    expect(renamed.name).toBe("Archive 2026");
    expect(after.find((f) => f.id === alpha.id)).toMatchObject({ name: "Alpha", parentId: projects.id });
    expect(after.some((f) => f.name === "Projects")).toBe(false);
  });

  it("creates, renames (non-ASCII names in modified UTF-7) and deletes folders on the server", async () => {
    const created = await withStore(MB, alice, (s) => s.createFolder("0", "Réunions", FolderType.UserMail));
    expect(created).toMatchObject({ name: "Réunions", parentId: "0", type: FolderType.UserMail });
    expect(await otherClient("alice", (c) => c.mailboxes())).toContain("R&AOk-unions");
    await expect(withStore(MB, alice, (s) => s.createFolder("0", "Réunions", FolderType.UserMail))).rejects.toMatchObject({
      code: "exists",
    });
    const child = await withStore(MB, alice, (s) => s.createFolder(created.id, "2027", FolderType.UserMail));
    expect(child.parentId).toBe(created.id);

    const renamed = await withStore(MB, alice, (s) => s.updateFolder(created.id, "Meetings", "0"));
    expect(renamed).toMatchObject({ id: created.id, name: "Meetings" });
    const names = await otherClient("alice", (c) => c.mailboxes());
    expect(names).toContain("Meetings/2027");
    expect(names).not.toContain("R&AOk-unions");
    const inbox = await folderId("Inbox");
    await expect(withStore(MB, alice, (s) => s.updateFolder(inbox, "Other", "0"))).rejects.toMatchObject({ code: "special" });
    await expect(withStore(MB, alice, (s) => s.deleteFolder(inbox))).rejects.toMatchObject({ code: "special" });

    await withStore(MB, alice, (s) => s.deleteFolder(created.id));
    const left = await otherClient("alice", (c) => c.mailboxes());
    expect(left.filter((n) => n.startsWith("Meetings"))).toEqual([]);
    const folders = await withStore(MB, alice, (s) => s.listFolders());
    expect(folders.some((f) => f.id === created.id || f.id === child.id)).toBe(false);
  });
});

describe("ImapStore changes (CONDSTORE/QRESYNC)", () => {
  it("a message appended by another client appears in changesSince and listItems, parsed", async () => {
    const inbox = await folderId("Inbox");
    const before = await withStore(MB, alice, (s) => s.folderStatus(inbox));
    const uid = await otherClient("alice", (c) => c.append("INBOX", message("Quarterly report", "Numbers are up.\n")));
    const { status, changes, list, body } = await withStore(MB, alice, async (s) => ({
      status: await s.folderStatus(inbox),
      changes: await s.changesSince(inbox, before.highestModseq, 100),
      list: await s.listItems(inbox, { limit: 10 }),
      body: await s.getBody(inbox, inboxItem(uid), "plain"),
    }));
    expect(status.validity).toBe(before.validity);
    expect(status.highestModseq).toBeGreaterThan(before.highestModseq);
    expect(status.count).toBe(before.count + 1);
    expect(changes).toEqual([{ itemId: inboxItem(uid), modseq: status.highestModseq, deleted: false }]);
    expect(list[0]).toMatchObject({
      itemId: inboxItem(uid),
      folderId: inbox,
      subject: "Quarterly report",
      from: '"Sender" <sender@example.test>',
    });
    expect(list[0]!.preview).toBe("Numbers are up.");
    expect(list[0]!.flags).toEqual({ seen: false, flagged: false, answered: false, forwarded: false });
    expect(body).toEqual({ data: "Numbers are up.\n", size: 16 });
    // nothing more to report: same modseq, no changes
    const again = await withStore(
      MB,
      alice,
      async (s) => [await s.folderStatus(inbox), await s.changesSince(inbox, status.highestModseq, 100)] as const,
    );
    expect(again[0].highestModseq).toBe(status.highestModseq);
    expect(again[1]).toEqual([]);
  });

  it("flags both ways: another client's \\Seen shows as a change; our \\Flagged reaches the server", async () => {
    const inbox = await folderId("Inbox");
    const uid = await otherClient("alice", (c) => c.append("INBOX", message("Flag me")));
    const base = await withStore(MB, alice, (s) => s.folderStatus(inbox));
    await otherClient("alice", (c) => c.store("INBOX", uid, "+FLAGS", "\\Seen"));
    const { changes, summary } = await withStore(MB, alice, async (s) => ({
      changes: await s.changesSince(inbox, base.highestModseq, 100),
      summary: await s.getSummary(inbox, inboxItem(uid)),
    }));
    expect(changes.map((c) => [c.itemId, c.deleted])).toEqual([[inboxItem(uid), false]]);
    expect(summary!.flags.seen).toBe(true);

    const mark = await withStore(MB, alice, async (s) => {
      await s.setFlags(inbox, inboxItem(uid), { flagged: true, forwarded: true, seen: false });
      return s.folderStatus(inbox);
    });
    expect((await otherClient("alice", (c) => c.flags("INBOX", uid))).sort()).toEqual(["$Forwarded", "\\Flagged"]);
    expect(mark.highestModseq).toBeGreaterThan(changes[0]!.modseq);
    await expect(withStore(MB, alice, (s) => s.setFlags(inbox, inboxItem(999999), { seen: true }))).rejects.toMatchObject({
      name: "StoreNotFoundError",
    });
  });

  it("deletes and moves: tombstones in the source, a new id in the destination (UID MOVE, COPYUID)", async () => {
    const inbox = await folderId("Inbox");
    const trash = await folderId("Trash");
    const [gone, kept, moved] = await otherClient("alice", async (c) => [
      await c.append("INBOX", message("Deleted elsewhere")),
      await c.append("INBOX", message("Deleted by the phone")),
      await c.append("INBOX", message("Moved by the phone")),
    ]);
    const base = await withStore(MB, alice, (s) => s.folderStatus(inbox));
    await otherClient("alice", (c) => c.expunge("INBOX", gone));
    const result = await withStore(MB, alice, async (s) => {
      const trashBefore = await s.folderStatus(trash);
      await s.deleteItem(inbox, inboxItem(kept));
      const newId = await s.moveItem(inbox, inboxItem(moved), trash);
      return {
        newId,
        changes: await s.changesSince(inbox, base.highestModseq, 100),
        trashChanges: await s.changesSince(trash, trashBefore.highestModseq, 100),
        trashItem: await s.getSummary(trash, newId),
      };
    });
    expect(result.changes.map((c) => [c.itemId, c.deleted])).toEqual([
      [inboxItem(gone), true],
      [inboxItem(kept), true],
      [inboxItem(moved), true],
    ]);
    const modseqs = result.changes.map((c) => c.modseq);
    expect([...new Set(modseqs)].sort((a, b) => a - b)).toEqual(modseqs);
    expect(result.trashChanges).toEqual([{ itemId: result.newId, modseq: expect.any(Number), deleted: false }]);
    expect(result.trashItem!.subject).toBe("Moved by the phone");
    const serverInbox = await otherClient("alice", (c) => c.uids("INBOX"));
    expect(serverInbox).not.toContain(kept);
    expect(serverInbox).not.toContain(moved);
    expect(await otherClient("alice", (c) => c.uids("Trash"))).toContain(parseItemId(result.newId)!.uid);
  });

  it("changesSince pages by the last modseq seen without losing a change", async () => {
    const inbox = await folderId("Inbox");
    const base = await withStore(MB, alice, (s) => s.folderStatus(inbox));
    await otherClient("alice", async (c) => {
      for (let i = 0; i < 5; i++) await c.append("INBOX", message(`Page ${i}`));
    });
    const seen = await withStore(MB, alice, async (s) => {
      const out: string[] = [];
      let from = base.highestModseq;
      for (;;) {
        const page = await s.changesSince(inbox, from, 2);
        if (!page.length) break;
        out.push(...page.map((c) => c.itemId));
        from = page[page.length - 1]!.modseq;
      }
      return out;
    });
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
  });

  it("a mailbox deleted and recreated on the server (new UIDVALIDITY) keeps its id and voids its items", async () => {
    await otherClient("alice", async (c) => {
      await c.run("CREATE", '"Reset"');
      await c.append("Reset", message("Before the reset"));
    });
    const reset = await folderId("Reset");
    const before = await withStore(MB, alice, (s) => s.folderStatus(reset));
    const [oldItem] = await withStore(MB, alice, (s) => s.listItems(reset, { limit: 1 }));
    await otherClient("alice", async (c) => {
      await c.run("DELETE", '"Reset"');
      await c.run("CREATE", '"Reset"');
      await c.append("Reset", message("After the reset"));
    });
    expect(await folderId("Reset")).toBe(reset);
    const { after, changes, list } = await withStore(MB, alice, async (s) => ({
      after: await s.folderStatus(reset),
      changes: await s.changesSince(reset, before.highestModseq, 100),
      list: await s.listItems(reset, { limit: 10 }),
    }));
    expect(after.validity).not.toBe(before.validity);
    // A caller holding the old modseq is told to resynchronise: nothing older is complete any more.
    expect(after.tombstoneFloor).toBeGreaterThan(before.highestModseq);
    expect(changes).toEqual([]);
    expect(list.map((m) => m.subject)).toEqual(["After the reset"]);
    // The new message reuses UID 1: the old id must not reach it (no wrong delete after a reset).
    expect(parseItemId(list[0]!.itemId)!.uid).toBe(parseItemId(oldItem!.itemId)!.uid);
    expect(list[0]!.itemId).not.toBe(oldItem!.itemId);
    expect(await withStore(MB, alice, (s) => s.getSummary(reset, oldItem!.itemId))).toBeNull();
    await expect(withStore(MB, alice, (s) => s.deleteItem(reset, oldItem!.itemId))).rejects.toMatchObject({ name: "StoreNotFoundError" });
    expect(await otherClient("alice", (c) => c.uids("Reset"))).toHaveLength(1);
  });
});

describe("ImapStore items", () => {
  it("lists newest first with a keyset cursor and a FilterType window; counts; appends with flags and date", async () => {
    const id = await withStore(MB, alice, (s) => s.createFolder("0", "Listing", FolderType.UserMail));
    const day = 86_400_000;
    const now = Date.now();
    const ids = await withStore(MB, alice, async (s) => {
      const out: string[] = [];
      for (let i = 0; i < 5; i++)
        out.push(await s.appendMessage(id.id, new TextEncoder().encode(message(`Item ${i}`)), { seen: i % 2 === 0 }, now - (5 - i) * day));
      return out;
    });
    const { first, second, recent, count, countRecent } = await withStore(MB, alice, async (s) => {
      const first = await s.listItems(id.id, { limit: 2 });
      const last = first[first.length - 1]!;
      return {
        first,
        second: await s.listItems(id.id, { limit: 10, after: { received: last.received, itemId: last.itemId } }),
        recent: await s.listItems(id.id, { limit: 10, since: now - 2.5 * day }),
        count: await s.countItems(id.id),
        countRecent: await s.countItems(id.id, now - 2.5 * day),
      };
    });
    expect(first.map((m) => m.subject)).toEqual(["Item 4", "Item 3"]);
    expect(second.map((m) => m.subject)).toEqual(["Item 2", "Item 1", "Item 0"]);
    expect(recent.map((m) => m.itemId)).toEqual([ids[4], ids[3]]);
    expect(count).toBe(5);
    expect(countRecent).toBe(2);
    expect(first[0]!.flags.seen).toBe(true);
    expect(Math.abs(first[0]!.received - (now - day))).toBeLessThan(1000);
    const mime = await withStore(MB, alice, (s) => s.getMime(id.id, ids[0]!));
    expect(new TextDecoder().decode(mime!)).toContain("Subject: Item 0");
    expect(await withStore(MB, alice, (s) => s.getMime(id.id, "424242"))).toBeNull();
  });

  it("fetches attachments by part id as the built-in store numbers them", async () => {
    const inbox = await folderId("Inbox");
    const raw = [
      "From: a@example.test",
      "To: alice@example.test",
      "Subject: With attachment",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="b"',
      "",
      "--b",
      "Content-Type: text/plain",
      "",
      "See attached.",
      "--b",
      'Content-Type: application/octet-stream; name="data.bin"',
      'Content-Disposition: attachment; filename="data.bin"',
      "Content-Transfer-Encoding: base64",
      "",
      btoa("\u0000\u0001\u0002binary"),
      "--b--",
      "",
    ].join("\r\n");
    const uid = await otherClient("alice", (c) => c.append("INBOX", raw));
    const { summary, att } = await withStore(MB, alice, async (s) => ({
      summary: await s.getSummary(inbox, inboxItem(uid)),
      att: await s.getAttachment(inbox, inboxItem(uid), "1"),
    }));
    expect(summary!.attachments).toEqual([expect.objectContaining({ partId: "1", filename: "data.bin", size: 9 })]);
    expect([...att!.data]).toEqual([0, 1, 2, ...new TextEncoder().encode("binary")]);
  });

  it("summarises a 1.5 MB message in full (attachment after the first megabyte) and parses each UID once", async () => {
    const folder = await withStore(MB, alice, (s) => s.createFolder("0", "Big", FolderType.UserMail));
    const filler = "x".repeat(76) + "\r\n";
    const raw = [
      "From: a@example.test",
      "Subject: Big one",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="b"',
      "",
      "--b",
      "Content-Type: text/plain",
      "",
      filler.repeat(20_000),
      "--b",
      'Content-Type: text/plain; name="late.txt"',
      'Content-Disposition: attachment; filename="late.txt"',
      "",
      "found me",
      "--b--",
      "",
    ].join("\r\n");
    const uid = await otherClient("alice", (c) => c.append("Big", raw));
    const first = await withStore(MB, alice, (s) => s.listItems(folder.id, { limit: 5 }));
    expect(first[0]!.size).toBeGreaterThan(1_500_000);
    expect(first[0]!.attachments.map((a) => a.filename)).toEqual(["late.txt"]);
    const cached = () =>
      runInDurableObject(env.MAILBOX.getByName(MB), async (_i, state) =>
        state.storage.sql.exec(`SELECT uid FROM imap_summaries WHERE folder = ?`, Number(folder.id)).toArray(),
      );
    expect(await cached()).toEqual([{ uid }]);
    // flags still come from the server on every listing
    await otherClient("alice", (c) => c.store("Big", uid, "+FLAGS", "\\Seen"));
    const second = await withStore(MB, alice, (s) => s.listItems(folder.id, { limit: 5 }));
    // (listing looks at the folder's changes first: the flag change is logged, so the summary's modseq moves)
    expect(second[0]).toEqual({ ...first[0], flags: { ...first[0]!.flags, seen: true }, modseq: expect.any(Number) });
    expect(second[0]!.modseq).toBeGreaterThan(first[0]!.modseq);
    // a store told to summarise big messages from their head only fetches about a megabyte
    await runInDurableObject(env.MAILBOX.getByName(MB), async (_i, state) => {
      state.storage.sql.exec(`DELETE FROM imap_summaries WHERE folder = ?`, Number(folder.id));
    });
    const headOnly = await withStore(MB, { ...alice, summaryWholeLimit: 100_000 }, async (s) => {
      const [m] = await s.listItems(folder.id, { limit: 5 });
      return { m, bytesIn: s.stats.bytesIn };
    });
    expect(headOnly.m!.subject).toBe("Big one");
    expect(headOnly.m!.attachments).toEqual([]); // beyond the head: the documented loss
    expect(headOnly.bytesIn).toBeLessThan(1_100_000);
    // an expunge forgets the cached summary
    await withStore(MB, alice, (s) => s.folderStatus(folder.id));
    await otherClient("alice", (c) => c.expunge("Big", uid));
    await withStore(MB, alice, (s) => s.changesSince(folder.id, 0, 10));
    expect(await cached()).toEqual([]);
  });
});

describe("ImapStore emptyFolder", () => {
  it("expunges every message; with subfolders it deletes them too, the folder itself stays", async () => {
    const top = await withStore(MB, alice, (s) => s.createFolder("0", "Bin", FolderType.UserMail));
    const sub = await withStore(MB, alice, (s) => s.createFolder(top.id, "Old", FolderType.UserMail));
    await otherClient("alice", async (c) => {
      await c.append("Bin", message("one"));
      await c.append("Bin", message("two"));
      await c.append("Bin/Old", message("three"));
    });
    const base = await withStore(MB, alice, (s) => s.folderStatus(top.id));
    await withStore(MB, alice, (s) => s.emptyFolder(top.id, false));
    expect(await otherClient("alice", (c) => c.uids("Bin"))).toEqual([]);
    expect(await otherClient("alice", (c) => c.uids("Bin/Old"))).toHaveLength(1);
    const changes = await withStore(MB, alice, (s) => s.changesSince(top.id, base.highestModseq, 10));
    expect(changes.map((c) => c.deleted)).toEqual([true, true]);

    await withStore(MB, alice, (s) => s.emptyFolder(top.id, true));
    const names = await otherClient("alice", (c) => c.mailboxes());
    expect(names).toContain("Bin");
    expect(names).not.toContain("Bin/Old");
    expect((await withStore(MB, alice, (s) => s.listFolders())).some((f) => f.id === sub.id)).toBe(false);
  });
});

describe("ImapStore extras the sync engine uses (as BuiltinStore has them)", () => {
  it("folderByType answers from the last LIST without a server round trip", async () => {
    const { trash, sent, user, commands } = await withStore(MB, alice, async (s) => {
      await s.listFolders();
      const before = s.stats.commands;
      return {
        trash: s.folderByType(FolderType.DeletedItems),
        sent: s.folderByType(FolderType.SentItems),
        user: s.folderByType(FolderType.UserMail),
        commands: s.stats.commands - before,
      };
    });
    expect(trash).toMatchObject({ name: "Trash", type: FolderType.DeletedItems, parentId: "0" });
    expect(sent).toMatchObject({ name: "Sent", type: FolderType.SentItems });
    expect(user).toBeNull();
    expect(commands).toBe(0);
  });

  it("pruneTombstones drops old tombstones and raises the folder's floor", async () => {
    const folder = await withStore(MB, alice, (s) => s.createFolder("0", "Prune", FolderType.UserMail));
    const uid = await otherClient("alice", (c) => c.append("Prune", message("to prune")));
    await withStore(MB, alice, (s) => s.folderStatus(folder.id));
    await otherClient("alice", (c) => c.expunge("Prune", uid));
    const { before, pruned, after, changes } = await withStore(MB, alice, async (s) => {
      const before = await s.changesSince(folder.id, 0, 10);
      s.pruneTombstones(Date.now() - 60_000); // nothing that old
      const kept = await s.changesSince(folder.id, 0, 10);
      expect(kept).toEqual(before);
      const pruned = s.pruneTombstones(Date.now() + 1000);
      return { before, pruned, after: await s.folderStatus(folder.id), changes: await s.changesSince(folder.id, 0, 10) };
    });
    expect(before).toEqual([{ itemId: (await itemIdFor("alice", "Prune"))(uid), modseq: expect.any(Number), deleted: true }]);
    expect(pruned).toBeGreaterThanOrEqual(1); // other folders of this mailbox have tombstones too
    expect(after.tombstoneFloor).toBe(before[0]!.modseq);
    expect(changes).toEqual([]);
  });

  it("importMessage keeps the Date header as the arrival time", async () => {
    const inbox = await folderId("Inbox");
    const summary = await withStore(MB, alice, async (s) => {
      const id = await s.importMessage(inbox, new TextEncoder().encode(message("Imported")));
      return s.getSummary(inbox, id);
    });
    expect(summary!.received).toBe(Date.UTC(2026, 10, 26, 10, 0, 0));
  });
});

describe("ImapStore bodies of big messages", () => {
  it("reads the text of a message with a 2 MB attachment without fetching the attachment", async () => {
    const inbox = await folderId("Inbox");
    const line = btoa(String.fromCharCode(...Array.from({ length: 57 }, (_, i) => (i * 7) % 256))); // 76 characters
    const attachment = Array.from({ length: 27_000 }, () => line).join("\r\n");
    const raw = [
      "From: a@example.test",
      "Subject: Report with data",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="outer"',
      "",
      "--outer",
      'Content-Type: multipart/alternative; boundary="alt"',
      "",
      "--alt",
      "Content-Type: text/plain; charset=iso-8859-1",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "Voil=E0 le rapport, r=E9sum=E9 ci-dessous.",
      "--alt",
      "Content-Type: text/html; charset=utf-8",
      "",
      "<p>Voilà le <b>rapport</b>.</p>",
      "--alt--",
      "--outer",
      'Content-Type: application/octet-stream; name="data.bin"',
      'Content-Disposition: attachment; filename="data.bin"',
      "Content-Transfer-Encoding: base64",
      "",
      attachment,
      "--outer--",
      "",
    ].join("\r\n");
    const uid = await otherClient("alice", (c) => c.append("INBOX", raw));
    const whole = await parseMessage(new TextEncoder().encode(raw));
    const { plain, html, bytesIn } = await withStore(MB, alice, async (s) => {
      const before = s.stats.bytesIn;
      const plain = await s.getBody(inbox, inboxItem(uid), "plain");
      const html = await s.getBody(inbox, inboxItem(uid), "html");
      return { plain, html, bytesIn: s.stats.bytesIn - before };
    });
    expect(plain!.data).toBe(whole.plain);
    expect(plain!.data).toContain("Voilà le rapport, résumé ci-dessous.");
    expect(html!.data).toBe(whole.html);
    expect(bytesIn).toBeLessThan(20_000);
    expect(raw.length).toBeGreaterThan(2_000_000);
  });
});

describe("ImapStore arrival order kept in SQLite", () => {
  it("an empty folder lists and counts nothing", async () => {
    const folder = await withStore(MB, alice, (s) => s.createFolder("0", "Empty", FolderType.UserMail));
    const { list, count, countSince, status } = await withStore(MB, alice, async (s) => ({
      list: await s.listItems(folder.id, { limit: 10 }),
      count: await s.countItems(folder.id),
      countSince: await s.countItems(folder.id, 0),
      status: await s.folderStatus(folder.id),
    }));
    expect(list).toEqual([]);
    expect(count).toBe(0);
    expect(countSince).toBe(0);
    expect(status.count).toBe(0);
  });

  it("follows arrivals and expunges after the first listing, ordered by INTERNALDATE not UID", async () => {
    const folder = await withStore(MB, alice, (s) => s.createFolder("0", "Order", FolderType.UserMail));
    const item = await (async () => {
      await otherClient("alice", (c) => c.append("Order", message("first")));
      return itemIdFor("alice", "Order");
    })();
    const now = Date.now();
    expect((await withStore(MB, alice, (s) => s.listItems(folder.id, { limit: 10 }))).map((m) => m.subject)).toEqual(["first"]);
    const [late, old] = await otherClient("alice", async (c) => [
      await c.append("Order", message("late")),
      // an import keeps its old arrival time: a higher UID, yet the oldest item
      await c.s
        .command([
          "APPEND",
          '"Order"',
          "()",
          '"01-Jan-2020 00:00:00 +0000"',
          new Literal(new TextEncoder().encode(message("imported").replace(/\n/g, "\r\n"))),
        ])
        .then((r) => Number(str(r.done.code![2]))),
    ]);
    const listed = await withStore(MB, alice, (s) => s.listItems(folder.id, { limit: 10 }));
    expect(listed.map((m) => m.subject)).toEqual(["late", "first", "imported"]);
    expect(listed.map((m) => m.itemId)).toEqual([item(late), expect.any(String), item(old)]);
    expect(await withStore(MB, alice, (s) => s.countItems(folder.id, now - 60_000))).toBe(2);
    await otherClient("alice", (c) => c.expunge("Order", late));
    expect((await withStore(MB, alice, (s) => s.listItems(folder.id, { limit: 10 }))).map((m) => m.subject)).toEqual(["first", "imported"]);
    expect(await withStore(MB, alice, (s) => s.countItems(folder.id, now - 60_000))).toBe(1);
  });
});
