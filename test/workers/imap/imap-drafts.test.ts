// Drafts on an IMAP account (issue 16 §5, bridged mailboxes): a draft added by a phone is a \Draft on the
// server, the Drafts folder is found without SPECIAL-USE by its name, and a draft edit (replaceMessage: APPEND
// the new version, expunge the old) interrupted by a reset at any step leaves one draft under the phone's id
// once the folder is looked at again (draft-replace.ts). The shared draft behaviour of every backend is in
// the store contract (store-contract/mail-contract.ts, "replacing a message").
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DraftReplacements, withDraftToken } from "../../../src/store/imap/draft-replace";
import { MirrorDb } from "../../../src/store/imap/mirror-db";
import { ImapSessions } from "../../../src/store/imap/sessions";
import { folderTypes, type ServerMailbox } from "../../../src/store/imap/state";
import { parseItemId } from "../../../src/store/imap/wire";
import { FolderType, type StoreFolder } from "../../../src/store/types";
import { config, message, otherClient, withStore } from "./imap-helpers";

const USER = "carol";
const MB = "imap-drafts-carol@example.test";
const cfg = config(USER);
const enc = new TextEncoder();

/** A new folder of its own (exact counts on a shared account) and a first draft in it. */
async function folderWithDraft(subject: string): Promise<{ folder: StoreFolder; id: string }> {
  return withStore(MB, cfg, async (s) => {
    const folder = await s.createFolder("0", `Dr-${crypto.randomUUID().slice(0, 8)}`, FolderType.UserMail);
    const id = await s.appendMessage(folder.id, enc.encode(message(subject).replace(/\n/g, "\r\n")), { seen: true });
    return { folder, id };
  });
}

/**
 * What a reset in mid-replacement leaves: the replacement recorded (step 1), then, per `steps`, the new
 * version on the server (step 2, appended by a second session as the interrupted one had) and the id map
 * written (step 3). Returns the new version's UID (0 when not appended).
 */
async function interruptedReplacement(folder: StoreFolder, id: string, subject: string, steps: "begun" | "appended" | "mapped") {
  const token = await runInDurableObject(env.MAILBOX.getByName(MB), async (_mb, state) => {
    const drafts = new DraftReplacements(new MirrorDb(state.storage), new ImapSessions(cfg));
    return drafts.begin(Number(folder.id), parseItemId(id)!.uid, parseItemId(id)!.uid);
  });
  if (steps === "begun") return 0;
  const path = await folderPath(folder);
  const newUid = await otherClient(USER, (c) =>
    c.append(path, new TextDecoder().decode(withDraftToken(enc.encode(message(subject)), token)), "\\Seen"),
  );
  if (steps === "mapped")
    await runInDurableObject(env.MAILBOX.getByName(MB), async (_mb, state) => {
      new DraftReplacements(new MirrorDb(state.storage), new ImapSessions(cfg)).complete(Number(folder.id), parseItemId(id)!.uid, newUid, [
        parseItemId(id)!.uid,
      ]);
    });
  return newUid;
}

async function folderPath(folder: StoreFolder): Promise<string> {
  return runInDurableObject(env.MAILBOX.getByName(MB), async (_mb, state) => new MirrorDb(state.storage).folderRow(folder.id).path);
}

describe("drafts on IMAP", () => {
  it("a draft added to Drafts is \\Draft and \\Seen on the server, for every other mail client", async () => {
    const subject = `Phone draft ${crypto.randomUUID().slice(0, 8)}`;
    const uid = await withStore(MB, cfg, async (s) => {
      await s.listFolders();
      const drafts = s.folderByType(FolderType.Drafts)!;
      return parseItemId(await s.appendMessage(drafts.id, enc.encode(message(subject).replace(/\n/g, "\r\n")), { seen: true }))!.uid;
    });
    const flags = await otherClient(USER, (c) => c.flags("Drafts", uid));
    expect(flags).toEqual(expect.arrayContaining(["\\Draft", "\\Seen"]));
  });

  it("without SPECIAL-USE the Drafts folder is the one named Drafts (top level or under INBOX); a \\Drafts mailbox wins", () => {
    const box = (path: string, flags: string[] = [], delimiter = "/"): ServerMailbox => ({ path, delimiter, flags, uidvalidity: 1 });
    expect(folderTypes([box("INBOX"), box("Archive"), box("drafts")]).get("drafts")).toBe(FolderType.Drafts);
    expect(folderTypes([box("INBOX", [], "."), box("INBOX.Drafts", [], ".")]).get("INBOX.Drafts")).toBe(FolderType.Drafts);
    const marked = folderTypes([box("INBOX"), box("Drafts"), box("Entwürfe", ["\\DRAFTS"])]);
    expect([marked.get("Drafts"), marked.get("Entwürfe")]).toEqual([FolderType.UserMail, FolderType.Drafts]);
    expect(folderTypes([box("INBOX"), box("Work/Drafts")]).get("Work/Drafts")).toBe(FolderType.UserMail);
  });

  it("on a server without UIDPLUS an edit still gives one draft under the same id (new version found by its token, EXPUNGE)", async () => {
    const { folder, id } = await folderWithDraft("Old server v1");
    const noUidPlus = { ...cfg, session: { ignoreCapabilities: ["UIDPLUS"] } };
    const base = await withStore(MB, noUidPlus, (s) => s.folderStatus(folder.id));
    await withStore(MB, noUidPlus, (s) => s.replaceMessage(folder.id, id, enc.encode(message("Old server v2").replace(/\n/g, "\r\n"))));
    const seen = await withStore(MB, noUidPlus, async (s) => ({
      list: (await s.listItems(folder.id, { limit: 10 })).map((m) => [m.itemId, m.subject]),
      changes: (await s.changesSince(folder.id, base.highestModseq, 10)).map((c) => [c.itemId, c.deleted]),
    }));
    expect(seen).toEqual({ list: [[id, "Old server v2"]], changes: [[id, false]] });
    expect(await otherClient(USER, async (c) => (await c.uids(await folderPath(folder))).length)).toBe(1);
  });

  describe("an edit interrupted by a reset leaves one draft under the phone's id", () => {
    it("after the APPEND: the next look finishes it (the new version under the old id, the old one expunged)", async () => {
      const { folder, id } = await folderWithDraft("Plan v1");
      const base = await withStore(MB, cfg, (s) => s.folderStatus(folder.id));
      await interruptedReplacement(folder, id, "Plan v2", "appended");
      const seen = await withStore(MB, cfg, async (s) => ({
        changes: await s.changesSince(folder.id, base.highestModseq, 10),
        list: (await s.listItems(folder.id, { limit: 10 })).map((m) => [m.itemId, m.subject]),
      }));
      expect(seen.list).toEqual([[id, "Plan v2"]]);
      expect(seen.changes.map((c) => [c.itemId, c.deleted])).toEqual([[id, false]]);
      expect(await otherClient(USER, async (c) => (await c.uids(await folderPath(folder))).length)).toBe(1);
      // The phone's retry of its Change then replaces that version: still one draft.
      await withStore(MB, cfg, (s) => s.replaceMessage(folder.id, id, enc.encode(message("Plan v3").replace(/\n/g, "\r\n"))));
      expect(
        await withStore(MB, cfg, async (s) => (await s.listItems(folder.id, { limit: 10 })).map((m) => [m.itemId, m.subject])),
      ).toEqual([[id, "Plan v3"]]);
      expect(await otherClient(USER, async (c) => (await c.uids(await folderPath(folder))).length)).toBe(1);
    });

    it("after the id map, before the expunge: the old version is expunged on the next look, no delete reaches the phones", async () => {
      const { folder, id } = await folderWithDraft("Memo v1");
      const base = await withStore(MB, cfg, (s) => s.folderStatus(folder.id));
      await interruptedReplacement(folder, id, "Memo v2", "mapped");
      const seen = await withStore(MB, cfg, async (s) => ({
        list: (await s.listItems(folder.id, { limit: 10 })).map((m) => [m.itemId, m.subject]),
        changes: await s.changesSince(folder.id, base.highestModseq, 10),
      }));
      expect(seen.list).toEqual([[id, "Memo v2"]]);
      expect(seen.changes.map((c) => [c.itemId, c.deleted])).toEqual([[id, false]]);
      expect(await otherClient(USER, async (c) => (await c.uids(await folderPath(folder))).length)).toBe(1);
    });

    it("before the APPEND landed: the draft is the old version, and the next edit works", async () => {
      const { folder, id } = await folderWithDraft("Note v1");
      await interruptedReplacement(folder, id, "unused", "begun");
      expect(
        await withStore(MB, cfg, async (s) => (await s.listItems(folder.id, { limit: 10 })).map((m) => [m.itemId, m.subject])),
      ).toEqual([[id, "Note v1"]]);
      await withStore(MB, cfg, (s) => s.replaceMessage(folder.id, id, enc.encode(message("Note v2").replace(/\n/g, "\r\n"))));
      expect(await withStore(MB, cfg, async (s) => (await s.getSummary(folder.id, id))?.subject)).toBe("Note v2");
    });
  });

  it("a draft replaced after its page's texts were read together: getBody gives the new version's text (issue 15)", async () => {
    const { folder, id } = await folderWithDraft("Page v1");
    const text = await withStore(MB, cfg, async (s) => {
      await s.appendMessage(folder.id, enc.encode(message("Another").replace(/\n/g, "\r\n")), { seen: true });
      const page = await s.listItems(folder.id, { limit: 10 });
      await s.prefetchBodies(folder.id, page);
      const before = (await s.getBody(folder.id, id, "plain"))?.data;
      await s.replaceMessage(folder.id, id, enc.encode(message("Page v2", "The second version.\n").replace(/\n/g, "\r\n")));
      return { before, after: (await s.getBody(folder.id, id, "plain"))?.data };
    });
    expect(text.before).toContain("Hello from the test.");
    expect(text.after).toContain("The second version.");
    // the same as a store that never held the page
    expect(await withStore(MB, cfg, async (s) => (await s.getBody(folder.id, id, "plain"))?.data)).toBe(text.after);
  });
});
